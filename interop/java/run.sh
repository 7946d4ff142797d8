#!/usr/bin/env bash
# The Java stack: the JAX-WS RI 2.3 of Debian's jaxws (wsimport) on JDK 17.
# wsimport generates each service's client from the running ME's ?wsdl, one
# package per service, with no binding file; javac compiles the generated
# sources with Client.java against the RI's runtime, and java runs it.
# Client.java drives the three flows and prints a RESULT line per operation
# (see interop_test.go).
set -uo pipefail

# Never hang: the whole stack runs under one deadline; Client.java also gives
# each call 20 s.
if [ -z "${INTEROP_JAVA_DEADLINE:-}" ]; then
	INTEROP_JAVA_DEADLINE=1 exec timeout 170 bash "$0" "$@"
fi

here=$(cd "$(dirname "$0")" && pwd)
# The RI's runtime (libjaxws-java, which jaxws depends on); the Class-Path of
# its manifest brings the JAXB, SAAJ and JAX-WS API jars along.
classpath=/usr/share/java/jaxws-rt.jar
cd "$INTEROP_WORK" || exit 1
mkdir -p src classes # wsimport -d wants an existing directory

operations=(PublishEService ListOwnEServices WithdrawEService ListEServices GetEService CreateStartTicket
	ListCases GetCase MarkEventRead GetAttachment SendMessageToHandler GetCitizenProfile UpdateCitizenProfile
	CreateCompletionTicket ArchiveCase RedeemTicket ReportCompletion fault:portal fault:catalog fault:etjanst)

# fail_all WHY: every operation fails (the first failure an operation
# reports is the one the harness keeps).
fail_all() {
	local op
	for op in "${operations[@]}"; do
		echo "RESULT $op FAIL $1"
	done
	exit 1
}

# generated SERVICE RC OPERATIONS...: every operation of SERVICE fails when
# wsimport could not generate its client.
services_ok=0
generated() {
	local service=$1 rc=$2 op why
	shift 2
	if [ "$rc" -eq 0 ] && ! grep -q '^\[ERROR\]' "$service-wsimport.txt"; then
		services_ok=$((services_ok + 1))
		return 0
	fi
	echo "wsimport $service?wsdl failed (exit $rc):"
	tail -20 "$service-wsimport.txt"
	why=$(grep -m1 '^\[ERROR\]' "$service-wsimport.txt" | tr -s '[:space:]' ' ')
	for op in "$@"; do
		echo "RESULT $op FAIL wsimport could not generate from $service?wsdl (exit $rc) ${why}"
	done
}

{
	# generate:
	wsimport -keep -Xnocompile -d "$INTEROP_WORK/src" -p se.kommun.minaengagemang.portal "$INTEROP_URL/soap/portal?wsdl"
} >portal-wsimport.txt 2>&1
generated portal $? ListEServices GetEService CreateStartTicket ListCases GetCase MarkEventRead \
	GetAttachment SendMessageToHandler GetCitizenProfile UpdateCitizenProfile CreateCompletionTicket \
	ArchiveCase fault:portal

{
	# generate:
	wsimport -keep -Xnocompile -d "$INTEROP_WORK/src" -p se.kommun.minaengagemang.catalog "$INTEROP_URL/soap/catalog?wsdl"
} >catalog-wsimport.txt 2>&1
generated catalog $? PublishEService ListOwnEServices WithdrawEService fault:catalog

{
	# generate:
	wsimport -keep -Xnocompile -d "$INTEROP_WORK/src" -p se.kommun.minaengagemang.etjanst "$INTEROP_URL/soap/etjanst?wsdl"
} >etjanst-wsimport.txt 2>&1
generated etjanst $? RedeemTicket ReportCompletion fault:etjanst

if [ "$services_ok" -ne 3 ]; then
	fail_all "Client.java needs the clients of all three services"
fi

find src -name '*.java' >sources.txt
if ! javac -nowarn -encoding UTF-8 -cp "$classpath" -d classes @sources.txt "$here/Client.java" >javac.txt 2>&1; then
	tail -30 javac.txt
	fail_all "javac failed: $(grep -m1 'error:' javac.txt | tr -s '[:space:]' ' ')"
fi

java -cp "classes:$classpath" Client
