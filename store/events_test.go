package store_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/store"
)

func eventsOf(t *testing.T, s *store.Store, caseID string) []me.Event {
	t.Helper()
	events, err := s.CaseEvents(context.Background(), caseID)
	if err != nil {
		t.Fatal(err)
	}
	return events
}

func TestMarkEventReadKeepsTheFirst(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		r := signal(t, s, bygglovSignal(), at(1))
		first, err := s.MarkEventRead(ctx, tolvan.PersonalIdentityNumber, malmoOnly, r.EventID, "malmo-portal", at(2))
		if err != nil {
			t.Fatal(err)
		}
		again, err := s.MarkEventRead(ctx, tolvan.PersonalIdentityNumber, malmoOnly, r.EventID, "other-portal", at(3))
		if err != nil || !again.Equal(first) || !first.Equal(stored(at(2))) {
			t.Fatalf("read again: %v, %v; want the first read %v", again, err, first)
		}

		// Åsa on many portals at once: one read, the same for all.
		const n = 16
		results := make([]time.Time, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				results[i], errs[i] = s.MarkEventRead(ctx, asa.PersonalIdentityNumber, malmoOnly, r.EventID, fmt.Sprintf("portal-%d", i), at(4).Add(time.Duration(i)*time.Second))
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		for i, got := range results {
			if !got.Equal(results[0]) {
				t.Fatalf("call %d: read at %v, call 0: %v", i, got, results[0])
			}
		}
		v := view(t, s, asa.PersonalIdentityNumber, r.CaseID)
		if got := v.Events[0].ReadAt; got == nil || !got.Equal(results[0]) {
			t.Errorf("view: read at %v, want %v", got, results[0])
		}
	})
}

func TestAttachmentOnlyWhenOffered(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		r := signal(t, s, bygglovSignal(), at(1))
		atts := eventsOf(t, s, r.CaseID)[0].Attachments
		// Offered by the download action A1.
		got, err := s.Attachment(ctx, asa.PersonalIdentityNumber, malmoOnly, atts[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, atts[0]) {
			t.Errorf("attachment =\n%+v\nwant\n%+v", got, atts[0])
		}
		// Attached, but no download action offers it.
		if _, err := s.Attachment(ctx, asa.PersonalIdentityNumber, malmoOnly, atts[1].ID); !errors.Is(err, me.ErrNotFound) {
			t.Errorf("attachment without a download action: err = %v, want ErrNotFound", err)
		}
	})
}

// messageCase records a case of Tolvan and Åsa whose event offers to
// message the handler, and an event without actions on the same case.
func messageCase(t *testing.T, s *store.Store, externalID string, handler me.Handler) (caseID, withMessage, without string) {
	t.Helper()
	sig := caseSignal(externalID, me.CaseInProgress, []me.Citizen{tolvan, asa},
		me.Event{ExternalID: "1", Time: at(1), Title: me.LocalizedText{SV: "Frågor?"}, Actions: []me.Action{{Type: me.ActionMessage}}})
	sig.Case.Handler = handler
	r1 := signal(t, s, sig, at(1))
	sig.Event = me.Event{ExternalID: "2", Time: at(2), Title: me.LocalizedText{SV: "Information"}}
	r2 := signal(t, s, sig, at(2))
	return r1.CaseID, r1.EventID, r2.EventID
}

func TestAddCitizenMessage(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		caseID, withMessage, without := messageCase(t, s, "M-1", me.Handler{Name: "Anna Lindqvist", Email: handlerEmail})
		otherCase, otherEvent, _ := messageCase(t, s, "M-2", me.Handler{Name: "Anna Lindqvist", Email: handlerEmail})
		noHandler, noHandlerEvent, _ := messageCase(t, s, "M-3", me.Handler{Name: "Bygglovsenheten"})
		mail := me.Mail{To: "ignored@example.com", ReplyTo: "noreply@me.example", Subject: "Meddelande", Text: "Hej Anna!\nFråga om åäö.", MessageID: "<m1@me.example>"}
		countEvents := func() int {
			n := 0
			for _, id := range []string{caseID, otherCase, noHandler} {
				n += len(eventsOf(t, s, id))
			}
			return n
		}
		events := countEvents()

		conflict := func(name string, err, want error) {
			t.Helper()
			var e *me.Error
			if !errors.Is(err, want) || !errors.As(err, &e) || e.Code != me.CodeConflict || e.Element != "" || e.Message == "" {
				t.Errorf("%s: err = %v, want %v", name, err, want)
			}
		}
		_, err := s.AddCitizenMessage(ctx, tolvan.PersonalIdentityNumber, malmoOnly, caseID, without, "Hej", mail, at(3))
		conflict("event without a message action", err, store.ErrNoMessageAction)
		if e := (*me.Error)(nil); errors.As(err, &e) && e.Message != "the event does not offer to message the case handler" {
			t.Errorf("message %q", e.Message)
		}
		_, err = s.AddCitizenMessage(ctx, tolvan.PersonalIdentityNumber, malmoOnly, noHandler, noHandlerEvent, "Hej", mail, at(3))
		conflict("case without a handler e-mail", err, store.ErrNoHandlerEmail)
		// The event of another case, even one the citizen is on.
		if _, err := s.AddCitizenMessage(ctx, tolvan.PersonalIdentityNumber, malmoOnly, caseID, otherEvent, "Hej", mail, at(3)); !errors.Is(err, me.ErrNotFound) {
			t.Errorf("event of another case: err = %v, want ErrNotFound", err)
		}
		if n := countEvents(); n != events {
			t.Fatalf("%d events after refused messages, want %d", n, events)
		}

		ev, err := s.AddCitizenMessage(ctx, tolvan.PersonalIdentityNumber, malmoOnly, caseID, withMessage, "Hej Anna!\nFråga om åäö.", mail, at(3))
		if err != nil {
			t.Fatal(err)
		}
		now := stored(at(3))
		wantEv := me.Event{
			ID:          ev.ID,
			CaseID:      caseID,
			Time:        now,
			Title:       me.LocalizedText{SV: "Meddelande till handläggaren", EN: "Message to the case handler"},
			Text:        me.LocalizedText{SV: "Hej Anna!\nFråga om åäö."},
			FromCitizen: true,
			Author:      tolvan.PersonalIdentityNumber,
			Created:     now,
			ReadAt:      &now,
		}
		if !eventIDPattern.MatchString(ev.ID) || !reflect.DeepEqual(ev, wantEv) {
			t.Fatalf("event =\n%+v\nwant\n%+v", ev, wantEv)
		}
		evs := eventsOf(t, s, caseID)
		last := evs[len(evs)-1]
		wantEv.ReadAt = nil
		if !reflect.DeepEqual(last, wantEv) {
			t.Errorf("stored event =\n%+v\nwant\n%+v", last, wantEv)
		}
		if c := caseOf(t, s, "M-1"); !c.Updated.Equal(now) {
			t.Errorf("case updated %v, want %v", c.Updated, now)
		}
		// One handler mail, in the notifications queue, and nothing else.
		ns := allNotifications(t, s)
		if len(ns) != 1 {
			t.Fatalf("%d notifications, want 1: %+v", len(ns), ns)
		}
		wantMail := me.Notification{
			ID: ns[0].ID, Kind: me.NotifyHandler,
			PersonalIdentityNumber: tolvan.PersonalIdentityNumber, OrganisationNumber: malmo.Number,
			Channel: me.NotifyEmail, To: handlerEmail, Subject: "Meddelande", Text: "Hej Anna!\nFråga om åäö.",
			IdempotencyKey: "<m1@me.example>", State: me.NotificationPending, NextAttempt: now, Created: now,
		}
		if !reflect.DeepEqual(ns[0], wantMail) {
			t.Fatalf("handler mail =\n%+v\nwant\n%+v", ns[0], wantMail)
		}
		// Read by the writer, not by the case's other citizen.
		if v := view(t, s, tolvan.PersonalIdentityNumber, caseID); v.UnreadEvents != 2 || v.Events[0].ID != ev.ID || v.Events[0].ReadAt == nil {
			t.Errorf("Tolvan's view: %d unread, newest %s read at %v", v.UnreadEvents, v.Events[0].ID, v.Events[0].ReadAt)
		}
		if v := view(t, s, asa.PersonalIdentityNumber, caseID); v.UnreadEvents != 3 || v.Events[0].Author != tolvan.PersonalIdentityNumber {
			t.Errorf("Åsa's view: %d unread, want 3; the newest event's author %q, want Tolvan", v.UnreadEvents, v.Events[0].Author)
		}
		// The portal reads never show the handler mail or its address.
		checkNoHandlerEmail(t, view(t, s, tolvan.PersonalIdentityNumber, caseID))
		checkNoHandlerEmail(t, view(t, s, asa.PersonalIdentityNumber, caseID))
		checkNoHandlerEmail(t, list(t, s, me.CaseFilter{PersonalIdentityNumber: tolvan.PersonalIdentityNumber, Organisations: malmoOnly}))

		// The same message id again: the mail cannot be queued, so the
		// event is rolled back with it.
		events = countEvents()
		_, err = s.AddCitizenMessage(ctx, asa.PersonalIdentityNumber, malmoOnly, caseID, withMessage, "Igen", mail, at(4))
		if me.ErrorCode(err) != me.CodeConflict {
			t.Errorf("repeated message id: err = %v, want Conflict", err)
		}
		if n := countEvents(); n != events {
			t.Errorf("%d events after a refused mail, want %d: event and mail are not atomic", n, events)
		}
		if c := caseOf(t, s, "M-1"); !c.Updated.Equal(now) {
			t.Errorf("case updated %v after a refused mail, want %v", c.Updated, now)
		}
		if ns := allNotifications(t, s); len(ns) != 1 {
			t.Errorf("%d notifications, want 1", len(ns))
		}

		// A key taken by another notification: the same, atomically.
		taken := mail
		taken.MessageID = "<taken@me.example>"
		if err := s.Exec(ctx, `
			INSERT INTO notifications (kind, personal_identity_number, organisation_number, channel, recipient, idempotency_key, next_attempt_at, created_at)
			VALUES ('event', ?, ?, 'email', 'tolvan@example.se', ?, ?, ?)`,
			tolvan.PersonalIdentityNumber, malmo.Number, taken.MessageID, "2025-03-01T08:30:00.000000000Z", "2025-03-01T08:30:00.000000000Z"); err != nil {
			t.Fatal(err)
		}
		_, err = s.AddCitizenMessage(ctx, asa.PersonalIdentityNumber, malmoOnly, caseID, withMessage, "Igen", taken, at(4))
		if me.ErrorCode(err) != me.CodeConflict {
			t.Errorf("message id taken by an event notification: err = %v, want Conflict", err)
		}
		if n := countEvents(); n != events {
			t.Errorf("%d events after a refused mail, want %d", n, events)
		}
	})
}

// completionEvent is what an e-service reports when the citizen completed
// a case.
func completionEvent() me.Event {
	return me.Event{
		ExternalID:  "ignored",
		Time:        at(0),
		Title:       me.LocalizedText{SV: "Komplettering inskickad", EN: "Completion sent"},
		Text:        me.LocalizedText{SV: "Du skickade in kontrollplanen för Ängsvägen 5."},
		Notify:      true,
		Attachments: []me.Attachment{{SignalID: "kvitto", FileName: "kvitto.txt", MediaType: "text/plain", Content: []byte("Kvitto åäö")}},
		Actions:     []me.Action{{Type: me.ActionDownload, Label: me.LocalizedText{SV: "Hämta kvittot"}, AttachmentSignalID: "kvitto"}},
	}
}

func TestCompleteAction(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		r := record(t, s, shsMessage("tx-1"), bygglovSignal(), at(1))
		other := bygglovSignal()
		other.Case.ExternalID = "BN-2026-000999"
		r2 := record(t, s, shsMessage("tx-2"), other, at(1))
		before := eventsOf(t, s, r.CaseID)[0]
		download, complete := before.Actions[0], before.Actions[2]

		// Action finds the action on its case only.
		a, eventID, err := s.Action(ctx, r.CaseID, complete.ID)
		if err != nil || eventID != r.EventID || !reflect.DeepEqual(a, complete) {
			t.Fatalf("Action = %+v, %s, %v; want %+v, %s", a, eventID, err, complete, r.EventID)
		}
		if a, _, err := s.Action(ctx, r.CaseID, download.ID); err != nil || a.AttachmentSignalID != "beslut" || a.AttachmentID != before.Attachments[0].ID {
			t.Fatalf("Action(download) = %+v, %v", a, err)
		}
		if _, _, err := s.Action(ctx, r2.CaseID, complete.ID); !errors.Is(err, me.ErrNotFound) {
			t.Fatalf("Action on another case: err = %v, want ErrNotFound", err)
		}

		// Refused: another case's action, no action, not a completion.
		for name, tt := range map[string]struct {
			caseID, actionID string
			want             error
		}{
			"other case":     {r2.CaseID, complete.ID, me.ErrNotFound},
			"no such action": {r.CaseID, "xnothing", me.ErrNotFound},
			"no such case":   {"cnothing", complete.ID, me.ErrNotFound},
			"download":       {r.CaseID, download.ID, store.ErrNotComplete},
		} {
			_, err := s.CompleteAction(ctx, tt.caseID, tt.actionID, completionEvent(), at(2))
			if !errors.Is(err, tt.want) {
				t.Errorf("%s: err = %v, want %v", name, err, tt.want)
			}
		}
		if _, err := s.CompleteAction(ctx, r.CaseID, download.ID, completionEvent(), at(2)); me.ErrorCode(err) != me.CodeConflict {
			t.Errorf("not a completion: code %s, want Conflict", me.ErrorCode(err))
		}
		if n := len(eventsOf(t, s, r.CaseID)); n != 1 {
			t.Fatalf("%d events after refused completions, want 1", n)
		}

		byAsa := completionEvent()
		byAsa.Author = asa.PersonalIdentityNumber
		got, err := s.CompleteAction(ctx, r.CaseID, complete.ID, byAsa, at(2))
		if err != nil {
			t.Fatal(err)
		}
		checkIDs(t, got)
		want := wantEvent(got, byAsa, r.CaseID, at(2))
		want.ExternalID, want.Time, want.Notify, want.FromCitizen = "", stored(at(2)), false, true
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("CompleteAction =\n%+v\nwant\n%+v", got, want)
		}
		events := eventsOf(t, s, r.CaseID)
		if len(events) != 2 || !reflect.DeepEqual(events[1], got) {
			t.Fatalf("events after completion =\n%+v\nwant the first and\n%+v", events, got)
		}
		done := stored(at(2))
		wantAction := complete
		wantAction.State, wantAction.DoneAt = me.ActionDone, &done
		if a := events[0].Actions[2]; !reflect.DeepEqual(a, wantAction) {
			t.Errorf("action after completion = %+v, want %+v", a, wantAction)
		}
		if a := events[0].Actions[0]; !reflect.DeepEqual(a, download) {
			t.Errorf("other action changed to %+v", a)
		}
		if c := caseOf(t, s, bygglovSignal().Case.ExternalID); !c.Updated.Equal(done) {
			t.Errorf("case updated %v, want %v", c.Updated, done)
		}
		if n := len(outbox(t, s)); n != 4 {
			t.Errorf("%d outbox rows, want the signals' 4: a completion notifies no one", n)
		}

		// Twice: Conflict, nothing changes.
		_, err = s.CompleteAction(ctx, r.CaseID, complete.ID, completionEvent(), at(3))
		if !errors.Is(err, store.ErrAlreadyCompleted) || me.ErrorCode(err) != me.CodeConflict ||
			!strings.Contains(err.Error(), "the completion was already reported") {
			t.Fatalf("second CompleteAction: err = %v, want Conflict: already reported", err)
		}
		if again := eventsOf(t, s, r.CaseID); !reflect.DeepEqual(again, events) {
			t.Fatalf("events changed by a second completion:\n%+v", again)
		}
	})
}

func TestCompleteActionConcurrently(t *testing.T) {
	const reports = 10
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		r := record(t, s, shsMessage("tx-1"), bygglovSignal(), at(1))
		complete := eventsOf(t, s, r.CaseID)[0].Actions[2]
		errs := make([]error, reports)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range reports {
			wg.Go(func() {
				<-start
				_, errs[i] = s.CompleteAction(context.Background(), r.CaseID, complete.ID, completionEvent(), at(2))
			})
		}
		close(start)
		wg.Wait()
		ok := 0
		for i, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, store.ErrAlreadyCompleted):
				t.Errorf("report %d: %v", i, err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d reports succeeded, want exactly 1", ok)
		}
		if n := len(eventsOf(t, s, r.CaseID)); n != 2 {
			t.Fatalf("%d events, want 2", n)
		}
	})
}
