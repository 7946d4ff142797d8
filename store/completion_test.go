package store_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/store"
)

func TestCaseByIDAndEventWithCase(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		r := record(t, s, shsMessage("tx-1"), bygglovSignal(), at(1))
		wantCase := caseOf(t, s, bygglovSignal().Case.ExternalID)
		if got, err := s.CaseByID(ctx, r.CaseID); err != nil || !reflect.DeepEqual(got, wantCase) {
			t.Fatalf("CaseByID = %+v, %v; want %+v", got, err, wantCase)
		}

		c, e, err := s.EventWithCase(ctx, r.EventID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(c, wantCase) {
			t.Errorf("EventWithCase case =\n%+v\nwant\n%+v", c, wantCase)
		}
		wantEvent := eventsOf(t, s, r.CaseID)[0]
		for i := range wantEvent.Attachments {
			wantEvent.Attachments[i].Content = nil // without content
		}
		if !reflect.DeepEqual(e, wantEvent) {
			t.Errorf("EventWithCase event =\n%+v\nwant\n%+v", e, wantEvent)
		}

		for name, call := range map[string]func() error{
			"CaseByID":      func() error { _, err := s.CaseByID(ctx, "cnothing"); return err },
			"EventWithCase": func() error { _, _, err := s.EventWithCase(ctx, "enothing"); return err },
			"Action":        func() error { _, _, err := s.Action(ctx, r.CaseID, "xnothing"); return err },
		} {
			if err := call(); !errors.Is(err, me.ErrNotFound) {
				t.Errorf("%s of nothing: err = %v, want ErrNotFound", name, err)
			}
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

		got, err := s.CompleteAction(ctx, r.CaseID, complete.ID, completionEvent(), at(2))
		if err != nil {
			t.Fatal(err)
		}
		checkIDs(t, got)
		want := wantEvent(got, completionEvent(), r.CaseID, at(2))
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
