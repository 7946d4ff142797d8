#!/bin/sh
# Checks a running peer (or ME): posts docs/examples/soap/portal-GetEService.xml,
# takes the Body's child out into a file of its own with its namespace
# declarations and validates it against xsd/portal.xsd with xmllint.
# Run from the repository root: cmd/mebench/peer/verify.sh http://127.0.0.1:PORT/soap/portal [user:password]
set -eu
url=${1:?usage: verify.sh URL [user:password]}
auth=${2:-}
req=docs/examples/soap/portal-GetEService.xml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
set -- -s -o "$tmp/resp.xml" -w '%{http_code}' -H 'Content-Type: text/xml; charset=utf-8' --data-binary "@$req"
if [ -n "$auth" ]; then set -- "$@" -u "$auth"; fi
code=$(curl "$@" "$url")
echo "HTTP $code; request $(wc -c <"$req") bytes, response $(wc -c <"$tmp/resp.xml") bytes"
[ "$code" = 200 ] || { head -c 600 "$tmp/resp.xml"; echo; exit 1; }
# ElementTree writes every namespace the element uses onto it.
python3 - "$tmp/resp.xml" "$tmp/body.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
env = ET.parse(sys.argv[1]).getroot()
body = env.find('{http://schemas.xmlsoap.org/soap/envelope/}Body')
ET.ElementTree(body[0]).write(sys.argv[2], encoding='UTF-8', xml_declaration=True)
PY
xmllint --noout --schema xsd/portal.xsd "$tmp/body.xml"
