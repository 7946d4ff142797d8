// Package smtptest runs a real SMTP server (github.com/emersion/go-smtp)
// in-process on 127.0.0.1 for tests. It records the messages it receives,
// decoded, and can be told to fail, go down, require AUTH or offer TLS.
//
//	srv := smtptest.Start(t)
//	host, port := srv.Addr()
//	... send ...
//	msgs := srv.WaitFor(t, 1, 5*time.Second)
package smtptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one message the server accepted.
type Message struct {
	From     string   // envelope sender (MAIL FROM)
	To       []string // envelope recipients (RCPT TO)
	Header   mail.Header
	Subject  string // Subject with RFC 2047 encoded words decoded
	Body     string // the text body, transfer encoding undone, CRLF as LF
	Raw      []byte // the message as received in DATA
	AuthUser string // the user that authenticated, "" without AUTH
	TLS      bool   // whether the session was encrypted (STARTTLS or implicit TLS)
}

// Server is an SMTP server for one test. Its methods are safe for
// concurrent use.
type Server struct {
	t testing.TB

	mu       sync.Mutex
	addr     string       // 127.0.0.1:port, fixed after Start
	srv      *smtp.Server // nil while down
	ln       net.Listener
	served   chan struct{}
	closed   bool // after cleanup: no more logging to t
	msgs     []Message
	notify   chan struct{} // closed and replaced on every new message
	failMail []failure
	failData []failure
	user     string
	pass     string
	tlsCfg   *tls.Config // server side; nil: no TLS
	implicit bool        // TLS from the first byte instead of STARTTLS
}

type failure struct {
	code int
	msg  string
}

// Start starts a server on 127.0.0.1 with a free port. It is stopped when
// the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{t: t, addr: "127.0.0.1:0", notify: make(chan struct{})}
	s.mu.Lock()
	err := s.startLocked()
	s.mu.Unlock()
	if err != nil {
		t.Fatalf("smtptest: %v", err)
	}
	t.Cleanup(func() {
		s.mu.Lock()
		s.stopLocked()
		s.closed = true
		s.mu.Unlock()
	})
	return s
}

// Addr returns the host and port to connect to.
func (s *Server) Addr() (host string, port int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, p, _ := net.SplitHostPort(s.addr)
	port, _ = strconv.Atoi(p)
	return h, port
}

// Messages returns the messages received so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// WaitFor waits until at least n messages have arrived and returns them.
// It fails t if they have not within timeout.
func (s *Server) WaitFor(t testing.TB, n int, timeout time.Duration) []Message {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if len(s.msgs) >= n {
			msgs := append([]Message(nil), s.msgs...)
			s.mu.Unlock()
			return msgs
		}
		got, ch := len(s.msgs), s.notify
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("smtptest: %d message(s) arrived within %s, want %d", got, timeout, n)
			return nil
		}
	}
}

// FailNext makes the next n transactions fail at MAIL FROM with the SMTP
// reply code and text, e.g. 451 (temporary) or 550 (permanent).
func (s *Server) FailNext(n int, code int, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failMail = append(s.failMail, failure{code, msg})
	}
}

// FailNextData is FailNext at the end of DATA: the server reads the whole
// message, then answers with code instead of accepting it.
func (s *Server) FailNextData(n int, code int, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failData = append(s.failData, failure{code, msg})
	}
}

// Down stops the server: the port refuses connections and open sessions
// are closed. Up starts it again on the same port.
func (s *Server) Down() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
}

// Up starts the server again after Down, on the same port.
func (s *Server) Up() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return
	}
	if err := s.startLocked(); err != nil {
		s.t.Fatalf("smtptest: up: %v", err)
	}
}

// RequireAuth makes the server offer AUTH PLAIN and accept only user and
// pass; MAIL FROM without authenticating gets 530.
func (s *Server) RequireAuth(user, pass string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user, s.pass = user, pass
}

// StartTLS makes the server offer STARTTLS with a new self-signed
// certificate for 127.0.0.1, ::1 and localhost, and allow AUTH only once
// the session is encrypted. It returns a client configuration that trusts
// the certificate.
func (s *Server) StartTLS(t testing.TB) *tls.Config {
	t.Helper()
	return s.enableTLS(t, false)
}

// ImplicitTLS is StartTLS for implicit TLS ("SMTPS"): the server speaks TLS
// from the first byte.
func (s *Server) ImplicitTLS(t testing.TB) *tls.Config {
	t.Helper()
	return s.enableTLS(t, true)
}

func (s *Server) enableTLS(t testing.TB, implicit bool) *tls.Config {
	t.Helper()
	cert, pool, err := selfSigned()
	if err != nil {
		t.Fatalf("smtptest: certificate: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	s.implicit = implicit
	if s.srv != nil { // restart with the new configuration
		s.stopLocked()
		if err := s.startLocked(); err != nil {
			t.Fatalf("smtptest: restart: %v", err)
		}
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

// startLocked listens on s.addr and serves. s.mu is held.
func (s *Server) startLocked() error {
	var (
		l   net.Listener
		err error
	)
	// The port was ours a moment ago; give the kernel a little time if
	// it is slow to release it.
	for i := 0; ; i++ {
		l, err = net.Listen("tcp", s.addr)
		if err == nil || i == 50 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return err
	}
	s.addr = l.Addr().String()
	if s.tlsCfg != nil && s.implicit {
		l = tls.NewListener(l, s.tlsCfg)
	}
	srv := smtp.NewServer(backend{s})
	srv.Domain = "localhost"
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.MaxMessageBytes = 10 << 20
	srv.MaxRecipients = 100
	srv.AllowInsecureAuth = s.tlsCfg == nil
	if s.tlsCfg != nil && !s.implicit {
		srv.TLSConfig = s.tlsCfg
	}
	srv.ErrorLog = logger{s}
	served := make(chan struct{})
	s.srv, s.served, s.ln = srv, served, l
	go func() {
		defer close(served)
		_ = srv.Serve(l)
	}()
	return nil
}

// stopLocked closes the listener and all sessions. s.mu is held.
func (s *Server) stopLocked() {
	if s.srv == nil {
		return
	}
	_ = s.srv.Close()
	// Serve may not have registered the listener with srv yet: close it
	// here too so that its Accept returns.
	_ = s.ln.Close()
	<-s.served
	s.srv, s.served, s.ln = nil, nil, nil
}

func (s *Server) logf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.t.Logf("smtptest: "+format, args...)
	}
}

func (s *Server) errorf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.t.Errorf("smtptest: "+format, args...)
	}
}

type logger struct{ s *Server }

func (l logger) Printf(format string, v ...any) { l.s.logf(format, v...) }
func (l logger) Println(v ...any)               { l.s.logf("%s", strings.TrimSuffix(fmt.Sprintln(v...), "\n")) }

type backend struct{ s *Server }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: b.s, conn: c}, nil
}

// session is one SMTP session; go-smtp calls its methods from the
// session's goroutine only.
type session struct {
	s        *Server
	conn     *smtp.Conn
	authUser string
	from     string
	to       []string
}

var _ smtp.AuthSession = (*session)(nil)

func (ss *session) AuthMechanisms() []string {
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if ss.s.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	ss.s.mu.Lock()
	user, pass := ss.s.user, ss.s.pass
	ss.s.mu.Unlock()
	if user == "" || mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, u, p string) error {
		if (identity != "" && identity != u) || u != user || p != pass {
			return smtp.ErrAuthFailed
		}
		ss.authUser = u
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.s.mu.Lock()
	needAuth := ss.s.user != ""
	var f *failure
	if len(ss.s.failMail) > 0 {
		f = &ss.s.failMail[0]
		ss.s.failMail = ss.s.failMail[1:]
	}
	ss.s.mu.Unlock()
	if needAuth && ss.authUser == "" {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	if f != nil {
		return f.err()
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	var f *failure
	if len(ss.s.failData) > 0 {
		f = &ss.s.failData[0]
		ss.s.failData = ss.s.failData[1:]
	}
	ss.s.mu.Unlock()
	if f != nil {
		return f.err()
	}
	m, err := Parse(raw)
	if err != nil {
		ss.s.errorf("cannot parse a received message: %v\n%s", err, raw)
	}
	m.From = ss.from
	m.To = append([]string(nil), ss.to...)
	m.AuthUser = ss.authUser
	_, m.TLS = ss.conn.TLSConnectionState()

	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, m)
	close(ss.s.notify)
	ss.s.notify = make(chan struct{})
	ss.s.mu.Unlock()
	return nil
}

func (ss *session) Reset() {
	ss.from, ss.to = "", nil
}

func (ss *session) Logout() error { return nil }

func (f *failure) err() error {
	return &smtp.SMTPError{Code: f.code, EnhancedCode: smtp.EnhancedCodeNotSet, Message: f.msg}
}

// Parse parses a raw message as the server does: Header, Subject (decoded)
// and Body (the first text part, decoded to UTF-8, CRLF as LF). From and To
// are left empty. On error the Message still has Raw.
func Parse(raw []byte) (Message, error) {
	m := Message{Raw: raw}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return m, err
	}
	m.Header = msg.Header
	dec := mime.WordDecoder{CharsetReader: charsetReader}
	if m.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return m, fmt.Errorf("subject: %w", err)
	}
	body, err := textBody(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	if err != nil {
		return m, fmt.Errorf("body: %w", err)
	}
	m.Body = strings.ReplaceAll(body, "\r\n", "\n")
	return m, nil
}

// textBody decodes the first text/* part of an entity.
func textBody(contentType, transferEncoding string, r io.Reader) (string, error) {
	if contentType == "" {
		contentType = "text/plain; charset=us-ascii"
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", fmt.Errorf("content type %q: %w", contentType, err)
	}
	r, err = decodeTransfer(transferEncoding, r)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(r, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return "", errors.New("no text part")
			}
			if err != nil {
				return "", err
			}
			ct := p.Header.Get("Content-Type")
			if ct == "" || strings.HasPrefix(strings.ToLower(ct), "text/") || strings.HasPrefix(strings.ToLower(ct), "multipart/") {
				return textBody(ct, p.Header.Get("Content-Transfer-Encoding"), p)
			}
		}
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return "", err
	}
	cs := params["charset"]
	if cs == "" {
		cs = "us-ascii"
	}
	cr, err := charsetReader(cs, bytes.NewReader(b))
	if err != nil {
		return "", err
	}
	b, err = io.ReadAll(cr)
	return string(b), err
}

func decodeTransfer(enc string, r io.Reader) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(enc)) {
	case "", "7bit", "8bit", "binary":
		return r, nil
	case "quoted-printable":
		return quotedprintable.NewReader(r), nil
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, &newlineSkipper{r: r}), nil
	}
	return nil, fmt.Errorf("unknown Content-Transfer-Encoding %q", enc)
}

// newlineSkipper drops CR and LF, which base64.NewDecoder does not accept
// in every position.
type newlineSkipper struct{ r io.Reader }

func (n *newlineSkipper) Read(p []byte) (int, error) {
	for {
		c, err := n.r.Read(p)
		j := 0
		for _, b := range p[:c] {
			if b != '\r' && b != '\n' {
				p[j] = b
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}

// charsetReader decodes the charsets a test is likely to meet.
func charsetReader(charset string, r io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return r, nil
	case "iso-8859-1", "latin1", "iso8859-1":
		b, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		rs := make([]rune, len(b))
		for i, c := range b {
			rs[i] = rune(c)
		}
		return strings.NewReader(string(rs)), nil
	}
	return nil, fmt.Errorf("unsupported charset %q", charset)
}

// selfSigned makes a certificate for the loopback addresses and a pool
// that trusts it.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "smtptest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}
