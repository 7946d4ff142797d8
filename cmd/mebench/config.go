package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/crypto/bcrypt"
)

// writeConfig writes the configuration ME is measured with: one
// organisation, a client per role, the demo's bygglov e-service, mail and
// SMS into the local sinks, no quiet hours and no coalescing window (so
// that every signal is one SMS and one e-mail), and log level info.
func writeConfig(dir, addr, debugAddr, driver, dsn string, s *sinks) (string, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		return "", err
	}
	smtpHost, smtpPort, err := net.SplitHostPort(s.smtpAddr)
	if err != nil {
		return "", err
	}
	port, _ := strconv.Atoi(smtpPort)
	cfg := fmt.Sprintf(`http:
  addr: %q
  debug_addr: %q
database:
  driver: %s
  dsn: %q
log:
  level: info
  format: json
smtp:
  host: %s
  port: %d
  tls: none
  from: "Mina Engagemang <no-reply@bench.example>"
sms:
  provider: http
  url: %q
  format: form
  body: "to={{urlquery .To}}&from={{urlquery .From}}&message={{urlquery .Text}}&reference={{urlquery .Reference}}"
  sender: Kommunen
shs:
  product: %q
  # Large messages are stored, not refused for their attachment's size.
  max_attachment_bytes: 20971520
notifications:
  window: 0s
  quiet_start: "00:00"
  quiet_end: "00:00"
  reminder_after: 0s
organisations:
  - number: %q
    name: Demo kommun
    portal_url: https://www.demo.example/mina-sidor
clients:
  - {name: bench-portal, organisation: %q, role: portal, secret_hash: %q}
  - {name: bench-cases, organisation: %q, role: casesystem, secret_hash: %q}
eservices:
  - organisation: %q
    id: bygglov
    name:
      sv: Ansökan om bygglov
      en: Building permit application
    description:
      sv: Ansök om bygglov för nybyggnad, tillbyggnad eller ändrad användning av en byggnad. Bifoga ritningar och situationsplan.
      en: Apply for a building permit for a new building, an extension or a change of use. Attach drawings and a site plan.
    areas: [bygga-bo]
    start_url: http://127.0.0.1:8080/demo/etjanst/bygglov
    ticket_parameter: ticket
    authentication_level: 3
    contact:
      name: Bygglovsenheten
      email: bygglov@demo.example
`, addr, debugAddr, driver, dsn, smtpHost, port, s.smsURL, product, org, org, hash, org, hash, org)
	path := filepath.Join(dir, "me.yaml")
	return path, os.WriteFile(path, []byte(cfg), 0o600)
}
