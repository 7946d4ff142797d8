package store_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/store"
)

// pdf is binary content: every byte value, so nothing is lost as text.
var pdf = func() []byte {
	b := []byte("%PDF-1.4\n")
	for i := range 256 {
		b = append(b, byte(i))
	}
	return b
}()

const completionData = `<skj:komplettering xmlns:skj="urn:example:kommun:skolskjuts:komplettering:1" xmlns:adr="urn:example:adress:2">` +
	`<skj:uppgift kod="INTYG">Intyg om växelvis boende för Åsa</skj:uppgift>` +
	`<adr:adress typ="bostad"><adr:gata>Ängsvägen 5</adr:gata><adr:ort>Öckerö</adr:ort></adr:adress>` +
	`</skj:komplettering>`

// bygglovSignal is the signal with two attachments and all four kinds of
// action from the documentation.
func bygglovSignal() me.Signal {
	return me.Signal{
		Case: me.Case{
			OrganisationNumber: malmo.Number,
			ExternalID:         "BN-2026-000123",
			CaseNumber:         "BN 2026-000123",
			Title:              me.LocalizedText{SV: "Bygglov för tillbyggnad av enbostadshus, Solrosen 4", EN: "Building permit, Solrosen 4"},
			Status:             me.CaseDecided,
			Handler:            me.Handler{Name: "Anna Lindqvist, Bygglovsenheten", Email: "anna.lindqvist@kommun.example"},
		},
		// Not in personnummer order: the store sorts.
		Citizens: []me.Citizen{asa, tolvan},
		Event: me.Event{
			ExternalID: "BN-2026-000123-H5",
			Time:       at(0),
			Title:      me.LocalizedText{SV: "Beslut om bygglov – kontrollplan behövs", EN: "Building permit granted"},
			Text:       me.LocalizedText{SV: "Bygg- och miljönämnden har beviljat bygglov.\nSkicka in din kontrollplan.", EN: "Granted.\nSend your control plan."},
			Notify:     true,
			Attachments: []me.Attachment{
				{SignalID: "beslut", FileName: "beslut-bygglov-BN-2026-000123.pdf", MediaType: "application/pdf", Content: pdf},
				{SignalID: "kontrollplan", FileName: "förslag till kontrollplan.txt", MediaType: "text/plain", Content: []byte("Kontrollplan: åäö ÅÄÖ\n")},
			},
			Actions: []me.Action{
				{ExternalID: "A1", Type: me.ActionDownload, Label: me.LocalizedText{SV: "Hämta beslutet", EN: "Download the decision"}, AttachmentSignalID: "beslut"},
				{Type: me.ActionMessage},
				{
					ExternalID: "K1", Type: me.ActionComplete, Label: me.LocalizedText{SV: "Skicka in kontrollplan"},
					EServiceID: "kontrollplan", EServiceOrganisation: goteborg.Number, DueDate: "2026-04-15",
					CompletionData: completionData,
				},
				{Type: me.ActionArchive, Label: me.LocalizedText{SV: "Arkivera ärendet"}},
			},
		},
	}
}

func shsMessage(txID string) me.SHSMessage {
	return me.SHSMessage{
		TxID:         txID,
		CorrID:       "corr-" + txID,
		ContentID:    "content-" + txID,
		From:         malmo.Number,
		To:           "2021005521",
		Product:      "minaengagemang-signal",
		SequenceType: "event",
		TransferType: "asynch",
		Client:       "malmo-arende",
		Raw:          []byte("--boundary\r\nContent-Type: text/xml\r\n\r\n<shs>" + txID + " åäö</shs>\r\n--boundary--\r\n"),
	}
}

var (
	caseIDPattern       = regexp.MustCompile(`^c[a-z2-7]{20}$`)
	eventIDPattern      = regexp.MustCompile(`^e[a-z2-7]{20}$`)
	attachmentIDPattern = regexp.MustCompile(`^a[a-z2-7]{20}$`)
	actionIDPattern     = regexp.MustCompile(`^x[a-z2-7]{20}$`)
	localIDPattern      = regexp.MustCompile(`^m[a-z2-7]{20}$`)
)

func record(t *testing.T, s *store.Store, msg me.SHSMessage, sig me.Signal, now time.Time) me.SignalReceipt {
	t.Helper()
	r, err := s.RecordSignal(context.Background(), msg, sig, now)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func outbox(t *testing.T, s *store.Store) []store.OutboxItem {
	t.Helper()
	items, err := s.Outbox(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func checkOutbox(t *testing.T, got, want []store.OutboxItem) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d outbox rows, want %d:\n%+v", len(got), len(want), got)
	}
	for i := range got {
		g := got[i]
		if g.ID == 0 {
			t.Errorf("outbox row %d has no id", i)
		}
		g.ID = 0
		if !reflect.DeepEqual(g, want[i]) {
			t.Errorf("outbox row %d =\n%+v\nwant\n%+v", i, g, want[i])
		}
	}
}

func countMessages(t *testing.T, s *store.Store) int {
	t.Helper()
	n, err := s.CountSHSMessages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// wantEvent is e as the store should return it, given the ids it chose.
func wantEvent(got, e me.Event, caseID string, created time.Time) me.Event {
	e.ID, e.CaseID = got.ID, caseID
	e.Time = stored(e.Time)
	e.Created = stored(created)
	e.Attachments = append([]me.Attachment(nil), e.Attachments...)
	meID := map[string]string{}
	for i := range e.Attachments {
		if i < len(got.Attachments) {
			e.Attachments[i].ID = got.Attachments[i].ID
		}
		e.Attachments[i].Size = int64(len(e.Attachments[i].Content))
		meID[e.Attachments[i].SignalID] = e.Attachments[i].ID
	}
	e.Actions = append([]me.Action(nil), e.Actions...)
	for i := range e.Actions {
		if i < len(got.Actions) {
			e.Actions[i].ID = got.Actions[i].ID
		}
		e.Actions[i].State = me.ActionAvailable
		e.Actions[i].AttachmentID = meID[e.Actions[i].AttachmentSignalID]
	}
	return e
}

func checkIDs(t *testing.T, e me.Event) {
	t.Helper()
	if !eventIDPattern.MatchString(e.ID) {
		t.Errorf("event id %q does not match %s", e.ID, eventIDPattern)
	}
	for _, a := range e.Attachments {
		if !attachmentIDPattern.MatchString(a.ID) {
			t.Errorf("attachment id %q does not match %s", a.ID, attachmentIDPattern)
		}
	}
	for _, a := range e.Actions {
		if !actionIDPattern.MatchString(a.ID) {
			t.Errorf("action id %q does not match %s", a.ID, actionIDPattern)
		}
	}
}

func TestRecordSignal(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		sig := bygglovSignal()
		msg := shsMessage("tx-1")
		now := at(1)

		// A new case with its first event.
		first := record(t, s, msg, sig, now)
		if !caseIDPattern.MatchString(first.CaseID) || !eventIDPattern.MatchString(first.EventID) || !localIDPattern.MatchString(first.LocalID) {
			t.Fatalf("receipt ids %+v do not match the id patterns", first)
		}
		want := me.SignalReceipt{TxID: "tx-1", LocalID: first.LocalID, Arrival: stored(now), CaseID: first.CaseID, EventID: first.EventID, From: msg.From}
		if first != want {
			t.Fatalf("receipt = %+v, want %+v", first, want)
		}

		wantCase := sig.Case
		wantCase.ID = first.CaseID
		wantCase.Citizens = []string{tolvan.PersonalIdentityNumber, asa.PersonalIdentityNumber}
		wantCase.Created, wantCase.Updated = stored(now), stored(now)
		if got := caseOf(t, s, sig.Case.ExternalID); !reflect.DeepEqual(got, wantCase) {
			t.Fatalf("case =\n%+v\nwant\n%+v", got, wantCase)
		}

		events := eventsOf(t, s, first.CaseID)
		if len(events) != 1 {
			t.Fatalf("%d events, want 1", len(events))
		}
		got := events[0]
		checkIDs(t, got)
		if w := wantEvent(got, sig.Event, first.CaseID, now); !reflect.DeepEqual(got, w) {
			t.Fatalf("event =\n%+v\nwant\n%+v", got, w)
		}
		if got.ID != first.EventID {
			t.Errorf("event id %s, receipt says %s", got.ID, first.EventID)
		}
		if got.Actions[0].AttachmentID != got.Attachments[0].ID {
			t.Errorf("download action refers to %q, want the attachment %q", got.Actions[0].AttachmentID, got.Attachments[0].ID)
		}
		if got.Actions[2].CompletionData != completionData {
			t.Errorf("completion data =\n%s\nwant\n%s", got.Actions[2].CompletionData, completionData)
		}

		wantOutbox := []store.OutboxItem{
			{Kind: "event", OrganisationNumber: malmo.Number, CaseID: first.CaseID, EventID: first.EventID, PersonalIdentityNumber: tolvan.PersonalIdentityNumber, State: "pending", NextAttempt: stored(now), Created: stored(now)},
			{Kind: "event", OrganisationNumber: malmo.Number, CaseID: first.CaseID, EventID: first.EventID, PersonalIdentityNumber: asa.PersonalIdentityNumber, State: "pending", NextAttempt: stored(now), Created: stored(now)},
		}
		checkOutbox(t, outbox(t, s), wantOutbox)

		for _, c := range []me.Citizen{tolvan, asa} {
			if got := citizen(t, s, c.PersonalIdentityNumber); !reflect.DeepEqual(got, c) {
				t.Errorf("citizen = %+v, want %+v", got, c)
			}
		}

		gotMsg, err := s.SHSMessage(ctx, "tx-1")
		if err != nil {
			t.Fatal(err)
		}
		wantMsg := msg
		wantMsg.LocalID, wantMsg.Arrival = first.LocalID, stored(now)
		if !reflect.DeepEqual(gotMsg, wantMsg) {
			t.Fatalf("SHS message =\n%+v\nwant\n%+v", gotMsg, wantMsg)
		}

		// The same tx.id again, even with another content: the first
		// arrival's receipt, and nothing changes.
		changed := bygglovSignal()
		changed.Case.Status = me.CaseClosed
		changed.Event.ExternalID = "BN-2026-000123-H99"
		again := record(t, s, shsMessage("tx-1"), changed, at(2))
		wantDup := first
		wantDup.Duplicate = true
		if again != wantDup {
			t.Fatalf("repeated tx.id: receipt = %+v, want %+v", again, wantDup)
		}
		checkUnchanged := func(t *testing.T, messages int) {
			t.Helper()
			if n := countMessages(t, s); n != messages {
				t.Errorf("%d SHS messages, want %d", n, messages)
			}
			if got := caseOf(t, s, sig.Case.ExternalID); !reflect.DeepEqual(got, wantCase) {
				t.Errorf("case changed to\n%+v\nwant\n%+v", got, wantCase)
			}
			if n := len(eventsOf(t, s, first.CaseID)); n != 1 {
				t.Errorf("%d events, want 1", n)
			}
			checkOutbox(t, outbox(t, s), wantOutbox)
		}
		checkUnchanged(t, 1)

		// The same event under a new tx.id: the message is kept, nothing
		// else changes.
		msg2 := shsMessage("tx-2")
		msg2.LocalID = "local-2"
		dupEvent := record(t, s, msg2, changed2(), at(3))
		wantDupEvent := me.SignalReceipt{TxID: "tx-2", LocalID: "local-2", Arrival: stored(at(3)), CaseID: first.CaseID, EventID: first.EventID, DuplicateEvent: true, From: msg.From}
		if dupEvent != wantDupEvent {
			t.Fatalf("repeated event: receipt = %+v, want %+v", dupEvent, wantDupEvent)
		}
		checkUnchanged(t, 2)
		if m, err := s.SHSMessage(ctx, "tx-2"); err != nil || m.LocalID != "local-2" {
			t.Fatalf("SHSMessage(tx-2) = %+v, %v; want it kept with local id local-2", m, err)
		}
		// ... and that message's tx.id again is a duplicate of it.
		wantDupEvent.Duplicate = true
		if r := record(t, s, msg2, changed2(), at(4)); r != wantDupEvent {
			t.Fatalf("repeated tx.id of a repeated event: receipt = %+v, want %+v", r, wantDupEvent)
		}
		checkUnchanged(t, 2)
	})
}

// changed2 is the first event of bygglovSignal with a changed case: the
// change must not be applied when the event is already there.
func changed2() me.Signal {
	sig := bygglovSignal()
	sig.Case.Status = me.CaseClosed
	sig.Case.Handler = me.Handler{Name: "Someone Else"}
	sig.Citizens = append(sig.Citizens, me.Citizen{PersonalIdentityNumber: "200001012384"})
	return sig
}

func TestRecordSignalLaterEvents(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		sig := bygglovSignal()
		first := record(t, s, shsMessage("tx-1"), sig, at(1))

		// A second event: closes the case, replaces the handler, adds a
		// citizen, gives Åsa an address and leaves out Tolvan's names and
		// address, which are kept.
		third := me.Citizen{PersonalIdentityNumber: "200001012384"}
		second := sig
		second.Case.Status = me.CaseClosed
		second.Case.CaseNumber = "BN 2026-000123 B"
		second.Case.Handler = me.Handler{Email: "bygglov@kommun.example"}
		asaMoved := me.Citizen{PersonalIdentityNumber: asa.PersonalIdentityNumber, Address: &me.PostalAddress{Street: "Storgatan 1", PostalCode: "111 22", City: "Stockholm", Country: "SE"}}
		second.Citizens = []me.Citizen{{PersonalIdentityNumber: tolvan.PersonalIdentityNumber}, asaMoved, third}
		second.Event = me.Event{
			ExternalID: "BN-2026-000123-H6",
			Time:       at(5),
			Title:      me.LocalizedText{SV: "Ärendet är avslutat"},
			Notify:     true,
			Actions:    []me.Action{{Type: me.ActionArchive}},
		}
		r2 := record(t, s, shsMessage("tx-2"), second, at(6))
		if r2.Duplicate || r2.DuplicateEvent || r2.CaseID != first.CaseID || r2.EventID == first.EventID {
			t.Fatalf("second event: receipt %+v (first %+v)", r2, first)
		}

		// A third event without a handler, a case number and a
		// notification, that happened before the second: the case keeps
		// its handler and number.
		quiet := second
		quiet.Case.Handler = me.Handler{}
		quiet.Case.CaseNumber = ""
		quiet.Citizens = []me.Citizen{third}
		quiet.Event = me.Event{ExternalID: "BN-2026-000123-H5b", Time: at(3), Title: me.LocalizedText{SV: "Intern anteckning"}, Notify: false}
		r3 := record(t, s, shsMessage("tx-3"), quiet, at(7))

		wantCase := second.Case
		wantCase.ID = first.CaseID
		wantCase.Citizens = []string{tolvan.PersonalIdentityNumber, asa.PersonalIdentityNumber, third.PersonalIdentityNumber}
		wantCase.Created, wantCase.Updated = stored(at(1)), stored(at(7))
		if got := caseOf(t, s, sig.Case.ExternalID); !reflect.DeepEqual(got, wantCase) {
			t.Fatalf("case =\n%+v\nwant\n%+v", got, wantCase)
		}

		events := eventsOf(t, s, first.CaseID)
		var ids []string
		for _, e := range events {
			ids = append(ids, e.ID)
		}
		if want := []string{first.EventID, r3.EventID, r2.EventID}; !reflect.DeepEqual(ids, want) {
			t.Fatalf("events %v, want oldest first %v", ids, want)
		}
		if w := wantEvent(events[2], second.Event, first.CaseID, at(6)); !reflect.DeepEqual(events[2], w) {
			t.Errorf("second event =\n%+v\nwant\n%+v", events[2], w)
		}
		if w := wantEvent(events[1], quiet.Event, first.CaseID, at(7)); !reflect.DeepEqual(events[1], w) {
			t.Errorf("quiet event =\n%+v\nwant\n%+v", events[1], w)
		}

		// 2 rows for the first event, 3 for the second, none for the quiet one.
		items := outbox(t, s)
		perEvent := map[string][]string{}
		for _, it := range items {
			perEvent[it.EventID] = append(perEvent[it.EventID], it.PersonalIdentityNumber)
		}
		want := map[string][]string{
			first.EventID: {tolvan.PersonalIdentityNumber, asa.PersonalIdentityNumber},
			r2.EventID:    {tolvan.PersonalIdentityNumber, asa.PersonalIdentityNumber, third.PersonalIdentityNumber},
		}
		if !reflect.DeepEqual(perEvent, want) {
			t.Fatalf("outbox citizens per event = %v, want %v", perEvent, want)
		}

		if got := citizen(t, s, tolvan.PersonalIdentityNumber); !reflect.DeepEqual(got, tolvan) {
			t.Errorf("Tolvan = %+v, want unchanged %+v", got, tolvan)
		}
		wantAsa := asa
		wantAsa.Address = asaMoved.Address
		if got := citizen(t, s, asa.PersonalIdentityNumber); !reflect.DeepEqual(got, wantAsa) {
			t.Errorf("Åsa = %+v, want %+v", got, wantAsa)
		}
		if got := citizen(t, s, third.PersonalIdentityNumber); !reflect.DeepEqual(got, third) {
			t.Errorf("third citizen = %+v, want %+v", got, third)
		}
	})
}

func TestRecordSignalBadAttachmentReference(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		sig := bygglovSignal()
		sig.Event.Actions[0].AttachmentSignalID = "missing"
		_, err := s.RecordSignal(ctx, shsMessage("tx-1"), sig, at(1))
		if me.ErrorCode(err) != me.CodeValidationFailed {
			t.Fatalf("err = %v, want a ValidationFailed error", err)
		}
		// Rolled back as a whole.
		if _, err := s.CaseByExternalID(ctx, malmo.Number, sig.Case.ExternalID); !errors.Is(err, me.ErrNotFound) {
			t.Errorf("case after failed signal: err = %v, want ErrNotFound", err)
		}
		if n := countMessages(t, s); n != 0 {
			t.Errorf("%d SHS messages after failed signal, want 0", n)
		}
		if _, err := s.Citizen(ctx, tolvan.PersonalIdentityNumber); !errors.Is(err, me.ErrNotFound) {
			t.Errorf("citizen after failed signal: err = %v, want ErrNotFound", err)
		}
	})
}

// TestSignalsWrittenTogetherAreRefusedAlone: of signals that arrive at once
// (and so share a transaction), one refused for its content stores
// nothing, and every other is stored.
func TestSignalsWrittenTogetherAreRefusedAlone(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		const n = 40
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				sig := bygglovSignal()
				sig.Case.ExternalID = fmt.Sprintf("T-%d", i)
				if i == n/2 {
					sig.Event.Actions[0].AttachmentSignalID = "missing"
				}
				_, errs[i] = s.RecordSignal(ctx, shsMessage(fmt.Sprintf("tx-%d", i)), sig, at(1))
			})
		}
		wg.Wait()
		for i, err := range errs {
			_, cerr := s.CaseByExternalID(ctx, malmo.Number, fmt.Sprintf("T-%d", i))
			switch {
			case i == n/2 && (me.ErrorCode(err) != me.CodeValidationFailed || !errors.Is(cerr, me.ErrNotFound)):
				t.Errorf("the refused signal: %v, its case: %v; want ValidationFailed and no case", err, cerr)
			case i != n/2 && (err != nil || cerr != nil):
				t.Errorf("signal %d: %v, its case: %v", i, err, cerr)
			}
		}
		if got := countMessages(t, s); got != n-1 {
			t.Errorf("%d SHS messages stored; want %d", got, n-1)
		}
	})
}

// TestRecordSignalConcurrently has 10 senders send 200 signals each at the
// same time. Every other signal repeats a tx.id another sender also sends,
// and the senders create the same new cases at the same time.
func TestRecordSignalConcurrently(t *testing.T) {
	const (
		senders = 10
		signals = 200
		cases   = 20
	)
	if testing.Short() {
		t.Skip("short")
	}
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		// signal returns the i-th distinct signal of sender g.
		signal := func(g, i int) (me.SHSMessage, me.Signal) {
			k := (i / 2) % cases
			sig := me.Signal{
				Case: me.Case{
					OrganisationNumber: malmo.Number,
					ExternalID:         fmt.Sprintf("K-%d", k),
					Title:              me.LocalizedText{SV: "Ärende"},
					Status:             me.CaseInProgress,
				},
				Citizens: []me.Citizen{{PersonalIdentityNumber: fmt.Sprintf("1990010100%02d", k)}},
				Event: me.Event{
					ExternalID: fmt.Sprintf("E-%d-%d", g, i),
					Time:       at(0).Add(time.Duration(i) * time.Second),
					Title:      me.LocalizedText{SV: "Händelse"},
					Notify:     true,
				},
			}
			return shsMessage(fmt.Sprintf("tx-%d-%d", g, i)), sig
		}

		type result struct {
			receipt me.SignalReceipt
			err     error
		}
		results := make([][]result, senders)
		var wg sync.WaitGroup
		for g := range senders {
			results[g] = make([]result, signals)
			wg.Go(func() {
				for i := range signals {
					var msg me.SHSMessage
					var sig me.Signal
					if i%2 == 0 {
						msg, sig = signal(g, i)
					} else {
						// The one the next sender sends at the same time.
						msg, sig = signal((g+1)%senders, i-1)
					}
					r, err := s.RecordSignal(context.Background(), msg, sig, time.Now())
					results[g][i] = result{r, err}
				}
			})
		}
		wg.Wait()

		first := map[string]me.SignalReceipt{} // by tx.id: the receipt that stored it
		for g := range senders {
			for i, res := range results[g] {
				if res.err != nil {
					t.Fatalf("sender %d signal %d: %v", g, i, res.err)
				}
				if res.receipt.DuplicateEvent {
					t.Errorf("sender %d signal %d: unexpected DuplicateEvent: %+v", g, i, res.receipt)
				}
				if !res.receipt.Duplicate {
					if prev, ok := first[res.receipt.TxID]; ok {
						t.Fatalf("tx.id %s stored twice: %+v and %+v", res.receipt.TxID, prev, res.receipt)
					}
					first[res.receipt.TxID] = res.receipt
				}
			}
		}
		distinct := senders * signals / 2
		if len(first) != distinct {
			t.Fatalf("%d tx.ids stored, want %d", len(first), distinct)
		}
		for g := range senders {
			for i, res := range results[g] {
				r := res.receipt
				if !r.Duplicate {
					continue
				}
				want := first[r.TxID]
				want.Duplicate = true
				if r != want {
					t.Errorf("sender %d signal %d: duplicate receipt %+v, want the first arrival's %+v", g, i, r, want)
				}
			}
		}

		if n := countMessages(t, s); n != distinct {
			t.Errorf("%d SHS messages, want %d", n, distinct)
		}
		events := 0
		for k := range cases {
			c := caseOf(t, s, fmt.Sprintf("K-%d", k))
			events += len(eventsOf(t, s, c.ID))
		}
		if events != distinct {
			t.Errorf("%d events, want %d", events, distinct)
		}
		if n := len(outbox(t, s)); n != distinct {
			t.Errorf("%d outbox rows, want %d (one citizen per case)", n, distinct)
		}
	})
}

func TestRejections(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		list, err := s.Rejections(ctx, 10)
		if err != nil || len(list) != 0 {
			t.Fatalf("Rejections() on an empty store = %v, %v", list, err)
		}
		in := []me.Rejection{
			{Received: at(1), Client: "malmo-arende", Code: "MissingDeliveryExecution", Reason: "no label", Raw: []byte("garbage\x00\xff")},
			{Received: at(2), TxID: "tx-9", Client: "malmo-arende", Code: "IllegalDatapartContent", Reason: "signal.xsd: element åtgärd not expected", Raw: []byte("<signal/>")},
			{Received: at(3), TxID: "tx-10", Code: "IllegalMessageType", Reason: "unknown product"},
		}
		var ids []int64
		for _, r := range in {
			id, err := s.RecordRejection(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		for i, id := range ids {
			want := in[i]
			want.ID, want.Received = id, stored(want.Received)
			if want.Raw == nil {
				want.Raw = []byte{}
			}
			got, err := s.Rejection(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Rejection(%d) =\n%+v\nwant\n%+v", id, got, want)
			}
		}

		list, err = s.Rejections(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		var want []me.Rejection
		for _, i := range []int{2, 1} {
			r := in[i]
			r.ID, r.Received, r.Raw = ids[i], stored(r.Received), nil
			want = append(want, r)
		}
		if !reflect.DeepEqual(list, want) {
			t.Fatalf("Rejections(2) =\n%+v\nwant newest first without Raw\n%+v", list, want)
		}
		if all, err := s.Rejections(ctx, 0); err != nil || len(all) != 3 {
			t.Fatalf("Rejections(0) = %d rows, %v; want all 3", len(all), err)
		}
	})
}

func TestSignalNotFound(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		tests := []struct {
			name string
			call func() error
		}{
			{"CaseByExternalID", func() error { _, err := s.CaseByExternalID(ctx, malmo.Number, "nothing"); return err }},
			{"CaseEvents", func() error { _, err := s.CaseEvents(ctx, "cnothing"); return err }},
			{"SHSMessage", func() error { _, err := s.SHSMessage(ctx, "tx-nothing"); return err }},
			{"Citizen", func() error { _, err := s.Citizen(ctx, "191212121212"); return err }},
			{"Rejection", func() error { _, err := s.Rejection(ctx, 42); return err }},
		}
		for _, tt := range tests {
			if err := tt.call(); !errors.Is(err, me.ErrNotFound) {
				t.Errorf("%s: err = %v, want one wrapping me.ErrNotFound", tt.name, err)
			}
		}
	})
}
