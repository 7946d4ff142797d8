#!/bin/sh
# Send the example requests in this directory to a running ME with curl.
#
#   make run                          # in another terminal: ME on 127.0.0.1:8080
#   docs/examples/soap/curl.sh        # every example, in a sensible order
#   docs/examples/soap/curl.sh portal-GetEService catalog-ListOwnEServices
#
# Environment: ME_URL (default http://127.0.0.1:8080) and ME_PASSWORD (the
# demo clients' password, default "demo"). The demo clients of
# config/demo.yaml are demo-portal, demo-catalog and demo-etjanst.
#
# Every request is a SOAP 1.1 POST with
#   Content-Type: text/xml; charset=utf-8
#   SOAPAction: "<the operation's soapAction from the WSDL>"
# An answer is HTTP 200 with the response envelope, or HTTP 500 with a SOAP
# Fault whose detail is an MEFault (code, message, element?, reference?).
# Every operation is served. The example ids (cases, events, tickets) are
# made up, so those calls answer faults such as NotFound or InvalidTicket
# until you put in ids from your own data.
set -eu

ME_URL=${ME_URL:-http://127.0.0.1:8080}
ME_PASSWORD=${ME_PASSWORD:-demo}
cd "$(dirname "$0")"
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# show FILE: the answer, indented when xmllint is installed.
show() {
	if command -v xmllint >/dev/null 2>&1 && xmllint --format "$1" 2>/dev/null; then
		:
	else
		cat "$1"
		echo
	fi
}

# call CLIENT SERVICE EXAMPLE SOAPACTION: POST the example to /soap/SERVICE.
call() {
	name=${3%.xml}
	if [ -n "$only" ] && ! printf ' %s ' "$only" | grep -q " $name "; then
		return 0
	fi
	echo "== $name (as $1)"
	status=$(curl -sS -o "$out" -w '%{http_code}' \
		-u "$1:$ME_PASSWORD" \
		-H 'Content-Type: text/xml; charset=utf-8' \
		-H "SOAPAction: \"$4\"" \
		--data-binary "@$3" \
		"$ME_URL/soap/$2")
	echo "HTTP $status"
	show "$out"
	echo
}

only="$*"

if [ -z "$only" ]; then
	echo "== the contracts: WSDL and the schemas it imports"
	curl -sS -o /dev/null -w 'GET /soap/portal?wsdl  HTTP %{http_code}\n' "$ME_URL/soap/portal?wsdl"
	curl -sS -o /dev/null -w 'GET /xsd/portal.xsd    HTTP %{http_code}\n' "$ME_URL/xsd/portal.xsd"
	curl -sS -o /dev/null -w 'GET /xsd/common.xsd    HTTP %{http_code}\n' "$ME_URL/xsd/common.xsd"
	echo
	echo "== no credentials: HTTP 401"
	curl -sS -o /dev/null -w 'POST /soap/portal  HTTP %{http_code}\n' \
		-H 'Content-Type: text/xml; charset=utf-8' \
		--data-binary @portal-ListEServices.xml "$ME_URL/soap/portal"
	echo
fi

# Portal (externwebb): e-services (eTjänster), served now.
call demo-portal portal portal-ListEServices.xml "http://minaengagemang.se/portal/v1/ListEServices"
call demo-portal portal portal-GetEService.xml "http://minaengagemang.se/portal/v1/GetEService"

# Catalog (eTjänstekatalog): publish, list, withdraw, served now.
call demo-catalog catalog catalog-PublishEService.xml "http://minaengagemang.se/catalog/v1/PublishEService"
call demo-catalog catalog catalog-ListOwnEServices.xml "http://minaengagemang.se/catalog/v1/ListOwnEServices"
call demo-catalog catalog catalog-WithdrawEService.xml "http://minaengagemang.se/catalog/v1/WithdrawEService"

# Portal: tickets, cases (ärenden), events (händelser) and the citizen's
# profile.
call demo-portal portal portal-CreateStartTicket.xml "http://minaengagemang.se/portal/v1/CreateStartTicket"
call demo-portal portal portal-ListCases.xml "http://minaengagemang.se/portal/v1/ListCases"
call demo-portal portal portal-GetCase.xml "http://minaengagemang.se/portal/v1/GetCase"
call demo-portal portal portal-MarkEventRead.xml "http://minaengagemang.se/portal/v1/MarkEventRead"
call demo-portal portal portal-GetAttachment.xml "http://minaengagemang.se/portal/v1/GetAttachment"
call demo-portal portal portal-SendMessageToHandler.xml "http://minaengagemang.se/portal/v1/SendMessageToHandler"
call demo-portal portal portal-CreateCompletionTicket.xml "http://minaengagemang.se/portal/v1/CreateCompletionTicket"
call demo-portal portal portal-ArchiveCase.xml "http://minaengagemang.se/portal/v1/ArchiveCase"
call demo-portal portal portal-GetCitizenProfile.xml "http://minaengagemang.se/portal/v1/GetCitizenProfile"
call demo-portal portal portal-UpdateCitizenProfile.xml "http://minaengagemang.se/portal/v1/UpdateCitizenProfile"

# E-service (eTjänst): redeem a ticket, report a completion.
call demo-etjanst etjanst etjanst-RedeemTicket.xml "http://minaengagemang.se/etjanst/v1/RedeemTicket"
call demo-etjanst etjanst etjanst-ReportCompletion.xml "http://minaengagemang.se/etjanst/v1/ReportCompletion"
