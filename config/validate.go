package config

import (
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"text/template"
	"time"
	_ "time/tzdata"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/minaengagemang/me"
)

// Problem is one thing wrong with the configuration: the key at fault
// (e.g. "clients[2].role") and what is wrong and what to do.
type Problem struct {
	Key     string
	Message string
	// Line is the key's line in the file (or that of the entry holding
	// it), 0 when unknown. Env names the ME_ variable the value came from
	// instead of the file.
	Line int
	Env  string
}

func (p Problem) Error() string {
	s := p.Message
	if p.Key != "" {
		s = p.Key + ": " + s
	}
	if p.Line > 0 {
		s = fmt.Sprintf("line %d: %s", p.Line, s)
	}
	if p.Env != "" {
		s += " (set by " + p.Env + ")"
	}
	return s
}

// ValidationError lists every problem found, so an administrator fixes the
// file in one pass.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	if len(e.Problems) == 1 {
		b.WriteString("1 problem:")
	} else {
		fmt.Fprintf(&b, "%d problems:", len(e.Problems))
	}
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap lets errors.As find each Problem.
func (e *ValidationError) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p
	}
	return errs
}

func (e *ValidationError) add(key, format string, args ...any) {
	e.Problems = append(e.Problems, Problem{Key: key, Message: fmt.Sprintf(format, args...)})
}

var (
	idPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
	hexPrint  = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// Validate returns a *ValidationError listing every problem, or nil.
// It never includes a secret_hash value in a message.
func (c *Config) Validate() error {
	var ve ValidationError
	c.HTTP.validate(&ve)
	c.Database.validate(&ve)
	c.Log.validate(&ve)
	c.Tickets.validate(&ve)
	c.SHS.validate(&ve)
	c.SMTP.validate(&ve)
	c.InboundMail.validate(&ve)
	c.SMSGateway.validate(&ve)
	c.Notifications.validate(&ve)
	c.Retention.validate(&ve)
	c.validateDemo(&ve)

	// Numbers that parse are "declared" even with a bad checksum, so a
	// typo is reported once, at the organisation, not at every reference.
	declared := map[string]bool{}
	for i, o := range c.OrganisationList {
		key := fmt.Sprintf("organisations[%d]", i)
		if n, ok := checkOrgNumber(&ve, key+".number", o.Number); ok {
			if declared[n] {
				ve.add(key+".number", "%q is declared twice; merge the entries", o.Number)
			}
			declared[n] = true
		}
		if strings.TrimSpace(o.Name) == "" {
			ve.add(key+".name", "is empty; give the organisation's name, e.g. \"Exempels kommun\"")
		}
		if o.PortalURL != "" {
			checkHTTPURL(&ve, key+".portal_url", o.PortalURL)
		}
		if o.SMSSender != "" {
			checkSMSSender(&ve, key+".sms_sender", o.SMSSender)
		}
		if o.EmailFromName != "" {
			checkDisplayName(&ve, key+".email_from_name", o.EmailFromName)
		}
		c.validateOrganisationRetention(&ve, key+".retention", o.Retention)
		for j, a := range o.ReplyAliases {
			if p, err := mail.ParseAddress(a); err != nil || p.Address != a {
				ve.add(fmt.Sprintf("%s.reply_aliases[%d]", key, j), "%q is not a bare e-mail address, e.g. bygglov@kommun.se", a)
			}
		}
	}
	checkRef := func(key, number string) {
		if strings.TrimSpace(number) == "" {
			ve.add(key, "is empty; give the organisationsnummer of an entry under organisations")
			return
		}
		n, ok := normalizeOrgNumber(number)
		switch {
		case !ok:
			ve.add(key, "%q is not an organisationsnummer; write 10 digits, optionally as NNNNNN-NNNN", number)
		case !declared[n]:
			ve.add(key, "%q is not declared under organisations; add it there or fix the number", number)
		}
	}

	names := map[string]bool{}
	subjects, fingerprints := map[string]string{}, map[string]string{} // → the first client's key
	for i, cl := range c.ClientList {
		key := fmt.Sprintf("clients[%d]", i)
		switch {
		case strings.TrimSpace(cl.Name) == "":
			ve.add(key+".name", "is empty; give the client a unique name, e.g. \"kommun-portal\"")
		case names[cl.Name]:
			ve.add(key+".name", "%q is used by another client; client names must be unique", cl.Name)
		}
		names[cl.Name] = true
		checkRef(key+".organisation", cl.Organisation)
		if !me.Role(cl.Role).Valid() {
			ve.add(key+".role", "%q is not one of portal, casesystem, etjanst, catalog", cl.Role)
		}
		if cl.SecretHash == "" && cl.CertFingerprint == "" && cl.CertSubject == "" {
			ve.add(key, "has no authentication; set secret_hash, cert_fingerprint or cert_subject")
		}
		if cl.SecretHash != "" {
			// bcrypt's own error is not wrapped: some quote bytes of the hash.
			if _, err := bcrypt.Cost([]byte(cl.SecretHash.Reveal())); err != nil {
				ve.add(key+".secret_hash", `is not a bcrypt hash; make one with htpasswd -bnBC 12 "" 'the-secret' | tr -d ':\n'`)
			}
		}
		if cl.CertFingerprint != "" && !hexPrint.MatchString(normalizeFingerprint(cl.CertFingerprint)) {
			ve.add(key+".cert_fingerprint", "is not a SHA-256 fingerprint; write 64 hex digits (colons allowed), e.g. from openssl x509 -noout -fingerprint -sha256 -in client.pem")
		}
		if cl.CertSubject != "" {
			if subject, err := me.SubjectKey(cl.CertSubject); err != nil {
				ve.add(key+".cert_subject", "%q is not an RFC 4514 subject: %v. Copy it from openssl x509 -noout -subject -nameopt RFC2253 -in client.crt, e.g. \"CN=portal.example.se,O=Exempels kommun,C=SE\"", cl.CertSubject, err)
			} else if other, ok := subjects[subject]; ok {
				ve.add(key+".cert_subject", "is the subject of %s too (the order of the attributes, and their case, do not matter); a certificate identifies one client", other)
			} else {
				subjects[subject] = key
			}
		}
		if fp := normalizeFingerprint(cl.CertFingerprint); fp != "" {
			if other, ok := fingerprints[fp]; ok {
				ve.add(key+".cert_fingerprint", "is the fingerprint of %s too; a certificate identifies one client", other)
			}
			fingerprints[fp] = key
		}
		if cl.Role == string(me.RoleEService) && len(cl.EServices) == 0 {
			ve.add(key+".eservices", "is empty; list the ids of the e-services this client is (see eservices[].id): it redeems tickets for those only")
		}
		if len(cl.EServices) > 0 && me.Role(cl.Role).Valid() && cl.Role != string(me.RoleEService) {
			ve.add(key+".eservices", "is only for role etjanst; remove it or set role: etjanst")
		}
		for j, id := range cl.EServices {
			if !idPattern.MatchString(id) {
				ve.add(fmt.Sprintf("%s.eservices[%d]", key, j), "%q is not an e-service id; use 1-64 of A-Z a-z 0-9 . _ -", id)
			}
		}
		if len(cl.Organisations) > 0 && me.Role(cl.Role).Valid() && cl.Role != string(me.RolePortal) {
			ve.add(key+".organisations", "is only for role portal; remove it or set role: portal")
		}
		for j, o := range cl.Organisations {
			checkRef(fmt.Sprintf("%s.organisations[%d]", key, j), o)
		}
	}

	services := map[string]bool{}
	for i, e := range c.EServiceList {
		key := fmt.Sprintf("eservices[%d]", i)
		checkRef(key+".organisation", e.Organisation)
		if !idPattern.MatchString(e.ID) {
			ve.add(key+".id", "%q is not an e-service id; use 1-64 of A-Z a-z 0-9 . _ -", e.ID)
		} else {
			n, _ := normalizeOrgNumber(e.Organisation)
			if services[n+"/"+e.ID] {
				ve.add(key+".id", "%q is declared twice for organisation %s; ids are unique per organisation", e.ID, e.Organisation)
			}
			services[n+"/"+e.ID] = true
		}
		if strings.TrimSpace(e.Name.SV) == "" {
			ve.add(key+".name.sv", "is empty; the Swedish name is required")
		}
		for j, a := range e.Areas {
			if strings.TrimSpace(a) == "" {
				ve.add(fmt.Sprintf("%s.areas[%d]", key, j), "is empty; remove it or name the area (område), e.g. \"bygga-bo\"")
			}
		}
		if e.StartURL == "" {
			ve.add(key+".start_url", "is empty; give the absolute http(s) URL the citizen is sent to")
		} else {
			checkHTTPURL(&ve, key+".start_url", e.StartURL)
		}
		if !idPattern.MatchString(e.TicketParameter) {
			ve.add(key+".ticket_parameter", "%q is not a query parameter name; use 1-64 of A-Z a-z 0-9 . _ - (default \"ticket\")", e.TicketParameter)
		}
		if e.AuthenticationLevel < 1 || e.AuthenticationLevel > 4 {
			ve.add(key+".authentication_level", "%d is not a tillitsnivå; use 1, 2, 3 or 4", e.AuthenticationLevel)
		}
		if e.Contact.Email != "" {
			if a, err := mail.ParseAddress(e.Contact.Email); err != nil || a.Address != e.Contact.Email {
				ve.add(key+".contact.email", "%q is not an e-mail address; write e.g. \"kontakt@exempel.se\"", e.Contact.Email)
			}
		}
		if e.Contact.URL != "" {
			checkHTTPURL(&ve, key+".contact.url", e.Contact.URL)
		}
	}

	if len(ve.Problems) > 0 {
		return &ve
	}
	return nil
}

func (h *HTTP) validate(ve *ValidationError) {
	for i, cidr := range h.MetricsFrom {
		if _, _, err := net.ParseCIDR(cidr); err != nil {
			ve.add(fmt.Sprintf("http.metrics_from[%d]", i), "%q is not a network in CIDR form, e.g. 10.1.2.0/24", cidr)
		}
	}
	if host, port, err := net.SplitHostPort(h.Addr); err != nil {
		ve.add("http.addr", "%q is not host:port; write e.g. \"127.0.0.1:8080\", or \":8443\" for all interfaces", h.Addr)
	} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 || strings.ContainsAny(host, "/ ") {
		ve.add("http.addr", "%q is not host:port; the port must be a number 0-65535, e.g. \"127.0.0.1:8080\"", h.Addr)
	}
	if h.DebugAddr != "" && !IsLoopback(h.DebugAddr) {
		ve.add("http.debug_addr", "%q is not a loopback host:port; the profiler is served only on loopback, e.g. \"127.0.0.1:6060\"", h.DebugAddr)
	}
	if h.PublicURL != "" {
		checkHTTPURL(ve, "http.public_url", h.PublicURL)
	}
	if h.MaxBodyBytes <= 0 {
		ve.add("http.max_body_bytes", "%d must be positive; the default is 10485760 (10 MiB)", h.MaxBodyBytes)
	}
	for _, d := range []struct {
		key string
		val any
		ok  bool
	}{
		{"http.read_timeout", h.ReadTimeout, h.ReadTimeout > 0},
		{"http.write_timeout", h.WriteTimeout, h.WriteTimeout > 0},
		{"http.shutdown_timeout", h.ShutdownTimeout, h.ShutdownTimeout > 0},
	} {
		if !d.ok {
			ve.add(d.key, "%v must be positive, e.g. \"30s\"", d.val)
		}
	}

	t := h.TLS
	switch {
	case t.CertFile != "" && t.KeyFile == "":
		ve.add("http.tls.key_file", "is empty but cert_file is set; set both to serve HTTPS, or neither")
	case t.CertFile == "" && t.KeyFile != "":
		ve.add("http.tls.cert_file", "is empty but key_file is set; set both to serve HTTPS, or neither")
	}
	checkFile(ve, "http.tls.cert_file", t.CertFile)
	checkFile(ve, "http.tls.key_file", t.KeyFile)
	checkFile(ve, "http.tls.client_ca_file", t.ClientCAFile)
	if t.ClientCAFile != "" && !h.TLSEnabled() {
		ve.add("http.tls.client_ca_file", "is set but TLS is off; set cert_file and key_file too, or remove it")
	}
	if t.RequireClientCert && t.ClientCAFile == "" {
		ve.add("http.tls.require_client_cert", "is true but client_ca_file is empty; set the CA that client certificates are verified against")
	}
}

func (d *Database) validate(ve *ValidationError) {
	if d.Driver != "sqlite" && d.Driver != "postgres" {
		ve.add("database.driver", "%q is not one of sqlite, postgres", d.Driver)
	}
	if strings.TrimSpace(d.DSN) == "" {
		ve.add("database.dsn", "is empty; give a file path for sqlite (e.g. \"data/me.db\") or a connection string for postgres")
	}
	if d.MaxOpenConns < 0 {
		ve.add("database.max_open_conns", "%d is negative; use 0 for the driver default or a positive limit", d.MaxOpenConns)
	}
	for key, v := range map[string]time.Duration{"database.conn_max_lifetime": d.ConnMaxLifetime, "database.conn_max_idle_time": d.ConnMaxIdleTime} {
		if v < 0 {
			ve.add(key, "%v is negative; use 0 for ME's default or a duration such as \"30m\"", v)
		}
	}
}

func (l *Log) validate(ve *ValidationError) {
	switch l.Level {
	case "debug", "info", "warn", "error":
	default:
		ve.add("log.level", "%q is not one of debug, info, warn, error", l.Level)
	}
	switch l.Format {
	case "auto", "text", "json":
	default:
		ve.add("log.format", "%q is not one of auto, text, json", l.Format)
	}
}

func (t *Tickets) validate(ve *ValidationError) {
	if t.Lifetime <= 0 || t.Lifetime > MaxTicketLifetime {
		ve.add("tickets.lifetime", "%v is out of range; use more than 0 and at most %v, e.g. \"120s\"", t.Lifetime, MaxTicketLifetime)
	}
	if t.PurgeInterval <= 0 {
		ve.add("tickets.purge_interval", "%v must be positive, e.g. \"1m\"", t.PurgeInterval)
	}
}

// checkOrgNumber reports a malformed organisationsnummer and returns the
// normalised number and whether it has the right shape (10 digits).
func checkOrgNumber(ve *ValidationError, key, s string) (string, bool) {
	n, ok := normalizeOrgNumber(s)
	switch {
	case !ok:
		ve.add(key, "%q is not an organisationsnummer; write 10 digits, optionally as NNNNNN-NNNN", s)
		return "", false
	case n[2] < '2':
		ve.add(key, "%q is not an organisationsnummer: the third digit must be 2 or more (a lower one is a personnummer)", s)
	case !me.Luhn(n):
		ve.add(key, "%q fails the organisationsnummer checksum (Luhn); check the last digit", s)
	}
	return n, true
}

// normalizeOrgNumber strips one dash in the usual place (NNNNNN-NNNN) and
// reports whether 10 digits remain.
func normalizeOrgNumber(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) == 11 && s[6] == '-' {
		s = s[:6] + s[7:]
	}
	if len(s) != 10 {
		return "", false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return "", false
		}
	}
	return s, true
}

func normalizeFingerprint(s string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), ":", ""))
}

func checkHTTPURL(ve *ValidationError, key, s string) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		ve.add(key, "%q is not an absolute http(s) URL; write e.g. \"https://www.exempel.se/\"", s)
	}
}

// checkFile reports a set path that is not a readable regular file. Paths
// are relative to the server's working directory.
func checkFile(ve *ValidationError, key, path string) {
	if path == "" {
		return
	}
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		ve.add(key, "%q does not exist; give the path of a PEM file (relative paths are from the working directory)", path)
		return
	}
	if err != nil {
		ve.add(key, "%q cannot be read (%v); check the path and its permissions", path, err)
		return
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		ve.add(key, "%q is not a regular file; give the path of a PEM file", path)
	}
}

func (s *SHS) validate(ve *ValidationError) {
	id := strings.TrimPrefix(strings.ToLower(s.Product), "urn:x-shs:")
	if id == "" || strings.ContainsAny(id, " \t\r\n") {
		ve.add("shs.product", "%q is not a product id; use the id your SHS agreement names, e.g. %q", s.Product, DefaultSHSProduct)
	}
	if s.NodeID == "" || strings.ContainsAny(s.NodeID, " \t\r\n") {
		ve.add("shs.node_id", "%q must be a non-empty token without spaces, e.g. \"minaengagemang\"", s.NodeID)
	}
	if s.MaxMessageBytes < 1024 {
		ve.add("shs.max_message_bytes", "%d is too small; use at least 1024, e.g. 20971520 (20 MiB)", s.MaxMessageBytes)
	}
	if s.MaxAttachments < 0 || s.MaxAttachments > 20 {
		ve.add("shs.max_attachments", "%d is out of range; use 0 to 20 (the signal schema allows 20)", s.MaxAttachments)
	}
	if s.MaxInflightBytes < s.MaxMessageBytes {
		ve.add("shs.max_inflight_bytes", "%d is smaller than shs.max_message_bytes (%d); allow at least one whole message, e.g. 41943040 (40 MiB)", s.MaxInflightBytes, s.MaxMessageBytes)
	}
	if s.MaxAttachmentBytes < 1 || s.MaxAttachmentBytes > s.MaxMessageBytes {
		ve.add("shs.max_attachment_bytes", "%d is out of range; use 1 to shs.max_message_bytes (%d)", s.MaxAttachmentBytes, s.MaxMessageBytes)
	}
}

func (m *SMTP) validate(ve *ValidationError) {
	switch m.TLS {
	case "starttls", "tls", "none":
	default:
		ve.add("smtp.tls", "%q is not one of starttls, tls, none", m.TLS)
	}
	if m.Host == "" {
		return
	}
	if m.Port < 1 || m.Port > 65535 {
		ve.add("smtp.port", "%d is not a port; use 587 (starttls), 465 (tls) or 25", m.Port)
	}
	if _, err := mail.ParseAddress(m.From); err != nil {
		ve.add("smtp.from", "%q is not an e-mail address ME can send from, e.g. \"Mina Engagemang <no-reply@kommun.se>\"", m.From)
	}
	if m.ReplyTo != "" {
		if _, err := mail.ParseAddress(m.ReplyTo); err != nil {
			ve.add("smtp.reply_to", "%q is not an e-mail address", m.ReplyTo)
		}
	}
	if m.Username != "" && m.Password == "" {
		ve.add("smtp.password", "is empty while smtp.username is set; set it (or ME_SMTP_PASSWORD)")
	}
}

// hostnameRE is a DNS host name: dot-separated labels of letters, digits
// and inner hyphens.
var hostnameRE = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)

func (m *InboundMail) validate(ve *ValidationError) {
	switch m.Protocol {
	case "smtp", "lmtp":
	default:
		ve.add("inbound_mail.protocol", "%q is not one of smtp, lmtp", m.Protocol)
	}
	if m.Domain != "" {
		if _, err := mail.ParseAddress("x@" + m.Domain); err != nil || strings.ContainsAny(m.Domain, "@ ") || !strings.Contains(m.Domain, ".") {
			ve.add("inbound_mail.domain", "%q is not a mail domain, e.g. svar.kommun.se", m.Domain)
		}
	}
	if m.Hostname != "" && !hostnameRE.MatchString(m.Hostname) {
		ve.add("inbound_mail.hostname", "%q is not a host name, e.g. mx.svar.kommun.se (or empty for the domain)", m.Hostname)
	}
	if m.LocalPart == "" || strings.ContainsAny(m.LocalPart, "+@ \t\"<>()[],;:") {
		ve.add("inbound_mail.local_part", "%q must be a plain local part without '+', e.g. svar", m.LocalPart)
	}
	if m.TokenLifetime < time.Hour {
		ve.add("inbound_mail.token_lifetime", "%s is too short; use at least 1h, e.g. 2160h (90 days)", m.TokenLifetime)
	}
	if m.MaxMessageBytes < 64<<10 {
		ve.add("inbound_mail.max_message_bytes", "%d is too small; use at least 65536, e.g. 26214400 (25 MiB)", m.MaxMessageBytes)
	}
	if m.MaxAttachments < 0 || m.MaxAttachments > 20 {
		ve.add("inbound_mail.max_attachments", "%d is out of range; use 0 to 20", m.MaxAttachments)
	}
	if m.MaxAttachmentBytes < 1 || m.MaxAttachmentBytes > m.MaxMessageBytes {
		ve.add("inbound_mail.max_attachment_bytes", "%d is out of range; use 1 to inbound_mail.max_message_bytes (%d)", m.MaxAttachmentBytes, m.MaxMessageBytes)
	}
	for i, t := range m.MediaTypes {
		if mt, _, err := mime.ParseMediaType(t); err != nil || mt != t || !strings.Contains(t, "/") {
			ve.add(fmt.Sprintf("inbound_mail.media_types[%d]", i), "%q is not a lower-case media type, e.g. application/pdf", t)
		}
	}
	switch {
	case m.TLS.CertFile != "" && m.TLS.KeyFile == "":
		ve.add("inbound_mail.tls.key_file", "is empty but cert_file is set; set both to offer STARTTLS, or neither")
	case m.TLS.CertFile == "" && m.TLS.KeyFile != "":
		ve.add("inbound_mail.tls.cert_file", "is empty but key_file is set; set both to offer STARTTLS, or neither")
	}
	checkFile(ve, "inbound_mail.tls.cert_file", m.TLS.CertFile)
	checkFile(ve, "inbound_mail.tls.key_file", m.TLS.KeyFile)
	if m.Addr == "" {
		return
	}
	if _, _, err := net.SplitHostPort(m.Addr); err != nil {
		ve.add("inbound_mail.addr", "%q is not host:port, e.g. 0.0.0.0:25 or 127.0.0.1:2525", m.Addr)
		return
	}
	if m.Domain == "" {
		ve.add("inbound_mail.domain", "is empty while inbound_mail.addr is set; give the reply domain the mail system routes to ME")
	}
	if !IsLoopback(m.Addr) && m.TLS.CertFile == "" {
		ve.add("inbound_mail.tls", "inbound_mail.addr %s is not a loopback address, and ME takes mail from other hosts only with STARTTLS: set inbound_mail.tls.cert_file and key_file, or listen on 127.0.0.1", m.Addr)
	}
}

func (g *SMSGateway) validate(ve *ValidationError) {
	switch g.Provider {
	case "":
		return
	case "http", "46elks":
	default:
		ve.add("sms.provider", "%q is not one of http, 46elks (or empty for none)", g.Provider)
		return
	}
	if g.Provider == "http" {
		if u, err := url.Parse(g.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			ve.add("sms.url", "%q is not an absolute http(s) URL of the gateway", g.URL)
		}
		if g.Format != "form" && g.Format != "json" {
			ve.add("sms.format", "%q is not one of form, json", g.Format)
		}
		if _, err := template.New("body").Funcs(template.FuncMap{"json": func(any) string { return "" }}).Parse(g.Body); err != nil || strings.TrimSpace(g.Body) == "" {
			ve.add("sms.body", "is not a request body template: %v", err)
		}
	}
	if g.Provider == "46elks" && (g.Username == "" || g.Password == "") {
		ve.add("sms.username", "46elks needs the API username and password (password by ME_SMS_PASSWORD)")
	}
	checkSMSSender(ve, "sms.sender", g.Sender)
}

// checkSMSSender reports a sender the SMS gateways would refuse.
func checkSMSSender(ve *ValidationError, key, s string) {
	if err := me.CheckSMSSender(s); err != nil {
		ve.add(key, "%v; e.g. \"Kommunen\" or \"+46701234567\"", err)
	}
}

// checkDisplayName reports an e-mail display name that cannot be a header.
func checkDisplayName(ve *ValidationError, key, s string) {
	switch {
	case strings.TrimSpace(s) == "":
		ve.add(key, "is blank; give the name citizens see as the sender, e.g. \"Exempels kommun\", or remove it")
	case strings.ContainsFunc(s, unicode.IsControl):
		ve.add(key, "%q contains a control character (a line break?); write the name on one line", s)
	case utf8.RuneCountInString(s) > 64:
		ve.add(key, "is %d characters; keep the sender name to at most 64", utf8.RuneCountInString(s))
	}
}

func (n *Notifications) validate(ve *ValidationError) {
	if n.Window < 0 {
		ve.add("notifications.window", "%v must not be negative, e.g. \"5m\"", n.Window)
	}
	if n.Lease < time.Second {
		ve.add("notifications.lease", "%v is too short; use at least 1s, e.g. \"2m\" (longer than a send takes)", n.Lease)
	}
	if n.Concurrency < 1 || n.Concurrency > 256 {
		ve.add("notifications.concurrency", "%d is not between 1 and 256; e.g. 16", n.Concurrency)
	}
	if n.ReminderAfter < 0 {
		ve.add("notifications.reminder_after", "%v must not be negative; 0 turns reminders off", n.ReminderAfter)
	}
	if _, _, _, err := n.QuietHours(); err != nil {
		ve.Problems = append(ve.Problems, err.(*ValidationError).Problems...)
	}
	if _, err := n.Templates.Parse(); err != nil {
		ve.Problems = append(ve.Problems, err.(*ValidationError).Problems...)
	}
}

// Longest retention periods accepted: a century.
const (
	maxRetentionMonths = 1200
	maxRetentionDays   = 36500
)

func (r *Retention) validate(ve *ValidationError) {
	checkPeriods(ve, "retention", r.periods(), nil)
	if r.Interval < 0 {
		ve.add("retention.interval", "%v is negative; give how often `me serve` purges, e.g. \"1h\", or 0 to purge only with `me purge`", r.Interval)
	}
	if r.BatchSize < 1 || r.BatchSize > 10000 {
		ve.add("retention.batch_size", "%d is not between 1 and 10000; e.g. 500 (rows per transaction)", r.BatchSize)
	}
	if r.Pause < 0 {
		ve.add("retention.pause", "%v is negative; e.g. \"200ms\" between two transactions", r.Pause)
	}
}

// validateOrganisationRetention checks an organisation's own periods, and
// its tx.ids against its messages with the default's periods it keeps.
func (c *Config) validateOrganisationRetention(ve *ValidationError, key string, o OrganisationRetention) {
	checkPeriods(ve, key, c.organisationRetention(o), map[string]bool{
		"cases_after_closing": o.CasesAfterClosing != nil, "shs_messages": o.SHSMessages != nil,
		"shs_tx_ids": o.SHSTxIDs != nil, "notifications": o.Notifications != nil, "audit": o.Audit != nil,
	})
}

// checkPeriods reports a period out of range, of those set here (own; nil
// for all), and a tx.id kept shorter than its message.
func checkPeriods(ve *ValidationError, key string, r me.Retention, own map[string]bool) {
	for _, p := range []struct {
		name, unit string
		val, max   int
	}{
		{"cases_after_closing", "months", r.CasesAfterClosing, maxRetentionMonths},
		{"shs_messages", "days", r.SHSMessages, maxRetentionDays},
		{"shs_tx_ids", "days", r.SHSTxIDs, maxRetentionDays},
		{"notifications", "days", r.Notifications, maxRetentionDays},
		{"audit", "months", r.Audit, maxRetentionMonths},
	} {
		if (own == nil || own[p.name]) && (p.val < 0 || p.val > p.max) {
			ve.add(key+"."+p.name, "%d is out of range; give %s from 1 to %d, or 0 to keep for ever", p.val, p.unit, p.max)
		}
	}
	if r.SHSMessages > 0 && r.SHSTxIDs > 0 && r.SHSTxIDs < r.SHSMessages && (own == nil || own["shs_messages"] || own["shs_tx_ids"]) {
		ve.add(key+".shs_tx_ids", "%d days is shorter than shs_messages, %d days: a message's tx.id is kept at least as long as the message, so that a resend is answered as a duplicate; give at least %d, or 0 to keep tx.ids for ever",
			r.SHSTxIDs, r.SHSMessages, r.SHSMessages)
	}
}

func (c *Config) validateDemo(ve *ValidationError) {
	d := c.Demo
	if !d.Enabled {
		return
	}
	if !IsLoopback(c.HTTP.Addr) {
		ve.add("demo.enabled", "is only allowed with a loopback http.addr (e.g. 127.0.0.1:8080): the demo's login is fake and lets anyone act as any citizen")
	}
	if c.HTTP.TLSEnabled() {
		ve.add("demo.enabled", "the demo calls ME over plain HTTP on loopback; turn TLS off for the demo, or the demo off")
	}
	roles := map[string]string{}
	for _, cl := range c.ClientList {
		roles[cl.Name] = cl.Role
	}
	if roles[d.PortalClient] != "portal" {
		ve.add("demo.portal_client", "%q is not a client with role portal", d.PortalClient)
	}
	if roles[d.EServiceClient] != "etjanst" {
		ve.add("demo.etjanst_client", "%q is not a client with role etjanst", d.EServiceClient)
	}
}
