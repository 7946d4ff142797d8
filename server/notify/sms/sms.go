// Package sms sends Mina Engagemang's text messages (me.SMS) through an SMS
// gateway's HTTP API.
//
// Two providers are supported:
//
//   - "http": a generic gateway. Send POSTs the rendered Config.Body (a
//     text/template over .To, .From, .Text and .Reference) to Config.URL as
//     application/x-www-form-urlencoded ("form") or application/json
//     ("json"), with Basic auth when a username is configured and the extra
//     Config.Headers. Any 2xx reply means the gateway took the message.
//     The template should pass .Reference to the gateway as its client
//     reference so that it can deduplicate a message ME sends twice (for
//     example when the reply to the first attempt was lost); the default
//     bodies send it as "reference".
//   - "46elks": https://46elks.com (POST https://api.46elks.com/a1/sms
//     with Basic auth of the API username and password, form fields from,
//     to and message). Send adds dontlog=message so that the message text,
//     which may be personal data, is not kept in 46elks' logs. The 46elks
//     API has no client reference field, so m.Reference is not sent: it
//     cannot deduplicate, and ME's idempotency relies on its outbox's
//     lease/claim (a message is claimed before it is sent and marked sent
//     right after), which leaves only a crash between the two to send a
//     message twice.
//
// Errors are *Error; Temporary tells whether a later retry may succeed
// (network errors, timeouts, 429 and 5xx) or not (other 4xx, invalid
// message).
package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"text/template"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/minaengagemang/me"
)

// Providers of Config.Provider.
const (
	ProviderHTTP   = me.SMSProviderHTTP
	Provider46elks = me.SMSProvider46elks
)

// Formats of Config.Format.
const (
	FormatForm = "form" // application/x-www-form-urlencoded (default)
	FormatJSON = "json" // application/json
)

// Default46elksURL is the 46elks endpoint used when Config.URL is empty.
const Default46elksURL = "https://api.46elks.com/a1/sms"

// DefaultTimeout bounds one Send when Config.Timeout is 0.
const DefaultTimeout = 30 * time.Second

// Default bodies of the "http" provider by format.
const (
	DefaultFormBody = `to={{urlquery .To}}&from={{urlquery .From}}&message={{urlquery .Text}}&reference={{urlquery .Reference}}`
	DefaultJSONBody = `{"to":{{json .To}},"from":{{json .From}},"message":{{json .Text}},"reference":{{json .Reference}}}`
)

// MaxSenderLength is the longest alphanumeric sender id.
const MaxSenderLength = me.MaxSMSSenderLength

// maxReply is how much of a reply Send reads.
const maxReply = 64 << 10

// Config configures a Gateway (the "sms" configuration section).
type Config struct {
	// Provider is "http" or "46elks".
	Provider me.SMSProvider
	// URL is the gateway's endpoint, an absolute http or https URL without
	// user info (put credentials in Username and Password). Required for
	// "http"; for "46elks" it defaults to Default46elksURL.
	URL string
	// Username and Password are sent with Basic auth when Username is
	// set (for 46elks: the API username and password, both required).
	Username, Password string
	// Format is the http provider's body format: "form" (default) or
	// "json". Not used by 46elks.
	Format string
	// Body is the http provider's body, a Go text/template over .To,
	// .From, .Text and .Reference. Values must be escaped for the format:
	// {{urlquery .Text}} for form, {{json .Text}} (a JSON string literal,
	// quotes included) for json. Empty means DefaultFormBody or
	// DefaultJSONBody. Not used by 46elks.
	Body string
	// Headers are extra request headers (for example an API key); they
	// may override Content-Type.
	Headers map[string]string
	// Sender is the default sender, used when me.SMS.From is empty: an
	// alphanumeric sender id of at most 11 characters starting with a
	// letter, or a phone number in international format (+46701234567).
	Sender string
	// Timeout bounds one Send (connecting, sending, reading the reply);
	// 0 means DefaultTimeout.
	Timeout time.Duration
}

// Gateway sends text messages.
type Gateway interface {
	// Send hands m to the gateway. It returns nil once the gateway has
	// accepted the message, else an *Error (see Temporary).
	Send(ctx context.Context, m me.SMS) error
}

// New returns the Gateway cfg describes, sending with client
// (http.DefaultClient if nil). It validates cfg; errors name the
// configuration key ("sms.sender: ...").
func New(cfg Config, client *http.Client) (Gateway, error) {
	if client == nil {
		client = http.DefaultClient
	}
	g := &gateway{cfg: cfg, client: client, timeout: cfg.Timeout}
	if g.timeout == 0 {
		g.timeout = DefaultTimeout
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("sms.timeout: must not be negative, got %s", cfg.Timeout)
	}
	switch cfg.Provider {
	case ProviderHTTP:
		if cfg.URL == "" {
			return nil, errors.New("sms.url: required for provider \"http\"")
		}
		if cfg.Username == "" && cfg.Password != "" {
			return nil, errors.New("sms.username: required when sms.password is set")
		}
		switch cfg.Format {
		case "", FormatForm:
			g.format, g.contentType = FormatForm, "application/x-www-form-urlencoded"
		case FormatJSON:
			g.format, g.contentType = FormatJSON, "application/json"
		default:
			return nil, fmt.Errorf("sms.format: must be %q or %q, got %q", FormatForm, FormatJSON, cfg.Format)
		}
		body := cfg.Body
		if strings.TrimSpace(body) == "" {
			body = DefaultFormBody
			if g.format == FormatJSON {
				body = DefaultJSONBody
			}
		}
		tmpl, err := template.New("sms.body").Option("missingkey=error").Funcs(template.FuncMap{"json": jsonString}).Parse(body)
		if err != nil {
			return nil, fmt.Errorf("sms.body: %v", err)
		}
		g.body = tmpl
		// Render a sample to catch unknown fields and, for json, a body
		// that is not JSON.
		sample, err := g.render(templateData{To: "+46701234567", From: "Kommunen", Text: "Hej \"å\" & ö\n", Reference: "ref-1"})
		if err != nil {
			return nil, fmt.Errorf("sms.body: %v", err)
		}
		if g.format == FormatJSON && !json.Valid(sample) {
			return nil, fmt.Errorf("sms.body: not valid JSON once rendered (escape values with {{json .Text}}): %s", quoteBody(sample, ""))
		}
		if g.format == FormatForm {
			if _, err := url.ParseQuery(string(sample)); err != nil {
				return nil, fmt.Errorf("sms.body: not a valid form once rendered (escape values with {{urlquery .Text}}): %v", err)
			}
		}
	case Provider46elks:
		if cfg.URL == "" {
			g.cfg.URL = Default46elksURL
		}
		if cfg.Username == "" {
			return nil, errors.New("sms.username: required for provider \"46elks\" (the API username)")
		}
		if cfg.Password == "" {
			return nil, errors.New("sms.password: required for provider \"46elks\" (the API password)")
		}
		if cfg.Format != "" {
			return nil, errors.New("sms.format: not used by provider \"46elks\"")
		}
		if cfg.Body != "" {
			return nil, errors.New("sms.body: not used by provider \"46elks\"")
		}
		g.contentType = "application/x-www-form-urlencoded"
	case "":
		return nil, fmt.Errorf("sms.provider: required (%q or %q)", ProviderHTTP, Provider46elks)
	default:
		return nil, fmt.Errorf("sms.provider: must be %q or %q, got %q", ProviderHTTP, Provider46elks, cfg.Provider)
	}
	u, err := url.Parse(g.cfg.URL)
	switch {
	case err != nil:
		return nil, fmt.Errorf("sms.url: %v", redactURLError(err))
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("sms.url: must be an absolute http or https URL, got scheme %q", u.Scheme)
	case u.Host == "":
		return nil, errors.New("sms.url: must be an absolute http or https URL with a host")
	case u.User != nil:
		return nil, errors.New("sms.url: must not contain user info; use sms.username and sms.password")
	case u.Fragment != "":
		return nil, errors.New("sms.url: must not contain a fragment")
	}
	g.url = u
	for k, v := range cfg.Headers {
		if !validHeaderName(k) {
			return nil, fmt.Errorf("sms.headers: invalid header name %q", k)
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			return nil, fmt.Errorf("sms.headers: value of %q contains a line break", k)
		}
		if strings.EqualFold(k, "Authorization") && cfg.Username != "" {
			return nil, errors.New("sms.headers: Authorization conflicts with sms.username (Basic auth)")
		}
	}
	if cfg.Sender == "" {
		return nil, errors.New("sms.sender: required (a sender name of at most 11 characters or a +number)")
	}
	if err := validSender(cfg.Sender); err != nil {
		return nil, fmt.Errorf("sms.sender: %v", err)
	}
	return g, nil
}

type gateway struct {
	cfg         Config
	client      *http.Client
	timeout     time.Duration
	url         *url.URL
	format      string
	contentType string
	body        *template.Template
}

// templateData is what Config.Body renders.
type templateData struct {
	To, From, Text, Reference string
}

func (g *gateway) render(d templateData) ([]byte, error) {
	var b bytes.Buffer
	if err := g.body.Execute(&b, d); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Send implements Gateway.
func (g *gateway) Send(ctx context.Context, m me.SMS) error {
	from := m.From
	if from == "" {
		from = g.cfg.Sender
	}
	if err := validMessage(m.To, from, m.Text); err != nil {
		return &Error{Provider: g.cfg.Provider, Op: "message", Err: err}
	}
	var body []byte
	switch g.cfg.Provider {
	case Provider46elks:
		f := url.Values{}
		f.Set("from", from)
		f.Set("to", m.To)
		f.Set("message", m.Text)
		f.Set("dontlog", "message")
		body = []byte(f.Encode())
	default:
		var err error
		body, err = g.render(templateData{To: m.To, From: from, Text: m.Text, Reference: m.Reference})
		if err != nil {
			return &Error{Provider: g.cfg.Provider, Op: "request", Err: fmt.Errorf("rendering sms.body: %v", err)}
		}
	}

	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.url.String(), bytes.NewReader(body))
	if err != nil {
		return &Error{Provider: g.cfg.Provider, Op: "request", Err: redactURLError(err)}
	}
	req.Header.Set("Content-Type", g.contentType)
	req.Header.Set("Accept", "application/json, */*;q=0.5")
	req.Header.Set("User-Agent", "MinaEngagemang-sms/1")
	if g.cfg.Username != "" {
		req.SetBasicAuth(g.cfg.Username, g.cfg.Password)
	}
	for k, v := range g.cfg.Headers {
		req.Header.Set(k, v)
	}
	resp, err := g.client.Do(req)
	if err != nil {
		return &Error{Provider: g.cfg.Provider, Op: "request", Err: g.redact(err), temporary: true}
	}
	defer resp.Body.Close()
	reply, _ := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	return statusError(g.cfg.Provider, resp, reply, g.cfg.Password)
}

// redact turns a client error into one whose text carries neither the URL's
// query string nor the password, keeping the cause (net.Error, context
// errors) for errors.Is/As.
func (g *gateway) redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = &redactedError{text: fmt.Sprintf("%s %s: %v", ue.Op, safeURL(g.url), ue.Err), err: ue.Err}
	}
	if g.cfg.Password != "" && strings.Contains(err.Error(), g.cfg.Password) {
		err = &redactedError{text: strings.ReplaceAll(err.Error(), g.cfg.Password, "***"), err: err}
	}
	return err
}

type redactedError struct {
	text string
	err  error
}

func (e *redactedError) Error() string { return e.text }
func (e *redactedError) Unwrap() error { return e.err }

// safeURL is u without user info, query and fragment.
func safeURL(u *url.URL) string {
	s := *u
	s.User, s.RawQuery, s.ForceQuery, s.Fragment, s.RawFragment = nil, "", false, "", ""
	return s.String()
}

// redactURLError drops the URL (which may carry credentials) from a
// url.Parse error.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %v", ue.Op, ue.Err)
	}
	return err
}

// jsonString is the template func "json": v as a JSON literal (a string
// becomes a quoted, escaped JSON string).
func jsonString(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

var phoneNumber = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// validSender checks a sender: a +number or an alphanumeric sender id.
func validSender(s string) error { return me.CheckSMSSender(s) }

func validMessage(to, from, text string) error {
	if !phoneNumber.MatchString(to) {
		// The number itself stays out of the error: errors reach logs.
		return fmt.Errorf("the recipient is not a phone number in international format (+46701234567)")
	}
	if err := validSender(from); err != nil {
		return fmt.Errorf("sender: %v", err)
	}
	if strings.TrimSpace(text) == "" {
		return errors.New("empty text")
	}
	if !utf8.ValidString(text) {
		return errors.New("text is not valid UTF-8")
	}
	return nil
}

// validHeaderName reports whether k is an HTTP token.
func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if r > unicode.MaxASCII || r <= ' ' || strings.ContainsRune("\"(),/:;<=>?@[\\]{}\x7f", r) {
			return false
		}
	}
	return true
}
