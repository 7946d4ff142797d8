#!/usr/bin/env bash
# The interop suite's PHP stack (../interop_test.go): PHP 8.2's SoapClient
# (Debian php-cli php-soap) in WSDL mode, driven by client.php.
set -uo pipefail

# Never hang: the whole stack runs under one deadline; client.php also gives
# each connection 10 s and each answer 10 s.
if [ -z "${INTEROP_PHP_DEADLINE:-}" ]; then
  INTEROP_PHP_DEADLINE=1 exec timeout 120 bash "$0" "$@"
fi

cd "$(dirname "$0")" || exit 1

if ! php -r 'exit(extension_loaded("soap") ? 0 : 1);' 2>/dev/null; then
  for op in PublishEService ListOwnEServices WithdrawEService ListEServices GetEService CreateStartTicket \
    ListCases GetCase MarkEventRead GetAttachment SendMessageToHandler GetCitizenProfile UpdateCitizenProfile \
    CreateCompletionTicket ArchiveCase RedeemTicket ReportCompletion fault:portal fault:catalog fault:etjanst; do
    echo "RESULT $op FAIL php with ext-soap is not installed (Debian: php-cli php-soap)"
  done
  exit 1
fi

# SoapClient has no separate generate step: in WSDL mode it reads each
# service's $INTEROP_URL/soap/<service>?wsdl, with the schemas it imports,
# and builds the client at runtime (no cache, nothing written), so running
# the client is generating it.
# generate:
php client.php
