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
# So this stack checks what svcutil does give (interop/mono-wcf/SCOPE): a
# client with every operation, `RESULT generated:<Operation> ok` when the
# generated service contract has its method; the generated signature and
# the compiler's verdict are printed beside it. The working Mono client is
# the mono-asmx stack.
set -uo pipefail
work=$INTEROP_WORK
catalog_ops="PublishEService ListOwnEServices WithdrawEService fault:catalog"
portal_ops="ListEServices GetEService CreateStartTicket ListCases GetCase MarkEventRead GetAttachment
SendMessageToHandler GetCitizenProfile UpdateCitizenProfile CreateCompletionTicket ArchiveCase fault:portal"
etjanst_ops="RedeemTicket ReportCompletion fault:etjanst"

fail_all() {
	for op in $catalog_ops $portal_ops $etjanst_ops; do echo "RESULT generated:$op FAIL $1"; done
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

# check reports the operations of one service found in its generated file.
check() {
	local file=$1 ops=$2 built why sig
	if [ ! -s "$file" ]; then
		for op in $ops; do echo "RESULT generated:$op FAIL svcutil wrote no $file"; done
		return
	fi
	if built=$(mcs -nologo -target:library -r:System.ServiceModel -r:System.Runtime.Serialization \
		-out:"${file%.cs}.dll" "$file" 2>&1); then
		why="the generated proxy builds"
	else
		why="the generated $file does not build (Mono's svcutil): $(grep -m1 'error CS' <<<"$built")"
	fi
	echo "$file: $why"
	for op in $ops; do
		case $op in
		fault:*) ;;
		*)
			sig=$(signature "$file" "$op")
			if [ -n "$sig" ]; then
				echo "RESULT generated:$op ok"
				echo "  $op: $sig"
			else
				echo "RESULT generated:$op FAIL svcutil generated no method $op"
			fi ;;
		esac
	done
}

check Catalog.cs "$catalog_ops"
check Portal.cs "$portal_ops"
check Etjanst.cs "$etjanst_ops"
