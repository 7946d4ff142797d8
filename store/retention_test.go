package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/store"
	"github.com/minaengagemang/me/store/storetest"
)

// The retention of the purge tests: Malmö keeps little, Göteborg keeps
// everything, the rest (rows of no stored organisation) the default.
var (
	purgeNow    = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	purgeOld    = purgeNow.AddDate(0, 0, -60)  // past Malmö's rules
	purgeOldest = purgeNow.AddDate(0, 0, -120) // past Malmö's tx.id window and the default audit rule
	purgeRecent = purgeNow.AddDate(0, 0, -1)

	purgePolicy = me.RetentionPolicy{
		Default: me.Retention{CasesAfterClosing: 24, SHSMessages: 100, SHSTxIDs: 365, Notifications: 100, Audit: 3},
		Organisations: map[string]me.Retention{
			malmo.Number:    {CasesAfterClosing: 1, SHSMessages: 7, SHSTxIDs: 90, Notifications: 30, Audit: 1},
			goteborg.Number: {},
		},
	}
	purgeClients = []me.Client{
		{Name: "malmo-portal", OrganisationNumber: malmo.Number, Role: me.RolePortal, SecretHash: "x"},
		{Name: "goteborg-portal", OrganisationNumber: goteborg.Number, Role: me.RolePortal, SecretHash: "x"},
	}
)

// purgeSignal records sig at now as an SHS message to the case's
// organisation with tx.id txID.
func purgeSignal(t *testing.T, s *store.Store, txID string, sig me.Signal, now time.Time) me.SignalReceipt {
	t.Helper()
	msg := shsMessage(txID)
	msg.From, msg.To = sig.Case.OrganisationNumber, sig.Case.OrganisationNumber
	return record(t, s, msg, sig, now)
}

func event(id string, notify bool, actions ...me.Action) me.Event {
	return me.Event{ExternalID: id, Time: purgeOld, Title: me.LocalizedText{SV: "Händelse " + id}, Notify: notify, Actions: actions}
}

func count(t *testing.T, s *store.Store, table, where string, args ...any) int {
	t.Helper()
	n, err := s.Count(context.Background(), table, where, args...)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// tableCounts is how many rows each table holds.
func tableCounts(t *testing.T, s *store.Store) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"cases", "case_citizens", "events", "attachments", "actions", "event_reads", "reminders",
		"outbox", "shs_messages", "shs_rejections", "inbound_mail", "notifications", "audit_log", "citizens"} {
		out[table] = count(t, s, table, "")
	}
	out["shs_messages.raw"] = count(t, s, "shs_messages", "raw_purged_at IS NULL")
	return out
}

// purgeFixture stores, for Malmö, Göteborg and no organisation, rows past
// their time and rows not, and returns the ids of the cases that stay.
func purgeFixture(t *testing.T, s *store.Store) (keep []string) {
	t.Helper()
	ctx := context.Background()
	setup(t, s)
	if err := s.SyncClients(ctx, purgeClients); err != nil {
		t.Fatal(err)
	}
	// Malmö: A closed 60 days ago, with attachments, actions, reads and a
	// reminder; D closed and archived 60 days ago: both go.
	a := bygglovSignal()
	a.Case.ExternalID, a.Case.Status = "A", me.CaseClosed
	a.Event.Time = purgeOld
	ra := purgeSignal(t, s, "tx-a1", a, purgeOld)
	purgeSignal(t, s, "tx-a2", caseSignal("A", me.CaseClosed, []me.Citizen{tolvan}, event("A2", false)), purgeOld)
	if _, err := s.MarkEventRead(ctx, tolvan.PersonalIdentityNumber, malmoOnly, ra.EventID, "malmo-portal", purgeOld); err != nil {
		t.Fatal(err)
	}
	if err := s.Exec(ctx, `INSERT INTO reminders (event_id, personal_identity_number, created_at) VALUES (?, ?, ?)`,
		ra.EventID, tolvan.PersonalIdentityNumber, purgeOld.Format(dbTimeFormat)); err != nil {
		t.Fatal(err)
	}
	rd := purgeSignal(t, s, "tx-d", caseSignal("D", me.CaseClosed, []me.Citizen{tolvan}, event("D1", false, me.Action{Type: me.ActionArchive})), purgeOld)
	if _, err := s.ArchiveCase(ctx, tolvan.PersonalIdentityNumber, malmoOnly, rd.CaseID, purgeOld); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkEventRead(ctx, tolvan.PersonalIdentityNumber, malmoOnly, rd.EventID, "malmo-portal", purgeOld); err != nil {
		t.Fatal(err)
	}
	// Malmö: B open since 120 days, C closed yesterday: both stay. B's
	// first message is past the tx.id window; its outbox row is sent.
	rb := purgeSignal(t, s, "tx-b1", caseSignal("B", me.CaseInProgress, []me.Citizen{tolvan}, event("B1", false)), purgeOldest)
	purgeSignal(t, s, "tx-b2", caseSignal("B", me.CaseInProgress, []me.Citizen{tolvan}, event("B2", true)), purgeOld)
	if err := s.Exec(ctx, `UPDATE outbox SET state = 'sent' WHERE case_id = ?`, rb.CaseID); err != nil {
		t.Fatal(err)
	}
	rc := purgeSignal(t, s, "tx-c", caseSignal("C", me.CaseClosed, []me.Citizen{tolvan}, event("C1", false)), purgeRecent)
	// Göteborg keeps everything.
	g := caseSignal("G", me.CaseClosed, []me.Citizen{tolvan}, event("G1", true))
	g.Case.OrganisationNumber = goteborg.Number
	rg := purgeSignal(t, s, "tx-g", g, purgeOld)
	if err := s.Exec(ctx, `UPDATE outbox SET state = 'sent' WHERE case_id = ?`, rg.CaseID); err != nil {
		t.Fatal(err)
	}

	for _, r := range []me.Rejection{
		{Received: purgeOld, Client: "malmo-portal", Code: "X", Reason: "goes"},
		{Received: purgeRecent, Client: "malmo-portal", Code: "X", Reason: "stays: recent"},
		{Received: purgeOld, Client: "goteborg-portal", Code: "X", Reason: "stays: Göteborg"},
		{Received: purgeOld, Client: "gone", Code: "X", Reason: "stays: the default's 100 days"},
	} {
		if _, err := s.RecordRejection(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	// Inbound mail (the handlers' replies) goes by the raw messages' rule.
	for _, m := range []me.InboundMail{
		{Outcome: me.InboundRejected, Reason: "goes", OrganisationNumber: malmo.Number, Received: purgeOld, Raw: []byte("x")},
		{Outcome: me.InboundDropped, Reason: "stays: recent", OrganisationNumber: malmo.Number, Received: purgeRecent, Raw: []byte("x")},
		{Outcome: me.InboundRejected, Reason: "stays: Göteborg", OrganisationNumber: goteborg.Number, Received: purgeOld, Raw: []byte("x")},
	} {
		if err := s.RecordInbound(ctx, m, m.Received); err != nil {
			t.Fatal(err)
		}
	}
	for i, n := range []struct {
		org, state string
		created    time.Time
	}{
		{malmo.Number, "sent", purgeOld},       // goes
		{malmo.Number, "failed", purgeOld},     // goes
		{malmo.Number, "pending", purgeOld},    // stays: not sent yet
		{malmo.Number, "sent", purgeRecent},    // stays
		{goteborg.Number, "sent", purgeOldest}, // stays
		{"", "sent", purgeOldest},              // goes by the default
		{"", "failed", purgeOld},               // stays: the default's 100 days
	} {
		if err := s.Exec(ctx, `INSERT INTO notifications (kind, personal_identity_number, organisation_number, channel, recipient,
				idempotency_key, state, next_attempt_at, created_at) VALUES ('event', ?, ?, 'sms', '+46701234567', ?, ?, ?, ?)`,
			tolvan.PersonalIdentityNumber, n.org, fmt.Sprintf("key-%d", i), n.state,
			n.created.Format(dbTimeFormat), n.created.Format(dbTimeFormat)); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range []me.AuditEntry{
		{Time: purgeOld, Client: "malmo-portal", Operation: "GetCase"},       // goes
		{Time: purgeRecent, Client: "malmo-portal", Operation: "GetCase"},    // stays
		{Time: purgeOldest, Client: "goteborg-portal", Operation: "GetCase"}, // stays
		{Time: purgeOldest, Client: "gone", Operation: "GetCase"},            // goes by the default
		{Time: purgeOld, Client: "gone", Operation: "GetCase"},               // stays: the default's 3 months
	} {
		e.PersonalIdentityNumber = tolvan.PersonalIdentityNumber
		if err := s.Audit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	return []string{rb.CaseID, rc.CaseID, rg.CaseID}
}

// purgeWant is what the purge removes from purgeFixture.
var purgeWant = []store.PurgeCount{
	{Organisation: malmo.Number, Table: "cases", Rows: 2},
	{Organisation: malmo.Number, Table: "case_citizens", Rows: 3},
	{Organisation: malmo.Number, Table: "events", Rows: 3},
	{Organisation: malmo.Number, Table: "attachments", Rows: 2},
	{Organisation: malmo.Number, Table: "actions", Rows: 5},
	{Organisation: malmo.Number, Table: "event_reads", Rows: 2},
	{Organisation: malmo.Number, Table: "reminders", Rows: 1},
	{Organisation: malmo.Number, Table: "outbox", Rows: 3},
	{Organisation: malmo.Number, Table: "shs_messages.raw", Rows: 5},
	{Organisation: malmo.Number, Table: "shs_messages", Rows: 1},
	{Organisation: malmo.Number, Table: "shs_rejections", Rows: 1},
	{Organisation: malmo.Number, Table: "inbound_mail", Rows: 1},
	{Organisation: malmo.Number, Table: "notifications", Rows: 2},
	{Organisation: "", Table: "notifications", Rows: 1},
	{Organisation: malmo.Number, Table: "audit_log", Rows: 1},
	{Organisation: "", Table: "audit_log", Rows: 1},
}

func TestPurge(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		keep := purgeFixture(t, s)
		before := tableCounts(t, s)

		dry, err := s.Purge(ctx, store.PurgeOptions{Policy: purgePolicy, Now: purgeNow, DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(dry.Counts, purgeWant) {
			t.Errorf("dry run reports\n%v\nwant\n%v", dry.Counts, purgeWant)
		}
		if got := tableCounts(t, s); !reflect.DeepEqual(got, before) {
			t.Fatalf("the dry run changed the tables: %v, before %v", got, before)
		}

		// One row of a kind per transaction: the same rows go.
		got, err := s.Purge(ctx, store.PurgeOptions{Policy: purgePolicy, Now: purgeNow, Batch: 1})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Counts, purgeWant) {
			t.Errorf("purge reports\n%v\nwant\n%v", got.Counts, purgeWant)
		}
		if got.Transactions <= dry.Transactions {
			t.Errorf("a purge in batches of 1 took %d transactions, one in batches of 500 %d: not batched", got.Transactions, dry.Transactions)
		}
		after := tableCounts(t, s)
		for _, c := range purgeWant {
			before[c.Table] -= int(c.Rows)
		}
		if !reflect.DeepEqual(after, before) {
			t.Errorf("after the purge the tables hold %v, want %v", after, before)
		}
		for _, id := range keep {
			if _, err := s.CaseByID(ctx, id); err != nil {
				t.Errorf("case %s that is not past its time: %v", id, err)
			}
			if n := count(t, s, "events", "case_id = ?", id); n == 0 {
				t.Errorf("case %s kept no events", id)
			}
		}
		if n := count(t, s, "citizens", ""); n != 2 {
			t.Errorf("%d citizens, want 2: the purge does not erase citizens", n)
		}

		again, err := s.Purge(ctx, store.PurgeOptions{Policy: purgePolicy, Now: purgeNow})
		if err != nil {
			t.Fatal(err)
		}
		if len(again.Counts) != 0 {
			t.Errorf("a second purge removed %v, want nothing", again.Counts)
		}
	})
}

// A message whose payload went is still answered as a duplicate within the
// tx.id window, with the first arrival's receipt; past the window it is a
// new message.
func TestPurgeKeepsTxIDs(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		purgeFixture(t, s)
		first, err := s.SHSReceipt(ctx, "tx-d")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Purge(ctx, store.PurgeOptions{Policy: purgePolicy, Now: purgeNow}); err != nil {
			t.Fatal(err)
		}
		msg, err := s.SHSMessage(ctx, "tx-d")
		if err != nil {
			t.Fatal(err)
		}
		if len(msg.Raw) != 0 {
			t.Errorf("the payload of tx-d is kept: %q", msg.Raw)
		}
		resend := shsMessage("tx-d")
		resend.From, resend.To = malmo.Number, malmo.Number
		sig := caseSignal("D", me.CaseClosed, []me.Citizen{tolvan}, event("D1", false, me.Action{Type: me.ActionArchive}))
		r, err := s.RecordSignal(ctx, resend, sig, purgeNow)
		if err != nil {
			t.Fatal(err)
		}
		first.Duplicate = true
		if !reflect.DeepEqual(r, first) {
			t.Errorf("the resend of a purged message is answered\n%+v\nwant the first arrival's\n%+v", r, first)
		}
		if _, err := s.CaseByExternalID(ctx, malmo.Number, "D"); !errors.Is(err, me.ErrNotFound) {
			t.Errorf("the resend of a purged message made its case again: %v", err)
		}
		// tx-b1 arrived 120 days ago, past Malmö's 90 days.
		if _, err := s.SHSReceipt(ctx, "tx-b1"); !errors.Is(err, me.ErrNotFound) {
			t.Errorf("SHSReceipt(tx-b1) past the tx.id window = %v, want not found", err)
		}
		if _, err := s.SHSReceipt(ctx, "tx-g"); err != nil {
			t.Errorf("Göteborg's message: %v", err)
		}
	})
}

// Signals and portal reads are served while a purge runs in small
// batches, and the purge removes exactly the cases past their time.
func TestPurgeWhileServing(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		setup(t, s)
		const old = 40
		for i := range old {
			sig := caseSignal(fmt.Sprintf("old-%d", i), me.CaseClosed, []me.Citizen{asa}, event(fmt.Sprintf("old-%d", i), true))
			purgeSignal(t, s, fmt.Sprintf("tx-old-%d", i), sig, purgeOld)
		}
		live := purgeSignal(t, s, "tx-live", caseSignal("live", me.CaseInProgress, []me.Citizen{tolvan}, event("live-0", true)), purgeRecent)

		var (
			wg       sync.WaitGroup
			stop     atomic.Bool
			signals  atomic.Int64
			reads    atomic.Int64
			errMu    sync.Mutex
			firstErr error
		)
		fail := func(err error) {
			errMu.Lock()
			defer errMu.Unlock()
			if firstErr == nil {
				firstErr = err
			}
		}
		wg.Add(3)
		go func() { // a case system
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				msg := shsMessage(fmt.Sprintf("tx-new-%d", i))
				msg.From, msg.To = malmo.Number, malmo.Number
				sig := caseSignal(fmt.Sprintf("new-%d", i%5), me.CaseClosed, []me.Citizen{tolvan}, event(fmt.Sprintf("new-%d", i), true))
				if _, err := s.RecordSignal(ctx, msg, sig, purgeNow); err != nil {
					fail(fmt.Errorf("signal %d: %w", i, err))
					return
				}
				signals.Add(1)
			}
		}()
		for range 2 { // portals
			go func() {
				defer wg.Done()
				for !stop.Load() {
					if _, err := s.CaseView(ctx, tolvan.PersonalIdentityNumber, malmoOnly, live.CaseID); err != nil {
						fail(fmt.Errorf("read: %w", err))
						return
					}
					if _, _, err := s.ListCases(ctx, me.CaseFilter{PersonalIdentityNumber: tolvan.PersonalIdentityNumber,
						Organisations: malmoOnly, PageSize: 20}); err != nil {
						fail(fmt.Errorf("list: %w", err))
						return
					}
					reads.Add(1)
				}
			}()
		}
		report, err := s.Purge(ctx, store.PurgeOptions{Policy: purgePolicy, Now: purgeNow, Batch: 3, Pause: time.Millisecond})
		stop.Store(true)
		wg.Wait()
		if err != nil {
			t.Fatal(err)
		}
		if firstErr != nil {
			t.Fatalf("the foreground failed while purging: %v", firstErr)
		}
		if signals.Load() == 0 || reads.Load() == 0 {
			t.Errorf("while purging %d signals and %d reads were served; want some of each", signals.Load(), reads.Load())
		}
		var cases int64
		for _, c := range report.Counts {
			if c.Table == "cases" {
				cases += c.Rows
			}
		}
		if cases != old {
			t.Errorf("purged %d cases, want the %d old ones: %v", cases, old, report.Counts)
		}
		if n := count(t, s, "cases", "external_id LIKE 'old-%'"); n != 0 {
			t.Errorf("%d old cases left", n)
		}
		if n := count(t, s, "cases", "external_id NOT LIKE 'old-%'"); n != 1+min(5, int(signals.Load())) {
			t.Errorf("%d newer cases left, want %d", n, 1+min(5, int(signals.Load())))
		}
		if n := count(t, s, "events", "case_id IN (SELECT id FROM cases WHERE external_id LIKE 'new-%')"); n != int(signals.Load()) {
			t.Errorf("%d events of signals received while purging, want %d", n, signals.Load())
		}
	})
}

// One node purges a PostgreSQL database at a time; a dry run needs no
// lock.
func TestPurgeLock(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t, store.DriverPostgres)
	s := storetest.OpenAt(t, store.DriverPostgres, dsn)
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, store.PurgeLockKey); err != nil {
		t.Fatal(err)
	}
	opts := store.PurgeOptions{Policy: purgePolicy, Now: purgeNow}
	if _, err := s.Purge(ctx, opts); !errors.Is(err, store.ErrPurgeRunning) {
		t.Errorf("Purge while another holds the lock = %v, want ErrPurgeRunning", err)
	}
	opts.DryRun = true
	if _, err := s.Purge(ctx, opts); err != nil {
		t.Errorf("dry run while another holds the lock: %v", err)
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, store.PurgeLockKey); err != nil {
		t.Fatal(err)
	}
	opts.DryRun = false
	if _, err := s.Purge(ctx, opts); err != nil {
		t.Errorf("Purge once the lock is free: %v", err)
	}
}

// dbTimeFormat is how the store writes times, for rows written by SQL.
const dbTimeFormat = "2006-01-02T15:04:05.000000000Z07:00"
