#!/usr/bin/env bash
# The mono-asmx stack: Mono's ASMX-style `wsdl` tool (Debian mono-devel)
# generates a SoapHttpClientProtocol proxy per service from the running
# ME's ?wsdl, mcs compiles Client.cs against them, and mono runs it.
# interop/interop_test.go runs this with the INTEROP_* environment.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$INTEROP_WORK
ops="PublishEService ListOwnEServices WithdrawEService ListEServices GetEService CreateStartTicket
ListCases GetCase MarkEventRead GetAttachment SendMessageToHandler GetCitizenProfile UpdateCitizenProfile
CreateCompletionTicket ArchiveCase RedeemTicket ReportCompletion fault:portal fault:catalog fault:etjanst"

# fail_all reports every operation failed for one reason, then exits.
fail_all() {
	for op in $ops; do echo "RESULT $op FAIL $1"; done
	exit 1
}

for tool in wsdl mcs mono; do
	command -v "$tool" >/dev/null || fail_all "$tool not found: install Debian's mono-devel"
done

cd "$work" || fail_all "no INTEROP_WORK"

# generated checks that the command just before it wrote its proxy.
generated() {
	local rc=$? file=$1 service=$2
	[ "$rc" -eq 0 ] && [ -s "$file" ] || fail_all "wsdl could not generate from $service?wsdl (exit $rc)"
}

# generate:
wsdl -nologo -namespace:Me.Portal -out:"$INTEROP_WORK/Portal.cs" "$INTEROP_URL/soap/portal?wsdl"
generated Portal.cs portal
# generate:
wsdl -nologo -namespace:Me.Catalog -out:"$INTEROP_WORK/Catalog.cs" "$INTEROP_URL/soap/catalog?wsdl"
generated Catalog.cs catalog
# generate:
wsdl -nologo -namespace:Me.Etjanst -out:"$INTEROP_WORK/Etjanst.cs" "$INTEROP_URL/soap/etjanst?wsdl"
generated Etjanst.cs etjanst

built=$(mcs -nologo -codepage:utf8 -out:Client.exe -r:System.Web.Services -r:System.Xml \
	"$here/Client.cs" Portal.cs Catalog.cs Etjanst.cs 2>&1) ||
	fail_all "mcs could not build Client.cs with the generated proxies: $(grep -m1 'error CS' <<<"$built")"

# Each call has its own 30 s timeout (SoapHttpClientProtocol.Timeout); this bounds the whole run.
timeout 120 mono Client.exe || echo "mono Client.exe exited with $?"
