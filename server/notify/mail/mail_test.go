package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/server/notify/mail/smtptest"
)

const (
	testFrom = "Mina Engagemang <no-reply@kommun.se>"
	swSubj   = "Nytt meddelande i ärendet: Bygglov för växthus på Åsgränd – öppna och läs"
	swText   = "Hej!\n\nDu har fått ett svar från handläggaren på Älvsby kommun.\nLogga in för att läsa: https://kommun.se/mina-sidor?ärende=123\n\nÅÄÖ åäö é ü – “citat” €\nEn väldigt lång rad som måste brytas av quoted-printable eftersom den är längre än sjuttiosex tecken, med å ä ö.\n=Likhetstecken= och punkt:\n.\nSlut."
)

func testConfig(srv *smtptest.Server) SMTPConfig {
	host, port := srv.Addr()
	return SMTPConfig{Host: host, Port: port, TLS: TLSNone, From: testFrom, HeloName: "me.test", Timeout: 5 * time.Second}
}

func testMail(id string) me.Mail {
	return me.Mail{
		To:        "Handläggare Åsa Öberg <asa.oberg@kommun.se>",
		ReplyTo:   "Medborgare <medborgare@example.se>",
		Subject:   swSubj,
		Text:      swText,
		MessageID: id,
	}
}

func mustSender(t *testing.T, cfg SMTPConfig) *Sender {
	t.Helper()
	s, err := NewSender(cfg)
	if err != nil {
		t.Fatalf("NewSender: %v", err)
	}
	return s
}

func TestSendDelivers(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(t *testing.T, srv *smtptest.Server, cfg *SMTPConfig)
		mail     func(m *me.Mail)
		wantTLS  bool
		wantAuth string
	}{
		{name: "plain"},
		{
			name: "no reply-to",
			mail: func(m *me.Mail) { m.ReplyTo = "" },
		},
		{
			name: "auth plain",
			setup: func(t *testing.T, srv *smtptest.Server, cfg *SMTPConfig) {
				srv.RequireAuth("me-avsandare", "hemligt-lösen-123")
				cfg.Username, cfg.Password = "me-avsandare", "hemligt-lösen-123"
			},
			wantAuth: "me-avsandare",
		},
		{
			name: "starttls",
			setup: func(t *testing.T, srv *smtptest.Server, cfg *SMTPConfig) {
				cfg.TLSConfig = srv.StartTLS(t)
				cfg.TLS = TLSStartTLS
			},
			wantTLS: true,
		},
		{
			name: "starttls is the default, with auth",
			setup: func(t *testing.T, srv *smtptest.Server, cfg *SMTPConfig) {
				cfg.TLSConfig = srv.StartTLS(t)
				srv.RequireAuth("me", "s3cret")
				cfg.TLS, cfg.Username, cfg.Password = "", "me", "s3cret"
			},
			wantTLS:  true,
			wantAuth: "me",
		},
		{
			name: "implicit tls with auth",
			setup: func(t *testing.T, srv *smtptest.Server, cfg *SMTPConfig) {
				cfg.TLSConfig = srv.ImplicitTLS(t)
				srv.RequireAuth("me", "s3cret")
				cfg.TLS, cfg.Username, cfg.Password = TLSImplicit, "me", "s3cret"
			},
			wantTLS:  true,
			wantAuth: "me",
		},
		{
			name: "message id without brackets",
			mail: func(m *me.Mail) { m.MessageID = "outbox-42@kommun.se" },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t)
			cfg := testConfig(srv)
			if tt.setup != nil {
				tt.setup(t, srv, &cfg)
			}
			s := mustSender(t, cfg)
			m := testMail(s.NewMessageID())
			if tt.mail != nil {
				tt.mail(&m)
			}
			if err := s.Send(context.Background(), m); err != nil {
				t.Fatalf("Send: %v", err)
			}
			msgs := srv.WaitFor(t, 1, 5*time.Second)
			if len(msgs) != 1 {
				t.Fatalf("got %d messages, want 1", len(msgs))
			}
			got := msgs[0]

			if got.Subject != swSubj {
				t.Errorf("Subject = %q, want %q", got.Subject, swSubj)
			}
			if got.Body != swText && got.Body != swText+"\n" {
				t.Errorf("Body = %q, want %q", got.Body, swText)
			}
			wantID := "<" + strings.Trim(m.MessageID, "<>") + ">"
			if id := got.Header.Get("Message-Id"); id != wantID {
				t.Errorf("Message-ID = %q, want %q", id, wantID)
			}
			if from := got.Header.Get("From"); !strings.Contains(from, "<no-reply@kommun.se>") || !strings.Contains(from, "Mina Engagemang") {
				t.Errorf("From = %q, want %q", from, testFrom)
			}
			if got.From != "no-reply@kommun.se" {
				t.Errorf("envelope from = %q", got.From)
			}
			if len(got.To) != 1 || got.To[0] != "asa.oberg@kommun.se" {
				t.Errorf("envelope to = %q", got.To)
			}
			to, err := got.Header.AddressList("To")
			if err != nil || len(to) != 1 || to[0].Name != "Handläggare Åsa Öberg" || to[0].Address != "asa.oberg@kommun.se" {
				t.Errorf("To = %v (%v)", to, err)
			}
			if rt := got.Header.Get("Reply-To"); m.ReplyTo == "" && rt != "" {
				t.Errorf("Reply-To = %q, want none", rt)
			} else if m.ReplyTo != "" {
				want, _ := netmail.ParseAddress(m.ReplyTo)
				addrs, err := got.Header.AddressList("Reply-To")
				if err != nil || len(addrs) != 1 || *addrs[0] != *want {
					t.Errorf("Reply-To = %q (%v), want %q", rt, err, m.ReplyTo)
				}
			}
			if v := got.Header.Get("Auto-Submitted"); v != "auto-generated" {
				t.Errorf("Auto-Submitted = %q", v)
			}
			if d, err := got.Header.Date(); err != nil || time.Since(d) > time.Minute {
				t.Errorf("Date = %v (%v)", d, err)
			}
			ct := got.Header.Get("Content-Type")
			if !strings.HasPrefix(ct, "text/plain") || !strings.Contains(strings.ToLower(ct), "charset=utf-8") {
				t.Errorf("Content-Type = %q", ct)
			}
			if cte := got.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
				t.Errorf("Content-Transfer-Encoding = %q", cte)
			}
			for i, line := range strings.Split(string(got.Raw), "\r\n") {
				if len(line) > 78 {
					t.Errorf("raw line %d is %d characters long: %q", i, len(line), line)
				}
				for _, c := range []byte(line) {
					if c >= 0x80 {
						t.Fatalf("raw line %d is not 7-bit: %q", i, line)
					}
				}
			}
			if got.TLS != tt.wantTLS {
				t.Errorf("TLS = %v, want %v", got.TLS, tt.wantTLS)
			}
			if got.AuthUser != tt.wantAuth {
				t.Errorf("AuthUser = %q, want %q", got.AuthUser, tt.wantAuth)
			}
		})
	}
}

func TestSendFailures(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(t *testing.T, srv *smtptest.Server, cfg *SMTPConfig)
		ctx       func(t *testing.T) context.Context
		mail      func(m *me.Mail)
		wantTemp  bool
		wantCode  int
		wantText  []string // in the error message
		wantIs    error
		thenSends bool // a second Send succeeds
	}{
		{
			name: "451 at MAIL is temporary",
			setup: func(t *testing.T, srv *smtptest.Server, _ *SMTPConfig) {
				srv.FailNext(1, 451, "Greylisted, try again later")
			},
			wantTemp:  true,
			wantCode:  451,
			wantText:  []string{"451", "Greylisted, try again later"},
			thenSends: true,
		},
		{
			name:     "550 at MAIL is permanent",
			setup:    func(t *testing.T, srv *smtptest.Server, _ *SMTPConfig) { srv.FailNext(1, 550, "Mailbox unavailable") },
			wantCode: 550,
			wantText: []string{"550", "Mailbox unavailable"},
		},
		{
			name: "452 after DATA is temporary",
			setup: func(t *testing.T, srv *smtptest.Server, _ *SMTPConfig) {
				srv.FailNextData(1, 452, "Insufficient storage")
			},
			wantTemp:  true,
			wantCode:  452,
			wantText:  []string{"452", "Insufficient storage"},
			thenSends: true,
		},
		{
			name: "554 after DATA is permanent",
			setup: func(t *testing.T, srv *smtptest.Server, _ *SMTPConfig) {
				srv.FailNextData(1, 554, "Message rejected as spam")
			},
			wantCode: 554,
			wantText: []string{"554", "Message rejected as spam"},
		},
		{
			name:      "server down is temporary",
			setup:     func(t *testing.T, srv *smtptest.Server, _ *SMTPConfig) { srv.Down() },
			wantTemp:  true,
			thenSends: true, // after Up
		},
		{
			name: "wrong password: 535, temporary (ME's account, not the message), password not shown",
			setup: func(t *testing.T, srv *smtptest.Server, cfg *SMTPConfig) {
				srv.RequireAuth("me", "right-password")
				cfg.Username, cfg.Password = "me", "Wr0ng-Pässword"
			},
			wantTemp: true,
			wantCode: 535,
			wantText: []string{"535"},
		},
		{
			name: "starttls required but not offered",
			setup: func(t *testing.T, srv *smtptest.Server, cfg *SMTPConfig) {
				cfg.TLS = TLSStartTLS
			},
			wantTemp: true,
			wantText: []string{"STARTTLS"},
		},
		{
			name: "untrusted certificate",
			setup: func(t *testing.T, srv *smtptest.Server, cfg *SMTPConfig) {
				srv.StartTLS(t)
				cfg.TLS = TLSStartTLS // system roots: the self-signed certificate is not trusted
			},
			wantTemp: true,
			wantText: []string{"certificate"},
		},
		{
			name: "context cancelled before",
			ctx: func(t *testing.T) context.Context {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx
			},
			wantTemp: true,
			wantIs:   context.Canceled,
		},
		{
			name:     "invalid recipient is permanent",
			mail:     func(m *me.Mail) { m.To = "inte en adress" },
			wantText: []string{"recipient"},
		},
		{
			name:     "invalid reply-to is permanent",
			mail:     func(m *me.Mail) { m.ReplyTo = "a@b@c" },
			wantText: []string{"Reply-To"},
		},
		{
			name:     "invalid message id is permanent",
			mail:     func(m *me.Mail) { m.MessageID = "<no at sign>" },
			wantText: []string{"Message-ID"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t)
			cfg := testConfig(srv)
			if tt.setup != nil {
				tt.setup(t, srv, &cfg)
			}
			s := mustSender(t, cfg)
			ctx := context.Background()
			if tt.ctx != nil {
				ctx = tt.ctx(t)
			}
			m := testMail(NewMessageID("kommun.se"))
			if tt.mail != nil {
				tt.mail(&m)
			}
			err := s.Send(ctx, m)
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			t.Logf("error: %v", err)
			if got := Temporary(err); got != tt.wantTemp {
				t.Errorf("Temporary = %v, want %v", got, tt.wantTemp)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error is %T, want *Error", err)
			}
			if e.Code != tt.wantCode {
				t.Errorf("Code = %d, want %d", e.Code, tt.wantCode)
			}
			for _, w := range tt.wantText {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v is not %v", err, tt.wantIs)
			}
			if cfg.Password != "" && strings.Contains(fmt.Sprintf("%v %+v %#v", err, err, cfg), cfg.Password) {
				t.Errorf("password in error or config text: %v", err)
			}
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("server has %d message(s), want 0", n)
			}
			if tt.thenSends {
				srv.Up()
				if err := s.Send(context.Background(), m); err != nil {
					t.Fatalf("second Send: %v", err)
				}
				got := srv.WaitFor(t, 1, 5*time.Second)
				if got[0].Header.Get("Message-Id") != m.MessageID {
					t.Errorf("retried Message-ID = %q, want %q", got[0].Header.Get("Message-Id"), m.MessageID)
				}
			}
		})
	}
}

// A server that accepts the connection but never greets: Send must give up
// when ctx ends, long before the configured timeout.
func TestSendHonoursContextMidSession(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c // hold it open, say nothing
		}
	}()
	t.Cleanup(func() {
		l.Close()
		for c := range accepted {
			c.Close()
		}
	})
	addr := l.Addr().(*net.TCPAddr)
	s := mustSender(t, SMTPConfig{Host: "127.0.0.1", Port: addr.Port, TLS: TLSNone, From: testFrom, Timeout: time.Minute})

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = s.Send(ctx, testMail(NewMessageID("kommun.se")))
	if err == nil {
		t.Fatal("Send succeeded against a silent server")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Send took %s, want it to stop when ctx ends", d)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v is not context.DeadlineExceeded", err)
	}
	if !Temporary(err) {
		t.Errorf("Temporary(%v) = false, want true", err)
	}

	// The same with a cancel while the session is under way.
	ctx2, cancel2 := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel2)
	err = s.Send(ctx2, testMail(NewMessageID("kommun.se")))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v is not context.Canceled", err)
	}
}

func TestSendConcurrent(t *testing.T) {
	srv := smtptest.Start(t)
	s := mustSender(t, testConfig(srv))
	const n = 8
	errs := make(chan error, n)
	for i := range n {
		go func() {
			m := testMail(NewMessageID("kommun.se"))
			m.Subject = fmt.Sprintf("Meddelande %d – åäö", i)
			errs <- s.Send(context.Background(), m)
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	msgs := srv.WaitFor(t, n, 5*time.Second)
	seen := map[string]bool{}
	for _, m := range msgs {
		seen[m.Header.Get("Message-Id")] = true
	}
	if len(seen) != n {
		t.Errorf("%d distinct Message-IDs, want %d", len(seen), n)
	}
}

func TestSubjectStaysOneLine(t *testing.T) {
	srv := smtptest.Start(t)
	s := mustSender(t, testConfig(srv))
	m := testMail(NewMessageID("kommun.se"))
	m.Subject = "Hej\r\nBcc: evil@example.com\nå"
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := srv.WaitFor(t, 1, 5*time.Second)[0]
	if got.Header.Get("Bcc") != "" || len(got.To) != 1 {
		t.Errorf("header injection: Bcc=%q rcpts=%q", got.Header.Get("Bcc"), got.To)
	}
	if got.Subject != "Hej Bcc: evil@example.com å" {
		t.Errorf("Subject = %q", got.Subject)
	}
}

// TestFromName: an organisation's display name goes before ME's own
// address, which stays the envelope sender; a name with a line break is
// refused, not written as a header.
func TestFromName(t *testing.T) {
	tests := []struct {
		name, fromName, wantName string
		wantErr                  bool
	}{
		{name: "configured", fromName: "", wantName: "Mina Engagemang"},
		{name: "organisation", fromName: "Exempels kommun", wantName: "Exempels kommun"},
		{name: "non-ASCII", fromName: "Härnösands kommun", wantName: "Härnösands kommun"},
		{name: "line break", fromName: "Kommun\r\nBcc: evil@example.com", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t)
			s := mustSender(t, testConfig(srv))
			m := testMail(NewMessageID("kommun.se"))
			m.FromName = tt.fromName
			err := s.Send(context.Background(), m)
			if tt.wantErr {
				if err == nil || Temporary(err) {
					t.Fatalf("Send = %v; want a permanent error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := srv.WaitFor(t, 1, 5*time.Second)[0]
			from, err := netmail.ParseAddress(got.Header.Get("From"))
			if err != nil || from.Name != tt.wantName || from.Address != "no-reply@kommun.se" || got.From != "no-reply@kommun.se" {
				t.Errorf("From %q (%v), envelope %q; want %q <no-reply@kommun.se>", got.Header.Get("From"), err, got.From, tt.wantName)
			}
		})
	}
}

func TestNewSender(t *testing.T) {
	ok := SMTPConfig{Host: "smtp.kommun.se", Port: 587, From: testFrom}
	tests := []struct {
		name    string
		mod     func(c *SMTPConfig)
		wantErr string
	}{
		{name: "ok"},
		{name: "implicit tls", mod: func(c *SMTPConfig) { c.TLS, c.Port = "TLS", 465 }},
		{name: "bare from", mod: func(c *SMTPConfig) { c.From = "no-reply@kommun.se" }},
		{name: "none on localhost with auth", mod: func(c *SMTPConfig) { c.Host, c.TLS, c.Username = "localhost", TLSNone, "u" }},
		{name: "no host", mod: func(c *SMTPConfig) { c.Host = " " }, wantErr: "host"},
		{name: "bad host", mod: func(c *SMTPConfig) { c.Host = "smtp kommun" }, wantErr: "host"},
		{name: "no port", mod: func(c *SMTPConfig) { c.Port = 0 }, wantErr: "port"},
		{name: "port too big", mod: func(c *SMTPConfig) { c.Port = 70000 }, wantErr: "port"},
		{name: "no from", mod: func(c *SMTPConfig) { c.From = "" }, wantErr: "From"},
		{name: "bad from", mod: func(c *SMTPConfig) { c.From = "Mina Engagemang" }, wantErr: "sender address"},
		{name: "bad tls", mod: func(c *SMTPConfig) { c.TLS = "ssl3" }, wantErr: "TLS mode"},
		{name: "credentials in clear", mod: func(c *SMTPConfig) { c.TLS, c.Username, c.Password = TLSNone, "u", "topsecret" }, wantErr: "unencrypted"},
		{name: "negative timeout", mod: func(c *SMTPConfig) { c.Timeout = -time.Second }, wantErr: "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			if tt.mod != nil {
				tt.mod(&cfg)
			}
			_, err := NewSender(cfg)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("NewSender: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("NewSender error = %v, want one about %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "topsecret") {
				t.Errorf("password in error: %v", err)
			}
		})
	}
}

func TestConfigHidesPassword(t *testing.T) {
	cfg := SMTPConfig{Host: "smtp.kommun.se", Port: 587, Username: "me", Password: "hemligt", From: testFrom}
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(f, cfg); strings.Contains(s, "hemligt") {
			t.Errorf("%s shows the password: %s", f, s)
		}
	}
}

func TestNewMessageID(t *testing.T) {
	re := regexp.MustCompile(`^<[a-z2-7]{32}@([a-z0-9.-]+)>$`)
	tests := []struct{ domain, want string }{
		{"kommun.se", "kommun.se"},
		{"", "localhost"},
		{"bad domain", "localhost"},
		{"@kommun.se", "kommun.se"},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		for range 100 {
			id := NewMessageID(tt.domain)
			m := re.FindStringSubmatch(id)
			if m == nil || m[1] != tt.want {
				t.Fatalf("NewMessageID(%q) = %q, want <random@%s>", tt.domain, id, tt.want)
			}
			if seen[id] {
				t.Fatalf("NewMessageID repeated %q", id)
			}
			seen[id] = true
		}
	}
	s := mustSender(t, SMTPConfig{Host: "h", Port: 25, From: testFrom})
	if id := s.NewMessageID(); !strings.HasSuffix(id, "@kommun.se>") {
		t.Errorf("Sender.NewMessageID = %q", id)
	}
}

func TestTemporary(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"net", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, true},
		{"deadline", context.DeadlineExceeded, true},
		{"wrapped temporary", fmt.Errorf("outbox: %w", &Error{Op: "send", Code: 421, temporary: true}), true},
		{"wrapped permanent", fmt.Errorf("outbox: %w", &Error{Op: "send", Code: 550}), false},
		{"tls", &tls.RecordHeaderError{Msg: "bad"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Temporary(tt.err); got != tt.want {
				t.Errorf("Temporary(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
