package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/mail"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

// sinks are the local SMTP server and SMS gateway ME delivers to: they
// accept everything at once and count it, and count a second delivery of
// a notification (the same SMS reference or Message-ID) as a repeat:
// exactly-once holds under load too.
type sinks struct {
	smtpAddr string
	smsURL   string
	mails    atomic.Int64
	sms      atomic.Int64
	repeats  atomic.Int64
	seenMu   sync.Mutex
	seen     map[string]bool
	smtp     *smtp.Server
	http     *http.Server
}

// delivered counts key, and a repeat when it came before.
func (s *sinks) delivered(key string) {
	if key == "" {
		return
	}
	s.seenMu.Lock()
	defer s.seenMu.Unlock()
	if s.seen[key] {
		s.repeats.Add(1)
	}
	s.seen[key] = true
}

func startSinks() (*sinks, error) {
	s := &sinks{seen: map[string]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.smtpAddr = ln.Addr().String()
	s.smtp = smtp.NewServer(smtpBackend{s})
	s.smtp.Domain = "bench.example"
	s.smtp.AllowInsecureAuth = true
	go s.smtp.Serve(ln)

	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.smtp.Close()
		return nil, err
	}
	s.smsURL = "http://" + hl.Addr().String() + "/send"
	s.http = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		s.delivered("sms " + r.PostForm.Get("reference"))
		s.sms.Add(1)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"created"}`)
	})}
	go s.http.Serve(hl)
	return s, nil
}

func (s *sinks) close() {
	s.smtp.Close()
	s.http.Close()
}

type counts struct {
	mails, sms int64
	at         time.Time
}

func (s *sinks) counts() counts { return counts{s.mails.Load(), s.sms.Load(), time.Now()} }

// drain waits until want e-mails and SMS beyond from have arrived, or no
// more arrive for a few seconds, or timeout; and reports the rates of
// delivery from the end of the signal run, when the backlog was largest.
func (s *sinks) drain(ctx context.Context, from counts, want int64, timeout time.Duration) (mails, sms, status string) {
	start := s.counts()
	deadline := time.Now().Add(timeout)
	last, quietSince := start, time.Now()
	for time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(200 * time.Millisecond)
		now := s.counts()
		if now.mails-from.mails >= want && now.sms-from.sms >= want {
			last = now
			break
		}
		if now.mails != last.mails || now.sms != last.sms {
			last, quietSince = now, time.Now()
		} else if time.Since(quietSince) > 3*time.Second {
			break
		}
	}
	elapsed := last.at.Sub(start.at).Seconds()
	rate := func(n int64) string {
		if elapsed <= 0 || n == 0 {
			return fmt.Sprintf("%d after the run", n)
		}
		return fmt.Sprintf("%.0f/s (%d in %.1f s after the run)", float64(n)/elapsed, n, elapsed)
	}
	status = fmt.Sprintf("%d e-mails and %d SMS delivered for %d signals (a signal to a case of several citizens notifies each); %d delivered twice",
		last.mails-from.mails, last.sms-from.sms, want, s.repeats.Load())
	return rate(last.mails - start.mails), rate(last.sms - start.sms), status
}

type smtpBackend struct{ s *sinks }

func (b smtpBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{b.s}, nil }

type smtpSession struct{ s *sinks }

func (ss *smtpSession) Mail(string, *smtp.MailOptions) error { return nil }
func (ss *smtpSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (ss *smtpSession) Data(r io.Reader) error {
	m, err := mail.ReadMessage(r)
	if err == nil {
		ss.s.delivered("mail " + m.Header.Get("Message-ID"))
		io.Copy(io.Discard, m.Body)
	}
	ss.s.mails.Add(1)
	return nil
}
func (ss *smtpSession) Reset()        {}
func (ss *smtpSession) Logout() error { return nil }
