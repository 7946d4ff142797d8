package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/store"
)

func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := store.NewID("c")
		if !caseIDPattern.MatchString(id) {
			t.Fatalf("NewID(c) = %q, want a match of %s", id, caseIDPattern)
		}
		if seen[id] {
			t.Fatalf("NewID returned %q twice", id)
		}
		seen[id] = true
	}
}

func TestNotFound(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		if err := s.SyncOrganisations(ctx, []me.Organisation{malmo}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name string
			call func() error
		}{
			{"Client", func() error { _, err := s.Client(ctx, "nobody"); return err }},
			{"Organisation", func() error { _, err := s.Organisation(ctx, "0000000000"); return err }},
			{"EService", func() error { _, err := s.EService(ctx, malmo.Number, "nothing"); return err }},
			{"WithdrawEService", func() error { _, err := s.WithdrawEService(ctx, malmo.Number, "nothing", at(0)); return err }},
		}
		for _, tt := range tests {
			if err := tt.call(); !errors.Is(err, me.ErrNotFound) {
				t.Errorf("%s: err = %v, want one wrapping me.ErrNotFound", tt.name, err)
			}
		}
	})
}
