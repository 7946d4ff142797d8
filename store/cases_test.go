package store_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/store"
)

// The portal of these tests shows Malmö's cases.
var malmoOnly = []string{malmo.Number}

// other is a citizen on none of the test cases but their own.
var other = me.Citizen{PersonalIdentityNumber: "200001012384", GivenName: "Annan"}

const handlerEmail = "anna.lindqvist@kommun.example"

// caseSignal is a signal of one event on a Malmö case with a handler.
func caseSignal(externalID string, status me.CaseStatus, citizens []me.Citizen, ev me.Event) me.Signal {
	return me.Signal{
		Case: me.Case{
			OrganisationNumber: malmo.Number,
			ExternalID:         externalID,
			CaseNumber:         "NR " + externalID,
			Title:              me.LocalizedText{SV: "Ärende " + externalID, EN: "Case " + externalID},
			Status:             status,
			Handler:            me.Handler{Name: "Anna Lindqvist", Email: handlerEmail},
		},
		Citizens: citizens,
		Event:    ev,
	}
}

var txSeq struct {
	sync.Mutex
	n int
}

// signal records sig under a new tx.id at now.
func signal(t *testing.T, s *store.Store, sig me.Signal, now time.Time) me.SignalReceipt {
	t.Helper()
	txSeq.Lock()
	txSeq.n++
	tx := fmt.Sprintf("tx-portal-%d", txSeq.n)
	txSeq.Unlock()
	msg := shsMessage(tx)
	msg.From = sig.Case.OrganisationNumber
	return record(t, s, msg, sig, now)
}

func caseOf(t *testing.T, s *store.Store, externalID string) me.Case {
	t.Helper()
	c, err := s.CaseByExternalID(context.Background(), malmo.Number, externalID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func list(t *testing.T, s *store.Store, f me.CaseFilter) []me.CaseSummary {
	t.Helper()
	if f.PersonalIdentityNumber == "" {
		f.PersonalIdentityNumber = tolvan.PersonalIdentityNumber
	}
	if f.Organisations == nil {
		f.Organisations = malmoOnly
	}
	f.PageSize = store.MaxPageSize
	got, next, err := s.ListCases(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	if next != "" {
		t.Fatalf("ListCases(%+v) has more than one page", f)
	}
	return got
}

func caseIDs(list []me.CaseSummary) []string {
	var ids []string
	for _, c := range list {
		ids = append(ids, c.ID)
	}
	return ids
}

func view(t *testing.T, s *store.Store, pnr, caseID string) me.CaseView {
	t.Helper()
	v, err := s.CaseView(context.Background(), pnr, malmoOnly, caseID)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// checkNoHandlerEmail fails when the handler's e-mail address is anywhere
// in v.
func checkNoHandlerEmail(t *testing.T, v any) {
	t.Helper()
	if s := fmt.Sprintf("%+v", v); strings.Contains(s, handlerEmail) || strings.Contains(s, "@kommun.example") {
		t.Errorf("the handler's e-mail address is shown to the citizen: %s", s)
	}
}

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

func TestListCasesPaging(t *testing.T) {
	const n = 500
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		want := map[string]bool{}
		base := at(0)
		for i := range n {
			// Three cases at a time have the same updated_at: the id
			// orders them.
			now := base.Add(time.Duration(i/3) * time.Minute)
			r := signal(t, s, caseSignal(fmt.Sprintf("P-%d", i), me.CaseInProgress, []me.Citizen{tolvan},
				me.Event{Time: now, Title: me.LocalizedText{SV: fmt.Sprintf("Händelse %d", i)}}), now)
			want[r.CaseID] = true
		}
		// Tolvan's cases at another organisation and another citizen's
		// case at Malmö are not listed.
		gbg := caseSignal("G-1", me.CaseInProgress, []me.Citizen{tolvan}, me.Event{Time: base, Title: me.LocalizedText{SV: "Göteborg"}})
		gbg.Case.OrganisationNumber = goteborg.Number
		gbgCase := signal(t, s, gbg, base.Add(10*time.Hour)).CaseID
		otherCase := signal(t, s, caseSignal("O-1", me.CaseInProgress, []me.Citizen{other}, me.Event{Time: base, Title: me.LocalizedText{SV: "Annan"}}), base.Add(time.Hour)).CaseID

		seen := map[string]bool{}
		var prev *me.CaseSummary
		token, pages := "", 0
		for {
			page, next, err := s.ListCases(ctx, me.CaseFilter{
				PersonalIdentityNumber: tolvan.PersonalIdentityNumber,
				Organisations:          malmoOnly,
				PageSize:               37,
				PageToken:              token,
			})
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if next != "" && len(page) != 37 {
				t.Fatalf("page %d has %d cases and a next page", pages, len(page))
			}
			for i := range page {
				c := &page[i]
				if !want[c.ID] {
					t.Fatalf("page %d lists case %s, which is not one of Tolvan's at Malmö", pages, c.ID)
				}
				if seen[c.ID] {
					t.Fatalf("page %d lists case %s again", pages, c.ID)
				}
				seen[c.ID] = true
				if prev != nil && !(c.Updated.Before(prev.Updated) || c.Updated.Equal(prev.Updated) && c.ID < prev.ID) {
					t.Fatalf("case %s (%s) follows %s (%s): not newest first", c.ID, c.Updated, prev.ID, prev.Updated)
				}
				prev = c
				if c.Handler != (me.Handler{Name: "Anna Lindqvist"}) {
					t.Errorf("case %s: handler %+v, want the name only", c.ID, c.Handler)
				}
				if !reflect.DeepEqual(c.Citizens, []string{tolvan.PersonalIdentityNumber}) || c.UnreadEvents != 1 || c.Archived ||
					!strings.HasPrefix(c.LatestEventTitle.SV, "Händelse ") || "NR "+c.ExternalID != c.CaseNumber {
					t.Errorf("summary %+v", *c)
				}
			}
			if next == "" {
				break
			}
			if strings.ContainsAny(next, "+/=") {
				t.Errorf("page token %q is not URL-safe", next)
			}
			token = next
		}
		if len(seen) != n {
			t.Fatalf("%d cases listed, want %d", len(seen), n)
		}
		if want := (n + 36) / 37; pages != want {
			t.Errorf("%d pages, want %d", pages, want)
		}

		// Page sizes: the default and the maximum.
		for _, tt := range []struct{ size, want int }{{0, store.DefaultPageSize}, {-1, store.DefaultPageSize}, {1000, store.MaxPageSize}} {
			page, next, err := s.ListCases(ctx, me.CaseFilter{PersonalIdentityNumber: tolvan.PersonalIdentityNumber, Organisations: malmoOnly, PageSize: tt.size})
			if err != nil || len(page) != tt.want || next == "" {
				t.Errorf("PageSize %d: %d cases, next %q, %v; want %d and a next page", tt.size, len(page), next, err, tt.want)
			}
		}

		// Both organisations: Göteborg's case too, newest.
		page, _, err := s.ListCases(ctx, me.CaseFilter{PersonalIdentityNumber: tolvan.PersonalIdentityNumber, Organisations: []string{malmo.Number, goteborg.Number}, PageSize: 1})
		if err != nil || len(page) != 1 || page[0].ID != gbgCase {
			t.Errorf("both organisations: first case %v, %v; want Göteborg's %s", caseIDs(page), err, gbgCase)
		}
		// The other citizen sees only their own.
		if got := list(t, s, me.CaseFilter{PersonalIdentityNumber: other.PersonalIdentityNumber}); !reflect.DeepEqual(caseIDs(got), []string{otherCase}) {
			t.Errorf("other citizen's cases = %v, want %v", caseIDs(got), []string{otherCase})
		}
		// No organisations: nothing.
		if page, next, err := s.ListCases(ctx, me.CaseFilter{PersonalIdentityNumber: tolvan.PersonalIdentityNumber, Organisations: []string{}}); err != nil || len(page) != 0 || next != "" {
			t.Errorf("no organisations: %d cases, %q, %v; want none", len(page), next, err)
		}
	})
}

func TestListCasesBadPageToken(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		for _, token := range []string{
			"not a token!",
			"====",
			base64.RawURLEncoding.EncodeToString([]byte("no separator")),
			base64.RawURLEncoding.EncodeToString([]byte("123.")),
			base64.RawURLEncoding.EncodeToString([]byte("x.cabc")),
			base64.RawURLEncoding.EncodeToString([]byte("123.c'; DROP TABLE cases")),
		} {
			_, _, err := s.ListCases(ctx, me.CaseFilter{PersonalIdentityNumber: tolvan.PersonalIdentityNumber, Organisations: malmoOnly, PageToken: token})
			var e *me.Error
			if !errors.Is(err, store.ErrMalformedPageToken) || !errors.As(err, &e) || e.Code != me.CodeValidationFailed || e.Element != "" {
				t.Errorf("token %q: err = %v, want ErrMalformedPageToken", token, err)
			}
		}
	})
}

func TestListCasesFilters(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		decided := signal(t, s, bygglovSignal(), at(1)) // Tolvan and Åsa
		closed := signal(t, s, caseSignal("S-2", me.CaseClosed, []me.Citizen{tolvan},
			me.Event{Time: at(2), Title: me.LocalizedText{SV: "Avslutat"}, Actions: []me.Action{{Type: me.ActionArchive}}}), at(2))
		progress := signal(t, s, caseSignal("S-3", me.CaseInProgress, []me.Citizen{tolvan},
			me.Event{ExternalID: "late", Time: at(3), Title: me.LocalizedText{SV: "Senaste", EN: "Latest"}}), at(3))
		// A later signal with an earlier event: the case is updated, the
		// latest event by time stays.
		early := signal(t, s, caseSignal("S-3", me.CaseInProgress, []me.Citizen{tolvan},
			me.Event{ExternalID: "early", Time: at(0), Title: me.LocalizedText{SV: "Tidig"}}), at(4))

		all := list(t, s, me.CaseFilter{})
		if want := []string{progress.CaseID, closed.CaseID, decided.CaseID}; !reflect.DeepEqual(caseIDs(all), want) {
			t.Fatalf("cases %v, want newest activity first %v", caseIDs(all), want)
		}
		if got := all[0]; got.UnreadEvents != 2 || got.LatestEventTitle != (me.LocalizedText{SV: "Senaste", EN: "Latest"}) || !got.Updated.Equal(stored(at(4))) {
			t.Errorf("case with two events: %+v", got)
		}
		wantBygglov := bygglovSignal().Case
		wantBygglov.ID = decided.CaseID
		wantBygglov.Handler.Email = ""
		wantBygglov.Citizens = []string{tolvan.PersonalIdentityNumber, asa.PersonalIdentityNumber}
		wantBygglov.Created, wantBygglov.Updated = stored(at(1)), stored(at(1))
		if w := (me.CaseSummary{Case: wantBygglov, UnreadEvents: 1, LatestEventTitle: bygglovSignal().Event.Title}); !reflect.DeepEqual(all[2], w) {
			t.Errorf("bygglov summary =\n%+v\nwant\n%+v", all[2], w)
		}
		checkNoHandlerEmail(t, all)

		if got := list(t, s, me.CaseFilter{Status: me.CaseClosed}); !reflect.DeepEqual(caseIDs(got), []string{closed.CaseID}) {
			t.Errorf("closed cases %v, want %v", caseIDs(got), []string{closed.CaseID})
		}
		if got := list(t, s, me.CaseFilter{UpdatedSince: at(2)}); !reflect.DeepEqual(caseIDs(got), []string{progress.CaseID, closed.CaseID}) {
			t.Errorf("cases updated since at(2): %v, want %v", caseIDs(got), []string{progress.CaseID, closed.CaseID})
		}

		// Reading: the one event of the bygglov case, one of two of the
		// other.
		for _, ev := range []string{decided.EventID, early.EventID} {
			if _, err := s.MarkEventRead(ctx, tolvan.PersonalIdentityNumber, malmoOnly, ev, "malmo-portal", at(5)); err != nil {
				t.Fatal(err)
			}
		}
		if got := list(t, s, me.CaseFilter{UnreadOnly: true}); !reflect.DeepEqual(caseIDs(got), []string{progress.CaseID, closed.CaseID}) {
			t.Errorf("unread cases %v, want %v", caseIDs(got), []string{progress.CaseID, closed.CaseID})
		}
		all = list(t, s, me.CaseFilter{})
		if all[0].UnreadEvents != 1 || all[2].UnreadEvents != 0 {
			t.Errorf("unread events %d and %d, want 1 and 0", all[0].UnreadEvents, all[2].UnreadEvents)
		}
		// Read on one portal is read on all; Åsa has read nothing.
		if got := list(t, s, me.CaseFilter{UnreadOnly: true, Organisations: []string{goteborg.Number, malmo.Number}}); len(got) != 2 {
			t.Errorf("unread cases through another portal: %v, want 2", caseIDs(got))
		}
		if got := list(t, s, me.CaseFilter{PersonalIdentityNumber: asa.PersonalIdentityNumber, UnreadOnly: true}); !reflect.DeepEqual(caseIDs(got), []string{decided.CaseID}) || got[0].UnreadEvents != 1 {
			t.Errorf("Åsa's unread cases %+v, want the bygglov case with 1 unread", got)
		}

		// Archiving hides the case from the citizen's default listing only.
		if _, err := s.ArchiveCase(ctx, tolvan.PersonalIdentityNumber, malmoOnly, closed.CaseID, at(6)); err != nil {
			t.Fatal(err)
		}
		if got := list(t, s, me.CaseFilter{}); !reflect.DeepEqual(caseIDs(got), []string{progress.CaseID, decided.CaseID}) {
			t.Errorf("cases after archiving %v, want %v", caseIDs(got), []string{progress.CaseID, decided.CaseID})
		}
		got := list(t, s, me.CaseFilter{IncludeArchived: true})
		if !reflect.DeepEqual(caseIDs(got), []string{progress.CaseID, closed.CaseID, decided.CaseID}) || !got[1].Archived || got[0].Archived || got[2].Archived {
			t.Errorf("cases with archived: %+v", got)
		}
		if got := list(t, s, me.CaseFilter{IncludeArchived: true, Status: me.CaseClosed, UnreadOnly: true}); !reflect.DeepEqual(caseIDs(got), []string{closed.CaseID}) {
			t.Errorf("closed unread with archived: %v, want %v", caseIDs(got), []string{closed.CaseID})
		}
	})
}

func TestCaseView(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		first := signal(t, s, bygglovSignal(), at(1))
		later := bygglovSignal()
		later.Case.Status = me.CaseClosed
		later.Event = me.Event{ExternalID: "H6", Time: at(3), Title: me.LocalizedText{SV: "Avslutat"}, Text: me.LocalizedText{SV: "Klart."}, Notify: true}
		second := signal(t, s, later, at(4))
		// Same time as the second, stored later: newer.
		same := later
		same.Event = me.Event{ExternalID: "H7", Time: at(3), Title: me.LocalizedText{SV: "Samtidigt"}}
		third := signal(t, s, same, at(5))

		readAt, err := s.MarkEventRead(ctx, tolvan.PersonalIdentityNumber, malmoOnly, first.EventID, "malmo-portal", at(6))
		if err != nil {
			t.Fatal(err)
		}
		if !readAt.Equal(stored(at(6))) || readAt.Location() != time.UTC {
			t.Errorf("read at %v, want %v", readAt, stored(at(6)))
		}

		v := view(t, s, tolvan.PersonalIdentityNumber, first.CaseID)
		checkNoHandlerEmail(t, v)
		var evIDs []string
		for _, e := range v.Events {
			evIDs = append(evIDs, e.ID)
		}
		if want := []string{third.EventID, second.EventID, first.EventID}; !reflect.DeepEqual(evIDs, want) {
			t.Fatalf("events %v, want newest first %v", evIDs, want)
		}
		wantCase := later.Case
		wantCase.ID = first.CaseID
		wantCase.Handler = me.Handler{Name: later.Case.Handler.Name}
		wantCase.Citizens = []string{tolvan.PersonalIdentityNumber, asa.PersonalIdentityNumber}
		wantCase.Created, wantCase.Updated = stored(at(1)), stored(at(5))
		wantSummary := me.CaseSummary{Case: wantCase, UnreadEvents: 2, LatestEventTitle: same.Event.Title}
		if !reflect.DeepEqual(v.CaseSummary, wantSummary) {
			t.Errorf("summary =\n%+v\nwant\n%+v", v.CaseSummary, wantSummary)
		}
		if v.Events[0].ReadAt != nil || v.Events[1].ReadAt != nil || v.Events[2].ReadAt == nil || !v.Events[2].ReadAt.Equal(stored(at(6))) {
			t.Errorf("read at %v, %v, %v; want only the first event's, %v", v.Events[0].ReadAt, v.Events[1].ReadAt, v.Events[2].ReadAt, stored(at(6)))
		}
		// The first event as stored, without attachment content.
		all := eventsOf(t, s, first.CaseID)
		want := all[0]
		for i := range want.Attachments {
			want.Attachments[i].Content = nil
		}
		rat := stored(at(6))
		want.ReadAt = &rat
		if !reflect.DeepEqual(v.Events[2], want) {
			t.Errorf("event =\n%+v\nwant\n%+v", v.Events[2], want)
		}
		if v.Events[2].Attachments[0].Size != int64(len(pdf)) {
			t.Errorf("attachment size %d, want %d", v.Events[2].Attachments[0].Size, len(pdf))
		}

		// Åsa has read nothing.
		va := view(t, s, asa.PersonalIdentityNumber, first.CaseID)
		if va.UnreadEvents != 3 || va.Events[2].ReadAt != nil {
			t.Errorf("Åsa's view: %d unread, first read at %v; want 3 and nil", va.UnreadEvents, va.Events[2].ReadAt)
		}
	})
}

func TestPortalNotFound(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		sig := bygglovSignal()
		sig.Case.Status = me.CaseClosed
		r := signal(t, s, sig, at(1))
		signal(t, s, caseSignal("O-1", me.CaseInProgress, []me.Citizen{other}, me.Event{Time: at(1), Title: me.LocalizedText{SV: "Annan"}}), at(1))
		attachment := eventsOf(t, s, r.CaseID)[0].Attachments[0].ID
		mail := func() me.Mail {
			return me.Mail{Subject: "Hej", Text: "Hej", MessageID: store.NewID("mail") + "@me.example"}
		}

		// Tolvan through Malmö's portal sees it all.
		if _, err := s.CaseView(ctx, tolvan.PersonalIdentityNumber, malmoOnly, r.CaseID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Attachment(ctx, tolvan.PersonalIdentityNumber, malmoOnly, attachment); err != nil {
			t.Fatal(err)
		}

		for _, tt := range []struct {
			name, pnr string
			orgs      []string
		}{
			{"another citizen", other.PersonalIdentityNumber, malmoOnly},
			{"another organisation", tolvan.PersonalIdentityNumber, []string{goteborg.Number}},
			{"no organisation", tolvan.PersonalIdentityNumber, nil},
			{"no citizen", "", malmoOnly},
		} {
			t.Run(tt.name, func(t *testing.T) {
				calls := []struct {
					name string
					call func() error
				}{
					{"CaseView", func() error { _, err := s.CaseView(ctx, tt.pnr, tt.orgs, r.CaseID); return err }},
					{"MarkEventRead", func() error {
						_, err := s.MarkEventRead(ctx, tt.pnr, tt.orgs, r.EventID, "portal", at(2))
						return err
					}},
					{"Attachment", func() error { _, err := s.Attachment(ctx, tt.pnr, tt.orgs, attachment); return err }},
					{"AddCitizenMessage", func() error {
						_, err := s.AddCitizenMessage(ctx, tt.pnr, tt.orgs, r.CaseID, r.EventID, "Hej", mail(), at(2))
						return err
					}},
					{"ArchiveCase", func() error { _, err := s.ArchiveCase(ctx, tt.pnr, tt.orgs, r.CaseID, at(2)); return err }},
				}
				for _, c := range calls {
					if err := c.call(); !errors.Is(err, me.ErrNotFound) {
						t.Errorf("%s: err = %v, want one wrapping me.ErrNotFound", c.name, err)
					}
				}
				if tt.pnr != "" {
					got, _, err := s.ListCases(ctx, me.CaseFilter{PersonalIdentityNumber: tt.pnr, Organisations: tt.orgs, IncludeArchived: true})
					if err != nil || slices.Contains(caseIDs(got), r.CaseID) {
						t.Errorf("ListCases = %v, %v; want without %s", caseIDs(got), err, r.CaseID)
					}
				}
			})
		}

		// Ids that do not exist.
		for _, c := range []struct {
			name string
			call func() error
		}{
			{"CaseView", func() error {
				_, err := s.CaseView(ctx, tolvan.PersonalIdentityNumber, malmoOnly, "cnothing")
				return err
			}},
			{"MarkEventRead", func() error {
				_, err := s.MarkEventRead(ctx, tolvan.PersonalIdentityNumber, malmoOnly, "enothing", "portal", at(2))
				return err
			}},
			{"Attachment", func() error {
				_, err := s.Attachment(ctx, tolvan.PersonalIdentityNumber, malmoOnly, "anothing")
				return err
			}},
			{"AddCitizenMessage", func() error {
				_, err := s.AddCitizenMessage(ctx, tolvan.PersonalIdentityNumber, malmoOnly, r.CaseID, "enothing", "Hej", mail(), at(2))
				return err
			}},
			{"ArchiveCase", func() error {
				_, err := s.ArchiveCase(ctx, tolvan.PersonalIdentityNumber, malmoOnly, "cnothing", at(2))
				return err
			}},
		} {
			if err := c.call(); !errors.Is(err, me.ErrNotFound) {
				t.Errorf("%s of a missing id: err = %v, want one wrapping me.ErrNotFound", c.name, err)
			}
		}

		// Nothing was written by the refused calls.
		if v := view(t, s, tolvan.PersonalIdentityNumber, r.CaseID); v.UnreadEvents != 1 || v.Archived || len(v.Events) != 1 {
			t.Errorf("after refused calls: %+v", v)
		}
		if ns := allNotifications(t, s); len(ns) != 0 {
			t.Errorf("notifications after refused calls: %+v", ns)
		}
	})
}

func TestArchiveCase(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		archive := []me.Action{{Type: me.ActionMessage}, {Type: me.ActionArchive, Label: me.LocalizedText{SV: "Arkivera"}}}
		conflict := func(name string, err error, says string) {
			t.Helper()
			var e *me.Error
			if !errors.As(err, &e) || e.Code != me.CodeConflict || e.Element != "" || !strings.Contains(e.Message, says) {
				t.Errorf("%s: err = %v, want Conflict saying %q", name, err, says)
			}
		}

		// Not closed.
		open := signal(t, s, caseSignal("A-1", me.CaseDecided, []me.Citizen{tolvan},
			me.Event{Time: at(1), Title: me.LocalizedText{SV: "Beslut"}, Actions: archive}), at(1))
		_, err := s.ArchiveCase(ctx, tolvan.PersonalIdentityNumber, malmoOnly, open.CaseID, at(2))
		conflict("case not closed", err, "closed")

		// Closed, but the latest event (by time) offers no archiving: an
		// earlier one does.
		sig := caseSignal("A-2", me.CaseClosed, []me.Citizen{tolvan},
			me.Event{ExternalID: "1", Time: at(3), Title: me.LocalizedText{SV: "Avslutat"}})
		noArchive := signal(t, s, sig, at(3))
		sig.Event = me.Event{ExternalID: "0", Time: at(2), Title: me.LocalizedText{SV: "Tidigare"}, Actions: archive}
		signal(t, s, sig, at(4))
		_, err = s.ArchiveCase(ctx, tolvan.PersonalIdentityNumber, malmoOnly, noArchive.CaseID, at(5))
		conflict("latest event without archive", err, "latest event")
		if !errors.Is(err, store.ErrNotArchivable) {
			t.Errorf("latest event without archive: err = %v, want ErrNotArchivable", err)
		}
		if got := list(t, s, me.CaseFilter{}); len(got) != 2 {
			t.Errorf("%d cases listed after refused archiving, want 2", len(got))
		}

		// Closed, and the latest event offers archiving.
		closedSig := caseSignal("A-3", me.CaseClosed, []me.Citizen{tolvan, asa},
			me.Event{Time: at(6), Title: me.LocalizedText{SV: "Avslutat"}, Actions: archive})
		closed := signal(t, s, closedSig, at(6))
		first, err := s.ArchiveCase(ctx, tolvan.PersonalIdentityNumber, malmoOnly, closed.CaseID, at(7))
		if err != nil {
			t.Fatal(err)
		}
		if !first.Equal(stored(at(7))) {
			t.Errorf("archived at %v, want %v", first, stored(at(7)))
		}
		again, err := s.ArchiveCase(ctx, tolvan.PersonalIdentityNumber, malmoOnly, closed.CaseID, at(8))
		if err != nil || !again.Equal(first) {
			t.Errorf("archiving again: %v, %v; want the first time %v", again, err, first)
		}
		v := view(t, s, tolvan.PersonalIdentityNumber, closed.CaseID)
		if a := v.Events[0].Actions[1]; !v.Archived || a.State != me.ActionDone || a.DoneAt == nil || !a.DoneAt.Equal(first) {
			t.Errorf("after archiving: archived %v, action %+v", v.Archived, a)
		}
		if v.Events[0].Actions[0].State != me.ActionAvailable {
			t.Errorf("the message action is %s, want available", v.Events[0].Actions[0].State)
		}
		if got := list(t, s, me.CaseFilter{}); slices.Contains(caseIDs(got), closed.CaseID) {
			t.Errorf("archived case in the default listing: %v", caseIDs(got))
		}
		if got := list(t, s, me.CaseFilter{IncludeArchived: true}); !slices.Contains(caseIDs(got), closed.CaseID) {
			t.Errorf("archived case not listed with IncludeArchived: %v", caseIDs(got))
		}

		// Archiving is per citizen: Åsa still has it, and may archive it
		// herself.
		if got := list(t, s, me.CaseFilter{PersonalIdentityNumber: asa.PersonalIdentityNumber}); !reflect.DeepEqual(caseIDs(got), []string{closed.CaseID}) || got[0].Archived {
			t.Errorf("Åsa's cases %+v, want the case not archived", got)
		}
		asaAt, err := s.ArchiveCase(ctx, asa.PersonalIdentityNumber, malmoOnly, closed.CaseID, at(9))
		if err != nil || !asaAt.Equal(stored(at(9))) {
			t.Errorf("Åsa archives: %v, %v; want %v", asaAt, err, stored(at(9)))
		}
	})
}

// TestArchiveCaseByTheCaseSystemsEvents: whether a closed case can be
// archived is decided by the case system's latest event (by time, ties by
// arrival). The citizens' own events, a message or a completion, stamped
// when ME made them and so later than the closing event the case system
// dated earlier, never decide it.
func TestArchiveCaseByTheCaseSystemsEvents(t *testing.T) {
	ctx := context.Background()
	archive := []me.Action{{Type: me.ActionMessage}, {Type: me.ActionArchive}, {Type: me.ActionComplete, EServiceID: "e", EServiceOrganisation: malmo.Number}}
	type step struct {
		event   *me.Event // a signal of this event, arriving at arrival
		arrival int
		message bool // the citizen writes to the handler at arrival
		// complete: the citizen's completion is reported at arrival
		complete bool
	}
	closing := func(id string, h int, actions []me.Action) *me.Event {
		return &me.Event{ExternalID: id, Time: at(h), Title: me.LocalizedText{SV: "Avslutat"}, Actions: actions}
	}
	tests := []struct {
		name  string
		steps []step
		want  error // nil: archived
	}{
		{"a message after the closing event", []step{{event: closing("H1", 1, archive), arrival: 2}, {message: true, arrival: 3}}, nil},
		{"a completion after the closing event", []step{{event: closing("H1", 1, archive), arrival: 2}, {complete: true, arrival: 3}}, nil},
		{"a message and a completion", []step{{event: closing("H1", 1, archive), arrival: 2}, {message: true, arrival: 3}, {complete: true, arrival: 4}}, nil},
		{"a later event of the case system without archive", []step{{event: closing("H1", 1, archive), arrival: 2},
			{message: true, arrival: 3}, {event: closing("H2", 2, nil), arrival: 4}}, store.ErrNotArchivable},
		{"an earlier-dated event arriving later does not decide", []step{{event: closing("H2", 2, archive), arrival: 2},
			{event: closing("H1", 1, nil), arrival: 3}, {message: true, arrival: 4}}, nil},
		{"equal times: the later arrival decides (archive)", []step{{event: closing("H1", 1, nil), arrival: 2},
			{event: closing("H2", 1, archive), arrival: 3}, {message: true, arrival: 4}}, nil},
		{"equal times: the later arrival decides (no archive)", []step{{event: closing("H1", 1, archive), arrival: 2},
			{event: closing("H2", 1, nil), arrival: 3}, {message: true, arrival: 4}}, store.ErrNotArchivable},
	}
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				externalID := fmt.Sprintf("ARK-%d", i)
				var caseID, offering string // the case; an event offering message and complete
				last := 0
				for _, st := range tt.steps {
					switch {
					case st.event != nil:
						r := signal(t, s, caseSignal(externalID, me.CaseClosed, []me.Citizen{tolvan, asa}, *st.event), at(st.arrival))
						caseID = r.CaseID
						if len(st.event.Actions) > 0 {
							offering = r.EventID
						}
					case st.message:
						m := me.Mail{Subject: "Hej", Text: "Hej", MessageID: store.NewID("mail") + "@me.example"}
						if _, err := s.AddCitizenMessage(ctx, tolvan.PersonalIdentityNumber, malmoOnly, caseID, offering, "Hej", m, at(st.arrival)); err != nil {
							t.Fatal(err)
						}
					case st.complete:
						_, ev, err := s.EventWithCase(ctx, offering)
						if err != nil {
							t.Fatal(err)
						}
						if _, err := s.CompleteAction(ctx, caseID, ev.Actions[2].ID, me.Event{Title: me.LocalizedText{SV: "Komplettering mottagen"}}, at(st.arrival)); err != nil {
							t.Fatal(err)
						}
					}
					last = st.arrival
				}
				_, err := s.ArchiveCase(ctx, asa.PersonalIdentityNumber, malmoOnly, caseID, at(last+1))
				if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
					t.Errorf("ArchiveCase: %v; want %v", err, tt.want)
				}
			})
		}
	})
}

func TestArchiveCaseConcurrently(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		r := signal(t, s, caseSignal("A-1", me.CaseClosed, []me.Citizen{tolvan},
			me.Event{Time: at(1), Title: me.LocalizedText{SV: "Avslutat"}, Actions: []me.Action{{Type: me.ActionArchive}}}), at(1))
		const n = 8
		results := make([]time.Time, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				results[i], errs[i] = s.ArchiveCase(ctx, tolvan.PersonalIdentityNumber, malmoOnly, r.CaseID, at(2).Add(time.Duration(i)*time.Second))
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		for i := range results {
			if !results[i].Equal(results[0]) {
				t.Fatalf("call %d archived at %v, call 0 at %v", i, results[i], results[0])
			}
		}
	})
}

// TestListingKeepsUnreadAndOrder follows a case through what changes a
// citizen's listing, on each step comparing the listing (which reads the
// unread count and order kept on case_citizens) with what the case's
// events and reads say: new events, a co-applicant put on the case
// later, reads (twice), the citizen's message and a completion.
func TestListingKeepsUnreadAndOrder(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		ev := func(id string, hour int, actions ...me.Action) me.Event {
			return me.Event{ExternalID: id, Time: at(hour), Title: me.LocalizedText{SV: "Händelse " + id}, Actions: actions}
		}
		first := signal(t, s, caseSignal("L-1", me.CaseInProgress, []me.Citizen{tolvan}, ev("1", 1, me.Action{Type: me.ActionMessage})), at(1))
		signal(t, s, caseSignal("L-2", me.CaseInProgress, []me.Citizen{tolvan, asa}, ev("1", 2)), at(2))
		// check compares each citizen's listing with their view of each case.
		check := func(step string, wantOrder ...string) {
			t.Helper()
			for _, c := range []me.Citizen{tolvan, asa} {
				got := list(t, s, me.CaseFilter{PersonalIdentityNumber: c.PersonalIdentityNumber})
				for _, sum := range got {
					v := view(t, s, c.PersonalIdentityNumber, sum.ID)
					if sum.UnreadEvents != v.UnreadEvents {
						t.Errorf("%s: %s's listing says %d unread on %s, the case's events say %d", step, c.GivenName, sum.UnreadEvents, sum.ExternalID, v.UnreadEvents)
					}
					if want := v.Events[0].Title; sum.LatestEventTitle != want {
						t.Errorf("%s: %s's listing shows latest %q on %s, want %q", step, c.GivenName, sum.LatestEventTitle.SV, sum.ExternalID, want.SV)
					}
				}
				if c == tolvan {
					var order []string
					for _, sum := range got {
						order = append(order, sum.ExternalID)
					}
					if !slices.Equal(order, wantOrder) {
						t.Errorf("%s: Tolvan's listing %v, want %v", step, order, wantOrder)
					}
				}
			}
		}
		check("two cases", "L-2", "L-1")

		signal(t, s, caseSignal("L-1", me.CaseInProgress, []me.Citizen{tolvan}, ev("2", 3)), at(3))
		check("a second event on L-1", "L-1", "L-2")

		// Åsa is put on L-1 by its third event: all three are unread by her.
		signal(t, s, caseSignal("L-1", me.CaseInProgress, []me.Citizen{tolvan, asa}, ev("3", 4)), at(4))
		check("Åsa on L-1", "L-1", "L-2")
		if got := list(t, s, me.CaseFilter{PersonalIdentityNumber: asa.PersonalIdentityNumber}); len(got) != 2 || got[0].UnreadEvents != 3 {
			t.Fatalf("Åsa's listing %+v: want L-1 first with 3 unread", got)
		}

		for range 2 { // a second read changes nothing
			if _, err := s.MarkEventRead(ctx, tolvan.PersonalIdentityNumber, malmoOnly, first.EventID, "portal-a", at(5)); err != nil {
				t.Fatal(err)
			}
		}
		check("Tolvan read L-1's first event", "L-1", "L-2")

		signal(t, s, caseSignal("L-2", me.CaseInProgress, []me.Citizen{tolvan, asa}, ev("2", 6)), at(6))
		check("a second event on L-2", "L-2", "L-1")

		mail := me.Mail{To: "x@example.com", Subject: "Meddelande", Text: "Hej", MessageID: "<l1@me.example>"}
		if _, err := s.AddCitizenMessage(ctx, tolvan.PersonalIdentityNumber, malmoOnly, first.CaseID, first.EventID, "Hej", mail, at(7)); err != nil {
			t.Fatal(err)
		}
		check("Tolvan wrote on L-1", "L-1", "L-2")
		if got := list(t, s, me.CaseFilter{UnreadOnly: true}); len(got) != 2 {
			t.Errorf("unread only: %d cases, want 2", len(got))
		}
		if got := list(t, s, me.CaseFilter{UpdatedSince: at(7)}); len(got) != 1 || got[0].ID != first.CaseID {
			t.Errorf("updated since the message: %+v, want L-1 alone", got)
		}
	})
}
