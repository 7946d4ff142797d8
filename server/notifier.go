package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"text/template"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/config"
	memail "github.com/minaengagemang/me/server/mail"
	"github.com/minaengagemang/me/server/sms"
	"github.com/minaengagemang/me/store"
)

// notifier tells citizens by SMS and e-mail that something happened on
// their cases (seed steps 5-6). It works the outbox the signal receiver
// writes, in two steps: plan (the citizen's profile decides the channels;
// events within the window coalesce) and deliver (claimed with a lease, so
// any number of nodes share the work and a send in flight at a crash is
// repeated with the same idempotency key).
type notifier struct {
	store         *store.Store
	email         *memail.Sender // nil: e-mails wait
	sms           sms.Gateway    // nil: SMS wait
	smsSender     string
	emailDomain   string
	replyTo       string // ME's own address, on mail to case handlers
	cfg           config.Notifications
	organisations map[string]me.Organisation
	texts         *notificationTexts
	quiet         quietHours
	log           *logrus.Logger
	now           func() time.Time
}

func (n *notifier) run(ctx context.Context, interval time.Duration) {
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
		case <-time.After(interval):
		}
	}
}

func (n *notifier) warn(ctx context.Context, err error, msg string) {
	if ctx.Err() == nil {
		n.log.WithError(err).Warn(msg)
	}
}

func (n *notifier) plan(ctx context.Context) int {
	c, err := n.store.PlanNotifications(ctx, n.now().UTC(), n.cfg.Window, 100, n.builder(me.NotifyEvent))
	if err != nil {
		n.warn(ctx, err, "notifications: planning failed")
		return 0
	}
	return c
}

// builder returns what the store calls to turn a citizen's profile into
// the notifications it wants.
func (n *notifier) builder(kind me.NotificationKind) func(p me.CitizenProfile, org string, known bool) []me.Notification {
	return func(p me.CitizenProfile, org string, known bool) []me.Notification {
		return n.build(kind, p, org)
	}
}

// build makes the notifications a citizen's profile asks for: none, an
// SMS, an e-mail or both, in the citizen's language.
func (n *notifier) build(kind me.NotificationKind, p me.CitizenProfile, orgNumber string) []me.Notification {
	o := n.organisations[orgNumber]
	data := templateData{Organisation: o.Name, PortalURL: o.PortalURL, Reminder: kind == me.NotifyReminder}
	if data.Organisation == "" {
		data.Organisation = orgNumber
	}
	now := n.now().UTC()
	var out []me.Notification
	wantSMS := p.Channel == me.NotifySMS || p.Channel == me.NotifyBoth
	wantEmail := p.Channel == me.NotifyEmail || p.Channel == me.NotifyBoth
	if wantSMS && p.Mobile != "" {
		out = append(out, me.Notification{Kind: kind, PersonalIdentityNumber: p.PersonalIdentityNumber, OrganisationNumber: orgNumber,
			Channel: me.NotifySMS, To: p.Mobile, Text: n.texts.render("sms", p.Language, data),
			IdempotencyKey: "me-" + randomToken(), NextAttempt: n.quiet.next(now)})
	}
	if wantEmail && p.Email != "" {
		out = append(out, me.Notification{Kind: kind, PersonalIdentityNumber: p.PersonalIdentityNumber, OrganisationNumber: orgNumber,
			Channel: me.NotifyEmail, To: p.Email, Subject: n.texts.render("email_subject", p.Language, data),
			Text: n.texts.render("email_text", p.Language, data), IdempotencyKey: memail.NewMessageID(n.emailDomain), NextAttempt: now})
	}
	return out
}

// deliver sends the notifications that are due, returning how many it
// tried.
func (n *notifier) deliver(ctx context.Context) int {
	// One at a time: each send has the whole lease, so another node never
	// takes over a notification this one is still sending.
	items, err := n.store.ClaimNotifications(ctx, n.now().UTC(), 1, n.cfg.Lease)
	if err != nil {
		n.warn(ctx, err, "notifications: claiming failed")
		return 0
	}
	for _, it := range items {
		entry := n.log.WithFields(logrus.Fields{"notification_id": it.ID, "channel": it.Channel, "kind": it.Kind, "attempt": it.Attempts + 1})
		err, temporary := n.send(ctx, it)
		now := n.now().UTC()
		// The outcome is recorded even when ME is stopping meanwhile.
		ctx := context.WithoutCancel(ctx)
		switch {
		case err == nil:
			if err := n.store.NotificationSent(ctx, it.ID, now); err != nil {
				entry.WithError(err).Error("notifications: sent, but recording it failed; it may be repeated with the same key")
			} else {
				entry.Info("notifications: sent")
			}
		case temporary:
			// Retried until it goes through: a mail server or gateway
			// that is down delays a notification, never loses it.
			retry := now.Add(max(backoff(it.Attempts), retryAfter(err)))
			if it.Channel == me.NotifySMS {
				retry = n.quiet.next(retry)
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
	}
	return len(items)
}

// send sends one notification and says whether a failure is worth
// retrying.
func (n *notifier) send(ctx context.Context, it me.Notification) (error, bool) {
	switch it.Channel {
	case me.NotifySMS:
		if n.sms == nil {
			return fmt.Errorf("no SMS gateway is configured (sms.provider)"), true
		}
		if now := n.now().UTC(); n.quiet.next(now).After(now) {
			// Claimed inside quiet hours (a retry, or a clock moved): wait.
			return fmt.Errorf("quiet hours"), true
		}
		err := n.sms.Send(ctx, me.SMS{To: it.To, From: n.smsSender, Text: it.Text, Reference: it.IdempotencyKey})
		return err, err != nil && sms.Temporary(err)
	case me.NotifyEmail:
		if n.email == nil {
			return fmt.Errorf("no mail server is configured (smtp.host)"), true
		}
		m := me.Mail{To: it.To, Subject: it.Subject, Text: it.Text, MessageID: it.IdempotencyKey}
		if it.Kind == me.NotifyHandler {
			// A citizen's message to the case handler: replies go to ME.
			m.ReplyTo = n.replyTo
		}
		err := n.email.Send(ctx, m)
		return err, err != nil && memail.Temporary(err)
	}
	return fmt.Errorf("unknown channel %q", it.Channel), false
}

func randomToken() string {
	var b [15]byte
	rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// templateData is what notification templates may use: nothing of the
// case.
type templateData struct {
	Organisation string
	PortalURL    string
	Reminder     bool
}

// notificationTexts are the parsed templates, by name and language.
type notificationTexts struct {
	t   map[string]*template.Template // "sms.sv"
	log *logrus.Logger
}

func newNotificationTexts(c config.Templates, log *logrus.Logger) (*notificationTexts, error) {
	nt := &notificationTexts{t: map[string]*template.Template{}, log: log}
	for name, text := range map[string]config.Text{"sms": c.SMS, "email_subject": c.EmailSubject, "email_text": c.EmailText} {
		for lang, src := range map[me.Language]string{me.Swedish: text.SV, me.English: text.EN} {
			tmpl, err := template.New(name).Option("missingkey=error").Parse(src)
			if err != nil {
				return nil, fmt.Errorf("notifications.templates.%s.%s: %w", name, lang, err)
			}
			nt.t[name+"."+string(lang)] = tmpl
		}
	}
	return nt, nil
}

func (nt *notificationTexts) render(name string, lang me.Language, data templateData) string {
	tmpl, ok := nt.t[name+"."+string(lang)]
	if !ok {
		tmpl = nt.t[name+"."+string(me.Swedish)]
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, data); err != nil {
		// Validation executes every template, so this is not expected;
		// the citizen still learns where to log in.
		nt.log.WithError(err).Error("notifications: a template failed; sent the plain fallback text")
		return data.Organisation + ": " + data.PortalURL
	}
	return strings.TrimSpace(b.String())
}

// quietHours are the hours no SMS is sent, in a time zone.
type quietHours struct {
	start, end int // minutes since midnight, local time
	loc        *time.Location
}

func newQuietHours(c config.Notifications) (quietHours, error) {
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return quietHours{}, fmt.Errorf("notifications.time_zone: %w", err)
	}
	parse := func(s string) (int, error) {
		t, err := time.Parse("15:04", s)
		return t.Hour()*60 + t.Minute(), err
	}
	q := quietHours{loc: loc}
	if q.start, err = parse(c.QuietStart); err != nil {
		return q, fmt.Errorf("notifications.quiet_start: %w", err)
	}
	if q.end, err = parse(c.QuietEnd); err != nil {
		return q, fmt.Errorf("notifications.quiet_end: %w", err)
	}
	return q, nil
}

// next returns t, or the end of the quiet hours t falls in. Wall-clock
// times are built with time.Date, so days with a daylight-saving change
// end the quiet hours at the right local time.
func (q quietHours) next(t time.Time) time.Time {
	if q.start == q.end || q.loc == nil {
		return t
	}
	local := t.In(q.loc)
	now := local.Hour()*60 + local.Minute()
	endOn := func(day time.Time) time.Time {
		return time.Date(day.Year(), day.Month(), day.Day(), q.end/60, q.end%60, 0, 0, q.loc).UTC()
	}
	switch {
	case q.start < q.end && now >= q.start && now < q.end: // e.g. 01:00-05:00
		return endOn(local)
	case q.start > q.end && now >= q.start: // the evening part of 21:00-08:00
		return endOn(local.AddDate(0, 0, 1))
	case q.start > q.end && now < q.end: // the morning part
		return endOn(local)
	}
	return t
}

func newNotifier(cfg *config.Config, st *store.Store, log *logrus.Logger, now func() time.Time, orgs map[string]me.Organisation, email *memail.Sender, addr mailSettings) (*notifier, error) {
	texts, err := newNotificationTexts(cfg.Notifications.Templates, log)
	if err != nil {
		return nil, err
	}
	quiet, err := newQuietHours(cfg.Notifications)
	if err != nil {
		return nil, err
	}
	n := &notifier{store: st, cfg: cfg.Notifications, organisations: orgs, texts: texts, quiet: quiet, log: log, now: now,
		smsSender: cfg.SMSGateway.Sender, emailDomain: addr.domain, replyTo: addr.replyTo, email: email}
	if g := cfg.SMSGateway; g.Provider != "" {
		sc := sms.Config{Provider: g.Provider, URL: g.URL, Username: g.Username, Password: g.Password.Reveal(), Sender: g.Sender, Timeout: g.Timeout}
		if g.Provider == sms.ProviderHTTP {
			sc.Format, sc.Body = g.Format, g.Body
		}
		n.sms, err = sms.New(sc, nil)
		if err != nil {
			return nil, err
		}
	} else {
		log.Warn("sms.provider is not set: SMS notifications are queued but not sent")
	}
	return n, nil
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
