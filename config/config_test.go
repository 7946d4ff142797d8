package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/minaengagemang/me"
)

// A bcrypt hash of "demo" (cost 10), as in demo.yaml.
const demoHash = "$2a$10$UX.8Ya9qVEZpgd11Snpb2e4YKLVEmths4dxb3wRcktdOHnHtXOVjW"

// clearEnv hides ME_* variables of the test's own environment; viper
// ignores empty variables.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, EnvPrefix+"_") {
			t.Setenv(k, "")
		}
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// problems returns the problems of a Load or Validate error.
func problems(t *testing.T, err error) []Problem {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v is not a *ValidationError", err)
	}
	return ve.Problems
}

func validConfig() *Config {
	c := Default()
	c.OrganisationList = []Organisation{
		{Number: "212000-9994", Name: "Demo kommun", PortalURL: "http://127.0.0.1:8080/demo/"},
		{Number: "2120009986", Name: "Exempels kommun"},
	}
	c.ClientList = []Client{
		{Name: "portal", Organisation: "212000-9994", Role: "portal", SecretHash: demoHash},
		{Name: "arende", Organisation: "2120009994", Role: "casesystem", CertFingerprint: strings.Repeat("AB:", 31) + "AB"},
		{Name: "bygglov", Organisation: "2120009994", Role: "etjanst", CertSubject: "CN=bygglov,O=Exempels kommun,C=SE", EServices: []string{"bygglov"}},
	}
	c.EServiceList = []EService{{
		Organisation: "212000-9994", ID: "bygglov",
		Name:     Text{SV: "Ansökan om bygglov", EN: "Building permit"},
		Areas:    []string{"bygga-bo"},
		StartURL: "https://etjanster.exempel.se/bygglov", TicketParameter: "ticket", AuthenticationLevel: 2,
		Contact: Contact{Email: "bygglov@exempel.se", URL: "https://www.exempel.se/"},
	}}
	return c
}

func TestValidConfigIsValid(t *testing.T) {
	if err := validConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	c := validConfig()
	c.OrganisationList[0].SMSSender, c.OrganisationList[0].EmailFromName = "Demokommun", "Demo kommun"
	c.OrganisationList[1].SMSSender = "+46701234567"
	if err := c.Validate(); err != nil {
		t.Fatalf("organisations' own senders: %v", err)
	}
	if err := Default().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	// Replies taken: on loopback in the clear, elsewhere with STARTTLS.
	dir := t.TempDir()
	pem := filepath.Join(dir, "mx.pem")
	if err := os.WriteFile(pem, []byte("-----BEGIN CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, in := range []InboundMail{
		{Addr: "127.0.0.1:2525", Domain: "svar.exempel.se", Protocol: "lmtp", Hostname: "mx1.svar.exempel.se"},
		{Addr: "[::1]:2525", Domain: "svar.exempel.se"},
		{Addr: "0.0.0.0:25", Domain: "svar.exempel.se", TLS: InboundTLS{CertFile: pem, KeyFile: pem}},
	} {
		c := validConfig()
		c.InboundMail.Addr, c.InboundMail.Domain, c.InboundMail.Hostname, c.InboundMail.TLS = in.Addr, in.Domain, in.Hostname, in.TLS
		if in.Protocol != "" {
			c.InboundMail.Protocol = in.Protocol
		}
		if err := c.Validate(); err != nil {
			t.Errorf("inbound_mail on %s: %v", in.Addr, err)
		}
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	pem := filepath.Join(dir, "server.pem")
	if err := os.WriteFile(pem, []byte("-----BEGIN CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")

	tests := []struct {
		name   string
		mutate func(c *Config)
		key    string
		want   string // substring of the message
	}{
		// http
		{"addr not host:port", func(c *Config) { c.HTTP.Addr = "http://localhost:8080" }, "http.addr", "not host:port"},
		{"addr without port", func(c *Config) { c.HTTP.Addr = "127.0.0.1" }, "http.addr", "not host:port"},
		{"addr bad port", func(c *Config) { c.HTTP.Addr = "127.0.0.1:http" }, "http.addr", "0-65535"},
		{"addr port too big", func(c *Config) { c.HTTP.Addr = ":70000" }, "http.addr", "0-65535"},
		{"public_url relative", func(c *Config) { c.HTTP.PublicURL = "/me" }, "http.public_url", "absolute http(s) URL"},
		{"max_body_bytes zero", func(c *Config) { c.HTTP.MaxBodyBytes = 0 }, "http.max_body_bytes", "positive"},
		{"read_timeout zero", func(c *Config) { c.HTTP.ReadTimeout = 0 }, "http.read_timeout", "positive"},
		{"write_timeout negative", func(c *Config) { c.HTTP.WriteTimeout = -time.Second }, "http.write_timeout", "positive"},
		{"shutdown_timeout zero", func(c *Config) { c.HTTP.ShutdownTimeout = 0 }, "http.shutdown_timeout", "positive"},
		{"cert without key", func(c *Config) { c.HTTP.TLS.CertFile = pem }, "http.tls.key_file", "set both"},
		{"key without cert", func(c *Config) { c.HTTP.TLS.KeyFile = pem }, "http.tls.cert_file", "set both"},
		{"cert_file missing", func(c *Config) { c.HTTP.TLS.CertFile, c.HTTP.TLS.KeyFile = missing, pem }, "http.tls.cert_file", "does not exist"},
		{"key_file missing", func(c *Config) { c.HTTP.TLS.CertFile, c.HTTP.TLS.KeyFile = pem, missing }, "http.tls.key_file", "does not exist"},
		{"key_file is a directory", func(c *Config) { c.HTTP.TLS.CertFile, c.HTTP.TLS.KeyFile = pem, dir }, "http.tls.key_file", "not a regular file"},
		{"client_ca_file missing", func(c *Config) {
			c.HTTP.TLS.CertFile, c.HTTP.TLS.KeyFile, c.HTTP.TLS.ClientCAFile = pem, pem, missing
		}, "http.tls.client_ca_file", "does not exist"},
		{"client_ca_file without TLS", func(c *Config) { c.HTTP.TLS.ClientCAFile = pem }, "http.tls.client_ca_file", "TLS is off"},
		{"require_client_cert without CA", func(c *Config) {
			c.HTTP.TLS.CertFile, c.HTTP.TLS.KeyFile, c.HTTP.TLS.RequireClientCert = pem, pem, true
		}, "http.tls.require_client_cert", "client_ca_file is empty"},
		// database
		{"driver unknown", func(c *Config) { c.Database.Driver = "mysql" }, "database.driver", `"mysql" is not one of sqlite, postgres`},
		{"dsn empty", func(c *Config) { c.Database.DSN = " " }, "database.dsn", "is empty"},
		{"max_open_conns negative", func(c *Config) { c.Database.MaxOpenConns = -1 }, "database.max_open_conns", "negative"},
		// log
		{"log level", func(c *Config) { c.Log.Level = "verbose" }, "log.level", `"verbose" is not one of debug, info, warn, error`},
		{"log format", func(c *Config) { c.Log.Format = "xml" }, "log.format", `"xml" is not one of auto, text, json`},
		// tickets
		{"lifetime zero", func(c *Config) { c.Tickets.Lifetime = 0 }, "tickets.lifetime", "at most 5m0s"},
		{"lifetime above 5m", func(c *Config) { c.Tickets.Lifetime = 6 * time.Minute }, "tickets.lifetime", "6m0s is out of range"},
		{"purge_interval zero", func(c *Config) { c.Tickets.PurgeInterval = 0 }, "tickets.purge_interval", "positive"},
		// organisations
		{"org number checksum", func(c *Config) { c.OrganisationList[1].Number = "2120000143" }, "organisations[1].number",
			`"2120000143" fails the organisationsnummer checksum (Luhn)`},
		{"org number third digit", func(c *Config) { c.OrganisationList[1].Number = "1201011234" }, "organisations[1].number", "third digit"},
		{"org number shape", func(c *Config) { c.OrganisationList[1].Number = "21200-00142" }, "organisations[1].number", "not an organisationsnummer"},
		{"org number letters", func(c *Config) { c.OrganisationList[1].Number = "212000-014X" }, "organisations[1].number", "not an organisationsnummer"},
		{"org number duplicate", func(c *Config) { c.OrganisationList[1].Number = "2120009994" }, "organisations[1].number", "declared twice"},
		{"org name empty", func(c *Config) { c.OrganisationList[0].Name = "" }, "organisations[0].name", "is empty"},
		{"org portal_url", func(c *Config) { c.OrganisationList[0].PortalURL = "ftp://x/" }, "organisations[0].portal_url", "absolute http(s) URL"},
		{"org sms_sender too long", func(c *Config) { c.OrganisationList[0].SMSSender = "Demokommunen" }, "organisations[0].sms_sender", "at most 11"},
		{"org sms_sender symbols", func(c *Config) { c.OrganisationList[1].SMSSender = "Exempel&Co" }, "organisations[1].sms_sender", "only letters, digits"},
		{"org sms_sender digit first", func(c *Config) { c.OrganisationList[1].SMSSender = "1177" }, "organisations[1].sms_sender", "start with a letter"},
		{"org sms_sender bad number", func(c *Config) { c.OrganisationList[1].SMSSender = "+46-70" }, "organisations[1].sms_sender", "international format"},
		{"org email_from_name line break", func(c *Config) { c.OrganisationList[0].EmailFromName = "Demo\nBcc: x@y.se" }, "organisations[0].email_from_name", "control character"},
		{"org email_from_name blank", func(c *Config) { c.OrganisationList[0].EmailFromName = "  " }, "organisations[0].email_from_name", "is blank"},
		{"sms.sender as the gateways refuse it", func(c *Config) {
			c.SMSGateway = SMSGateway{Provider: "46elks", Username: "u", Password: "p", Sender: "Kom&mun", Timeout: time.Second}
		}, "sms.sender", "only letters, digits"},
		// clients
		{"client name empty", func(c *Config) { c.ClientList[1].Name = "" }, "clients[1].name", "is empty"},
		{"client name duplicate", func(c *Config) { c.ClientList[2].Name = "portal" }, "clients[2].name", `"portal" is used by another client`},
		{"client role", func(c *Config) { c.ClientList[2].Role = "admin" }, "clients[2].role",
			`"admin" is not one of portal, casesystem, etjanst, catalog`},
		{"client organisation undeclared", func(c *Config) { c.ClientList[0].Organisation = "212000-9978" }, "clients[0].organisation", "not declared"},
		{"client organisation malformed", func(c *Config) { c.ClientList[0].Organisation = "Demo kommun" }, "clients[0].organisation", "not an organisationsnummer"},
		{"client organisation empty", func(c *Config) { c.ClientList[0].Organisation = "" }, "clients[0].organisation", "is empty"},
		{"client without authentication", func(c *Config) { c.ClientList[0].SecretHash = "" }, "clients[0]", "no authentication"},
		{"client secret_hash not bcrypt", func(c *Config) { c.ClientList[0].SecretHash = "plaintext-password" }, "clients[0].secret_hash", "not a bcrypt hash"},
		{"client fingerprint short", func(c *Config) { c.ClientList[1].CertFingerprint = "AB:CD" }, "clients[1].cert_fingerprint", "64 hex digits"},
		{"client fingerprint not hex", func(c *Config) { c.ClientList[1].CertFingerprint = strings.Repeat("g", 64) }, "clients[1].cert_fingerprint", "64 hex digits"},
		{"client subject", func(c *Config) { c.ClientList[2].CertSubject = "bygglov" }, "clients[2].cert_subject", `"bygglov" is not an RFC 4514 subject: "bygglov" has no '='`},
		{"client subject type", func(c *Config) { c.ClientList[2].CertSubject = "CN=bygglov,Org=Exempels kommun" }, "clients[2].cert_subject", `attribute type "Org" is unknown`},
		{"client subject escape", func(c *Config) { c.ClientList[2].CertSubject = "CN=bygglov;O=Exempels kommun" }, "clients[2].cert_subject", `unescaped ';'`},
		{"client subject twice", func(c *Config) { c.ClientList[1].CertSubject = "c=SE, o=Exempels kommun, cn=bygglov" }, "clients[2].cert_subject", "is the subject of clients[1] too"},
		{"client fingerprint twice", func(c *Config) { c.ClientList[2].CertFingerprint = strings.Repeat("ab", 32) }, "clients[2].cert_fingerprint", "is the fingerprint of clients[1] too"},
		{"client eservices on portal", func(c *Config) { c.ClientList[0].EServices = []string{"bygglov"} }, "clients[0].eservices", "only for role etjanst"},
		{"client eservices id", func(c *Config) { c.ClientList[2].EServices = []string{"bygg lov"} }, "clients[2].eservices[0]", "not an e-service id"},
		{"etjanst client without eservices", func(c *Config) { c.ClientList[2].EServices = nil }, "clients[2].eservices", "is empty"},
		// eservices
		{"eservice id", func(c *Config) { c.EServiceList[0].ID = "bygg/lov" }, "eservices[0].id", "not an e-service id"},
		{"eservice id too long", func(c *Config) { c.EServiceList[0].ID = strings.Repeat("a", 65) }, "eservices[0].id", "not an e-service id"},
		{"eservice duplicate", func(c *Config) {
			e := c.EServiceList[0]
			e.Organisation = "2120009994" // same organisation, other spelling
			c.EServiceList = append(c.EServiceList, e)
		}, "eservices[1].id", "declared twice"},
		{"eservice name.sv", func(c *Config) { c.EServiceList[0].Name.SV = "" }, "eservices[0].name.sv", "Swedish name is required"},
		{"eservice start_url empty", func(c *Config) { c.EServiceList[0].StartURL = "" }, "eservices[0].start_url", "is empty"},
		{"eservice start_url relative", func(c *Config) { c.EServiceList[0].StartURL = "/bygglov" }, "eservices[0].start_url", "absolute http(s) URL"},
		{"eservice start_url scheme", func(c *Config) { c.EServiceList[0].StartURL = "javascript:alert(1)" }, "eservices[0].start_url", "absolute http(s) URL"},
		{"eservice authentication_level 0", func(c *Config) { c.EServiceList[0].AuthenticationLevel = 0 }, "eservices[0].authentication_level", "1, 2, 3 or 4"},
		{"eservice authentication_level 5", func(c *Config) { c.EServiceList[0].AuthenticationLevel = 5 }, "eservices[0].authentication_level", "1, 2, 3 or 4"},
		{"eservice organisation undeclared", func(c *Config) { c.EServiceList[0].Organisation = "2120009978" }, "eservices[0].organisation", "not declared"},
		{"eservice ticket_parameter", func(c *Config) { c.EServiceList[0].TicketParameter = "" }, "eservices[0].ticket_parameter", "query parameter"},
		{"eservice empty area", func(c *Config) { c.EServiceList[0].Areas = []string{"bygga-bo", ""} }, "eservices[0].areas[1]", "is empty"},
		{"eservice contact email", func(c *Config) { c.EServiceList[0].Contact.Email = "bygglov at exempel" }, "eservices[0].contact.email", "not an e-mail address"},
		{"eservice contact url", func(c *Config) { c.EServiceList[0].Contact.URL = "www.exempel.se" }, "eservices[0].contact.url", "absolute http(s) URL"},
		// inbound_mail: every key
		{"inbound addr not host:port", func(c *Config) { c.InboundMail.Addr, c.InboundMail.Domain = "127.0.0.1", "svar.exempel.se" }, "inbound_mail.addr", "not host:port"},
		{"inbound addr without domain", func(c *Config) { c.InboundMail.Addr = "127.0.0.1:2525" }, "inbound_mail.domain", "is empty while inbound_mail.addr is set"},
		{"inbound addr off loopback without TLS", func(c *Config) { c.InboundMail.Addr, c.InboundMail.Domain = "0.0.0.0:25", "svar.exempel.se" },
			"inbound_mail.tls", "only with STARTTLS"},
		{"inbound addr on a LAN address without TLS", func(c *Config) { c.InboundMail.Addr, c.InboundMail.Domain = "192.0.2.7:25", "svar.exempel.se" },
			"inbound_mail.tls", "not a loopback address"},
		{"inbound protocol", func(c *Config) { c.InboundMail.Protocol = "imap" }, "inbound_mail.protocol", `"imap" is not one of smtp, lmtp`},
		{"inbound domain without a dot", func(c *Config) { c.InboundMail.Domain = "localhost" }, "inbound_mail.domain", "not a mail domain"},
		{"inbound domain with @", func(c *Config) { c.InboundMail.Domain = "svar@exempel.se" }, "inbound_mail.domain", "not a mail domain"},
		{"inbound domain with a space", func(c *Config) { c.InboundMail.Domain = "svar exempel.se" }, "inbound_mail.domain", "not a mail domain"},
		{"inbound local_part empty", func(c *Config) { c.InboundMail.LocalPart = "" }, "inbound_mail.local_part", "plain local part"},
		{"inbound local_part with +", func(c *Config) { c.InboundMail.LocalPart = "svar+x" }, "inbound_mail.local_part", "without '+'"},
		{"inbound local_part with @", func(c *Config) { c.InboundMail.LocalPart = "svar@x" }, "inbound_mail.local_part", "plain local part"},
		{"inbound hostname with a space", func(c *Config) { c.InboundMail.Hostname = "mx svar" }, "inbound_mail.hostname", "not a host name"},
		{"inbound hostname with a line break", func(c *Config) { c.InboundMail.Hostname = "mx.svar.se\r\n250 x" }, "inbound_mail.hostname", "not a host name"},
		{"inbound token_lifetime too short", func(c *Config) { c.InboundMail.TokenLifetime = 30 * time.Minute }, "inbound_mail.token_lifetime", "too short"},
		{"inbound max_message_bytes too small", func(c *Config) { c.InboundMail.MaxMessageBytes, c.InboundMail.MaxAttachmentBytes = 1000, 500 },
			"inbound_mail.max_message_bytes", "at least 65536"},
		{"inbound max_attachments negative", func(c *Config) { c.InboundMail.MaxAttachments = -1 }, "inbound_mail.max_attachments", "0 to 20"},
		{"inbound max_attachments above 20", func(c *Config) { c.InboundMail.MaxAttachments = 21 }, "inbound_mail.max_attachments", "0 to 20"},
		{"inbound max_attachment_bytes zero", func(c *Config) { c.InboundMail.MaxAttachmentBytes = 0 }, "inbound_mail.max_attachment_bytes", "out of range"},
		{"inbound max_attachment_bytes above the message's", func(c *Config) { c.InboundMail.MaxAttachmentBytes = c.InboundMail.MaxMessageBytes + 1 },
			"inbound_mail.max_attachment_bytes", "use 1 to inbound_mail.max_message_bytes"},
		{"inbound media type in upper case", func(c *Config) { c.InboundMail.MediaTypes = []string{"application/pdf", "Image/PNG"} },
			"inbound_mail.media_types[1]", "lower-case media type"},
		{"inbound media type without a subtype", func(c *Config) { c.InboundMail.MediaTypes = []string{"pdf"} }, "inbound_mail.media_types[0]", "lower-case media type"},
		{"inbound media type with parameters", func(c *Config) { c.InboundMail.MediaTypes = []string{"text/plain; charset=utf-8"} },
			"inbound_mail.media_types[0]", "lower-case media type"},
		{"inbound cert without key", func(c *Config) { c.InboundMail.TLS.CertFile = pem }, "inbound_mail.tls.key_file", "set both"},
		{"inbound key without cert", func(c *Config) { c.InboundMail.TLS.KeyFile = pem }, "inbound_mail.tls.cert_file", "set both"},
		{"inbound cert_file missing", func(c *Config) { c.InboundMail.TLS.CertFile, c.InboundMail.TLS.KeyFile = missing, pem }, "inbound_mail.tls.cert_file", "does not exist"},
		{"inbound key_file missing", func(c *Config) { c.InboundMail.TLS.CertFile, c.InboundMail.TLS.KeyFile = pem, missing }, "inbound_mail.tls.key_file", "does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.mutate(c)
			err := c.Validate()
			if err == nil {
				t.Fatal("Validate accepted the config")
			}
			ps := problems(t, err)
			if len(ps) != 1 {
				t.Errorf("want 1 problem, got %d:\n%v", len(ps), err)
			}
			for _, p := range ps {
				if p.Key == tt.key && strings.Contains(p.Message, tt.want) {
					if !strings.Contains(err.Error(), tt.key+": ") {
						t.Errorf("message does not start with the key: %v", err)
					}
					return
				}
			}
			t.Errorf("want %s: …%s…, got:\n%v", tt.key, tt.want, err)
		})
	}
}

func TestValidateReportsAllProblems(t *testing.T) {
	c := validConfig()
	c.HTTP.Addr = "nope"
	c.Database.Driver = "oracle"
	c.ClientList[2].Role = "admin"
	c.OrganisationList[0].Number = "2120000143"
	ps := problems(t, c.Validate())
	keys := map[string]bool{}
	for _, p := range ps {
		keys[p.Key] = true
	}
	for _, k := range []string{"http.addr", "database.driver", "clients[2].role", "organisations[0].number"} {
		if !keys[k] {
			t.Errorf("no problem for %s in %v", k, ps)
		}
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	const hash = "$2a$10$thisisnotavalidbcrypthashatall"
	c := validConfig()
	c.ClientList[0].SecretHash = hash
	err := c.Validate()
	if err == nil || strings.Contains(err.Error(), hash) || strings.Contains(err.Error(), "thisisnot") {
		t.Fatalf("error must report but not quote the hash: %v", err)
	}

	c = validConfig()
	j, _ := json.Marshal(c)
	for _, out := range []string{
		fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprintf("%s", c.ClientList),
		fmt.Sprintf("%x", c.ClientList[0].SecretHash), fmt.Sprintf("%q", c.ClientList[0].SecretHash),
		string(j),
	} {
		if strings.Contains(out, "$2a$") || !strings.Contains(out, redacted) {
			t.Errorf("secret not redacted in %s", out)
		}
	}
	if got := c.Clients()[0].SecretHash; got != demoHash {
		t.Errorf("Clients()[0].SecretHash = %q, want the hash", got)
	}
}

func TestLoadShippedFiles(t *testing.T) {
	clearEnv(t)
	for _, name := range []string{"demo.yaml", "me.example.yaml"} {
		t.Run(name, func(t *testing.T) {
			c, err := Load(name)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Organisations()) == 0 || len(c.Clients()) == 0 || len(c.EServices()) == 0 {
				t.Errorf("want organisations, clients and e-services, got %+v", c)
			}
		})
	}
}

func TestDemo(t *testing.T) {
	clearEnv(t)
	c, err := Load("demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTP.Addr != "127.0.0.1:8080" || c.Database.Driver != "sqlite" || c.Database.DSN != "data/me.db" {
		t.Errorf("http/database = %+v %+v", c.HTTP, c.Database)
	}
	// The demo municipality, and the neighbour whose control plan
	// e-service docs/examples/signal-all-actions.xml points at.
	want := []me.Organisation{{Number: "2120009994", Name: "Demo kommun", PortalURL: "http://127.0.0.1:8080/demo/"},
		{Number: "2220001016", Name: "Demo grannkommun"}}
	if got := c.Organisations(); !reflect.DeepEqual(got, want) {
		t.Errorf("Organisations() = %+v, want %+v", got, want)
	}
	roles := map[string]me.Role{}
	for _, cl := range c.Clients() {
		roles[cl.Name] = cl.Role
		wantOrg := "2120009994"
		if cl.Name == "demo-etjanst-grannkommun" {
			wantOrg = "2220001016"
		}
		if cl.OrganisationNumber != wantOrg {
			t.Errorf("%s: organisation %q", cl.Name, cl.OrganisationNumber)
		}
		if err := bcrypt.CompareHashAndPassword([]byte(cl.SecretHash), []byte("demo")); err != nil {
			t.Errorf("%s: secret_hash is not of \"demo\": %v", cl.Name, err)
		}
		if cost, _ := bcrypt.Cost([]byte(cl.SecretHash)); cost != 10 {
			t.Errorf("%s: cost %d, want 10", cl.Name, cost)
		}
	}
	wantRoles := map[string]me.Role{
		"demo-portal": me.RolePortal, "demo-casesystem": me.RoleCaseSystem,
		"demo-etjanst": me.RoleEService, "demo-catalog": me.RoleCatalog, "demo-etjanst-grannkommun": me.RoleEService,
	}
	if !reflect.DeepEqual(roles, wantRoles) {
		t.Errorf("clients = %v, want %v", roles, wantRoles)
	}
	es := c.EServices()
	if len(es) != 4 {
		t.Fatalf("want 4 e-services (bygglov, skolskjuts and the examples' two completion e-services), got %d", len(es))
	}
	for _, e := range es {
		// An etjanst client of the e-service's own organisation redeems
		// its tickets: the demo e-service plays each as that client.
		served := false
		for _, cl := range c.Clients() {
			served = served || cl.ServesEService(e.OrganisationNumber, e.ID)
		}
		if !served {
			t.Errorf("no etjanst client serves e-service %s/%s", e.OrganisationNumber, e.ID)
		}
		if !strings.HasPrefix(e.StartURL, "http://127.0.0.1:8080/demo/etjanst/") || e.Name.SV == "" || e.Name.EN == "" ||
			e.Description.SV == "" || e.Description.EN == "" || len(e.Areas) == 0 {
			t.Errorf("incomplete e-service %+v", e)
		}
	}
	// The handler's reply comes back on loopback, where no STARTTLS is
	// needed; `me mail reply` sends it there.
	if in := c.InboundMail; in.Addr != "127.0.0.1:2525" || in.Domain != "svar.demo.example" || in.TLS.CertFile != "" {
		t.Errorf("inbound_mail = %+v", in)
	}
	// skolskjuts leaves ticket_parameter out: the default applies.
	if es[1].ID != "skolskjuts" || es[1].TicketParameter != "ticket" || es[1].Name.SV != "Anmälan om skolskjuts" {
		t.Errorf("second e-service = %+v", es[1])
	}
}

func TestLoadDefaultsOnly(t *testing.T) {
	clearEnv(t)
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("Load(\"\") = %+v, want defaults %+v", c, Default())
	}
	if c.HTTP.TLSEnabled() {
		t.Error("TLS enabled by default")
	}
}

func TestEnvOverrides(t *testing.T) {
	// The file has no http or database keys: the bindings must still reach
	// Unmarshal.
	path := writeFile(t, "me.yaml", "log:\n  level: warn\n")
	tests := []struct {
		name  string
		path  string
		env   map[string]string
		check func(*Config) bool
	}{
		{"addr absent from file", path, map[string]string{"ME_HTTP_ADDR": "0.0.0.0:9090"},
			func(c *Config) bool { return c.HTTP.Addr == "0.0.0.0:9090" }},
		{"database absent from file", path, map[string]string{"ME_DATABASE_DRIVER": "postgres", "ME_DATABASE_DSN": "postgres://me@db/me"},
			func(c *Config) bool {
				return c.Database.Driver == "postgres" && c.Database.DSN == "postgres://me@db/me"
			}},
		{"env wins over file", path, map[string]string{"ME_LOG_LEVEL": "debug"},
			func(c *Config) bool { return c.Log.Level == "debug" }},
		{"nested key and duration", path, map[string]string{"ME_TICKETS_LIFETIME": "90s", "ME_HTTP_MAX_BODY_BYTES": "1024"},
			func(c *Config) bool { return c.Tickets.Lifetime == 90*time.Second && c.HTTP.MaxBodyBytes == 1024 }},
		{"without a file", "", map[string]string{"ME_HTTP_ADDR": ":8081", "ME_LOG_FORMAT": "json"},
			func(c *Config) bool { return c.HTTP.Addr == ":8081" && c.Log.Format == "json" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			c, err := Load(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("env %v not applied: %+v", tt.env, c)
			}
		})
	}

	t.Run("TLS file from env is validated", func(t *testing.T) {
		clearEnv(t)
		t.Setenv("ME_HTTP_TLS_CERT_FILE", "/nonexistent/server.crt")
		_, err := Load(path)
		if err == nil || !strings.Contains(err.Error(), "http.tls.cert_file: ") {
			t.Fatalf("want http.tls.cert_file problem, got %v", err)
		}
	})
}

func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		keys []string // each must appear as "key: "
	}{
		{"unknown top-level key", "htpp:\n  addr: x\n", []string{"htpp"}},
		{"unknown nested key", "http:\n  adr: 127.0.0.1:80\n  tls:\n    cert: x\n", []string{"http.adr", "http.tls.cert"}},
		{"unknown key in a list item", `
organisations:
  - number: "212000-9994"
    name: Demo
clients:
  - name: a
    organisation: "212000-9994"
    rolle: portal
    cert_subject: CN=a
`, []string{"clients[0].rolle"}},
		{"duration without unit", "http:\n  read_timeout: 30\n", []string{"http.read_timeout"}},
		{"duration garbage", "tickets:\n  lifetime: soon\n", []string{"tickets.lifetime"}},
		{"wrong type", "database:\n  max_open_conns: many\n", []string{"database.max_open_conns"}},
		{"validation after decoding", "database:\n  driver: mysql\n", []string{"database.driver"}},
		{"explicit authentication_level 0", `
organisations: [{number: "2120009994", name: Demo}]
eservices:
  - {organisation: "2120009994", id: x, name: {sv: X}, start_url: "https://x.se/", authentication_level: 0}
`, []string{"eservices[0].authentication_level"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			_, err := Load(writeFile(t, "me.yaml", tt.yaml))
			if err == nil {
				t.Fatal("Load accepted the file")
			}
			for _, k := range tt.keys {
				if !strings.Contains(err.Error(), k+": ") {
					t.Errorf("want a problem for %s, got:\n%v", k, err)
				}
			}
		})
	}

	t.Run("missing file", func(t *testing.T) {
		_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
		if err == nil || !strings.Contains(err.Error(), "nope.yaml") {
			t.Fatalf("want an error naming the file, got %v", err)
		}
	})
}

// TestLoadReportsEveryProblemAtOnce: problems of every stage (unknown
// keys, values that do not decode, invalid values, checks across keys)
// come in one error, each at its line, under one header.
func TestLoadReportsEveryProblemAtOnce(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		env  map[string]string
		want []string // the problems, in order, as printed
	}{
		{"a misspelt key, a bad duration and an invalid level", `
http:
  adr: 127.0.0.1:8080
  read_timeout: 30
log:
  level: 5
`, nil, []string{
			`line 3: http.adr: unknown key`,
			`line 4: http.read_timeout: 30 has no unit`,
			`line 6: log.level: "5" is not one of debug, info, warn, error`,
		}},
		{"a key that fails to decode keeps its default for the checks across keys", `
shs:
  max_message_bytes: lots
  max_attachment_bytes: 2048
`, nil, []string{
			`line 3: shs.max_message_bytes: `,
		}},
		{"a missing key is shown at its entry; a value from the environment names it", `
organisations:
  - number: "212000-9994"
    name: Demo
clients:
  - name: a
    organisation: "212000-9994"
    role: etjanst
    cert_subject: CN=a
`, map[string]string{"ME_LOG_FORMAT": "xml"}, []string{
			`line 6: clients[0].eservices: is empty`,
			`log.format: "xml" is not one of auto, text, json (set by ME_LOG_FORMAT)`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			path := writeFile(t, "me.yaml", tt.yaml)
			_, err := Load(path)
			if err == nil {
				t.Fatal("Load accepted the file")
			}
			ps := problems(t, err)
			if len(ps) != len(tt.want) {
				t.Fatalf("%d problems; want %d:\n%v", len(ps), len(tt.want), err)
			}
			for i, p := range ps {
				if !strings.HasPrefix(p.Error(), tt.want[i]) && p.Error() != tt.want[i] {
					t.Errorf("problem %d is %q; want %q…", i, p.Error(), tt.want[i])
				}
			}
			header := fmt.Sprintf("config %s: %d problems:", path, len(tt.want))
			if len(tt.want) == 1 {
				header = fmt.Sprintf("config %s: 1 problem:", path)
			}
			if !strings.HasPrefix(err.Error(), header+"\n") || strings.Count(err.Error(), "problem") != 1 || strings.Count(err.Error(), path) != 1 {
				t.Errorf("want one header %q:\n%v", header, err)
			}
		})
	}
}

func TestNormalisation(t *testing.T) {
	clearEnv(t)
	fp := strings.Repeat("AB:", 31) + "AB"
	path := writeFile(t, "me.yaml", `
organisations:
  - {number: "212000-9994", name: Demo}
clients:
  - {name: a, organisation: "212000-9994", role: casesystem, cert_fingerprint: "`+fp+`"}
eservices:
  - {organisation: "212000-9994", id: x, name: {sv: Å}, start_url: "https://x.se/", areas: [a, b]}
`)
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.OrganisationList[0].Number != "2120009994" || c.ClientList[0].Organisation != "2120009994" || c.EServiceList[0].Organisation != "2120009994" {
		t.Errorf("organisation numbers not normalised: %+v", c)
	}
	want := strings.Repeat("ab", 32)
	if c.ClientList[0].CertFingerprint != want || c.Clients()[0].CertFingerprint != want {
		t.Errorf("fingerprint = %q, want %q", c.ClientList[0].CertFingerprint, want)
	}
	e := c.EServices()[0]
	if e.TicketParameter != DefaultTicketParameter || e.AuthenticationLevel != DefaultAuthenticationLevel || !reflect.DeepEqual(e.Areas, []string{"a", "b"}) {
		t.Errorf("e-service defaults not applied: %+v", e)
	}
}

func TestOrgNumber(t *testing.T) {
	tests := []struct {
		in    string
		want  string
		shape bool
		luhn  bool
	}{
		{"212000-0142", "2120000142", true, true},
		{"2120000142", "2120000142", true, true},
		{"2120000143", "2120000143", true, false},
		{"212000-9994", "2120009994", true, true},
		{"21200-00142", "", false, false},
		{"212000--142", "", false, false},
		{"2120000142x", "", false, false},
		{"", "", false, false},
	}
	for _, tt := range tests {
		got, ok := normalizeOrgNumber(tt.in)
		if got != tt.want || ok != tt.shape || (ok && me.Luhn(got) != tt.luhn) {
			t.Errorf("%q: got %q %v luhn %v, want %q %v %v", tt.in, got, ok, ok && me.Luhn(got), tt.want, tt.shape, tt.luhn)
		}
	}
}

func TestTLSEnabled(t *testing.T) {
	for _, tt := range []struct {
		cert, key string
		want      bool
	}{{"", "", false}, {"c", "", false}, {"", "k", false}, {"c", "k", true}} {
		h := HTTP{TLS: TLS{CertFile: tt.cert, KeyFile: tt.key}}
		if h.TLSEnabled() != tt.want {
			t.Errorf("TLSEnabled(%q, %q) = %v", tt.cert, tt.key, !tt.want)
		}
	}
}

func TestSMSBodyMayUseTheJSONFunction(t *testing.T) {
	c := validConfig()
	c.SMSGateway = SMSGateway{Provider: "http", URL: "https://sms.example/send", Format: "json", Sender: "Kommunen",
		Body: `{"to": {{json .To}}, "message": {{json .Text}}, "reference": {{json .Reference}}}`}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestTemplateWithAnUnknownFieldIsRefused(t *testing.T) {
	c := validConfig()
	c.Notifications.Templates.SMS.SV = "{{.Organisation}}: {{.CaseTitle}}"
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "notifications.templates.sms.sv") {
		t.Fatalf("a template using .CaseTitle: %v; want a problem naming notifications.templates.sms.sv", err)
	}
}
