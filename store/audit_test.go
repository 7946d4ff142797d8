package store_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/store"
)

func TestAudit(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		if got, err := s.AuditLog(ctx, tolvan.PersonalIdentityNumber, 10); err != nil || len(got) != 0 {
			t.Fatalf("empty audit log: %v, %v", got, err)
		}
		in := []me.AuditEntry{
			{Time: at(1), Client: "malmo-portal", PersonalIdentityNumber: tolvan.PersonalIdentityNumber, Operation: "ListCases"},
			{Time: at(2), Client: "malmo-portal", PersonalIdentityNumber: tolvan.PersonalIdentityNumber, Operation: "GetCase", Object: "cabc"},
			{Time: at(2), Client: "gbg-portal", PersonalIdentityNumber: asa.PersonalIdentityNumber, Operation: "GetCase", Object: "cabc"},
			{Time: at(3), Client: "gbg-portal", PersonalIdentityNumber: tolvan.PersonalIdentityNumber, Operation: "GetAttachment", Object: "aåäö"},
		}
		for _, e := range in {
			if err := s.Audit(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		want := func(i ...int) []me.AuditEntry {
			var w []me.AuditEntry
			for _, i := range i {
				e := in[i]
				e.Time = stored(e.Time)
				w = append(w, e)
			}
			return w
		}
		for _, tt := range []struct {
			pnr   string
			limit int
			want  []me.AuditEntry
		}{
			{tolvan.PersonalIdentityNumber, 0, want(3, 1, 0)},
			{tolvan.PersonalIdentityNumber, 2, want(3, 1)},
			{asa.PersonalIdentityNumber, 10, want(2)},
		} {
			got, err := s.AuditLog(ctx, tt.pnr, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("AuditLog(%d) =\n%+v\nwant newest first\n%+v", tt.limit, got, tt.want)
			}
		}
	})
}

// TestConcurrentAuditsAreEachDurable: reads audited at once share commits,
// and every one of them is in the log when Audit returns; a closed store
// refuses to audit rather than answer a read it did not record.
func TestConcurrentAuditsAreEachDurable(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		const n = 300
		errs := make(chan error, n)
		for i := range n {
			go func() {
				errs <- s.Audit(ctx, me.AuditEntry{Time: at(i % 7), Client: "portal", PersonalIdentityNumber: tolvan.PersonalIdentityNumber,
					Operation: "GetCase", Object: fmt.Sprintf("c%d", i)})
			}()
		}
		for range n {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.AuditLog(ctx, tolvan.PersonalIdentityNumber, 0)
		if err != nil || len(got) != n {
			t.Fatalf("%d audit rows after %d reads (%v)", len(got), n, err)
		}
		objects := map[string]bool{}
		for _, e := range got {
			objects[e.Object] = true
		}
		if len(objects) != n {
			t.Errorf("%d distinct objects; want %d", len(objects), n)
		}
		s.Close()
		if err := s.Audit(ctx, me.AuditEntry{Time: at(1), Client: "portal", PersonalIdentityNumber: tolvan.PersonalIdentityNumber, Operation: "GetCase"}); err == nil {
			t.Error("a closed store audited a read")
		}
	})
}
