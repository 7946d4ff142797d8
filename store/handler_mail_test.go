package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/store"
	"github.com/minaengagemang/me/store/storetest"
)

// handlerMails returns the handler mails in the notifications queue, oldest
// first.
func handlerMails(t *testing.T, s *store.Store) []me.Notification {
	t.Helper()
	var ns []me.Notification
	for _, n := range allNotifications(t, s) {
		if n.Kind == me.NotifyHandler {
			ns = append(ns, n)
		}
	}
	return ns
}

// TestHandlerMailDoesNotCoalesce: a citizen's message to the handler is a
// notification to the handler, not to the citizen: it does not suppress the
// citizen's own notification of a later event about the same organisation.
// And it goes out through the one queue.
func TestHandlerMailDoesNotCoalesce(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		setContact(t, s, tolvan.PersonalIdentityNumber, me.NotifyBoth, "tolvan@example.se", "+46701234567")
		caseID, withMessage, _ := messageCase(t, s, "HM-1", me.Handler{Name: "Anna Lindqvist", Email: handlerEmail})
		t0 := at(3)
		m := me.Mail{Subject: "Meddelande", Text: "Hej", MessageID: "<hm1@me.example>"}
		if _, err := s.AddCitizenMessage(ctx, tolvan.PersonalIdentityNumber, malmoOnly, caseID, withMessage, "Hej", m, t0); err != nil {
			t.Fatal(err)
		}
		if hm := handlerMails(t, s); len(hm) != 1 || hm[0].State != me.NotificationPending || hm[0].OrganisationNumber != malmo.Number {
			t.Fatalf("handler mails %+v, want one pending about Malmö", hm)
		}

		// Within the window, same citizen, same organisation.
		signal(t, s, notifyingSignal(malmo.Number, "HM-2", "H1", tolvan), t0.Add(time.Minute))
		p := &planner{}
		if n := plan(t, s, t0.Add(2*time.Minute), 10, p); n != 2 {
			t.Fatalf("planned %d after a handler mail, want 2 (SMS and e-mail to Tolvan)", n)
		}
		if got, want := outboxStates(t, s), []outboxState{{"sent", ""}}; !reflect.DeepEqual(got, want) {
			t.Errorf("outbox states %v, want %v", got, want)
		}
		// Coalescing still works among the citizen's own: the next event is
		// coalesced with the notification just planned.
		signal(t, s, notifyingSignal(malmo.Number, "HM-2", "H2", tolvan), t0.Add(3*time.Minute))
		if n := plan(t, s, t0.Add(4*time.Minute), 10, p); n != 0 {
			t.Fatalf("planned %d within the window, want 0", n)
		}

		// One queue: a sender claims the handler mail with the citizen's.
		claimed := claimNotifications(t, s, t0.Add(5*time.Minute), 10)
		kinds := map[me.NotificationKind]int{}
		for _, n := range claimed {
			kinds[n.Kind]++
			if n.Kind == me.NotifyHandler && (n.To != handlerEmail || n.IdempotencyKey != m.MessageID || n.Channel != me.NotifyEmail) {
				t.Errorf("claimed handler mail %+v", n)
			}
		}
		if want := map[me.NotificationKind]int{me.NotifyHandler: 1, me.NotifyEvent: 2}; !reflect.DeepEqual(kinds, want) {
			t.Errorf("claimed kinds %v, want %v", kinds, want)
		}
		counts, _, err := s.NotificationStats(ctx, t0.Add(5*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if got := counts["email"]["sending"]; got != 2 {
			t.Errorf("email sending %d, want 2 (the handler mail counts under email)", got)
		}
	})
}

// TestMigrateHandlerMailOnExistingData applies 0006 to a database with
// 0001–0005, a notification and mail in mail_outbox: the notification is
// kept as it was, the mail becomes a handler notification in the state it
// was in, and mail_outbox is gone.
func TestMigrateHandlerMailOnExistingData(t *testing.T) {
	ctx := context.Background()
	const (
		t1 = "2025-03-01T08:30:00.000000000Z"
		t2 = "2025-03-01T09:30:00.000000000Z"
		t3 = "2025-03-01T10:30:00.000000000Z"
	)
	ts := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, driver := range storetest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			s := storetest.OpenUnmigrated(t, driver)
			if n, err := s.MigrateTo(ctx, 5); err != nil || n != 5 {
				t.Fatalf("MigrateTo(5) = %d, %v; want 5", n, err)
			}
			setup(t, s)
			exec := func(query string, args ...any) {
				t.Helper()
				if err := s.Exec(ctx, query, args...); err != nil {
					t.Fatal(err)
				}
			}
			// Two event notifications; the second is deleted, so the
			// highest id ever used (2) is above the highest there is.
			for _, key := range []string{"s-1", "s-2"} {
				exec(`INSERT INTO notifications (kind, personal_identity_number, organisation_number, channel, recipient, body, idempotency_key, state, next_attempt_at, created_at)
					VALUES ('event', ?, ?, 'sms', '+46701234567', 'Nytt', ?, 'pending', ?, ?)`,
					tolvan.PersonalIdentityNumber, malmo.Number, key, t1, t1)
			}
			exec(`DELETE FROM notifications WHERE idempotency_key = 's-2'`)
			exec(`INSERT INTO mail_outbox (message_id, recipient, reply_to, subject, body, created_at, state, attempts, next_attempt_at, last_error)
				VALUES ('<p1@me.example>', ?, 'noreply@me.example', 'Meddelande', 'Hej Anna!', ?, 'pending', 2, ?, '421 try again')`,
				handlerEmail, t1, t2)
			exec(`INSERT INTO mail_outbox (message_id, recipient, subject, body, created_at, state, next_attempt_at, sent_at)
				VALUES ('<s1@me.example>', ?, 'Skickat', 'Hej', ?, 'sent', ?, ?)`,
				handlerEmail, t1, t1, t2)

			if n, err := s.Migrate(ctx); err != nil || n != store.Migrations(driver)-5 {
				t.Fatalf("Migrate() = %d, %v; want %d", n, err, store.Migrations(driver)-5)
			}

			ns := allNotifications(t, s)
			if len(ns) != 3 {
				t.Fatalf("%d notifications after migration, want 3: %+v", len(ns), ns)
			}
			wantEvent := me.Notification{
				ID: 1, Kind: me.NotifyEvent, PersonalIdentityNumber: tolvan.PersonalIdentityNumber,
				OrganisationNumber: malmo.Number, Channel: me.NotifySMS, To: "+46701234567", Text: "Nytt",
				IdempotencyKey: "s-1", State: me.NotificationPending, NextAttempt: ts(t1), Created: ts(t1),
			}
			if !reflect.DeepEqual(ns[0], wantEvent) {
				t.Errorf("event notification after migration =\n%+v\nwant\n%+v", ns[0], wantEvent)
			}
			sent := ts(t2)
			wantMails := []me.Notification{
				{Kind: me.NotifyHandler, Channel: me.NotifyEmail, To: handlerEmail, Subject: "Meddelande", Text: "Hej Anna!",
					IdempotencyKey: "<p1@me.example>", State: me.NotificationPending, Attempts: 2, NextAttempt: ts(t2),
					LastError: "421 try again", Created: ts(t1)},
				{Kind: me.NotifyHandler, Channel: me.NotifyEmail, To: handlerEmail, Subject: "Skickat", Text: "Hej",
					IdempotencyKey: "<s1@me.example>", State: me.NotificationSent, NextAttempt: ts(t1), Created: ts(t1), Sent: &sent},
			}
			got := handlerMails(t, s)
			for i := range got {
				if got[i].ID <= 2 {
					t.Errorf("handler mail %d has id %d: an id used before is reused", i, got[i].ID)
				}
				got[i].ID = 0
			}
			if !reflect.DeepEqual(got, wantMails) {
				t.Errorf("handler mails after migration =\n%+v\nwant\n%+v", got, wantMails)
			}

			if err := s.Exec(ctx, `SELECT count(*) FROM mail_outbox`); err == nil {
				t.Error("mail_outbox still exists")
			}
			// The kind CHECK is still there, with 'handler' in it.
			if err := s.Exec(ctx, `INSERT INTO notifications (kind, personal_identity_number, organisation_number, channel, recipient, idempotency_key, next_attempt_at, created_at)
				VALUES ('bogus', '', '', 'email', 'x@example.se', 'k-bogus', ?, ?)`, t1, t1); err == nil {
				t.Error("a notification of kind bogus was inserted")
			}
			// The carried-over pending mail is sent like any other.
			claimed := claimNotifications(t, s, ts(t2), 10)
			if len(claimed) != 2 || claimed[1].IdempotencyKey != "<p1@me.example>" || claimed[1].State != me.NotificationSending {
				t.Errorf("claimed %+v, want the event notification and the pending mail", claimed)
			}
			// And new messages queue in the new way.
			caseID, withMessage, _ := messageCase(t, s, "HM-3", me.Handler{Name: "Anna Lindqvist", Email: handlerEmail})
			m := me.Mail{Subject: "Ny", Text: "Hej", MessageID: "<n1@me.example>"}
			if _, err := s.AddCitizenMessage(ctx, tolvan.PersonalIdentityNumber, malmoOnly, caseID, withMessage, "Hej", m, at(3)); err != nil {
				t.Fatal(err)
			}
			if hm := handlerMails(t, s); len(hm) != 3 || hm[2].IdempotencyKey != m.MessageID {
				t.Errorf("handler mails after a new message: %+v", hm)
			}
		})
	}
}
