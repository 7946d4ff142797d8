package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/store"
)

// replyCase is a case with a citizen's message whose handler mail carries
// a reply address; it returns the case, the message event and the token.
func replyCase(t *testing.T, s *store.Store, externalID string, expires time.Time) (caseID, messageID, token string) {
	t.Helper()
	caseID, withMessage, _ := messageCase(t, s, externalID, me.Handler{Name: "Anna Lindqvist", Email: handlerEmail})
	token = me.NewReplyToken()
	m := me.Mail{ReplyTo: "svar+" + token + "@svar.example", Subject: "Meddelande", Text: "Hej", MessageID: "<" + externalID + "@me.example>",
		ReplyToken: token, ReplyExpires: expires}
	ev, err := s.AddCitizenMessage(context.Background(), tolvan.PersonalIdentityNumber, malmoOnly, caseID, withMessage, "Hej Anna", m, at(3))
	if err != nil {
		t.Fatal(err)
	}
	return caseID, ev.ID, token
}

func TestReplyAddress(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		caseID, messageID, token := replyCase(t, s, "R-1", at(10))

		// The handler mail is queued with its own Reply-To.
		hm := handlerMails(t, s)
		if len(hm) != 1 || hm[0].ReplyTo != "svar+"+token+"@svar.example" {
			t.Fatalf("handler mails %+v; want one with the reply address", hm)
		}
		a, err := s.ReplyAddress(ctx, token, at(4))
		want := me.ReplyAddress{CaseID: caseID, OrganisationNumber: malmo.Number, EventID: messageID, HandlerEmail: handlerEmail, Expires: stored(at(10))}
		if err != nil || a != want {
			t.Errorf("ReplyAddress = %+v, %v; want %+v", a, err, want)
		}
		// Upper case (a mail system's doing) is the same token.
		if _, err := s.ReplyAddress(ctx, string(toUpper(token)), at(4)); err != nil {
			t.Errorf("upper-cased token: %v", err)
		}
		altered := []byte(token)
		altered[5] ^= 1
		for name, tc := range map[string]struct {
			token string
			now   time.Time
			want  error
		}{
			"unknown": {me.NewReplyToken(), at(4), me.ErrNotFound},
			"altered": {string(altered), at(4), me.ErrNotFound},
			"empty":   {"", at(4), me.ErrNotFound},
			"expired": {token, at(10), store.ErrReplyExpired},
		} {
			if _, err := s.ReplyAddress(ctx, tc.token, tc.now); !errors.Is(err, tc.want) {
				t.Errorf("%s: err = %v, want %v", name, err, tc.want)
			}
		}
		// Only the hash is kept.
		var n int
		if err := s.Get(ctx, &n, `SELECT count(*) FROM reply_addresses WHERE token_hash = ?`, token); err != nil || n != 0 {
			t.Errorf("the token itself is stored (%d rows, %v)", n, err)
		}
		if k, err := s.PurgeReplyAddresses(ctx, at(11)); err != nil || k != 1 {
			t.Errorf("PurgeReplyAddresses = %d, %v; want 1", k, err)
		}
		if _, err := s.ReplyAddress(ctx, token, at(4)); !errors.Is(err, me.ErrNotFound) {
			t.Errorf("after purge: %v", err)
		}
	})
}

func toUpper(s string) []byte {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return b
}

func TestRecordReply(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		caseID, _, token := replyCase(t, s, "R-2", at(10))
		before := len(eventsOf(t, s, caseID))
		r := me.Reply{Token: token, MessageID: "<reply-1@kommun.example>", EnvelopeFrom: handlerEmail, HeaderFrom: "Anna <" + handlerEmail + ">",
			Subject: "Sv: Meddelande", Text: "Hej Tolvan!", Raw: []byte("From: Anna\r\n\r\nHej Tolvan!\r\n> Hej\r\n"),
			Attachments: []me.Attachment{{FileName: "ritning.pdf", MediaType: "application/pdf", Content: []byte("%PDF-1.4")}}}
		ev, err := s.RecordReply(ctx, r, at(4))
		if err != nil {
			t.Fatal(err)
		}
		events := eventsOf(t, s, caseID)
		if len(events) != before+1 {
			t.Fatalf("%d events, want %d", len(events), before+1)
		}
		got := events[len(events)-1]
		if got.ID != ev.ID || !got.FromHandler || got.FromCitizen || !got.Notify || got.Text.SV != "Hej Tolvan!" ||
			got.Title.SV != "Svar från handläggaren" || got.Title.EN != "Reply from the case handler" {
			t.Errorf("reply event %+v", got)
		}
		if len(got.Attachments) != 1 || string(got.Attachments[0].Content) != "%PDF-1.4" || len(got.Actions) != 2 ||
			got.Actions[0].Type != me.ActionDownload || got.Actions[0].AttachmentID != got.Attachments[0].ID ||
			got.Actions[1].Type != me.ActionMessage || got.Actions[1].State != me.ActionAvailable {
			t.Errorf("reply attachments %+v actions %+v", got.Attachments, got.Actions)
		}
		// Both citizens of the case are to be notified.
		outbox, err := s.Outbox(ctx)
		if err != nil {
			t.Fatal(err)
		}
		notified := 0
		for _, o := range outbox {
			if o.EventID == ev.ID {
				notified++
			}
		}
		if notified != 2 {
			t.Errorf("%d outbox rows for the reply, want 2", notified)
		}
		// The citizen can answer the reply: its message action works.
		token2 := me.NewReplyToken()
		m := me.Mail{Subject: "Igen", Text: "Tack", MessageID: "<again@me.example>", ReplyTo: "svar+" + token2 + "@svar.example", ReplyToken: token2, ReplyExpires: at(10)}
		if _, err := s.AddCitizenMessage(ctx, tolvan.PersonalIdentityNumber, malmoOnly, caseID, ev.ID, "Tack", m, at(5)); err != nil {
			t.Errorf("answering the reply: %v", err)
		}

		// Exactly once per Message-ID.
		if _, err := s.RecordReply(ctx, r, at(5)); !errors.Is(err, store.ErrDuplicateReply) {
			t.Errorf("redelivered: err = %v, want ErrDuplicateReply", err)
		}
		if n := len(eventsOf(t, s, caseID)); n != before+2 {
			t.Errorf("%d events after the redelivery, want %d", n, before+2)
		}
		// Expired or unknown: nothing.
		r2 := r
		r2.MessageID = "<reply-2@kommun.example>"
		if _, err := s.RecordReply(ctx, r2, at(10)); !errors.Is(err, store.ErrReplyExpired) {
			t.Errorf("expired: err = %v", err)
		}
		r2.Token = me.NewReplyToken()
		if _, err := s.RecordReply(ctx, r2, at(5)); !errors.Is(err, me.ErrNotFound) {
			t.Errorf("unknown: err = %v", err)
		}

		// Refused mail is listed with its reason; the accepted with its case.
		if err := s.RecordInbound(ctx, me.InboundMail{Outcome: me.InboundRejected, Reason: "sender not the case handler", MessageID: "<x@evil.example>",
			EnvelopeFrom: "evil@evil.example", CaseID: caseID, OrganisationNumber: malmo.Number, Raw: []byte("x")}, at(6)); err != nil {
			t.Fatal(err)
		}
		refused, err := s.InboundMails(ctx, true, 10)
		if err != nil || len(refused) != 1 || refused[0].Reason != "sender not the case handler" || refused[0].Outcome != me.InboundRejected {
			t.Errorf("InboundMails(refused) = %+v, %v", refused, err)
		}
		all, err := s.InboundMails(ctx, false, 10)
		if err != nil || len(all) != 2 || all[1].EventID != ev.ID || all[1].Raw != nil {
			t.Errorf("InboundMails = %+v, %v", all, err)
		}
		stats, err := s.InboundStats(ctx)
		if err != nil || stats[me.InboundAccepted] != 1 || stats[me.InboundRejected] != 1 {
			t.Errorf("InboundStats = %v, %v", stats, err)
		}
		// The case system's list: the accepted reply, with its original.
		list, err := s.HandlerReplies(ctx, malmo.Number, 0, 10)
		if err != nil || len(list) != 1 || list[0].CaseExternalID != "R-2" || list[0].EventID != ev.ID {
			t.Fatalf("HandlerReplies = %+v, %v", list, err)
		}
		if more, _ := s.HandlerReplies(ctx, malmo.Number, list[0].ID, 10); len(more) != 0 {
			t.Errorf("after the last: %+v", more)
		}
		if other, _ := s.HandlerReplies(ctx, goteborg.Number, 0, 10); len(other) != 0 {
			t.Errorf("another organisation's list: %+v", other)
		}
		if raw, err := s.HandlerReplyOriginal(ctx, malmo.Number, list[0].ID); err != nil || string(raw) != string(r.Raw) {
			t.Errorf("original = %q, %v", raw, err)
		}
		if _, err := s.HandlerReplyOriginal(ctx, goteborg.Number, list[0].ID); !errors.Is(err, me.ErrNotFound) {
			t.Errorf("another organisation's original: %v", err)
		}
	})
}

// TestHandlerMail: `me mail reply` finds the newest handler mail with a
// reply address, or the one with a given address (in any case); none, or
// an unknown address, is not found.
func TestHandlerMail(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		if _, err := s.HandlerMail(ctx, ""); !errors.Is(err, me.ErrNotFound) {
			t.Errorf("no handler mail: err = %v, want not found", err)
		}
		_, _, first := replyCase(t, s, "R-HM-1", at(10))
		_, _, second := replyCase(t, s, "R-HM-2", at(10))
		for _, tc := range []struct {
			name, replyTo, want string
		}{
			{"newest", "", second},
			{"by address", "svar+" + first + "@svar.example", first},
			{"by address in upper case", "SVAR+" + string(toUpper(first)) + "@SVAR.EXAMPLE", first},
		} {
			n, err := s.HandlerMail(ctx, tc.replyTo)
			if err != nil || n.Kind != me.NotifyHandler || n.ReplyTo != "svar+"+tc.want+"@svar.example" || n.To != handlerEmail ||
				n.IdempotencyKey == "" || n.Text != "Hej" {
				t.Errorf("%s: HandlerMail = %+v, %v; want the mail with the reply address of token %s", tc.name, n, err, tc.want)
			}
		}
		if _, err := s.HandlerMail(ctx, "svar+"+me.NewReplyToken()+"@svar.example"); !errors.Is(err, me.ErrNotFound) {
			t.Errorf("unknown address: err = %v, want not found", err)
		}
	})
}
