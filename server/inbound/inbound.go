// Package inbound receives the case handler's e-mail reply (svar) and puts
// it into the case: an SMTP (or LMTP) server (github.com/emersion/go-smtp)
// that takes mail only for live reply addresses (checked at RCPT), reads
// it with github.com/emersion/go-message (every charset decoded), drops
// auto-replies and bounces, takes a reply only from the handler the
// address was made for (or the organisation's aliases), trims the quoted
// history and the signature, and records it through the store as an event
// the citizen is notified of, exactly once per Message-ID. It knows
// nothing of HTTP, SOAP or the configuration file.
package inbound

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/server/notify"
	"github.com/minaengagemang/me/store"
)

// Config is how the receiver works, in parsed values.
type Config struct {
	Addressing      notify.ReplyAddressing // the reply addresses' form
	Hostname        string                 // the greeting's name
	LMTP            bool
	MaxMessageBytes int64
	Limits          Limits
	// Aliases are, by organisation number, the addresses besides the
	// bound handler's that may reply (lower case).
	Aliases map[string][]string
	// TLS is offered with STARTTLS; a client not on loopback must use it.
	// nil: no STARTTLS (a loopback listener).
	TLS *tls.Config
}

// Receiver is the inbound mail server.
type Receiver struct {
	cfg     Config
	store   *store.Store
	log     *logrus.Logger
	now     func() time.Time
	srv     *smtp.Server
	counted *prometheus.CounterVec
}

// New returns a receiver; Serve starts it.
func New(cfg Config, st *store.Store, log *logrus.Logger, now func() time.Time) *Receiver {
	r := &Receiver{cfg: cfg, store: st, log: log, now: now,
		counted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "me_inbound_mail_total",
			Help: "Mail to reply addresses by outcome: accepted (an event), duplicate (a redelivery, taken once), rejected (an SMTP error), dropped (an auto-reply or bounce), refused_recipient (an unknown or expired reply address at RCPT).",
		}, []string{"outcome"})}
	for _, o := range []string{"accepted", "duplicate", "rejected", "dropped", "refused_recipient"} {
		r.counted.WithLabelValues(o)
	}
	s := smtp.NewServer(backend{r})
	s.Domain = cfg.Hostname
	s.LMTP = cfg.LMTP
	s.MaxMessageBytes = cfg.MaxMessageBytes
	s.MaxRecipients = 1 // one reply address per transaction: one case
	s.MaxLineLength = 4000
	s.ReadTimeout = 2 * time.Minute
	s.WriteTimeout = time.Minute
	s.TLSConfig = cfg.TLS
	s.ErrorLog = logAdapter{log}
	r.srv = s
	return r
}

// Collectors are the receiver's metrics.
func (r *Receiver) Collectors() []prometheus.Collector { return []prometheus.Collector{r.counted} }

// Serve takes mail on ln until Close.
func (r *Receiver) Serve(ln net.Listener) error {
	err := r.srv.Serve(ln)
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops taking connections and waits for the sessions in flight
// until ctx ends, then closes them.
func (r *Receiver) Shutdown(ctx context.Context) error {
	if err := r.srv.Shutdown(ctx); err != nil {
		return r.srv.Close()
	}
	return nil
}

type logAdapter struct{ log *logrus.Logger }

func (l logAdapter) Printf(format string, v ...any) { l.log.Debugf("inbound mail: "+format, v...) }
func (l logAdapter) Println(v ...any)               { l.log.Debug(append([]any{"inbound mail: "}, v...)...) }

type backend struct{ r *Receiver }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{r: b.r, conn: c}, nil
}

// session is one SMTP session: a transaction at a time.
type session struct {
	r     *Receiver
	conn  *smtp.Conn
	from  string
	token string
	addr  me.ReplyAddress
}

func (s *session) Reset()        { s.from, s.token, s.addr = "", "", me.ReplyAddress{} }
func (s *session) Logout() error { return nil }

func (s *session) remote() string {
	if c := s.conn.Conn(); c != nil {
		return c.RemoteAddr().String()
	}
	return ""
}

// Mail requires STARTTLS from a client that is not on loopback.
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if _, tlsOn := s.conn.TLSConnectionState(); !tlsOn && !loopback(s.conn.Conn()) {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Must issue a STARTTLS command first: ME takes mail only encrypted"}
	}
	s.from = from
	return nil
}

func loopback(c net.Conn) bool {
	if c == nil {
		return false
	}
	host, _, err := net.SplitHostPort(c.RemoteAddr().String())
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Rcpt takes only a live reply address; anything else is refused here,
// with nothing stored.
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	entry := s.r.log.WithFields(logrus.Fields{"remote": s.remote(), "mail_from": s.from})
	refuse := func(reason, text string) error {
		s.r.counted.WithLabelValues("refused_recipient").Inc()
		entry.WithField("reason", reason).Info("inbound mail: recipient refused")
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: text}
	}
	token, ok := s.r.cfg.Addressing.Token(to)
	if !ok {
		return refuse("not a reply address", "No such mailbox: this server takes only replies to Mina Engagemang's mail, sent to their reply address as it came.")
	}
	a, err := s.r.store.ReplyAddress(context.Background(), token, s.r.now().UTC())
	switch {
	case errors.Is(err, me.ErrNotFound):
		return refuse("unknown or altered reply address",
			"Unknown reply address: it may be mistyped or altered. Reply to Mina Engagemang's mail as it came, or answer the citizen through the case system.")
	case errors.Is(err, store.ErrReplyExpired):
		return refuse("expired reply address",
			fmt.Sprintf("This reply address expired on %s; answer the citizen through the case system.", a.Expires.UTC().Format("2006-01-02")))
	case err != nil:
		entry.WithError(err).Error("inbound mail: looking up the reply address failed")
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary failure; try again later"}
	}
	s.token, s.addr = token, a
	return nil
}

// Data reads the mail and takes it, refuses it or drops it.
func (s *session) Data(rd io.Reader) (err error) {
	entry := s.r.log.WithFields(logrus.Fields{"remote": s.remote(), "mail_from": s.from, "case_id": s.addr.CaseID})
	defer func() {
		// Hostile mail never takes the listener down.
		if p := recover(); p != nil {
			entry.WithField("panic", fmt.Sprint(p)).Error("inbound mail: reading a mail failed")
			s.r.counted.WithLabelValues("rejected").Inc()
			err = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary failure; try again later"}
		}
	}()
	raw, rerr := io.ReadAll(rd)
	if rerr != nil {
		var se *smtp.SMTPError
		if errors.As(rerr, &se) && se.Code == 552 {
			// Only the start is kept: enough to tell whose it was.
			return s.refused(entry, me.InboundMail{Raw: firstBytes(raw, 64<<10)}, reject(552, smtp.EnhancedCode{5, 3, 4},
				fmt.Sprintf("larger than %d bytes", s.r.cfg.MaxMessageBytes),
				fmt.Sprintf("The mail is larger than %d bytes; the citizen got nothing. Send smaller attachments, or send them through the case system.", s.r.cfg.MaxMessageBytes)))
		}
		return rerr
	}
	return s.take(entry, raw)
}

// take decides about a whole mail.
func (s *session) take(entry *logrus.Entry, raw []byte) error {
	e, p, ref := headers(raw, s.from)
	m := me.InboundMail{MessageID: p.messageID, HeaderFrom: p.fromHeader, Subject: p.subject, Raw: raw}
	if ref != nil {
		return s.refused(entry, m, ref)
	}
	if !s.mayReply(p.from) {
		return s.refused(entry, m, reject(550, smtp.EnhancedCode{5, 7, 1}, "sender "+p.from+" is not the case handler",
			"This reply address takes replies only from the case handler the mail was sent to; reply from that address."))
	}
	if ref := body(e, &p, s.r.cfg.Limits); ref != nil {
		return s.refused(entry, m, ref)
	}
	ev, err := s.r.store.RecordReply(context.Background(), me.Reply{Token: s.token, MessageID: p.messageID, EnvelopeFrom: s.from,
		HeaderFrom: p.fromHeader, Subject: p.subject, Text: p.text, Attachments: p.attachments, Raw: raw}, s.r.now().UTC())
	entry = entry.WithField("message_id", p.messageID)
	switch {
	case errors.Is(err, store.ErrDuplicateReply):
		s.r.counted.WithLabelValues("duplicate").Inc()
		entry.Info("inbound mail: a reply delivered again; taken once")
		return nil
	case errors.Is(err, store.ErrReplyExpired), errors.Is(err, me.ErrNotFound):
		return s.refused(entry, m, reject(550, smtp.EnhancedCode{5, 1, 1}, "reply address expired during delivery",
			"This reply address has expired; answer the citizen through the case system."))
	case err != nil:
		entry.WithError(err).Error("inbound mail: recording the reply failed")
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary failure; try again later"}
	}
	s.r.counted.WithLabelValues("accepted").Inc()
	entry.WithFields(logrus.Fields{"event_id": ev.ID, "attachments": len(p.attachments)}).Info("inbound mail: the handler's reply is in the case")
	return nil
}

// mayReply: the bound handler's address, or one of the organisation's
// aliases.
func (s *session) mayReply(from string) bool {
	return from != "" && (strings.EqualFold(from, s.addr.HandlerEmail) || slices.Contains(s.r.cfg.Aliases[s.addr.OrganisationNumber], from))
}

// refused keeps a refused or dropped mail for the administrator, logs it,
// and answers: an SMTP error, or 250 for a dropped one.
func (s *session) refused(entry *logrus.Entry, m me.InboundMail, ref *refusal) error {
	m.Outcome, m.EnvelopeFrom = me.InboundRejected, s.from
	m.CaseID, m.OrganisationNumber, m.Size = s.addr.CaseID, s.addr.OrganisationNumber, int64(len(m.Raw))
	m.Reason = ref.reason
	outcome := "rejected"
	if ref.drop {
		m.Outcome, outcome = me.InboundDropped, "dropped"
	}
	s.r.counted.WithLabelValues(outcome).Inc()
	entry = entry.WithFields(logrus.Fields{"message_id": m.MessageID, "reason": m.Reason})
	if err := s.r.store.RecordInbound(context.Background(), m, s.r.now().UTC()); err != nil {
		entry.WithError(err).Error("inbound mail: keeping a refused mail failed")
	}
	entry.Warn("inbound mail: " + outcome)
	if ref.drop {
		// Never answered: an error would bounce to an auto-responder.
		return nil
	}
	return ref.err
}

func firstBytes(b []byte, n int) []byte { return bytes.Clone(b[:min(len(b), n)]) }
