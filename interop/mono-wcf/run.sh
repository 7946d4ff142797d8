#!/usr/bin/env bash
# The mono-wcf stack: Mono's WCF `svcutil` (Debian mono-devel, Mono 6.8) on
# each service's ?singleWsdl, the proxies built with mcs against
# System.ServiceModel. interop/interop_test.go runs this with the INTEROP_*
# environment.
#
# Mono's svcutil does not make a usable client from ME's contract; this
# script reports that per operation instead of patching its output:
# - on ?wsdl (schemas imported) it writes an empty namespace: no operation;
# - on ?singleWsdl it writes every operation of the portType, but Mono's
#   WsdlImporter (MessageContractImporterInternal.DoImportContract) skips an
#   operation without advancing its index into the contract's operations, so
#   in a portType that mixes operations the DataContract importer accepts with
#   ones it leaves to the XmlSerializer importer (repeated elements, xs:any),
#   the messages land on the wrong operations (portal: ListEServices gets
#   CreateStartTicket's and CreateCompletionTicket's parameters,
#   CreateCompletionTicket() gets none; etjanst: RedeemTicket gets
#   ReportCompletion's, ReportCompletion() none); catalog is all XmlSerializer;
# - the XmlSerializer importer names the wrapper types of its operations
#   (PublishEServiceResponse, ...) but never writes those classes, so none of
#   the three files compiles, catalog's included;
# - the DataContract importer keeps only a response's first child (a
#   portType of only such operations gives `string GetAttachment(...)`, the
#   fileName, without mediaType and content);
# - every operation gets Action="*" (soap:operation/@soapAction is ignored),
#   so Mono's WCF client sends SOAPAction "*", which ME refuses
#   (ValidationFailed: SOAPAction "*" does not match the body element);
#   an optional parameter left null goes out as xsi:nil, refused too
#   (organisationNumber is not nillable);
# - no operation gets a FaultContract for MEFault, and Mono's WCF client reads
#   a fault detail it has no FaultContract for as ExceptionDetail with the
#   DataContractSerializer: SerializationException "Expecting element
#   'ExceptionDetail' ... Encountered 'Element' with name 'MEFault'";
# - -n/--namespace leaves its namespace empty (the three files declare the
#   same types globally); a local .wsdl file is refused ("Not supported file
#   extension"), so svcutil is given the URL.
# Every operation is reported FAIL with the generated signature and the
# compiler's error; the working Mono client is the mono-asmx stack.
set -uo pipefail
work=$INTEROP_WORK
catalog_ops="PublishEService ListOwnEServices WithdrawEService fault:catalog"
portal_ops="ListEServices GetEService CreateStartTicket ListCases GetCase MarkEventRead GetAttachment
SendMessageToHandler GetCitizenProfile UpdateCitizenProfile CreateCompletionTicket ArchiveCase fault:portal"
etjanst_ops="RedeemTicket ReportCompletion fault:etjanst"

fail_all() {
	for op in $catalog_ops $portal_ops $etjanst_ops; do echo "RESULT $op FAIL $1"; done
	exit 1
}

for tool in svcutil mcs mono timeout; do
	command -v "$tool" >/dev/null || fail_all "$tool not found: install Debian's mono-devel"
done
cd "$work" || fail_all "no INTEROP_WORK"

# svcutil fetches the WSDL itself (DISCO); it exits 0 even when it wrote nothing.
# generate:
svcutil --noLogo --noConfig -o:"$INTEROP_WORK/Portal.cs" "$INTEROP_URL/soap/portal?singleWsdl"
# generate:
svcutil --noLogo --noConfig -o:"$INTEROP_WORK/Catalog.cs" "$INTEROP_URL/soap/catalog?singleWsdl"
# generate:
svcutil --noLogo --noConfig -o:"$INTEROP_WORK/Etjanst.cs" "$INTEROP_URL/soap/etjanst?singleWsdl"

# signature prints the generated service-contract method for an operation.
signature() {
	awk -v op="$2" '
		/^public interface [A-Za-z]*PortType \{/ { in_if = 1; next }
		in_if && /^\}/ { exit }
		in_if && $0 ~ "[ .]" op "\\(" { sub(/^ +/, ""); sub(/;$/, ""); print; exit }
	' "$1"
}

# check reports the operations of one service from its generated file.
check() {
	local file=$1 ops=$2 built why sig
	if [ ! -s "$file" ]; then
		for op in $ops; do echo "RESULT $op FAIL svcutil wrote no $file"; done
		return
	fi
	if built=$(mcs -nologo -target:library -r:System.ServiceModel -r:System.Runtime.Serialization \
		-out:"${file%.cs}.dll" "$file" 2>&1); then
		why="the generated proxy builds, but this stack has no client for it (Mono 6.8's never did)"
	else
		why="the generated $file does not build: $(grep -m1 'error CS' <<<"$built")"
	fi
	for op in $ops; do
		case $op in
		fault:*)
			if grep -q FaultContract "$file"; then
				echo "RESULT $op FAIL $why"
			else
				echo "RESULT $op FAIL svcutil declared no FaultContract for MEFault (Mono's WCF client then throws SerializationException expecting ExceptionDetail); $why"
			fi ;;
		*)
			sig=$(signature "$file" "$op")
			echo "RESULT $op FAIL svcutil generated: ${sig:-no method}; $why" ;;
		esac
	done
}

check Catalog.cs "$catalog_ops"
check Portal.cs "$portal_ops"
check Etjanst.cs "$etjanst_ops"
exit 1
