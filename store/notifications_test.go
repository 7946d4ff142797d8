package store_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/store"
)

const notifyWindow = time.Hour

// planner is a PlanFunc that notifies on the channels the profile asks for
// when it has the contact details, and records its calls.
type planner struct {
	mu    sync.Mutex
	calls []plannerCall
	delay time.Duration // sleeps in each call, to widen races
	smsAt time.Time     // NextAttempt of SMS (quiet hours); zero for at once
}

type plannerCall struct {
	Profile me.CitizenProfile
	Org     string
	Known   bool
}

func (p *planner) build(profile me.CitizenProfile, org string, known bool) []me.Notification {
	p.mu.Lock()
	p.calls = append(p.calls, plannerCall{profile, org, known})
	p.mu.Unlock()
	if p.delay > 0 {
		time.Sleep(p.delay)
	}
	var ns []me.Notification
	ch := profile.Channel
	if (ch == me.NotifySMS || ch == me.NotifyBoth) && profile.Mobile != "" {
		ns = append(ns, me.Notification{
			Channel: me.NotifySMS, To: profile.Mobile, Text: "Nytt från " + org,
			IdempotencyKey: store.NewID("s"), NextAttempt: p.smsAt,
		})
	}
	if (ch == me.NotifyEmail || ch == me.NotifyBoth) && profile.Email != "" {
		ns = append(ns, me.Notification{
			Channel: me.NotifyEmail, To: profile.Email, Subject: "Nytt i Mina Engagemang", Text: "Nytt från " + org,
			IdempotencyKey: "<" + store.NewID("m") + "@me.example>",
		})
	}
	return ns
}

func (p *planner) callCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.calls)
}

func setContact(t *testing.T, s *store.Store, pnr string, ch me.NotificationChannel, email, mobile string) {
	t.Helper()
	_, err := s.PutCitizenProfile(context.Background(), me.CitizenProfile{
		PersonalIdentityNumber: pnr, GivenName: "G" + pnr, Email: email, Mobile: mobile, Channel: ch,
	}, at(0))
	if err != nil {
		t.Fatal(err)
	}
}

// notifyingSignal is a signal of a notifying event on case externalID of
// org.
func notifyingSignal(org, externalID, eventID string, citizens ...me.Citizen) me.Signal {
	sig := caseSignal(externalID, me.CaseInProgress, citizens, me.Event{
		ExternalID: eventID, Time: at(0), Title: me.LocalizedText{SV: "Händelse " + eventID}, Notify: true,
	})
	sig.Case.OrganisationNumber = org
	return sig
}

func plan(t *testing.T, s *store.Store, now time.Time, limit int, p *planner) int {
	t.Helper()
	n, err := s.PlanNotifications(context.Background(), now, notifyWindow, limit, p.build)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func allNotifications(t *testing.T, s *store.Store) []me.Notification {
	t.Helper()
	ns, err := s.Notifications(context.Background(), false, 0)
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(ns) // oldest first
	return ns
}

type outboxState struct{ State, LastError string }

func outboxStates(t *testing.T, s *store.Store) []outboxState {
	t.Helper()
	var got []outboxState
	for _, it := range outbox(t, s) {
		got = append(got, outboxState{it.State, it.LastError})
	}
	return got
}

func TestPlanNotifications(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		setContact(t, s, tolvan.PersonalIdentityNumber, me.NotifyBoth, "tolvan@example.se", "+46701234567")
		// Åsa has the profile the signal made: no channel. other has none
		// at all (an outbox row whose citizen is gone, say): the default.
		p := &planner{smsAt: at(10)}

		signal(t, s, notifyingSignal(malmo.Number, "N1", "H1", tolvan, asa), at(0))
		due := stored(at(0)).Format("2006-01-02T15:04:05.000000000Z07:00")
		if err := s.Exec(context.Background(), `
			INSERT INTO outbox (kind, organisation_number, case_id, event_id, personal_identity_number, created_at, next_attempt_at)
			VALUES ('event', ?, 'cgone', 'egone', ?, ?, ?)`, malmo.Number, other.PersonalIdentityNumber, due, due); err != nil {
			t.Fatal(err)
		}
		if n := plan(t, s, at(0).Add(-time.Second), 10, p); n != 0 {
			t.Fatalf("planned %d before the outbox rows were due", n)
		}
		if n := plan(t, s, at(0), 10, p); n != 2 {
			t.Fatalf("planned %d, want 2 (SMS and e-mail to Tolvan)", n)
		}
		// Groups are planned in personnummer order.
		var wantCalls []plannerCall
		for _, pnr := range []string{tolvan.PersonalIdentityNumber, asa.PersonalIdentityNumber} {
			profile, err := s.CitizenProfile(context.Background(), pnr)
			if err != nil {
				t.Fatal(err)
			}
			wantCalls = append(wantCalls, plannerCall{profile, malmo.Number, true})
		}
		wantCalls = append(wantCalls, plannerCall{me.DefaultProfile(other.PersonalIdentityNumber), malmo.Number, false})
		if !reflect.DeepEqual(p.calls, wantCalls) {
			t.Errorf("build calls\n%+v\nwant\n%+v", p.calls, wantCalls)
		}

		ns := allNotifications(t, s)
		if len(ns) != 2 {
			t.Fatalf("%d notifications, want 2: %+v", len(ns), ns)
		}
		want := []me.Notification{
			{
				ID: ns[0].ID, Kind: "event", PersonalIdentityNumber: tolvan.PersonalIdentityNumber, OrganisationNumber: malmo.Number,
				Channel: me.NotifySMS, To: "+46701234567", Text: "Nytt från " + malmo.Number,
				IdempotencyKey: ns[0].IdempotencyKey, State: me.NotificationPending,
				NextAttempt: stored(at(10)), Created: stored(at(0)),
			},
			{
				ID: ns[1].ID, Kind: "event", PersonalIdentityNumber: tolvan.PersonalIdentityNumber, OrganisationNumber: malmo.Number,
				Channel: me.NotifyEmail, To: "tolvan@example.se", Subject: "Nytt i Mina Engagemang", Text: "Nytt från " + malmo.Number,
				IdempotencyKey: ns[1].IdempotencyKey, State: me.NotificationPending,
				NextAttempt: stored(at(0)), Created: stored(at(0)),
			},
		}
		if !reflect.DeepEqual(ns, want) {
			t.Errorf("notifications\n%+v\nwant\n%+v", ns, want)
		}
		if ns[0].IdempotencyKey == "" || ns[0].IdempotencyKey == ns[1].IdempotencyKey {
			t.Errorf("idempotency keys %q and %q", ns[0].IdempotencyKey, ns[1].IdempotencyKey)
		}
		items := outbox(t, s)
		for _, it := range items {
			switch it.PersonalIdentityNumber {
			case tolvan.PersonalIdentityNumber:
				if it.State != "sent" || it.LastError != "" || it.Sent == nil || !it.Sent.Equal(stored(at(0))) {
					t.Errorf("Tolvan's outbox row %+v, want sent at %v", it, stored(at(0)))
				}
			default:
				if it.State != "skipped" || it.LastError != "no contact details" || it.Sent != nil {
					t.Errorf("outbox row %+v, want skipped for no contact details", it)
				}
			}
		}
		// Nothing pending is left: planning again does nothing.
		if n := plan(t, s, at(1), 10, p); n != 0 || len(p.calls) != 3 {
			t.Errorf("planning again: %d planned, %d build calls", n, len(p.calls))
		}
	})
}

func TestPlanNotificationsCoalesces(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		setContact(t, s, tolvan.PersonalIdentityNumber, me.NotifyBoth, "tolvan@example.se", "+46701234567")
		setContact(t, s, asa.PersonalIdentityNumber, me.NotifyNone, "asa@example.se", "+46707654321")
		p := &planner{}
		t0 := at(0)

		// Two events before the planner runs are one group: one of each.
		signal(t, s, notifyingSignal(malmo.Number, "C1", "H1", tolvan), t0)
		signal(t, s, notifyingSignal(malmo.Number, "C1", "H2", tolvan), t0.Add(time.Minute))
		if n := plan(t, s, t0.Add(2*time.Minute), 10, p); n != 2 {
			t.Fatalf("planned %d, want 2", n)
		}
		// Three more within the window: coalesced, though planned one by one.
		for i := range 3 {
			signal(t, s, notifyingSignal(malmo.Number, "C1", fmt.Sprintf("H%d", 3+i), tolvan), t0.Add(time.Duration(10+i)*time.Minute))
		}
		if n := plan(t, s, t0.Add(20*time.Minute), 1, p); n != 0 {
			t.Fatalf("planned %d within the window, want 0", n)
		}
		if n := plan(t, s, t0.Add(61*time.Minute), 10, p); n != 0 {
			t.Fatalf("planned %d within the window, want 0", n)
		}
		// Another organisation is not coalesced with Malmö.
		signal(t, s, notifyingSignal(goteborg.Number, "G1", "H1", tolvan), t0.Add(62*time.Minute))
		if n := plan(t, s, t0.Add(62*time.Minute), 10, p); n != 2 {
			t.Fatalf("planned %d for Göteborg, want 2", n)
		}
		// Outside the window: notified again.
		signal(t, s, notifyingSignal(malmo.Number, "C1", "H6", tolvan), t0.Add(63*time.Minute))
		if n := plan(t, s, t0.Add(63*time.Minute), 10, p); n != 2 {
			t.Fatalf("planned %d after the window, want 2", n)
		}
		// A citizen with contact details but channel none: skipped.
		signal(t, s, notifyingSignal(malmo.Number, "C2", "H1", asa), t0.Add(64*time.Minute))
		if n := plan(t, s, t0.Add(64*time.Minute), 10, p); n != 0 {
			t.Fatalf("planned %d for channel none, want 0", n)
		}

		sent := outboxState{"sent", ""}
		coalesced := outboxState{"skipped", "coalesced"}
		want := []outboxState{sent, sent, coalesced, coalesced, coalesced, sent, sent, {"skipped", "no contact details"}}
		if got := outboxStates(t, s); !reflect.DeepEqual(got, want) {
			t.Errorf("outbox states\n%v\nwant\n%v", got, want)
		}
		var got []string
		for _, n := range allNotifications(t, s) {
			got = append(got, fmt.Sprintf("%s %s %s", n.OrganisationNumber, n.Channel, n.Created.Format("15:04")))
		}
		wantNs := []string{
			malmo.Number + " sms 08:32", malmo.Number + " email 08:32",
			goteborg.Number + " sms 09:32", goteborg.Number + " email 09:32",
			malmo.Number + " sms 09:33", malmo.Number + " email 09:33",
		}
		if !reflect.DeepEqual(got, wantNs) {
			t.Errorf("notifications\n%v\nwant\n%v", got, wantNs)
		}
		if _, err := s.PlanNotifications(context.Background(), t0, notifyWindow, 0, p.build); err == nil {
			t.Error("PlanNotifications with limit 0: no error")
		}
	})
}

// TestPlanNotificationsInvalid: what build gets wrong fails the outbox rows
// of that citizen only; a taken idempotency key is a Conflict.
func TestPlanNotificationsInvalid(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		setup(t, s)
		setContact(t, s, tolvan.PersonalIdentityNumber, me.NotifyBoth, "tolvan@example.se", "+46701234567")
		setContact(t, s, asa.PersonalIdentityNumber, me.NotifyEmail, "asa@example.se", "")
		signal(t, s, notifyingSignal(malmo.Number, "I1", "H1", tolvan, asa), at(0))
		good := &planner{}
		build := func(p me.CitizenProfile, org string, known bool) []me.Notification {
			if p.PersonalIdentityNumber == tolvan.PersonalIdentityNumber {
				return []me.Notification{{Channel: me.NotifyBoth, To: "x", IdempotencyKey: "k"}}
			}
			return good.build(p, org, known)
		}
		n, err := s.PlanNotifications(ctx, at(0), notifyWindow, 10, build)
		if err != nil || n != 1 {
			t.Fatalf("PlanNotifications = %d, %v; want 1 (Åsa's e-mail)", n, err)
		}
		want := []outboxState{
			{"failed", `invalid notification: channel "both" (want sms or email)`},
			{"sent", ""},
		}
		if got := outboxStates(t, s); !reflect.DeepEqual(got, want) {
			t.Errorf("outbox states %v, want %v", got, want)
		}

		key := allNotifications(t, s)[0].IdempotencyKey
		signal(t, s, notifyingSignal(goteborg.Number, "I2", "H1", asa), at(1))
		_, err = s.PlanNotifications(ctx, at(1), notifyWindow, 10, func(me.CitizenProfile, string, bool) []me.Notification {
			return []me.Notification{{Channel: me.NotifyEmail, To: "asa@example.se", IdempotencyKey: key}}
		})
		if me.ErrorCode(err) != me.CodeConflict {
			t.Fatalf("a taken idempotency key: err = %v, want Conflict", err)
		}
		if got := outbox(t, s)[2].State; got != "pending" {
			t.Errorf("outbox row after the conflict is %s, want pending (rolled back)", got)
		}
	})
}

// TestPlanNotificationsConcurrently has several planners plan many events of
// a few citizens at once, a few rows at a time so that they split one
// citizen's rows between them: each citizen gets exactly one SMS and one
// e-mail, and every row is planned once.
func TestPlanNotificationsConcurrently(t *testing.T) {
	const (
		citizens  = 4
		events    = 8
		planners  = 5
		batchSize = 2
	)
	forEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		setup(t, s)
		var cs []me.Citizen
		for i := range citizens {
			c := me.Citizen{PersonalIdentityNumber: fmt.Sprintf("19800101%04d", i), GivenName: fmt.Sprint("C", i)}
			setContact(t, s, c.PersonalIdentityNumber, me.NotifyBoth, fmt.Sprintf("c%d@example.se", i), fmt.Sprintf("+4670000000%d", i))
			cs = append(cs, c)
		}
		// Each citizen's rows next to each other, so that planners taking
		// the next rows take the same citizen's.
		for _, c := range cs {
			for e := range events {
				signal(t, s, notifyingSignal(malmo.Number, "K"+c.PersonalIdentityNumber, fmt.Sprint("H", e), c), at(0))
			}
		}
		p := &planner{delay: 2 * time.Millisecond}
		var (
			wg      sync.WaitGroup
			planned atomic.Int64
			errs    = make([]error, planners)
		)
		for g := range planners {
			wg.Go(func() {
				for range citizens * events {
					n, err := s.PlanNotifications(ctx, at(0), notifyWindow, batchSize, p.build)
					if err != nil {
						errs[g] = err
						return
					}
					planned.Add(int64(n))
				}
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		perCitizen := map[string][]me.NotificationChannel{}
		for _, n := range allNotifications(t, s) {
			perCitizen[n.PersonalIdentityNumber] = append(perCitizen[n.PersonalIdentityNumber], n.Channel)
		}
		for _, c := range cs {
			got := perCitizen[c.PersonalIdentityNumber]
			slices.Sort(got)
			if !reflect.DeepEqual(got, []me.NotificationChannel{me.NotifyEmail, me.NotifySMS}) {
				t.Errorf("citizen %s got %v, want one e-mail and one SMS", c.PersonalIdentityNumber, got)
			}
		}
		if planned.Load() != 2*citizens {
			t.Errorf("planned %d in total, want %d", planned.Load(), 2*citizens)
		}
		states := map[outboxState]int{}
		for _, st := range outboxStates(t, s) {
			states[st]++
		}
		want := map[outboxState]int{{"sent", ""}: 0, {"skipped", "coalesced"}: 0}
		for st := range states {
			if _, ok := want[st]; !ok {
				t.Errorf("%d outbox rows %v", states[st], st)
			}
		}
		if states[outboxState{"sent", ""}]+states[outboxState{"skipped", "coalesced"}] != citizens*events {
			t.Errorf("outbox states %v, want all %d sent or coalesced", states, citizens*events)
		}
	})
}

// planFor plans notifications (SMS and e-mail) for n citizens of one case.
func planFor(t *testing.T, s *store.Store, n int) []me.Notification {
	t.Helper()
	var cs []me.Citizen
	for i := range n {
		c := me.Citizen{PersonalIdentityNumber: fmt.Sprintf("19900101%04d", i)}
		setContact(t, s, c.PersonalIdentityNumber, me.NotifyBoth, fmt.Sprintf("c%d@example.se", i), fmt.Sprintf("+467000%05d", i))
		cs = append(cs, c)
	}
	signal(t, s, notifyingSignal(malmo.Number, "D1", "H1", cs...), at(0))
	if got := plan(t, s, at(0), n, &planner{}); got != 2*n {
		t.Fatalf("planned %d, want %d", got, 2*n)
	}
	return allNotifications(t, s)
}

func claimNotifications(t *testing.T, s *store.Store, now time.Time, limit int) []me.Notification {
	t.Helper()
	ns, err := s.ClaimNotifications(context.Background(), now, limit, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

func notificationIDs(ns []me.Notification) []int64 {
	var ids []int64
	for _, n := range ns {
		ids = append(ids, n.ID)
	}
	return ids
}

func TestClaimNotifications(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		all := planFor(t, s, 2) // four, due at(0)
		ids := notificationIDs(all)
		t0 := at(1)

		if got := claimNotifications(t, s, at(0).Add(-time.Second), 10); len(got) != 0 {
			t.Fatalf("claimed %v before they were due", notificationIDs(got))
		}
		got := claimNotifications(t, s, t0, 3)
		if !reflect.DeepEqual(notificationIDs(got), ids[:3]) {
			t.Fatalf("claimed %v, want the first three %v", notificationIDs(got), ids[:3])
		}
		want := all[0]
		want.State, want.NextAttempt = me.NotificationSending, stored(t0.Add(time.Minute))
		if !reflect.DeepEqual(got[0], want) {
			t.Errorf("claimed\n%+v\nwant\n%+v", got[0], want)
		}
		first, second, third := got[0].ID, got[1].ID, got[2].ID
		if rest := claimNotifications(t, s, t0, 10); !reflect.DeepEqual(notificationIDs(rest), ids[3:]) {
			t.Fatalf("second claim %v, want %v", notificationIDs(rest), ids[3:])
		}
		if err := s.NotificationSent(ctx, ids[3], t0); err != nil {
			t.Fatal(err)
		}
		if got := claimNotifications(t, s, t0.Add(59*time.Second), 10); len(got) != 0 {
			t.Fatalf("claimed %v within the lease", notificationIDs(got))
		}

		if err := s.NotificationSent(ctx, first, t0.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := s.NotificationFailed(ctx, second, "503 gateway busy", t0.Add(10*time.Minute), false); err != nil {
			t.Fatal(err)
		}
		if err := s.NotificationFailed(ctx, third, "550 no such user", t0, true); err != nil {
			t.Fatal(err)
		}
		// A late failure report does not resend a sent one.
		if err := s.NotificationFailed(ctx, first, "timeout", t0, false); err != nil {
			t.Fatal(err)
		}
		if got := claimNotifications(t, s, t0.Add(5*time.Minute), 10); len(got) != 0 {
			t.Fatalf("claimed %v before the retry time", notificationIDs(got))
		}
		got = claimNotifications(t, s, t0.Add(10*time.Minute), 10)
		if len(got) != 1 || got[0].ID != second || got[0].Attempts != 1 || got[0].LastError != "503 gateway busy" ||
			got[0].State != me.NotificationSending || got[0].IdempotencyKey != all[1].IdempotencyKey {
			t.Fatalf("claimed at the retry time: %+v, want the second, attempt 1", got)
		}

		sentAt := stored(t0.Add(time.Second))
		byID := map[int64]me.Notification{}
		for _, n := range allNotifications(t, s) {
			byID[n.ID] = n
		}
		if n := byID[first]; n.State != me.NotificationSent || n.Attempts != 0 || n.LastError != "" || n.Sent == nil || !n.Sent.Equal(sentAt) {
			t.Errorf("sent: %+v", n)
		}
		if n := byID[third]; n.State != me.NotificationFailed || n.Attempts != 1 || n.LastError != "550 no such user" || n.Sent != nil {
			t.Errorf("failed: %+v", n)
		}

		failed, err := s.Notifications(ctx, true, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(notificationIDs(failed), []int64{third}) {
			t.Errorf("failed only: %v, want [%d]", notificationIDs(failed), third)
		}
		newest, err := s.Notifications(ctx, false, 2)
		if err != nil {
			t.Fatal(err)
		}
		if want := []int64{ids[3], ids[2]}; !reflect.DeepEqual(notificationIDs(newest), want) {
			t.Errorf("newest two: %v, want %v", notificationIDs(newest), want)
		}

		for _, c := range []struct {
			name string
			call func() error
		}{
			{"NotificationSent", func() error { return s.NotificationSent(ctx, 999, t0) }},
			{"NotificationFailed", func() error { return s.NotificationFailed(ctx, 999, "x", t0, false) }},
		} {
			if err := c.call(); !errors.Is(err, me.ErrNotFound) {
				t.Errorf("%s of a missing notification: err = %v, want ErrNotFound", c.name, err)
			}
		}
		if _, err := s.ClaimNotifications(ctx, t0, 0, time.Minute); err == nil {
			t.Error("ClaimNotifications with limit 0: no error")
		}
	})
}

// TestClaimNotificationsLeaseExpiry: a sender that claimed a notification
// and died leaves it sending; when the lease runs out another sender gets
// it, with the same idempotency key.
func TestClaimNotificationsLeaseExpiry(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		all := planFor(t, s, 1)
		t0 := at(1)
		got := claimNotifications(t, s, t0, 1)
		if len(got) != 1 {
			t.Fatalf("claimed %d, want 1", len(got))
		}
		if again := claimNotifications(t, s, t0.Add(30*time.Second), 1); len(again) != 1 || again[0].ID != all[1].ID {
			t.Fatalf("claimed %v within the lease, want only the other one", notificationIDs(again))
		}
		again := claimNotifications(t, s, t0.Add(time.Minute), 10)
		if len(again) != 1 || again[0].ID != got[0].ID || again[0].IdempotencyKey != got[0].IdempotencyKey || again[0].Attempts != 0 {
			t.Fatalf("after the lease: %+v, want the stuck one %+v", again, got[0])
		}
		if again[0].NextAttempt != stored(t0.Add(2*time.Minute)) {
			t.Errorf("new lease until %v, want %v", again[0].NextAttempt, stored(t0.Add(2*time.Minute)))
		}
	})
}

// TestClaimNotificationsConcurrently: several senders claiming at once get
// each notification exactly once.
func TestClaimNotificationsConcurrently(t *testing.T) {
	const (
		citizens = 40 // two notifications each
		senders  = 6
	)
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		planFor(t, s, citizens)
		claimed := make([][]int64, senders)
		errs := make([]error, senders)
		var wg sync.WaitGroup
		for g := range senders {
			wg.Go(func() {
				for {
					ns, err := s.ClaimNotifications(context.Background(), at(1), 5, time.Hour)
					if err != nil {
						errs[g] = err
						return
					}
					if len(ns) == 0 {
						return
					}
					claimed[g] = append(claimed[g], notificationIDs(ns)...)
				}
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		seen := map[int64]int{}
		for g := range senders {
			for _, id := range claimed[g] {
				if prev, ok := seen[id]; ok {
					t.Fatalf("notification %d claimed by senders %d and %d", id, prev, g)
				}
				seen[id] = g
			}
		}
		if len(seen) != 2*citizens {
			t.Fatalf("%d claimed, want %d", len(seen), 2*citizens)
		}
	})
}

func TestNotificationStats(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		counts, oldest, err := s.NotificationStats(ctx, at(0))
		if err != nil {
			t.Fatal(err)
		}
		zero := map[string]int{"pending": 0, "sending": 0, "sent": 0, "failed": 0}
		if want := map[string]map[string]int{"sms": zero, "email": zero}; !reflect.DeepEqual(counts, want) || oldest["sms"] != 0 || oldest["email"] != 0 {
			t.Fatalf("empty: %v, %v; want %v, 0", counts, oldest, want)
		}

		all := planFor(t, s, 3) // sms, email × 3, due at(0)
		if err := s.NotificationSent(ctx, all[0].ID, at(0)); err != nil {
			t.Fatal(err)
		}
		if err := s.NotificationFailed(ctx, all[1].ID, "550", at(0), true); err != nil {
			t.Fatal(err)
		}
		if err := s.NotificationFailed(ctx, all[2].ID, "503", at(2), false); err != nil {
			t.Fatal(err)
		}
		counts, oldest, err = s.NotificationStats(ctx, at(1))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]map[string]int{
			"sms":   {"pending": 2, "sending": 0, "sent": 1, "failed": 0},
			"email": {"pending": 2, "sending": 0, "sent": 0, "failed": 1},
		}
		if !reflect.DeepEqual(counts, want) {
			t.Errorf("counts %v, want %v", counts, want)
		}
		// The one retried at at(2) is not due; the others have waited since at(0).
		if oldest["sms"] != time.Hour || oldest["email"] != time.Hour {
			t.Errorf("oldest pending %v, want 1h for each channel", oldest)
		}
	})
}

// reminderCase records a case of tolvan and asa whose event has an
// available completion, and returns the case and event ids.
func reminderCase(t *testing.T, s *store.Store, externalID string, actions []me.Action, now time.Time) (string, string) {
	t.Helper()
	r := signal(t, s, caseSignal(externalID, me.CaseAwaitingCitizen, []me.Citizen{tolvan, asa}, me.Event{
		ExternalID: "H1", Time: now, Title: me.LocalizedText{SV: "Komplettera"}, Actions: actions,
	}), now)
	return r.CaseID, r.EventID
}

var completeAction = me.Action{ExternalID: "K1", Type: me.ActionComplete, EServiceID: "kontrollplan", EServiceOrganisation: malmo.Number}

func TestPlanReminders(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		setContact(t, s, tolvan.PersonalIdentityNumber, me.NotifyBoth, "tolvan@example.se", "+46701234567")
		setContact(t, s, asa.PersonalIdentityNumber, me.NotifyEmail, "asa@example.se", "")
		p := &planner{}

		reminderCase(t, s, "R1", []me.Action{completeAction}, at(0))
		_, readByTolvan := reminderCase(t, s, "R2", []me.Action{{Type: me.ActionMessage}, completeAction}, at(0))
		reminderCase(t, s, "R3", []me.Action{{Type: me.ActionMessage}}, at(0)) // no completion
		doneCase, doneEvent := reminderCase(t, s, "R4", []me.Action{completeAction}, at(0))
		reminderCase(t, s, "R5", []me.Action{completeAction}, at(2))

		if _, err := s.MarkEventRead(ctx, tolvan.PersonalIdentityNumber, malmoOnly, readByTolvan, "malmo-portal", at(1)); err != nil {
			t.Fatal(err)
		}
		done := eventsOf(t, s, doneCase)[0]
		action := done.Actions[0]
		if done.ID != doneEvent || action.Type != me.ActionComplete {
			t.Fatalf("action %+v of event %s is not the completion", action, done.ID)
		}
		if _, err := s.CompleteAction(ctx, doneCase, action.ID, me.Event{Title: me.LocalizedText{SV: "Komplettering"}}, at(1)); err != nil {
			t.Fatal(err)
		}

		remind := func(now time.Time) int {
			t.Helper()
			n, err := s.PlanReminders(ctx, now, 2*time.Hour, p.build)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := remind(at(1)); n != 0 {
			t.Fatalf("reminded %d before 2h had passed", n)
		}
		// R1: Tolvan (SMS, e-mail) and Åsa (e-mail); R2: Åsa only.
		if n := remind(at(3)); n != 4 {
			t.Fatalf("reminded %d, want 4", n)
		}
		var got []string
		for _, n := range allNotifications(t, s) {
			if n.Kind != "reminder" || n.State != me.NotificationPending || !n.Created.Equal(stored(at(3))) || n.OrganisationNumber != malmo.Number {
				t.Errorf("reminder %+v", n)
			}
			got = append(got, n.PersonalIdentityNumber+" "+string(n.Channel))
		}
		slices.Sort(got)
		want := []string{
			tolvan.PersonalIdentityNumber + " email", tolvan.PersonalIdentityNumber + " sms",
			asa.PersonalIdentityNumber + " email", asa.PersonalIdentityNumber + " email",
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("reminders %v, want %v", got, want)
		}
		if p.callCount() != 3 {
			t.Errorf("build called %d times, want 3 (R1 × 2, R2 × 1)", p.callCount())
		}
		// Once per event and citizen: nothing more, not even a build call.
		if n := remind(at(3).Add(time.Minute)); n != 0 || p.callCount() != 3 {
			t.Fatalf("again: reminded %d, %d build calls", n, p.callCount())
		}
		// R5 comes once it is old enough.
		if n := remind(at(4)); n != 0 {
			t.Fatalf("R5 reminded %d too early", n)
		}
		if n := remind(at(4).Add(time.Second)); n != 3 {
			t.Fatalf("R5 reminded %d, want 3", n)
		}
		perCitizen := map[string]int{}
		for _, n := range allNotifications(t, s) {
			perCitizen[n.PersonalIdentityNumber]++
		}
		if want := map[string]int{tolvan.PersonalIdentityNumber: 4, asa.PersonalIdentityNumber: 3}; !reflect.DeepEqual(perCitizen, want) {
			t.Errorf("reminders per citizen %v, want %v", perCitizen, want)
		}
	})
}

// TestPlanRemindersConcurrently: several nodes planning reminders at once
// remind each (event, citizen) once.
func TestPlanRemindersConcurrently(t *testing.T) {
	const (
		cases    = 6
		planners = 4
	)
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		setContact(t, s, tolvan.PersonalIdentityNumber, me.NotifyBoth, "tolvan@example.se", "+46701234567")
		setContact(t, s, asa.PersonalIdentityNumber, me.NotifyEmail, "asa@example.se", "")
		for i := range cases {
			reminderCase(t, s, fmt.Sprint("RC", i), []me.Action{completeAction}, at(0))
		}
		p := &planner{delay: time.Millisecond}
		var (
			wg    sync.WaitGroup
			total atomic.Int64
			errs  = make([]error, planners)
		)
		for g := range planners {
			wg.Go(func() {
				n, err := s.PlanReminders(context.Background(), at(3), time.Hour, p.build)
				errs[g] = err
				total.Add(int64(n))
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		if total.Load() != 3*cases || len(allNotifications(t, s)) != 3*cases || p.callCount() != 2*cases {
			t.Fatalf("planned %d, %d stored, %d build calls; want %d, %d, %d",
				total.Load(), len(allNotifications(t, s)), p.callCount(), 3*cases, 3*cases, 2*cases)
		}
	})
}

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
