package store_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/store"
)

// queueMails queues n mails through citizens' messages and returns their
// message ids in order.
func queueMails(t *testing.T, s *store.Store, n int) []string {
	t.Helper()
	caseID, eventID, _ := messageCase(t, s, "MAIL", me.Handler{Name: "Anna Lindqvist", Email: handlerEmail})
	var ids []string
	for i := range n {
		m := me.Mail{Subject: fmt.Sprintf("Meddelande %d", i), Text: "Hej", MessageID: fmt.Sprintf("<m%d@me.example>", i)}
		if _, err := s.AddCitizenMessage(context.Background(), tolvan.PersonalIdentityNumber, malmoOnly, caseID, eventID, "Hej", m, at(1)); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.MessageID)
	}
	return ids
}

func claim(t *testing.T, s *store.Store, now time.Time, limit int) []store.MailItem {
	t.Helper()
	items, err := s.ClaimMail(context.Background(), now, limit, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func messageIDs(items []store.MailItem) []string {
	var ids []string
	for _, it := range items {
		ids = append(ids, it.Mail.MessageID)
	}
	return ids
}

func TestMailOutbox(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		ids := queueMails(t, s, 3)
		t0 := at(2)

		if got := claim(t, s, at(0), 10); len(got) != 0 {
			t.Fatalf("claimed %v before they were due", messageIDs(got))
		}
		got := claim(t, s, t0, 2)
		if !reflect.DeepEqual(messageIDs(got), ids[:2]) {
			t.Fatalf("claimed %v, want the first two %v", messageIDs(got), ids[:2])
		}
		want := store.MailItem{
			ID:      got[0].ID,
			Mail:    me.Mail{To: handlerEmail, Subject: "Meddelande 0", Text: "Hej", MessageID: ids[0]},
			State:   store.MailSending,
			Created: stored(at(1)),
		}
		if !reflect.DeepEqual(got[0], want) {
			t.Errorf("claimed =\n%+v\nwant\n%+v", got[0], want)
		}
		first, second := got[0].ID, got[1].ID
		rest := claim(t, s, t0, 10)
		if !reflect.DeepEqual(messageIDs(rest), ids[2:]) {
			t.Fatalf("second claim %v, want the rest %v", messageIDs(rest), ids[2:])
		}
		third := rest[0].ID

		// Within the lease nothing comes back.
		if got := claim(t, s, t0.Add(59*time.Second), 10); len(got) != 0 {
			t.Fatalf("claimed %v within the lease", messageIDs(got))
		}

		// The first is sent; the second fails for now; the third for good.
		if err := s.MailSent(ctx, first, t0.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := s.MailFailed(ctx, second, "421 try again", t0.Add(10*time.Minute), false); err != nil {
			t.Fatal(err)
		}
		if err := s.MailFailed(ctx, third, "550 no such user", t0, true); err != nil {
			t.Fatal(err)
		}
		if got := claim(t, s, t0.Add(5*time.Minute), 10); len(got) != 0 {
			t.Fatalf("claimed %v before the retry time", messageIDs(got))
		}
		got = claim(t, s, t0.Add(10*time.Minute), 10)
		if len(got) != 1 || got[0].ID != second || got[0].Attempts != 1 || got[0].LastError != "421 try again" || got[0].State != store.MailSending {
			t.Fatalf("claimed at the retry time: %+v, want the second mail, attempt 1", got)
		}
		// A late failure report does not resend a sent mail.
		if err := s.MailFailed(ctx, first, "timeout", t0, false); err != nil {
			t.Fatal(err)
		}

		items, err := s.MailOutbox(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sent := stored(t0.Add(time.Second))
		wantStates := []struct {
			state     string
			attempts  int
			lastError string
			sent      *time.Time
		}{
			{store.MailSent, 0, "", &sent},
			{store.MailSending, 1, "421 try again", nil},
			{store.MailFailed, 1, "550 no such user", nil},
		}
		if len(items) != 3 {
			t.Fatalf("%d mails, want 3", len(items))
		}
		for i, w := range wantStates {
			it := items[i]
			if it.State != w.state || it.Attempts != w.attempts || it.LastError != w.lastError || !reflect.DeepEqual(it.Sent, w.sent) {
				t.Errorf("mail %d: %+v, want %+v", i, it, w)
			}
		}
		// Failed and sent mails are never claimed again.
		if got := claim(t, s, t0.Add(time.Hour), 10); !reflect.DeepEqual(messageIDs(got), ids[1:2]) {
			t.Errorf("claimed %v an hour later, want only the one in flight %v (lease over)", messageIDs(got), ids[1:2])
		}

		for _, c := range []struct {
			name string
			call func() error
		}{
			{"MailSent", func() error { return s.MailSent(ctx, 999, t0) }},
			{"MailFailed", func() error { return s.MailFailed(ctx, 999, "x", t0, false) }},
		} {
			if err := c.call(); !errors.Is(err, me.ErrNotFound) {
				t.Errorf("%s of a missing mail: err = %v, want ErrNotFound", c.name, err)
			}
		}
		if _, err := s.ClaimMail(ctx, t0, 0, time.Minute); err == nil {
			t.Errorf("ClaimMail with limit 0: no error")
		}
	})
}

// TestClaimMailLeaseExpiry: a sender that claimed a mail and died leaves it
// sending; when the lease runs out another sender gets it.
func TestClaimMailLeaseExpiry(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		ids := queueMails(t, s, 1)
		t0 := at(2)
		got := claim(t, s, t0, 10)
		if len(got) != 1 {
			t.Fatalf("claimed %d, want 1", len(got))
		}
		// ... and the sender dies.
		if got := claim(t, s, t0.Add(30*time.Second), 10); len(got) != 0 {
			t.Fatalf("claimed %v within the lease", messageIDs(got))
		}
		again := claim(t, s, t0.Add(time.Minute), 10)
		if !reflect.DeepEqual(messageIDs(again), ids) || again[0].ID != got[0].ID || again[0].Attempts != 0 {
			t.Fatalf("after the lease: %+v, want the stuck mail %v", again, ids)
		}
	})
}

// TestClaimMailConcurrently has several senders claim at once: each mail is
// claimed exactly once.
func TestClaimMailConcurrently(t *testing.T) {
	const (
		mails   = 120
		senders = 6
	)
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		queueMails(t, s, mails)
		claimed := make([][]int64, senders)
		errs := make([]error, senders)
		var wg sync.WaitGroup
		for g := range senders {
			wg.Go(func() {
				for {
					items, err := s.ClaimMail(context.Background(), at(2), 7, time.Hour)
					if err != nil {
						errs[g] = err
						return
					}
					if len(items) == 0 {
						return
					}
					for _, it := range items {
						claimed[g] = append(claimed[g], it.ID)
					}
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
					t.Fatalf("mail %d claimed by senders %d and %d", id, prev, g)
				}
				seen[id] = g
			}
		}
		if len(seen) != mails {
			t.Fatalf("%d mails claimed, want %d", len(seen), mails)
		}
	})
}
