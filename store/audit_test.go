package store_test

import (
	"context"
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
