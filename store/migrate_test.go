package store_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/store"
	"github.com/minaengagemang/me/store/storetest"
)

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	for _, driver := range storetest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			t.Run("twice applies nothing the second time", func(t *testing.T) {
				s := storetest.OpenUnmigrated(t, driver)
				for i, want := range []int{store.Migrations(driver), 0} {
					n, err := s.Migrate(ctx)
					if err != nil {
						t.Fatal(err)
					}
					if n != want {
						t.Fatalf("run %d: Migrate applied %d, want %d", i+1, n, want)
					}
				}
			})
			t.Run("two nodes at once apply it once", func(t *testing.T) {
				dsn := storetest.DSN(t, driver)
				var (
					wg      sync.WaitGroup
					mu      sync.Mutex
					applied int
					errs    []error
				)
				for range 2 {
					s, err := store.Open(ctx, driver, dsn)
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { s.Close() })
					wg.Go(func() {
						n, err := s.Migrate(ctx)
						mu.Lock()
						defer mu.Unlock()
						applied += n
						errs = append(errs, err)
					})
				}
				wg.Wait()
				if err := errors.Join(errs...); err != nil {
					t.Fatal(err)
				}
				if want := store.Migrations(driver); applied != want {
					t.Fatalf("applied %d migrations in total, want %d", applied, want)
				}
			})
		})
	}
}

// TestMigrateCasesOnExistingData applies 0002 to a database that has 0001
// and a citizen in it.
func TestMigrateCasesOnExistingData(t *testing.T) {
	ctx := context.Background()
	for _, driver := range storetest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			s := storetest.OpenUnmigrated(t, driver)
			if n, err := s.MigrateTo(ctx, 1); err != nil || n != 1 {
				t.Fatalf("MigrateTo(1) = %d, %v; want 1", n, err)
			}
			if err := s.Exec(ctx, `INSERT INTO organisations (number, name) VALUES (?, ?)`, malmo.Number, malmo.Name); err != nil {
				t.Fatal(err)
			}
			if err := s.Exec(ctx, `INSERT INTO citizens (personal_identity_number, name, created_at, updated_at) VALUES (?, ?, ?, ?)`,
				tolvan.PersonalIdentityNumber, "Tolvan Tolvansson", "2025-01-01T00:00:00.000000000Z", "2025-01-01T00:00:00.000000000Z"); err != nil {
				t.Fatal(err)
			}
			if n, err := s.Migrate(ctx); err != nil || n != store.Migrations(driver)-1 {
				t.Fatalf("Migrate() = %d, %v; want %d", n, err, store.Migrations(driver)-1)
			}
			want := me.Citizen{PersonalIdentityNumber: tolvan.PersonalIdentityNumber}
			if got := citizen(t, s, tolvan.PersonalIdentityNumber); !reflect.DeepEqual(got, want) {
				t.Fatalf("citizen after migration = %+v, want %+v", got, want)
			}
			record(t, s, shsMessage("tx-1"), bygglovSignal(), at(1))
			if got := citizen(t, s, tolvan.PersonalIdentityNumber); !reflect.DeepEqual(got, tolvan) {
				t.Fatalf("citizen after a signal = %+v, want %+v", got, tolvan)
			}
		})
	}
}

// recordAt records sig with today's code on a migrated store and copies
// tables into old, a store at an older version, as that version would
// have held the signal.
func recordAt(t *testing.T, old *store.Store, driver string, sig me.Signal, now time.Time, tables ...string) me.SignalReceipt {
	t.Helper()
	src := storetest.Open(t, driver)
	setup(t, src)
	r := signal(t, src, sig, now)
	if err := old.CopyRows(context.Background(), src, tables...); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestMigrateProfilesTicketsOnExistingData applies 0003 to a database with
// 0001, 0002 and a recorded signal.
func TestMigrateProfilesTicketsOnExistingData(t *testing.T) {
	ctx := context.Background()
	for _, driver := range storetest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			s := storetest.OpenUnmigrated(t, driver)
			if n, err := s.MigrateTo(ctx, 2); err != nil || n != 2 {
				t.Fatalf("MigrateTo(2) = %d, %v; want 2", n, err)
			}
			setup(t, s)
			r := recordAt(t, s, driver, bygglovSignal(), at(1), "citizens", "cases", "case_citizens", "events", "attachments", "actions")
			if n, err := s.Migrate(ctx); err != nil || n != store.Migrations(driver)-2 {
				t.Fatalf("Migrate() = %d, %v; want %d", n, err, store.Migrations(driver)-2)
			}

			if got := citizen(t, s, tolvan.PersonalIdentityNumber); !reflect.DeepEqual(got, tolvan) {
				t.Errorf("Citizen after migration = %+v, want %+v", got, tolvan)
			}
			want := me.DefaultProfile(tolvan.PersonalIdentityNumber)
			want.GivenName, want.Surname, want.Address, want.Updated = tolvan.GivenName, tolvan.Surname, tolvan.Address, stored(at(1))
			if got := profile(t, s, tolvan.PersonalIdentityNumber); !reflect.DeepEqual(got, want) {
				t.Errorf("profile after migration =\n%+v\nwant\n%+v", got, want)
			}
			if n, err := s.CountTickets(ctx); err != nil || n != 0 {
				t.Errorf("CountTickets() = %d, %v; want 0", n, err)
			}

			// The old case can be completed.
			events := eventsOf(t, s, r.CaseID)
			if _, err := s.CompleteAction(ctx, r.CaseID, events[0].Actions[2].ID, me.Event{Title: me.LocalizedText{SV: "Komplettering"}}, at(2)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestMigratePortalOnExistingData applies 0004 to a database with a case.
func TestMigratePortalOnExistingData(t *testing.T) {
	ctx := context.Background()
	for _, driver := range storetest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			s := storetest.OpenUnmigrated(t, driver)
			if _, err := s.MigrateTo(ctx, 3); err != nil {
				t.Fatal(err)
			}
			setup(t, s)
			r := recordAt(t, s, driver, bygglovSignal(), at(1), "citizens", "cases", "case_citizens", "events", "attachments", "actions")
			if _, err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			got := list(t, s, me.CaseFilter{})
			if len(got) != 1 || got[0].ID != r.CaseID || got[0].Archived || got[0].UnreadEvents != 1 || !got[0].Updated.Equal(stored(at(1))) {
				t.Fatalf("cases after migration: %+v", got)
			}
		})
	}
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
			s, exec := oldSchema(t, driver, 5)
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

// TestMigrateEventAuthorOnExistingData applies 0008 to a database with
// 0001–0006 and a case with a case system's event, a citizen's message
// (read by its sender when written, with no portal client, and later by
// the other citizen on a portal) and a completion: the message gets its
// sender as author; the others get none.
func TestMigrateEventAuthorOnExistingData(t *testing.T) {
	ctx := context.Background()
	const t1, t2, t3 = "2025-03-01T08:30:00.000000000Z", "2025-03-01T09:30:00.000000000Z", "2025-03-01T10:30:00.000000000Z"
	for _, driver := range storetest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			s, exec := oldSchema(t, driver, 6)
			exec(`INSERT INTO cases (id, organisation_number, external_id, title_sv, status, created_at, updated_at)
				VALUES ('cold', ?, 'OLD-1', 'Gammalt', 'closed', ?, ?)`, malmo.Number, t1, t3)
			for _, e := range []struct {
				id, externalID string
				fromCitizen    bool
				at             string
			}{{"ecase", "H1", false, t1}, {"emessage", "", true, t2}, {"ecompletion", "", true, t3}} {
				exec(`INSERT INTO events (id, case_id, external_id, time, title_sv, notify, from_citizen, created_at)
					VALUES (?, 'cold', ?, ?, 'Händelse', ?, ?, ?)`, e.id, e.externalID, e.at, !e.fromCitizen, e.fromCitizen, e.at)
			}
			exec(`INSERT INTO event_reads (event_id, personal_identity_number, read_at, client) VALUES ('ecase', ?, ?, 'portal-a')`, tolvan.PersonalIdentityNumber, t2)
			exec(`INSERT INTO event_reads (event_id, personal_identity_number, read_at) VALUES ('emessage', ?, ?)`, asa.PersonalIdentityNumber, t2)
			exec(`INSERT INTO event_reads (event_id, personal_identity_number, read_at, client) VALUES ('emessage', ?, ?, 'portal-a')`, tolvan.PersonalIdentityNumber, t3)

			if n, err := s.Migrate(ctx); err != nil || n != store.Migrations(driver)-6 {
				t.Fatalf("Migrate() = %d, %v; want %d", n, err, store.Migrations(driver)-6)
			}
			for id, want := range map[string]string{"ecase": "", "emessage": asa.PersonalIdentityNumber, "ecompletion": ""} {
				if _, ev, err := s.EventWithCase(ctx, id); err != nil || ev.Author != want {
					t.Errorf("event %s after migration: author %q, %v; want %q", id, ev.Author, err, want)
				}
			}
		})
	}
}

// oldSchema opens a store with the migrations up to and including version
// last and the test organisations, and returns it with a function that
// runs a statement on it (? placeholders) or fails the test.
func oldSchema(t *testing.T, driver string, last int) (*store.Store, func(query string, args ...any)) {
	t.Helper()
	ctx := context.Background()
	s := storetest.OpenUnmigrated(t, driver)
	if n, err := s.MigrateTo(ctx, last); err != nil || n != last {
		t.Fatalf("MigrateTo(%d) = %d, %v; want %d", last, n, err, last)
	}
	setup(t, s)
	return s, func(query string, args ...any) {
		t.Helper()
		if err := s.Exec(ctx, query, args...); err != nil {
			t.Fatal(err)
		}
	}
}
