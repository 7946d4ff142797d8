#!/usr/bin/env bash
# The gSOAP stack (gSOAP 2.8 of Debian's gsoap and libgsoap-dev): wsdl2h reads
# the running ME's three ?wsdl into one header, soapcpp2 -j -C turns it into
# C++ client proxies (one per service, sharing the common types), and g++
# builds them with client.cpp against libgsoap++. client.cpp drives the three
# flows and prints a RESULT line per operation (see interop_test.go).
set -uo pipefail

# Never hang: the whole stack runs under one deadline; client.cpp also gives
# each call a 10 s connect and 20 s send/receive timeout.
if [ -z "${INTEROP_GSOAP_DEADLINE:-}" ]; then
	INTEROP_GSOAP_DEADLINE=1 exec timeout 170 bash "$0" "$@"
fi

here=$(cd "$(dirname "$0")" && pwd)
cd "$INTEROP_WORK" || exit 1

operations=(PublishEService ListOwnEServices WithdrawEService ListEServices GetEService CreateStartTicket
	ListCases GetCase MarkEventRead GetAttachment SendMessageToHandler GetCitizenProfile UpdateCitizenProfile
	CreateCompletionTicket ArchiveCase RedeemTicket ReportCompletion fault:portal fault:catalog fault:etjanst)

# fail_all STEP LOG: every operation fails because STEP failed; LOG holds
# its output, shown in full and as the last lines in each RESULT.
fail_all() {
	local op why
	echo "$1 failed:"
	cat "$2"
	why=$(grep -v -e '^\*\*' -e '^[[:space:]]*$' "$2" | tail -n 4 | tr -s '[:space:]' ' ' | cut -c1-400)
	for op in "${operations[@]}"; do
		echo "RESULT $op FAIL $1 failed: $why"
	done
	exit 1
}

# One header for the three services: their shared types (common.xsd,
# fault.xsd) become one set of classes and one soapC.cpp.
{
	# generate:
	wsdl2h -o "$INTEROP_WORK/me.h" "$INTEROP_URL/soap/portal?wsdl" "$INTEROP_URL/soap/catalog?wsdl" "$INTEROP_URL/soap/etjanst?wsdl"
} >wsdl2h.txt 2>&1 || fail_all wsdl2h wsdl2h.txt
{
	# generate:
	soapcpp2 -j -C -d "$INTEROP_WORK" -I/usr/share/gsoap/import "$INTEROP_WORK/me.h"
} >soapcpp2.txt 2>&1 || fail_all soapcpp2 soapcpp2.txt

# -O0 keeps the generated serializers quick to compile; the code must be
# built with the library's own flags (pkg-config: -DWITH_DOM -DWITH_IPV6).
if ! cflags=$(pkg-config --cflags gsoap++ 2>&1) || ! libs=$(pkg-config --libs gsoap++ 2>&1); then
	echo "pkg-config gsoap++: $cflags (is libgsoap-dev installed?)" >pkg-config.txt
	fail_all pkg-config pkg-config.txt
fi
pids=()
for src in soapC.cpp soapPortalSoapBindingProxy.cpp soapCatalogSoapBindingProxy.cpp soapEServiceSoapBindingProxy.cpp "$here/client.cpp"; do
	obj=$(basename "${src%.cpp}")
	g++ -O0 -c $cflags -I"$INTEROP_WORK" -o "$obj.o" "$src" >"$obj.g++.txt" 2>&1 &
	pids+=($!)
done
built=true
for pid in "${pids[@]}"; do
	wait "$pid" || built=false
done
if ! $built; then
	cat ./*.g++.txt >g++.txt
	fail_all g++ g++.txt
fi
g++ -o client soapC.o soapPortalSoapBindingProxy.o soapCatalogSoapBindingProxy.o soapEServiceSoapBindingProxy.o client.o $libs >link.txt 2>&1 ||
	fail_all link link.txt

./client
