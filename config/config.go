// Package config loads and validates ME's single YAML configuration file.
//
// An administrator edits one file (see me.example.yaml) and runs the server
// for years, so every key has a default or a clear error, unknown keys are
// rejected instead of silently ignored, and every problem is reported at once
// naming the key and what to do about it. Scalar keys can be overridden by
// environment variables: ME_ + the key path upper-cased with "." → "_"
// (http.tls.cert_file → ME_HTTP_TLS_CERT_FILE). Lists (organisations,
// clients, eservices) come from the file only.
package config

import (
	"errors"
	"fmt"
	"net"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"

	"github.com/minaengagemang/me"
)

// EnvPrefix is the prefix of environment variables overriding keys.
const EnvPrefix = "ME"

// MaxTicketLifetime is the longest tickets.lifetime accepted: a ticket is
// a bearer credential in a URL and must be short-lived.
const MaxTicketLifetime = 5 * time.Minute

// Config is the whole configuration file.
//
// The lists are named *List because Organisations, Clients and EServices
// are the methods converting them to domain types.
type Config struct {
	HTTP             HTTP           `mapstructure:"http"`
	Database         Database       `mapstructure:"database"`
	Log              Log            `mapstructure:"log"`
	Tickets          Tickets        `mapstructure:"tickets"`
	SHS              SHS            `mapstructure:"shs"`
	SMTP             SMTP           `mapstructure:"smtp"`
	InboundMail      InboundMail    `mapstructure:"inbound_mail"`
	SMSGateway       SMSGateway     `mapstructure:"sms"`
	Notifications    Notifications  `mapstructure:"notifications"`
	Retention        Retention      `mapstructure:"retention"`
	Demo             Demo           `mapstructure:"demo"`
	OrganisationList []Organisation `mapstructure:"organisations"`
	ClientList       []Client       `mapstructure:"clients"`
	EServiceList     []EService     `mapstructure:"eservices"`
}

// HTTP is the listener.
type HTTP struct {
	Addr            string        `mapstructure:"addr"`
	PublicURL       string        `mapstructure:"public_url"` // externally visible base URL, optional
	MaxBodyBytes    int64         `mapstructure:"max_body_bytes"`
	ReadTimeout     time.Duration `mapstructure:"read_timeout"`
	WriteTimeout    time.Duration `mapstructure:"write_timeout"`
	ShutdownTimeout time.Duration `mapstructure:"shutdown_timeout"`
	TLS             TLS           `mapstructure:"tls"`
	// MetricsFrom are the networks (CIDR) besides loopback that may read
	// /metrics, e.g. the Prometheus server's.
	MetricsFrom []string `mapstructure:"metrics_from"`
	// DebugAddr, when set, serves Go's profiler (net/http/pprof) on a
	// loopback address of its own, so an administrator can profile a
	// running node without exposing it.
	DebugAddr string `mapstructure:"debug_addr"`
}

// IsLoopback reports whether addr (host:port) listens on a loopback
// address only: "localhost" or a loopback IP.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// TLSEnabled reports whether the listener serves HTTPS.
func (h *HTTP) TLSEnabled() bool { return h.TLS.CertFile != "" && h.TLS.KeyFile != "" }

// TLS holds the server certificate and, for mutual TLS, the CA that client
// certificates are verified against.
type TLS struct {
	CertFile          string `mapstructure:"cert_file"`
	KeyFile           string `mapstructure:"key_file"`
	ClientCAFile      string `mapstructure:"client_ca_file"`
	RequireClientCert bool   `mapstructure:"require_client_cert"`
}

// Database selects the store.
type Database struct {
	Driver       string `mapstructure:"driver"` // sqlite | postgres
	DSN          string `mapstructure:"dsn"`
	MaxOpenConns int    `mapstructure:"max_open_conns"` // 0 = ME's default for the driver
	// A connection this old is closed and replaced; one idle this long is
	// closed. 0 = ME's default (30m, 5m).
	ConnMaxLifetime time.Duration `mapstructure:"conn_max_lifetime"`
	ConnMaxIdleTime time.Duration `mapstructure:"conn_max_idle_time"`
}

// Log configures the process log.
type Log struct {
	Level  string `mapstructure:"level"`  // debug | info | warn | error
	Format string `mapstructure:"format"` // auto | text | json
}

// Tickets configures e-service tickets.
type Tickets struct {
	Lifetime      time.Duration `mapstructure:"lifetime"`
	PurgeInterval time.Duration `mapstructure:"purge_interval"`
}

// SHS configures the receiver of case-system signals (POST /shs/rs).
type SHS struct {
	// Product is ME's signal product type id (produkttyp): an SHS message
	// to ME must name it, with or without the urn:X-shs: prefix.
	Product         string `mapstructure:"product"`
	NodeID          string `mapstructure:"node_id"` // sent as X-shs-nodeid
	MaxMessageBytes int64  `mapstructure:"max_message_bytes"`
	// MaxInflightBytes bounds the bytes of SHS messages being received at
	// once: past it a sender is told to come back (503, Retry-After)
	// rather than ME's memory growing.
	MaxInflightBytes   int64 `mapstructure:"max_inflight_bytes"`
	MaxAttachments     int   `mapstructure:"max_attachments"`
	MaxAttachmentBytes int64 `mapstructure:"max_attachment_bytes"`
}

// SMTP is the mail server ME sends e-mail through: citizens' messages to
// case handlers now, notifications later. With no host, mail is queued
// and not sent.
type SMTP struct {
	Host     string `mapstructure:"host"`
	Port     int    `mapstructure:"port"`
	Username string `mapstructure:"username"`
	Password Secret `mapstructure:"password"`
	TLS      string `mapstructure:"tls"`      // starttls | tls | none
	From     string `mapstructure:"from"`     // ME's sender, e.g. "Mina Engagemang <no-reply@kommun.se>"
	ReplyTo  string `mapstructure:"reply_to"` // where replies go; never a citizen's own address
}

// InboundMail is how the case handler's e-mail reply comes back into the
// case. With a domain, every handler mail carries a Reply-To of its own,
// <local_part>+<token>@<domain>; with an addr, `me serve` receives the
// replies there, as an SMTP (or LMTP) server the organisation's mail system
// routes the domain to.
type InboundMail struct {
	Addr     string `mapstructure:"addr"`     // host:port to listen on; empty: no listener
	Protocol string `mapstructure:"protocol"` // smtp | lmtp
	Domain   string `mapstructure:"domain"`   // the reply domain, e.g. svar.kommun.se; empty: no reply addresses
	// LocalPart is the address's fixed part before the '+'.
	LocalPart string `mapstructure:"local_part"`
	// Hostname is the name ME greets with; empty: domain.
	Hostname string `mapstructure:"hostname"`
	// TokenLifetime is how long a reply address takes replies.
	TokenLifetime time.Duration `mapstructure:"token_lifetime"`
	// Limits: a larger mail is refused (552); attachments beyond them, or
	// of a media type not in MediaTypes, refuse the mail (550) so the
	// handler learns the citizen did not get them.
	MaxMessageBytes    int64    `mapstructure:"max_message_bytes"`
	MaxAttachments     int      `mapstructure:"max_attachments"`
	MaxAttachmentBytes int64    `mapstructure:"max_attachment_bytes"`
	MediaTypes         []string `mapstructure:"media_types"`
	// TLS is the certificate STARTTLS offers; required off loopback.
	TLS InboundTLS `mapstructure:"tls"`
}

// InboundTLS is the inbound listener's certificate.
type InboundTLS struct {
	CertFile string `mapstructure:"cert_file"`
	KeyFile  string `mapstructure:"key_file"`
}

// DefaultReplyMediaTypes are the attachments a handler's reply may carry:
// documents and images a citizen can open.
var DefaultReplyMediaTypes = []string{"application/pdf", "image/jpeg", "image/png", "text/plain",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"application/vnd.oasis.opendocument.text"}

// Demo is the demo portal and e-service pages under /demo/ (Swedish), a
// client of ME's own SOAP services. Its login is fake: only for a loopback
// listener.
type Demo struct {
	Enabled          bool   `mapstructure:"enabled"`
	PortalClient     string `mapstructure:"portal_client"`
	PortalPassword   Secret `mapstructure:"portal_password"`
	EServiceClient   string `mapstructure:"etjanst_client"`
	EServicePassword Secret `mapstructure:"etjanst_password"`
}

// SMSGateway is the SMS gateway ME sends notifications through. With no
// provider, SMS notifications wait in the queue.
type SMSGateway struct {
	Provider me.SMSProvider `mapstructure:"provider"` // "" (none) | http | 46elks
	URL      string         `mapstructure:"url"`
	Username string         `mapstructure:"username"`
	Password Secret         `mapstructure:"password"`
	Format   string         `mapstructure:"format"` // form | json (provider http)
	Body     string         `mapstructure:"body"`   // text/template of the request body (provider http)
	Sender   string         `mapstructure:"sender"` // at most 11 characters, or a +number
	Timeout  time.Duration  `mapstructure:"timeout"`
}

// Notifications configures how ME tells citizens that something happened.
type Notifications struct {
	// Window coalesces: events for one citizen within it give one SMS
	// and one e-mail.
	Window time.Duration `mapstructure:"window"`
	// SMS quiet hours (HH:MM, in TimeZone): an SMS due then waits until
	// they end.
	QuietStart string `mapstructure:"quiet_start"`
	QuietEnd   string `mapstructure:"quiet_end"`
	TimeZone   string `mapstructure:"time_zone"`
	// ReminderAfter: an event with an open complete action still unread
	// this long after it arrived gets one reminder. 0 turns reminders off.
	ReminderAfter time.Duration `mapstructure:"reminder_after"`
	// Lease is how long a node may take to send one notification before
	// another node (or this one, restarted) sends it again.
	Lease time.Duration `mapstructure:"lease"`
	// Concurrency is how many notifications a node sends at once; a
	// crash (kill -9) may repeat that many, under the same key.
	Concurrency int       `mapstructure:"concurrency"`
	Templates   Templates `mapstructure:"templates"`
}

// Templates are Go text/templates with .Organisation, .PortalURL and
// .Reminder. They must not carry case content.
type Templates struct {
	SMS          Text `mapstructure:"sms"`
	EmailSubject Text `mapstructure:"email_subject"`
	EmailText    Text `mapstructure:"email_text"`
}

// Retention is how long ME keeps data before the purge removes it
// (gallring): the default of every organisation, and how the purge in `me
// serve` runs. A period of 0 keeps that data for ever.
type Retention struct {
	// Months after a closed case's last change: the case with its events,
	// attachments, actions, reads and outbox rows.
	CasesAfterClosing int `mapstructure:"cases_after_closing"`
	// Days: an accepted SHS message's payload, and a refused message.
	SHSMessages int `mapstructure:"shs_messages"`
	// Days: an accepted SHS message's row without its payload, by which a
	// resend of its tx.id is answered as a duplicate.
	SHSTxIDs int `mapstructure:"shs_tx_ids"`
	// Days: sent or failed notifications, and the outbox rows done with.
	Notifications int `mapstructure:"notifications"`
	// Months: audit log entries.
	Audit int `mapstructure:"audit"`
	// How often `me serve` purges; 0 turns the purge in `me serve` off
	// (`me purge` still runs).
	Interval time.Duration `mapstructure:"interval"`
	// The most rows of one kind per transaction, and the pause between
	// two transactions.
	BatchSize int           `mapstructure:"batch_size"`
	Pause     time.Duration `mapstructure:"pause"`
}

// OrganisationRetention is an organisation's own retention: each key set
// replaces the default's (retention), each absent one keeps it.
type OrganisationRetention struct {
	CasesAfterClosing *int `mapstructure:"cases_after_closing"`
	SHSMessages       *int `mapstructure:"shs_messages"`
	SHSTxIDs          *int `mapstructure:"shs_tx_ids"`
	Notifications     *int `mapstructure:"notifications"`
	Audit             *int `mapstructure:"audit"`
}

// DefaultSHSProduct is ME's signal product id unless configured otherwise.
const DefaultSHSProduct = "6f3c5a2e-8b1d-4e7a-9c0f-2d4b6a8e1c37"

// Organisation is an organisation entry. Number may carry a dash
// (NNNNNN-NNNN); Load returns it without.
type Organisation struct {
	Number    string `mapstructure:"number"`
	Name      string `mapstructure:"name"`
	PortalURL string `mapstructure:"portal_url"`
	// SMSSender and EmailFromName sign what ME sends for the organisation:
	// the SMS sender and the display name before smtp.from's address.
	// Empty: sms.sender and smtp.from's own name.
	SMSSender     string `mapstructure:"sms_sender"`
	EmailFromName string `mapstructure:"email_from_name"`
	// Retention overrides retention's periods for this organisation.
	Retention OrganisationRetention `mapstructure:"retention"`
	// ReplyAliases are addresses besides the case handler's own that may
	// reply to the organisation's reply addresses, e.g. the unit's shared
	// mailbox (funktionsbrevlåda) handlers answer from.
	ReplyAliases []string `mapstructure:"reply_aliases"`
}

// Client is a system client entry.
type Client struct {
	Name            string `mapstructure:"name"`
	Organisation    string `mapstructure:"organisation"`
	Role            string `mapstructure:"role"`
	SecretHash      Secret `mapstructure:"secret_hash"`
	CertFingerprint string `mapstructure:"cert_fingerprint"` // Load returns lower-case hex without colons
	CertSubject     string `mapstructure:"cert_subject"`
	// EServices are the ids of the e-services an etjanst client is; it
	// redeems tickets for these only.
	EServices []string `mapstructure:"eservices"`
	// Organisations are further organisations a portal may show cases
	// of, beside its own (a shared portal of several municipalities).
	Organisations []string `mapstructure:"organisations"`
}

// EService is an e-service published at start-up unless already stored.
type EService struct {
	Organisation        string   `mapstructure:"organisation"`
	ID                  string   `mapstructure:"id"`
	Name                Text     `mapstructure:"name"`
	Description         Text     `mapstructure:"description"`
	Areas               []string `mapstructure:"areas"`
	StartURL            string   `mapstructure:"start_url"`
	TicketParameter     string   `mapstructure:"ticket_parameter"`
	AuthenticationLevel int      `mapstructure:"authentication_level"`
	Contact             Contact  `mapstructure:"contact"`
}

// Text is a Swedish text with an optional English variant.
type Text struct {
	SV string `mapstructure:"sv"`
	EN string `mapstructure:"en"`
}

// Contact is who citizens contact about an e-service.
type Contact struct {
	Name  string `mapstructure:"name"`
	Email string `mapstructure:"email"`
	Phone string `mapstructure:"phone"`
	URL   string `mapstructure:"url"`
}

// Secret is a value that must never reach a log: every fmt verb, JSON and
// text encoding print "[redacted]" (or "" when empty). Use Reveal to read it.
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret itself, for the one place that needs it.
func (s Secret) Reveal() string { return string(s) }

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return fmt.Sprintf("config.Secret(%q)", s.String()) }

// Format covers every verb, including ones fmt would otherwise print raw.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, s.GoString())
		return
	}
	fmt.Fprint(f, s.String())
}

// MarshalText redacts in JSON, YAML and slog output.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// E-service entry defaults; they are applied per list item by a decode hook
// because viper defaults do not reach into lists.
const (
	DefaultTicketParameter     = "ticket"
	DefaultAuthenticationLevel = 2
)

// Default returns the configuration used for every key absent from the file
// and the environment.
func Default() *Config {
	return &Config{
		HTTP: HTTP{
			Addr:            "127.0.0.1:8080",
			MaxBodyBytes:    10 << 20,
			ReadTimeout:     30 * time.Second,
			WriteTimeout:    60 * time.Second,
			ShutdownTimeout: 15 * time.Second,
		},
		Database: Database{Driver: "sqlite", DSN: "data/me.db"},
		Log:      Log{Level: "info", Format: "auto"},
		Tickets:  Tickets{Lifetime: 120 * time.Second, PurgeInterval: time.Minute},
		SMTP:     SMTP{Port: 587, TLS: "starttls"},
		InboundMail: InboundMail{Protocol: "smtp", LocalPart: "svar", TokenLifetime: 90 * 24 * time.Hour,
			MaxMessageBytes: 25 << 20, MaxAttachments: 10, MaxAttachmentBytes: 10 << 20,
			MediaTypes: slices.Clone(DefaultReplyMediaTypes)},
		SMSGateway: SMSGateway{Format: "form", Timeout: 10 * time.Second},
		Notifications: Notifications{Window: 5 * time.Minute, QuietStart: "21:00", QuietEnd: "08:00", TimeZone: "Europe/Stockholm",
			ReminderAfter: 72 * time.Hour, Lease: 2 * time.Minute, Concurrency: 16, Templates: DefaultTemplates()},
		Retention: Retention{CasesAfterClosing: 24, SHSMessages: 90, SHSTxIDs: 365, Notifications: 90, Audit: 24,
			Interval: time.Hour, BatchSize: 500, Pause: 200 * time.Millisecond},
		SHS: SHS{Product: DefaultSHSProduct, NodeID: "minaengagemang", MaxMessageBytes: 20 << 20, MaxInflightBytes: 40 << 20,
			MaxAttachments: 20, MaxAttachmentBytes: 10 << 20},
	}
}

// Load reads the YAML file at path (defaults and environment only when path
// is ""), applies ME_* environment overrides, and validates the result.
// A returned *ValidationError lists every problem found.
func Load(path string) (*Config, error) {
	v := viper.New()
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	// AutomaticEnv only answers Get for keys viper already knows, so every
	// scalar gets a default and an explicit binding to reach Unmarshal.
	if err := bindScalars(v, Default()); err != nil {
		return nil, err
	}
	where := "environment"
	var lines map[string]int
	if path != "" {
		where = path
		v.SetConfigFile(path)
		v.SetConfigType("yaml") // whatever the extension
		if err := v.ReadInConfig(); err != nil {
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
		lines = keyLines(path)
	}

	// A key that fails to decode keeps its default, so that every other
	// check still runs on sensible values: one pass reports everything.
	cfg := *Default()
	err := v.Unmarshal(&cfg,
		viper.DecodeHook(mapstructure.ComposeDecodeHookFunc(
			durationHook, eserviceDefaultsHook, mapstructure.StringToSliceHookFunc(","),
		)),
	)
	var ve ValidationError
	// Unknown keys, e.g. a typo, would otherwise silently do nothing. They
	// are found in the file itself: mapstructure forgets the unused keys
	// of a section that also has a value it cannot decode.
	for _, k := range unknownKeys(lines) {
		ve.add(k, "unknown key; check its spelling and place against me.example.yaml")
	}
	if err != nil {
		ve.Problems = append(ve.Problems, decodeProblems(err)...)
	}
	// A key reported above is not reported again for the default it kept.
	reported := map[string]bool{}
	for _, p := range ve.Problems {
		reported[p.Key] = true
	}
	var invalid *ValidationError
	if errors.As(cfg.Validate(), &invalid) {
		for _, p := range invalid.Problems {
			if !underAny(p.Key, reported) {
				ve.Problems = append(ve.Problems, p)
			}
		}
	}
	if len(ve.Problems) > 0 {
		ve.locate(lines)
		return nil, fmt.Errorf("config %s: %w", where, &ve)
	}
	cfg.normalize()
	return &cfg, nil
}

// bindScalars sets each scalar key's default and binds its ME_ variable.
// Lists are skipped: the environment cannot express them.
func bindScalars(v *viper.Viper, defaults *Config) error {
	var err error
	eachKey(reflect.ValueOf(defaults).Elem(), func(key string, fv reflect.Value) {
		if err != nil || fv.Kind() == reflect.Struct || fv.Kind() == reflect.Slice || strings.Contains(key, "[") {
			return
		}
		v.SetDefault(key, fv.Interface())
		if e := v.BindEnv(key); e != nil {
			err = fmt.Errorf("bind %s: %w", key, e)
		}
	})
	return err
}

var durationType = reflect.TypeOf(time.Duration(0))

// durationHook accepts durations only as strings with a unit: a bare YAML
// number would otherwise decode as nanoseconds.
func durationHook(from, to reflect.Type, data any) (any, error) {
	if to != durationType || from == durationType {
		return data, nil
	}
	s, ok := data.(string)
	if !ok {
		return nil, fmt.Errorf("%v has no unit; write a duration such as \"30s\" or \"5m\"", data)
	}
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("%q is not a duration; write e.g. \"30s\" or \"5m\"", s)
	}
	return d, nil
}

var eserviceType = reflect.TypeOf(EService{})

// eserviceDefaultsHook fills absent keys of an eservices entry. Presence,
// not zero value, decides, so an explicit authentication_level: 0 is still
// reported by Validate.
func eserviceDefaultsHook(from, to reflect.Type, data any) (any, error) {
	m, ok := data.(map[string]any)
	if to != eserviceType || !ok {
		return data, nil
	}
	out := make(map[string]any, len(m)+2)
	for k, v := range m {
		out[k] = v
	}
	if _, ok := out["ticket_parameter"]; !ok {
		out["ticket_parameter"] = DefaultTicketParameter
	}
	if _, ok := out["authentication_level"]; !ok {
		out["authentication_level"] = DefaultAuthenticationLevel
	}
	return out, nil
}

// decodeProblems turns mapstructure's error tree into one problem per key.
func decodeProblems(err error) []Problem {
	var out []Problem
	var walk func(error)
	walk = func(err error) {
		if de, ok := err.(*mapstructure.DecodeError); ok {
			inner := de.Unwrap()
			if errors.As(inner, new(*mapstructure.DecodeError)) {
				walk(inner)
			} else {
				out = append(out, Problem{Key: de.Name(), Message: inner.Error()})
			}
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		if inner := errors.Unwrap(err); inner != nil {
			walk(inner)
			return
		}
		out = append(out, Problem{Message: err.Error()})
	}
	walk(err)
	return out
}

// DefaultTemplates are the notification texts unless configured: Swedish
// first, English for citizens who chose it. They name the organisation and
// where to log in, and nothing of the case.
func DefaultTemplates() Templates {
	return Templates{
		SMS: Text{
			SV: "{{.Organisation}}: {{if .Reminder}}Påminnelse: du har ett ärende som väntar på dig.{{else}}Det har hänt något i ett av dina ärenden.{{end}} Logga in på {{.PortalURL}}",
			EN: "{{.Organisation}}: {{if .Reminder}}Reminder: one of your cases is waiting for you.{{else}}There is news in one of your cases.{{end}} Log in at {{.PortalURL}}",
		},
		EmailSubject: Text{
			SV: "{{if .Reminder}}Påminnelse: {{end}}Nytt i dina ärenden hos {{.Organisation}}",
			EN: "{{if .Reminder}}Reminder: {{end}}News in your cases at {{.Organisation}}",
		},
		EmailText: Text{
			SV: "Hej!\n\n{{if .Reminder}}Du har ett ärende hos {{.Organisation}} som väntar på dig.{{else}}Det har hänt något i ett av dina ärenden hos {{.Organisation}}.{{end}}\nLogga in på {{.PortalURL}} för att läsa mer.\n\nDet här meddelandet går inte att svara på.\n",
			EN: "Hello,\n\n{{if .Reminder}}One of your cases at {{.Organisation}} is waiting for you.{{else}}There is news in one of your cases at {{.Organisation}}.{{end}}\nLog in at {{.PortalURL}} to read more.\n\nThis message cannot be replied to.\n",
		},
	}
}
