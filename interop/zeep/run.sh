#!/usr/bin/env bash
# The zeep stack (Debian's python3-zeep). zeep builds its client from each
# service's WSDL on the running ME at run time; `python3 -m zeep URL` prints
# the API it generates (operations and types), kept in $INTEROP_WORK.
# client.py drives the three flows and prints a RESULT line per operation
# (see interop_test.go).
set -uo pipefail

# Never hang: the whole stack runs under one deadline; client.py also gives
# each call 30 s.
if [ -z "${INTEROP_ZEEP_DEADLINE:-}" ]; then
	INTEROP_ZEEP_DEADLINE=1 exec timeout 150 bash "$0" "$@"
fi

here=$(cd "$(dirname "$0")" && pwd)
export PATH="/usr/bin:$PATH" # Debian's python3, the one python3-zeep is installed for
export PYTHONDONTWRITEBYTECODE=1
cd "$INTEROP_WORK" || exit 1

# generated SERVICE RC OPERATIONS...: every operation of SERVICE fails when
# zeep could not build the service's API from its WSDL.
generated() {
	local service=$1 rc=$2 op
	shift 2
	if [ "$rc" -eq 0 ] && grep -q "Operations:" "$service-api.txt"; then
		return 0
	fi
	echo "python3 -m zeep $service?wsdl failed (exit $rc):"
	tail -20 "$service-api.txt"
	for op in "$@"; do
		echo "RESULT $op FAIL python3 -m zeep could not read $service?wsdl (exit $rc)"
	done
}

{
	# generate:
	python3 -m zeep "$INTEROP_URL/soap/portal?wsdl"
} >portal-api.txt 2>&1
generated portal $? ListEServices GetEService CreateStartTicket ListCases GetCase MarkEventRead \
	GetAttachment SendMessageToHandler GetCitizenProfile UpdateCitizenProfile CreateCompletionTicket \
	ArchiveCase fault:portal

{
	# generate:
	python3 -m zeep "$INTEROP_URL/soap/catalog?wsdl"
} >catalog-api.txt 2>&1
generated catalog $? PublishEService ListOwnEServices WithdrawEService fault:catalog

{
	# generate:
	python3 -m zeep "$INTEROP_URL/soap/etjanst?wsdl"
} >etjanst-api.txt 2>&1
generated etjanst $? RedeemTicket ReportCompletion fault:etjanst

python3 "$here/client.py"
