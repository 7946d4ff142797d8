package server

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/mail"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/minaengagemang/me"
	memail "github.com/minaengagemang/me/server/mail"
	"github.com/minaengagemang/me/store"
)

// mailSettings is how ME addresses the mail it writes.
type mailSettings struct {
	replyTo string // ME's own address, never a citizen's
	domain  string // for Message-IDs
}

func newMailSettings(from, replyTo string) mailSettings {
	if replyTo == "" {
		replyTo = from
	}
	domain := "minaengagemang.invalid"
	if a, err := mail.ParseAddress(from); err == nil {
		if _, d, ok := strings.Cut(a.Address, "@"); ok {
			domain = d
		}
	}
	return mailSettings{replyTo: replyTo, domain: domain}
}

// handlerMail is the e-mail that forwards a citizen's message to the case
// handler. To is left for the store to fill from the case, so the
// handler's address never passes through the portal side of ME.
func (m mailSettings) handlerMail(c me.Case, orgName, citizenName, text string) me.Mail {
	ref := c.CaseNumber
	if ref == "" {
		ref = c.ExternalID
	}
	body := fmt.Sprintf(`Hej!

%s har skrivit till dig om ärende %s (%s) via %s i Mina Engagemang:

%s

--
Meddelandet finns också som en händelse i ärendet. Svara medborgaren genom
ärendesystemet: svar på det här e-postmeddelandet når inte medborgaren.
`, citizenName, ref, c.Title.SV, orgName, text)
	return me.Mail{
		ReplyTo:   m.replyTo,
		Subject:   fmt.Sprintf("Meddelande från %s i ärende %s", citizenName, ref),
		Text:      body,
		MessageID: memail.NewMessageID(m.domain),
	}
}

// mailer sends the queued mail. It claims rows with a lease, so a mail in
// flight when ME stops is sent again after the lease, under the same
// Message-ID; a temporary failure is retried with backoff, a permanent one
// recorded with its reason.
type mailer struct {
	store  *store.Store
	sender *memail.Sender
	log    *logrus.Logger
	now    func() time.Time
}

const (
	mailLease       = 2 * time.Minute
	mailMaxAttempts = 30
)

func (m *mailer) run(ctx context.Context, interval time.Duration) {
	for {
		n := m.sendDue(ctx)
		if n > 0 {
			continue // more may be waiting
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

// sendDue sends the mail that is due and returns how many it tried.
func (m *mailer) sendDue(ctx context.Context) int {
	items, err := m.store.ClaimMail(ctx, m.now().UTC(), 20, mailLease)
	if err != nil {
		if ctx.Err() == nil {
			m.log.WithError(err).Warn("mail: claiming queued mail failed")
		}
		return 0
	}
	for _, it := range items {
		err := m.sender.Send(ctx, it.Mail)
		now := m.now().UTC()
		entry := m.log.WithFields(logrus.Fields{"mail_id": it.ID, "message_id": it.Mail.MessageID, "attempt": it.Attempts + 1})
		switch {
		case err == nil:
			if err := m.store.MailSent(ctx, it.ID, now); err != nil {
				entry.WithError(err).Error("mail: sent, but recording it failed; it may be sent again with the same Message-ID")
			} else {
				entry.Info("mail: sent")
			}
		case memail.Temporary(err) && it.Attempts+1 < mailMaxAttempts:
			retry := now.Add(backoff(it.Attempts))
			entry.WithError(err).WithField("retry_at", retry).Warn("mail: temporary failure, will retry")
			if err := m.store.MailFailed(ctx, it.ID, err.Error(), retry, false); err != nil {
				entry.WithError(err).Error("mail: recording the failure failed")
			}
		default:
			entry.WithError(err).Error("mail: failed permanently")
			if err := m.store.MailFailed(ctx, it.ID, err.Error(), now, true); err != nil {
				entry.WithError(err).Error("mail: recording the failure failed")
			}
		}
	}
	return len(items)
}

// backoff is exponential from 10 s up to an hour, with ±20 % jitter so that
// many retries do not arrive together.
func backoff(attempts int) time.Duration {
	d := 10 * time.Second << min(attempts, 9)
	d = min(d, time.Hour)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}
