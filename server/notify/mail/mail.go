// Package mail sends Mina Engagemang's e-mail (me.Mail) over SMTP.
//
// A Sender opens one SMTP session per Send: it connects (STARTTLS, implicit
// TLS or, for localhost and tests, plain text), authenticates with PLAIN or
// LOGIN when a username is configured, delivers one text/plain UTF-8
// message in quoted-printable and closes the session. Errors carry the SMTP
// reply code and text; Temporary tells whether a later retry may succeed.
//
// The message's Message-ID is the caller's idempotency key: an outbox keeps
// it across retries so that a receiver recognises a repeated delivery (for
// example one whose final DATA reply was lost).
package mail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base32"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	gomail "github.com/wneessen/go-mail"

	"github.com/minaengagemang/me"
)

// TLS modes of SMTPConfig.TLS.
const (
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS, which is required (default)
	TLSImplicit = "tls"      // TLS from the first byte ("SMTPS", usually port 465)
	TLSNone     = "none"     // no encryption: only for a relay on localhost or tests
)

// DefaultTimeout bounds each network step of a Send when SMTPConfig.Timeout
// is zero.
const DefaultTimeout = 30 * time.Second

// SMTPConfig is how ME reaches its outgoing mail server.
type SMTPConfig struct {
	Host     string
	Port     int
	Username string // empty: no SMTP AUTH
	Password string // never logged nor part of an error
	// TLS is TLSStartTLS ("starttls", the default when empty), TLSImplicit
	// ("tls", port 465) or TLSNone ("none", only for localhost/tests).
	TLS string
	// From is ME's sender address, e.g. "Mina Engagemang <no-reply@kommun.se>".
	// It is the From header and, without its display name, the envelope sender.
	From string
	// HeloName is the name sent in EHLO; empty means the machine's host name.
	HeloName string
	// Timeout bounds connecting and each SMTP exchange; zero means
	// DefaultTimeout.
	Timeout time.Duration
	// TLSConfig optionally replaces the default TLS configuration (system
	// roots, TLS 1.2 or later). Tests use it to trust a self-signed
	// certificate. When its ServerName is empty, Host is used.
	TLSConfig *tls.Config
}

// String describes the configuration without the password, so that a
// configuration printed with %v or %+v never leaks it.
func (c SMTPConfig) String() string {
	pw := ""
	if c.Password != "" {
		pw = "***"
	}
	return fmt.Sprintf("SMTPConfig{Host:%s Port:%d Username:%s Password:%s TLS:%s From:%s HeloName:%s Timeout:%s}",
		c.Host, c.Port, c.Username, pw, c.TLS, c.From, c.HeloName, c.Timeout)
}

// GoString is String, for %#v.
func (c SMTPConfig) GoString() string { return c.String() }

// Sender sends me.Mail through one SMTP server. It is safe for concurrent
// use; every Send has its own SMTP session.
type Sender struct {
	cfg     SMTPConfig
	tlsMode string
	from    *netmail.Address
	tls     *tls.Config
	timeout time.Duration
}

// NewSender checks cfg and returns a Sender for it. It does not connect.
func NewSender(cfg SMTPConfig) (*Sender, error) {
	host := strings.TrimSpace(cfg.Host)
	if host == "" {
		return nil, errors.New("mail: SMTP host is required")
	}
	if strings.ContainsAny(host, " \t\r\n/") {
		return nil, fmt.Errorf("mail: invalid SMTP host %q", host)
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	cfg.Host = host
	if cfg.Port < 1 || cfg.Port > 65535 {
		return nil, fmt.Errorf("mail: invalid SMTP port %d", cfg.Port)
	}
	mode := strings.ToLower(strings.TrimSpace(cfg.TLS))
	if mode == "" {
		mode = TLSStartTLS
	}
	switch mode {
	case TLSStartTLS, TLSImplicit, TLSNone:
	default:
		return nil, fmt.Errorf("mail: invalid SMTP TLS mode %q (want %q, %q or %q)", cfg.TLS, TLSStartTLS, TLSImplicit, TLSNone)
	}
	if mode == TLSNone && cfg.Username != "" && !isLoopback(host) {
		return nil, fmt.Errorf("mail: refusing to send SMTP credentials unencrypted to %s (TLS %q is only for localhost)", host, TLSNone)
	}
	if strings.TrimSpace(cfg.From) == "" {
		return nil, errors.New("mail: sender address (From) is required")
	}
	from, err := netmail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("mail: invalid sender address %q: %v", cfg.From, err)
	}
	if strings.ContainsAny(cfg.HeloName, " \t\r\n") {
		return nil, fmt.Errorf("mail: invalid HELO name %q", cfg.HeloName)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("mail: negative SMTP timeout %s", cfg.Timeout)
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	var tc *tls.Config
	if cfg.TLSConfig != nil {
		tc = cfg.TLSConfig.Clone()
	} else {
		tc = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if tc.ServerName == "" {
		tc.ServerName = host
	}
	return &Sender{cfg: cfg, tlsMode: mode, from: from, tls: tc, timeout: timeout}, nil
}

// NewMessageID returns a new Message-ID under the domain of the sender
// address (see the package function NewMessageID).
func (s *Sender) NewMessageID() string {
	return NewMessageID(domainOf(s.from.Address))
}

// Send delivers m in one SMTP session. It returns nil once the server has
// accepted the message. On failure the error is an *Error; Temporary tells
// whether to retry later. Send gives up when ctx is done, closing the
// connection at whatever step it is.
func (s *Sender) Send(ctx context.Context, m me.Mail) error {
	if err := ctx.Err(); err != nil {
		return &Error{Op: "send", Err: err, temporary: true}
	}
	msg, rcpt, err := s.build(m)
	if err != nil {
		return err
	}

	// The dialer remembers the raw connection so that it can be closed when
	// ctx is done (go-mail only applies ctx to dialing) and after a failed
	// handshake (go-mail does not close it then).
	var (
		mu   sync.Mutex
		raw  net.Conn
		stop = func() bool { return false }
	)
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	dial := func(dctx context.Context, network, _ string) (net.Conn, error) {
		d := net.Dialer{Timeout: s.timeout}
		c, err := d.DialContext(dctx, network, addr)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		raw = c
		stop = context.AfterFunc(ctx, func() { _ = c.Close() })
		mu.Unlock()
		if s.tlsMode != TLSImplicit {
			return c, nil
		}
		tc := tls.Client(c, s.tls)
		if err := tc.HandshakeContext(dctx); err != nil {
			_ = c.Close()
			return nil, fmt.Errorf("TLS handshake: %w", err)
		}
		return tc, nil
	}
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		stop()
		if raw != nil {
			_ = raw.Close()
		}
	}()

	client, err := gomail.NewClient(s.cfg.Host, s.clientOptions(dial)...)
	if err != nil {
		return &Error{Op: "configure", Rcpt: rcpt, Err: err, temporary: true}
	}
	sc, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return s.fail(ctx, "connect", rcpt, err)
	}
	err = client.SendWithSMTPClient(sc, msg)
	if msg.IsDelivered() {
		// Accepted by the server: what fails after that (QUIT) does not
		// matter, and a retry would only send a duplicate.
		_ = client.CloseWithSMTPClient(sc)
		return nil
	}
	if err == nil {
		err = errors.New("message not delivered")
	}
	ferr := s.fail(ctx, "send", rcpt, err)
	if e, ok := ferr.(*Error); ok && e.Code != 0 {
		// The server answered, so it is there to hear a polite QUIT.
		_ = client.CloseWithSMTPClient(sc)
	}
	return ferr
}

// clientOptions configures go-mail for one session.
func (s *Sender) clientOptions(dial gomail.DialContextFunc) []gomail.Option {
	opts := []gomail.Option{
		gomail.WithPort(s.cfg.Port),
		gomail.WithTimeout(s.timeout),
		gomail.WithDialContextFunc(dial),
		gomail.WithTLSConfig(s.tls),
		gomail.WithoutNoop(), // a fresh connection needs no liveness check
		gomail.WithoutRset(), // one message per session
	}
	switch s.tlsMode {
	case TLSImplicit:
		// The dialer does the TLS handshake; go-mail must not try STARTTLS.
		opts = append(opts, gomail.WithSSL(), gomail.WithTLSPolicy(gomail.NoTLS))
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if s.cfg.HeloName != "" {
		opts = append(opts, gomail.WithHELO(s.cfg.HeloName))
	}
	if s.cfg.Username != "" {
		// PLAIN or LOGIN, whichever the server offers; both refuse to send
		// the password over an unencrypted connection except to localhost.
		opts = append(opts,
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthPlain, gomail.SMTPAuthLogin),
			gomail.WithUsername(s.cfg.Username),
			gomail.WithPassword(s.cfg.Password))
	}
	return opts
}

// build makes the message for m and returns it with its recipient address.
func (s *Sender) build(m me.Mail) (*gomail.Msg, string, error) {
	invalid := func(rcpt string, format string, args ...any) error {
		return &Error{Op: "compose", Rcpt: rcpt, Err: fmt.Errorf(format, args...), temporary: false}
	}
	to, err := netmail.ParseAddress(strings.TrimSpace(m.To))
	if err != nil {
		return nil, m.To, invalid(m.To, "invalid recipient address %q: %v", m.To, err)
	}
	rcpt := to.Address
	id := strings.TrimSpace(m.MessageID)
	if id == "" {
		id = NewMessageID(domainOf(s.from.Address))
	}
	id = strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	if !validMessageID(id) {
		return nil, rcpt, invalid(rcpt, "invalid Message-ID %q", m.MessageID)
	}

	msg := gomail.NewMsg(
		gomail.WithCharset(gomail.CharsetUTF8),
		gomail.WithEncoding(gomail.EncodingQP),
		gomail.WithNoDefaultUserAgent(),
	)
	from := s.from
	if name := strings.TrimSpace(m.FromName); name != "" {
		// The organisation's name before ME's own address: the envelope
		// sender and the domain (SPF, DKIM) stay ME's.
		if strings.ContainsFunc(name, unicode.IsControl) {
			return nil, rcpt, invalid(rcpt, "invalid From name %q: control characters", m.FromName)
		}
		from = &netmail.Address{Name: name, Address: s.from.Address}
	}
	msg.FromMailAddress(from)
	msg.ToMailAddress(to)
	if rt := strings.TrimSpace(m.ReplyTo); rt != "" {
		addr, err := netmail.ParseAddress(rt)
		if err != nil {
			return nil, rcpt, invalid(rcpt, "invalid Reply-To address %q: %v", m.ReplyTo, err)
		}
		msg.ReplyToMailAddress(addr)
	}
	msg.Subject(oneLine(m.Subject))
	msg.SetDateWithValue(time.Now())
	msg.SetMessageIDWithValue(id)
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	msg.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	return msg, rcpt, nil
}

// fail turns an error of a session step into an *Error.
func (s *Sender) fail(ctx context.Context, op, rcpt string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		// The connection was closed because ctx ended: report that, with
		// what the session saw.
		return &Error{Op: op, Rcpt: rcpt, Err: fmt.Errorf("%w (%v)", cerr, err), temporary: true}
	}
	e := &Error{Op: op, Rcpt: rcpt, Err: err}
	e.Code, e.temporary = classify(op, err)
	return e
}

// NewMessageID returns a new random Message-ID in RFC 5322 form,
// "<random@domain>". An empty domain is "localhost".
func NewMessageID(domain string) string {
	domain = strings.Trim(strings.TrimSpace(domain), "<>@")
	if domain == "" || !validMessageIDPart(domain) {
		domain = "localhost"
	}
	var b [20]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	r := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
	return "<" + r + "@" + domain + ">"
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return ""
}

// validMessageID reports whether id (without angle brackets) is a plain
// left@right Message-ID that needs no quoting or encoding.
func validMessageID(id string) bool {
	left, right, ok := strings.Cut(id, "@")
	return ok && left != "" && right != "" && validMessageIDPart(left) && validMessageIDPart(right)
}

func validMessageIDPart(s string) bool {
	for _, r := range s {
		if r <= ' ' || r > '~' || strings.ContainsRune(`<>@()[]\,;:"`, r) {
			return false
		}
	}
	return true
}

// oneLine keeps a subject on one line: header injection through CR or LF
// is impossible.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' }), " ")
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
