#!/usr/bin/env bash
# ME's interop suite, node stack (see interop/interop_test.go): npm's `soap`
# (pinned in package.json and package-lock.json, the version
# cmd/mebench/peer uses) reads each service's ?wsdl from the running ME and
# client.js drives the three flows through all seventeen operations.
#
# Needs Node.js with npm, and the npm registry for `npm ci`. soap 1.13
# declares Node.js >= 20.19 (this machine kind's nodejs 20 has it); the flows
# also pass on Debian 12's own nodejs 18.20, where npm only warns.
# Everything is installed and run in $INTEROP_WORK; the source tree stays as
# it is.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="${INTEROP_WORK:?INTEROP_WORK is not set}"
wanted=(PublishEService ListOwnEServices WithdrawEService
  ListEServices GetEService CreateStartTicket
  ListCases GetCase MarkEventRead GetAttachment SendMessageToHandler
  GetCitizenProfile UpdateCitizenProfile CreateCompletionTicket ArchiveCase
  RedeemTicket ReportCompletion
  fault:portal fault:catalog fault:etjanst)

# fail_rest reports every operation the client has not reported as failed
# with the reason given, so that a broken install or a crash is one clear
# line per operation rather than a silence.
fail_rest() {
  local op
  for op in "${wanted[@]}"; do
    grep -q "^RESULT $op " "$work/client.out" 2>/dev/null || echo "RESULT $op FAIL $1"
  done
}

for tool in node npm; do
  if ! command -v "$tool" >/dev/null; then
    fail_rest "$tool is not installed"
    exit 1
  fi
done

cp "$here/package.json" "$here/package-lock.json" "$here/client.js" "$work/" || { fail_rest "cannot copy the client into $work"; exit 1; }
cd "$work" || exit 1
if ! timeout 300 npm ci --no-audit --no-fund --loglevel=error >npm.log 2>&1; then
  fail_rest "npm ci failed: $(tail -n 5 npm.log | tr '\n' ' ')"
  exit 1
fi
echo "node $(node --version), soap $(node -p 'require("soap/package.json").version')"

# node soap has no generate step that writes code: it builds the client from
# the WSDL at run time. client.js's soap.createClientAsync(
# "$INTEROP_URL/soap/<service>?wsdl") for portal, catalog and etjanst is that
# step, and the command below runs it and the flows (client.js stops itself
# after 120 s; each call times out after 15 s).
{
# generate:
node client.js
} >client.out 2>&1
rc=$?
cat client.out
if [ "$rc" -ne 0 ]; then
  fail_rest "node client.js exited with $rc"
  exit 1
fi
fail_rest "not reported by client.js"
