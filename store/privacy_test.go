package store_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"maps"
	"reflect"
	"testing"
	"time"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/store"
)

// Tolvan's contact details in the privacy tests: nothing but the profile
// and the notifications sent to them holds these.
const (
	tolvanEmail  = "tolvan.privat@exempel.se"
	tolvanMobile = "+46709998877"
	tolvanStreet = "Hemligvägen 9"
)

// privacyCase is what privacySetup recorded.
type privacyCase struct {
	shared, own, asaOnly string // case ids: Tolvan and Åsa's, Tolvan's, Åsa's
	message              string // Tolvan's message event on the shared case
	readByAsa            string // an event of the shared case Åsa read and Tolvan did not
}

// privacySetup records, at Malmö: a case of Tolvan and Åsa on which Tolvan
// writes to the handler, a case of Tolvan's alone with an open completion
// that reminds them, and a case of Åsa's alone; both citizens' profiles,
// the notifications planned for them, reads by each, tickets (one of
// Tolvan's used) and audit entries.
func privacySetup(t *testing.T, s *store.Store) privacyCase {
	t.Helper()
	ctx := context.Background()
	setup(t, s)
	var pc privacyCase
	var withMessage string
	pc.shared, withMessage, pc.readByAsa = messageCase(t, s, "P-1", me.Handler{Name: "Anna Lindqvist", Email: handlerEmail})
	own := caseSignal("P-2", me.CaseAwaitingCitizen, []me.Citizen{tolvan}, me.Event{ExternalID: "1", Time: at(1), Notify: true,
		Title: me.LocalizedText{SV: "Komplettera"}, Actions: []me.Action{{Type: me.ActionComplete, EServiceID: "kp", EServiceOrganisation: malmo.Number}}})
	pc.own = signal(t, s, own, at(2)).CaseID
	pc.asaOnly = signal(t, s, notifyingSignal(malmo.Number, "P-3", "1", asa), at(1)).CaseID

	if _, err := s.PutCitizenProfile(ctx, me.CitizenProfile{PersonalIdentityNumber: tolvan.PersonalIdentityNumber, GivenName: "Tolvan", Surname: "Tolvansson",
		Address: &me.PostalAddress{Street: tolvanStreet, PostalCode: "123 45", City: "Ekby"},
		Email:   tolvanEmail, Mobile: tolvanMobile, Channel: me.NotifyBoth}, at(2)); err != nil {
		t.Fatal(err)
	}
	setContact(t, s, asa.PersonalIdentityNumber, me.NotifyBoth, "asa@exempel.se", "+46701112233")
	ev, err := s.AddCitizenMessage(ctx, tolvan.PersonalIdentityNumber, malmoOnly, pc.shared, withMessage, "Hej Anna! Mvh Tolvan",
		me.Mail{Subject: "Meddelande", Text: "Hej Anna! Mvh Tolvan", MessageID: "<p1@me.example>"}, at(3))
	if err != nil {
		t.Fatal(err)
	}
	pc.message = ev.ID
	if _, err := s.MarkEventRead(ctx, asa.PersonalIdentityNumber, malmoOnly, pc.readByAsa, "portal", at(3)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkEventRead(ctx, tolvan.PersonalIdentityNumber, malmoOnly, withMessage, "portal", at(3)); err != nil {
		t.Fatal(err)
	}
	p := &planner{}
	plan(t, s, at(4), 100, p)
	if _, err := s.PlanReminders(ctx, at(30), time.Hour, p.build); err != nil {
		t.Fatal(err)
	}
	for i, tk := range []struct {
		pnr  string
		used bool
	}{{tolvan.PersonalIdentityNumber, false}, {tolvan.PersonalIdentityNumber, true}, {asa.PersonalIdentityNumber, false}} {
		hash := sha256.Sum256([]byte{byte(i)})
		if err := s.CreateTicket(ctx, hash[:], me.Ticket{Purpose: me.TicketStart, PersonalIdentityNumber: tk.pnr, EServiceOrganisation: malmo.Number,
			EServiceID: "kp", IssuedBy: "portal", Issued: at(5), Expires: at(6)}); err != nil {
			t.Fatal(err)
		}
		if tk.used {
			if _, _, err := s.RedeemTicket(ctx, hash[:], "etjanst", at(5)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, c := range []me.Citizen{tolvan, asa} {
		if err := s.Audit(ctx, me.AuditEntry{Time: at(5), Client: "portal", PersonalIdentityNumber: c.PersonalIdentityNumber, Operation: "ListCases"}); err != nil {
			t.Fatal(err)
		}
	}
	return pc
}

// TestCitizenData: the data for a register extract holds the citizen's
// profile, both their cases with every event as they see it (their own
// read marks, not Åsa's), their notifications without text and without the
// handler mail, their reminders, tickets and audit entries; nothing of
// Åsa's own.
func TestCitizenData(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		pc := privacySetup(t, s)
		pnr := tolvan.PersonalIdentityNumber
		d, err := s.CitizenData(ctx, pnr)
		if err != nil {
			t.Fatal(err)
		}
		if d.Profile == nil || d.Profile.Email != tolvanEmail || d.Profile.Address == nil || d.Profile.Address.Street != tolvanStreet {
			t.Errorf("profile = %+v", d.Profile)
		}
		if len(d.Cases) != 2 || d.Cases[0].ID != pc.shared || d.Cases[1].ID != pc.own {
			t.Fatalf("cases = %d, want the shared one and Tolvan's own", len(d.Cases))
		}
		shared := d.Cases[0]
		checkNoHandlerEmail(t, shared)
		byID := map[string]me.Event{}
		for _, e := range shared.Events {
			byID[e.ID] = e
		}
		if len(shared.Events) != 3 || byID[pc.message].Author != pnr || byID[pc.message].ReadAt == nil {
			t.Errorf("shared case events = %+v; want three with Tolvan's message, read by them", shared.Events)
		}
		if byID[pc.readByAsa].ReadAt != nil {
			t.Error("the extract shows Åsa's read of an event as Tolvan's")
		}
		if len(d.Notifications) == 0 || len(d.Reminders) != 1 || d.Reminders[0].EventID != d.Cases[1].Events[0].ID {
			t.Errorf("notifications %d, reminders %+v", len(d.Notifications), d.Reminders)
		}
		kinds := map[me.NotificationKind]int{}
		for _, n := range d.Notifications {
			kinds[n.Kind]++
			if n.PersonalIdentityNumber != pnr || n.Text != "" || n.Subject != "" || (n.To != tolvanEmail && n.To != tolvanMobile) {
				t.Errorf("notification %+v: want Tolvan's, to their address, without text", n)
			}
		}
		if kinds[me.NotifyEvent] == 0 || kinds[me.NotifyReminder] == 0 || kinds[me.NotifyHandler] != 0 {
			t.Errorf("notification kinds %v; want event and reminder, no handler mail", kinds)
		}
		if len(d.Tickets) != 2 || len(d.Audit) != 1 {
			t.Errorf("%d tickets, %d audit entries; want 2 and 1", len(d.Tickets), len(d.Audit))
		}
		for _, tk := range d.Tickets {
			if tk.PersonalIdentityNumber != pnr {
				t.Errorf("ticket of %s in Tolvan's data", tk.PersonalIdentityNumber)
			}
		}
	})
}

// TestEraseCitizen: a dry run says what would go and changes nothing; the
// erasure removes the profile and contact details (no table holds them
// after), the notifications, outbox rows, reminders and unused tickets,
// keeps the cases, events and audit log, leaves Åsa's data alone, and is
// recorded with who, when and the counts, the same as the dry run's.
func TestEraseCitizen(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		pc := privacySetup(t, s)
		pnr := tolvan.PersonalIdentityNumber
		events := func(caseID string) int { return len(eventsOf(t, s, caseID)) }
		eventsBefore := events(pc.shared) + events(pc.own)
		asaBefore, err := s.CitizenData(ctx, asa.PersonalIdentityNumber)
		if err != nil {
			t.Fatal(err)
		}

		dry, kept, err := s.EraseCitizen(ctx, pnr, "dpo", at(40), true)
		if err != nil {
			t.Fatal(err)
		}
		if p := profile(t, s, pnr); p.Email != tolvanEmail {
			t.Fatal("a dry run erased the profile")
		}
		if got, _ := s.Erasures(ctx, pnr); len(got) != 0 {
			t.Fatalf("a dry run was recorded: %+v", got)
		}
		// Notifications: an SMS and an e-mail for the event, the same for the
		// reminder, and the mail to the handler.
		if dry.Rows["citizens"] != 1 || dry.Rows["notifications"] != 5 || dry.Rows["outbox"] != 1 || dry.Rows["reminders"] != 1 || dry.Rows["tickets"] != 1 {
			t.Errorf("dry run rows = %v", dry.Rows)
		}
		if kept["case_citizens"] != 2 || kept["events"] != int64(eventsBefore) || kept["audit_log"] != 1 || kept["tickets"] != 1 {
			t.Errorf("kept = %v", kept)
		}

		erased, _, err := s.EraseCitizen(ctx, pnr, "dpo", at(41), false)
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(erased.Rows, dry.Rows) {
			t.Errorf("erased %v; the dry run said %v", erased.Rows, dry.Rows)
		}
		for _, needle := range []string{tolvanEmail, tolvanMobile, tolvanStreet, tolvan.Address.Street, "Mvh Tolvan"} {
			holding, err := s.TablesHolding(ctx, needle)
			if err != nil {
				t.Fatal(err)
			}
			want := []string(nil)
			if needle == "Mvh Tolvan" {
				want = []string{"events"} // the message stays on the case; its mail to the handler goes
			}
			if !reflect.DeepEqual(holding, want) {
				t.Errorf("after erasure %q is in %v; want %v", needle, holding, want)
			}
		}
		p := profile(t, s, pnr)
		if p.GivenName != "" || p.Surname != "" || p.Address != nil || p.Email != "" || p.Mobile != "" || p.Channel != me.NotifyNone {
			t.Errorf("profile after erasure = %+v", p)
		}
		if got := events(pc.shared) + events(pc.own); got != eventsBefore {
			t.Errorf("%d events after erasure; want the %d kept", got, eventsBefore)
		}
		d, err := s.CitizenData(ctx, pnr)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Cases) != 2 || len(d.Notifications) != 0 || len(d.Reminders) != 0 || len(d.Tickets) != 1 || d.Tickets[0].RedeemAttempt == nil || len(d.Audit) != 1 {
			t.Errorf("after erasure: %d cases, %d notifications, %d reminders, %d tickets, %d audit entries; want 2, 0, 0, the used one, 1",
				len(d.Cases), len(d.Notifications), len(d.Reminders), len(d.Tickets), len(d.Audit))
		}
		want := me.Erasure{PersonalIdentityNumber: pnr, By: "dpo", Time: stored(at(41)), Rows: dry.Rows}
		if len(d.Erasures) != 1 || !reflect.DeepEqual(d.Erasures[0], want) {
			t.Errorf("erasures = %+v; want %+v", d.Erasures, want)
		}
		asaAfter, err := s.CitizenData(ctx, asa.PersonalIdentityNumber)
		if err != nil {
			t.Fatal(err)
		}
		// Tolvan's message stays on the shared case, and Åsa sees it.
		if !reflect.DeepEqual(asaAfter, asaBefore) {
			t.Errorf("erasing Tolvan changed Åsa's data:\nbefore %+v\nafter  %+v", asaBefore, asaAfter)
		}

		// A citizen on no case: the row itself goes.
		setContact(t, s, other.PersonalIdentityNumber, me.NotifySMS, "", "+46700000001")
		if e, _, err := s.EraseCitizen(ctx, other.PersonalIdentityNumber, "dpo", at(42), false); err != nil || e.Rows["citizens"] != 1 {
			t.Fatalf("erase a citizen on no case: %+v, %v", e, err)
		}
		if _, err := s.CitizenProfile(ctx, other.PersonalIdentityNumber); !errors.Is(err, me.ErrNotFound) {
			t.Errorf("the profile of a citizen on no case is still there: %v", err)
		}
	})
}
