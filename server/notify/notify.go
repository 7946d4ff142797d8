// Package notify tells citizens by SMS and e-mail that something happened
// on their cases (seed steps 5–6), and forwards citizens' messages to case
// handlers. It works the outbox the signal receiver writes in two steps:
// plan (the citizen's profile decides the channels; events within the
// window coalesce; reminders for completions left waiting) and deliver
// (claimed with a lease, so any number of nodes share the work, and a send
// in flight at a crash is repeated with the same idempotency key). Its
// transports are the subpackages mail and sms. It knows nothing of HTTP,
// SOAP or the configuration file.
package notify

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/server/notify/mail"
	"github.com/minaengagemang/me/server/notify/sms"
	"github.com/minaengagemang/me/store"
)

// Config is how the notifier works, in parsed values.
type Config struct {
	Window        time.Duration // events for one citizen within it give one SMS and one e-mail
	Lease         time.Duration // how long one send may take before another node repeats it
	ReminderAfter time.Duration // 0: no reminders
	Interval      time.Duration // how long an idle notifier waits before it looks again
	// Concurrency is how many notifications one node sends at once (one
	// claim's worth). A crash repeats at most these, under the same key.
	Concurrency int
	Quiet       QuietHours // no SMS then
	Texts       *Texts
	SMSSender   string // the sender name on an SMS whose organisation has none
	// Senders are the organisations' own senders, by organisation number;
	// an organisation without one (or without a field) signs with
	// SMSSender and the mail server's From name.
	Senders    map[string]Sender
	Addressing Addressing
}

// Sender is how one organisation signs what ME sends for it: the SMS
// sender name and the display name before ME's From address.
type Sender struct {
	SMS       string
	EmailName string
}

// Notifier plans and delivers notifications until its context ends.
type Notifier struct {
	cfg           Config
	store         *store.Store
	organisations map[string]me.Organisation
	email         *mail.Sender // nil: e-mails wait
	sms           sms.Gateway  // nil: SMS wait
	log           *logrus.Logger
	now           func() time.Time
}

// New returns a notifier. email or gateway may be nil: what they would
// send is queued and waits until one is configured.
func New(cfg Config, st *store.Store, orgs []me.Organisation, email *mail.Sender, gateway sms.Gateway, log *logrus.Logger, now func() time.Time) *Notifier {
	byNumber := map[string]me.Organisation{}
	for _, o := range orgs {
		byNumber[o.Number] = o
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 1
	}
	return &Notifier{cfg: cfg, store: st, organisations: byNumber, email: email, sms: gateway, log: log, now: now}
}

// Run plans and delivers until ctx is done. Then it claims nothing more,
// lets the sends in flight finish (each bounded by its transport's
// timeout) and records their outcome, so that a graceful stop never sends a
// notification twice; it returns when they are done.
func (n *Notifier) Run(ctx context.Context) {
	lastReminders := time.Time{}
	for {
		work := n.plan(ctx)
		if n.cfg.ReminderAfter > 0 && n.now().Sub(lastReminders) >= time.Minute {
			lastReminders = n.now()
			if c, err := n.store.PlanReminders(ctx, n.now().UTC(), n.cfg.ReminderAfter, n.builder(me.NotifyReminder)); err != nil {
				n.warn(ctx, err, "notifications: planning reminders failed")
			} else {
				work += c
			}
		}
		work += n.deliver(ctx)
		if work > 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(n.cfg.Interval):
		}
	}
}

func (n *Notifier) warn(ctx context.Context, err error, msg string) {
	if ctx.Err() == nil {
		n.log.WithError(err).Warn(msg)
	}
}

// deliver sends the notifications that are due, returning how many it
// tried.
func (n *Notifier) deliver(ctx context.Context) int {
	// A claim takes Concurrency notifications and sends them all at once,
	// so each has the whole lease: another node never takes over a
	// notification this one is still sending.
	items, err := n.store.ClaimNotifications(ctx, n.now().UTC(), n.cfg.Concurrency, n.cfg.Lease)
	if err != nil {
		n.warn(ctx, err, "notifications: claiming failed")
		return 0
	}
	// What was claimed is sent and recorded even when ME is stopping
	// meanwhile: cancelling a send in flight would send it again later.
	ctx = context.WithoutCancel(ctx)
	sent := make([]bool, len(items))
	var wg sync.WaitGroup
	for i, it := range items {
		wg.Go(func() { sent[i] = n.deliverOne(ctx, it) })
	}
	wg.Wait()
	// The sends that went through are recorded together, with one commit.
	var ids []int64
	for i, it := range items {
		if sent[i] {
			ids = append(ids, it.ID)
		}
	}
	if err := n.store.NotificationsSent(ctx, ids, n.now().UTC()); err != nil {
		n.log.WithError(err).Error("notifications: sent, but recording it failed; they may be repeated with the same keys")
	} else {
		for i, it := range items {
			if sent[i] {
				n.log.WithFields(logrus.Fields{"notification_id": it.ID, "channel": it.Channel, "kind": it.Kind, "attempt": it.Attempts + 1}).Info("notifications: sent")
			}
		}
	}
	return len(items)
}

// deliverOne sends one notification and records a failure; it reports
// whether the notification was sent, for deliver to record.
func (n *Notifier) deliverOne(ctx context.Context, it me.Notification) bool {
	entry := n.log.WithFields(logrus.Fields{"notification_id": it.ID, "channel": it.Channel, "kind": it.Kind, "attempt": it.Attempts + 1})
	err, temporary := n.send(ctx, it)
	now := n.now().UTC()
	switch {
	case err == nil:
		return true
	case temporary:
		// Retried until it goes through: a mail server or gateway that is
		// down delays a notification, never loses it.
		retry := now.Add(max(backoff(it.Attempts), retryAfter(err)))
		if it.Channel == me.NotifySMS {
			retry = n.cfg.Quiet.Next(retry)
		}
		entry.WithError(err).WithField("retry_at", retry).Warn("notifications: temporary failure, will retry")
		if err := n.store.NotificationFailed(ctx, it.ID, err.Error(), retry, false); err != nil {
			entry.WithError(err).Error("notifications: recording the failure failed")
		}
	default:
		entry.WithError(err).Error("notifications: failed")
		if err := n.store.NotificationFailed(ctx, it.ID, err.Error(), now, true); err != nil {
			entry.WithError(err).Error("notifications: recording the failure failed")
		}
	}
	return false
}

// send sends one notification and says whether a failure is worth
// retrying.
func (n *Notifier) send(ctx context.Context, it me.Notification) (error, bool) {
	switch it.Channel {
	case me.NotifySMS:
		if n.sms == nil {
			return fmt.Errorf("no SMS gateway is configured (sms.provider)"), true
		}
		if now := n.now().UTC(); n.cfg.Quiet.Next(now).After(now) {
			// Claimed inside quiet hours (a retry, or a clock moved): wait.
			return fmt.Errorf("quiet hours"), true
		}
		from := cmp.Or(n.cfg.Senders[it.OrganisationNumber].SMS, n.cfg.SMSSender)
		err := n.sms.Send(ctx, me.SMS{To: it.To, From: from, Text: it.Text, Reference: it.IdempotencyKey})
		return err, err != nil && sms.Temporary(err)
	case me.NotifyEmail:
		if n.email == nil {
			return fmt.Errorf("no mail server is configured (smtp.host)"), true
		}
		m := me.Mail{To: it.To, FromName: n.cfg.Senders[it.OrganisationNumber].EmailName, Subject: it.Subject, Text: it.Text, MessageID: it.IdempotencyKey}
		if it.Kind == me.NotifyHandler {
			// A citizen's message to the case handler: replies go to ME,
			// to the mail's own reply address when it has one.
			m.ReplyTo = cmp.Or(it.ReplyTo, n.cfg.Addressing.ReplyTo)
		}
		err := n.email.Send(ctx, m)
		return err, err != nil && mail.Temporary(err)
	}
	return fmt.Errorf("unknown channel %q", it.Channel), false
}

// retryAfter is how long a gateway asked ME to wait (HTTP Retry-After),
// or 0.
func retryAfter(err error) time.Duration {
	var se *sms.Error
	if errors.As(err, &se) {
		return min(se.RetryAfter, 6*time.Hour)
	}
	return 0
}

func (n *Notifier) plan(ctx context.Context) int {
	c, err := n.store.PlanNotifications(ctx, n.now().UTC(), n.cfg.Window, 100, n.builder(me.NotifyEvent))
	if err != nil {
		n.warn(ctx, err, "notifications: planning failed")
		return 0
	}
	return c
}

// builder returns what the store calls to turn a citizen's profile into
// the notifications it wants.
func (n *Notifier) builder(kind me.NotificationKind) func(p me.CitizenProfile, org string, known bool) []me.Notification {
	return func(p me.CitizenProfile, org string, known bool) []me.Notification {
		return n.build(kind, p, org)
	}
}

// build makes the notifications a citizen's profile asks for: none, an
// SMS, an e-mail or both, in the citizen's language.
func (n *Notifier) build(kind me.NotificationKind, p me.CitizenProfile, orgNumber string) []me.Notification {
	o := n.organisations[orgNumber]
	data := TemplateData{Organisation: o.Name, PortalURL: o.PortalURL, Reminder: kind == me.NotifyReminder}
	if data.Organisation == "" {
		data.Organisation = orgNumber
	}
	now := n.now().UTC()
	var out []me.Notification
	wantSMS := p.Channel == me.NotifySMS || p.Channel == me.NotifyBoth
	wantEmail := p.Channel == me.NotifyEmail || p.Channel == me.NotifyBoth
	if wantSMS && p.Mobile != "" {
		out = append(out, me.Notification{Kind: kind, PersonalIdentityNumber: p.PersonalIdentityNumber, OrganisationNumber: orgNumber,
			Channel: me.NotifySMS, To: p.Mobile, Text: n.cfg.Texts.Render("sms", p.Language, data),
			IdempotencyKey: "me-" + me.NewToken(15), NextAttempt: n.cfg.Quiet.Next(now)})
	}
	if wantEmail && p.Email != "" {
		out = append(out, me.Notification{Kind: kind, PersonalIdentityNumber: p.PersonalIdentityNumber, OrganisationNumber: orgNumber,
			Channel: me.NotifyEmail, To: p.Email, Subject: n.cfg.Texts.Render("email_subject", p.Language, data),
			Text: n.cfg.Texts.Render("email_text", p.Language, data), IdempotencyKey: mail.NewMessageID(n.cfg.Addressing.Domain), NextAttempt: now})
	}
	return out
}

// TemplateData is what notification templates may use: nothing of the
// case.
type TemplateData struct {
	Organisation string
	PortalURL    string
	Reminder     bool
}

// Texts are the notification templates, by name and language: "sms.sv",
// "email_subject.en", "email_text.sv".
type Texts struct {
	t   map[string]*template.Template
	log *logrus.Logger
}

// NewTexts returns the texts of parsed templates keyed "name.language".
func NewTexts(parsed map[string]*template.Template, log *logrus.Logger) *Texts {
	return &Texts{t: parsed, log: log}
}

// Render executes template name in lang, falling back to Swedish.
func (nt *Texts) Render(name string, lang me.Language, data TemplateData) string {
	tmpl, ok := nt.t[name+"."+string(lang)]
	if !ok {
		tmpl = nt.t[name+"."+string(me.Swedish)]
	}
	var b bytes.Buffer
	if tmpl == nil || tmpl.Execute(&b, data) != nil {
		// The configuration executes every template when it is loaded, so
		// this is not expected; the citizen still learns where to log in.
		nt.log.WithField("template", name).Error("notifications: a template failed; sent the plain fallback text")
		return data.Organisation + ": " + data.PortalURL
	}
	return strings.TrimSpace(b.String())
}

// QuietHours are the hours of the day no SMS is sent, in a time zone.
type QuietHours struct {
	Start, End time.Duration // since midnight, local time; equal: none
	Location   *time.Location
}

// Next returns t, or the end of the quiet hours t falls in. Wall-clock
// times are built with time.Date, so days with a daylight-saving change
// end the quiet hours at the right local time.
func (q QuietHours) Next(t time.Time) time.Time {
	if q.Start == q.End || q.Location == nil {
		return t
	}
	start, end := int(q.Start/time.Minute), int(q.End/time.Minute)
	local := t.In(q.Location)
	now := local.Hour()*60 + local.Minute()
	endOn := func(day time.Time) time.Time {
		return time.Date(day.Year(), day.Month(), day.Day(), end/60, end%60, 0, 0, q.Location).UTC()
	}
	switch {
	case start < end && now >= start && now < end: // e.g. 01:00-05:00
		return endOn(local)
	case start > end && now >= start: // the evening part of 21:00-08:00
		return endOn(local.AddDate(0, 0, 1))
	case start > end && now < end: // the morning part
		return endOn(local)
	}
	return t
}

// backoff is exponential from 10 s up to an hour, with ±20 % jitter so that
// many retries do not arrive together.
func backoff(attempts int) time.Duration {
	d := 10 * time.Second << min(attempts, 9)
	d = min(d, time.Hour)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}
