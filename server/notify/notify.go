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
	"context"
	"errors"
	"fmt"
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
	Quiet         QuietHours    // no SMS then
	Texts         *Texts
	SMSSender     string // the sender name on every SMS
	Addressing    Addressing
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
	return &Notifier{cfg: cfg, store: st, organisations: byNumber, email: email, sms: gateway, log: log, now: now}
}

// Run plans and delivers until ctx is done.
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
	}
	return len(items)
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
		err := n.sms.Send(ctx, me.SMS{To: it.To, From: n.cfg.SMSSender, Text: it.Text, Reference: it.IdempotencyKey})
		return err, err != nil && sms.Temporary(err)
	case me.NotifyEmail:
		if n.email == nil {
			return fmt.Errorf("no mail server is configured (smtp.host)"), true
		}
		m := me.Mail{To: it.To, Subject: it.Subject, Text: it.Text, MessageID: it.IdempotencyKey}
		if it.Kind == me.NotifyHandler {
			// A citizen's message to the case handler: replies go to ME.
			m.ReplyTo = n.cfg.Addressing.ReplyTo
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
