package store_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
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

// newTicketValue returns a ticket value as an issuer makes it, its random
// bytes and the hash the store keeps.
func newTicketValue() (value string, raw, hash []byte) {
	raw = make([]byte, 32)
	rand.Read(raw)
	value = base64.RawURLEncoding.EncodeToString(raw)
	h := sha256.Sum256([]byte(value))
	return value, raw, h[:]
}

func completionTicket(issued time.Time) me.Ticket {
	return me.Ticket{
		Purpose:                me.TicketCompletion,
		PersonalIdentityNumber: tolvan.PersonalIdentityNumber,
		EServiceOrganisation:   goteborg.Number,
		EServiceID:             "kontrollplan",
		IssuedBy:               "malmo-portal",
		CaseID:                 "cabcdefghijklmnopqrst",
		EventID:                "eabcdefghijklmnopqrst",
		ActionID:               "xabcdefghijklmnopqrst",
		Issued:                 issued,
		Expires:                issued.Add(5 * time.Minute),
	}
}

func createTicket(t *testing.T, s *store.Store, hash []byte, tk me.Ticket) {
	t.Helper()
	if err := s.CreateTicket(context.Background(), hash, tk); err != nil {
		t.Fatal(err)
	}
}

func countTickets(t *testing.T, s *store.Store) int {
	t.Helper()
	n, err := s.CountTickets(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestTicketRedeemOnce(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		value, raw, hash := newTicketValue()
		tk := completionTicket(at(1))
		createTicket(t, s, hash, tk)
		if n := countTickets(t, s); n != 1 {
			t.Fatalf("%d tickets, want 1", n)
		}
		if err := s.CreateTicket(ctx, hash, tk); err == nil {
			t.Fatal("CreateTicket with a hash in use succeeded")
		}

		// The table holds the hash and never the value.
		row, err := s.TicketRow(ctx, hash)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(asBytes(row["hash"]), hash) {
			t.Errorf("hash column = %x, want %x", row["hash"], hash)
		}
		for col, v := range row {
			b := asBytes(v)
			for _, form := range [][]byte{[]byte(value), raw, []byte(hex.EncodeToString(raw)), []byte(base64.StdEncoding.EncodeToString(raw))} {
				if bytes.Contains(b, form) {
					t.Errorf("column %s holds the ticket value (%q)", col, v)
				}
			}
			if col != "hash" && strings.Contains(strings.ToLower(col), "value") {
				t.Errorf("tickets has a column %s", col)
			}
		}

		// The first attempt.
		first, ok, err := s.RedeemTicket(ctx, hash, "gbg-kontrollplan", at(1).Add(time.Minute))
		if err != nil || !ok {
			t.Fatalf("first RedeemTicket = %v, %v; want first", ok, err)
		}
		want := tk
		want.Issued, want.Expires = stored(tk.Issued), stored(tk.Expires)
		attempt := stored(at(1).Add(time.Minute))
		want.RedeemAttempt, want.RedeemedBy = &attempt, "gbg-kontrollplan"
		if !reflect.DeepEqual(first, want) {
			t.Fatalf("first RedeemTicket =\n%+v\nwant\n%+v", first, want)
		}

		// Every later attempt: the ticket with the first attempt.
		for _, client := range []string{"gbg-kontrollplan", "someone-else"} {
			again, ok, err := s.RedeemTicket(ctx, hash, client, at(1).Add(2*time.Minute))
			if err != nil || ok {
				t.Fatalf("second RedeemTicket = %v, %v; want not first", ok, err)
			}
			if !reflect.DeepEqual(again, want) {
				t.Fatalf("second RedeemTicket =\n%+v\nwant the first attempt\n%+v", again, want)
			}
		}

		_, _, unknown := newTicketValue()
		if _, _, err := s.RedeemTicket(ctx, unknown, "gbg-kontrollplan", at(1)); !errors.Is(err, me.ErrNotFound) {
			t.Fatalf("RedeemTicket of an unknown hash: err = %v, want ErrNotFound", err)
		}
		if _, _, err := s.RedeemTicket(ctx, []byte(value), "gbg-kontrollplan", at(1)); err == nil || errors.Is(err, me.ErrNotFound) {
			t.Fatalf("RedeemTicket of the value instead of the hash: err = %v, want a bad hash error", err)
		}
		if err := s.CreateTicket(ctx, []byte(value), tk); err == nil {
			t.Fatal("CreateTicket with the value instead of the hash succeeded")
		}
		start := tk
		start.Purpose = "bogus"
		if err := s.CreateTicket(ctx, unknown, start); me.ErrorCode(err) != me.CodeValidationFailed {
			t.Fatalf("CreateTicket with purpose bogus: err = %v, want ValidationFailed", err)
		}
	})
}

// asBytes returns a scanned column as bytes, or nil for other types.
func asBytes(v any) []byte {
	switch v := v.(type) {
	case []byte:
		return v
	case string:
		return []byte(v)
	}
	return nil
}

func TestTicketRedeemConcurrently(t *testing.T) {
	const attempts = 20
	forEachDB(t, func(t *testing.T, s *store.Store) {
		_, _, hash := newTicketValue()
		createTicket(t, s, hash, completionTicket(at(1)))
		type result struct {
			t     me.Ticket
			first bool
			err   error
		}
		results := make([]result, attempts)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range attempts {
			wg.Go(func() {
				<-start
				tk, first, err := s.RedeemTicket(context.Background(), hash, fmt.Sprintf("client-%d", i), at(1).Add(time.Duration(i)*time.Second))
				results[i] = result{tk, first, err}
			})
		}
		close(start)
		wg.Wait()

		winner := -1
		for i, r := range results {
			if r.err != nil {
				t.Fatalf("attempt %d: %v", i, r.err)
			}
			if r.first {
				if winner >= 0 {
					t.Fatalf("attempts %d and %d were both first", winner, i)
				}
				winner = i
			}
		}
		if winner < 0 {
			t.Fatal("no attempt was first")
		}
		w := results[winner].t
		if w.RedeemedBy != fmt.Sprintf("client-%d", winner) || w.RedeemAttempt == nil ||
			!w.RedeemAttempt.Equal(stored(at(1).Add(time.Duration(winner)*time.Second))) {
			t.Fatalf("winner %d got %+v", winner, w)
		}
		for i, r := range results {
			if !reflect.DeepEqual(r.t, w) {
				t.Errorf("attempt %d got\n%+v\nwant the winner's\n%+v", i, r.t, w)
			}
		}
	})
}

func TestPurgeTickets(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		// Expiring at at(1), at(2), at(3); the second one used.
		var hashes [][]byte
		for h := 1; h <= 3; h++ {
			_, _, hash := newTicketValue()
			tk := completionTicket(at(h))
			tk.Issued = at(h).Add(-5 * time.Minute)
			tk.Expires = at(h)
			createTicket(t, s, hash, tk)
			hashes = append(hashes, hash)
		}
		if _, first, err := s.RedeemTicket(ctx, hashes[1], "c", at(1)); err != nil || !first {
			t.Fatalf("RedeemTicket = %v, %v", first, err)
		}

		for _, step := range []struct {
			now        time.Time
			purged     int64
			left       int
			goneBefore int // hashes[:goneBefore] are gone
		}{
			{at(1), 0, 3, 0}, // expires_at == now is not expired yet
			{at(1).Add(time.Microsecond), 1, 2, 1},
			{at(2).Add(time.Second), 1, 1, 2},
			{at(2).Add(time.Second), 0, 1, 2},
		} {
			n, err := s.PurgeTickets(ctx, step.now)
			if err != nil {
				t.Fatal(err)
			}
			if n != step.purged {
				t.Errorf("PurgeTickets(%v) = %d, want %d", step.now, n, step.purged)
			}
			if got := countTickets(t, s); got != step.left {
				t.Errorf("after PurgeTickets(%v): %d tickets, want %d", step.now, got, step.left)
			}
			for i, hash := range hashes {
				_, _, err := s.RedeemTicket(ctx, hash, "c", step.now)
				if gone := errors.Is(err, me.ErrNotFound); gone != (i < step.goneBefore) {
					t.Errorf("after PurgeTickets(%v): ticket %d: err = %v", step.now, i, err)
				}
			}
		}
	})
}
