package notify

import (
	"context"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/server/notify/mail"
)

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
