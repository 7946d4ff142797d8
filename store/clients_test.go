package store_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/store"
)

func TestSyncClients(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		if err := s.SyncOrganisations(ctx, []me.Organisation{malmo, goteborg}); err != nil {
			t.Fatal(err)
		}
		portal := me.Client{Name: "malmo-portal", OrganisationNumber: malmo.Number, Role: me.RolePortal, CertFingerprint: "ab12", CertSubject: "CN=portal,O=Malmö stad"}
		cases := me.Client{Name: "malmo-arende", OrganisationNumber: malmo.Number, Role: me.RoleCaseSystem, SecretHash: "$2a$10$hash"}
		bygglov := me.Client{Name: "gbg-bygglov", OrganisationNumber: goteborg.Number, Role: me.RoleEService, SecretHash: "$2a$10$other", EServiceIDs: []string{"bygglov", "bygglov-kontrollplan"}}
		if err := s.SyncClients(ctx, []me.Client{portal, cases, bygglov}); err != nil {
			t.Fatal(err)
		}
		moved := bygglov
		moved.OrganisationNumber = malmo.Number
		moved.Role = me.RoleCatalog
		moved.EServiceIDs = nil
		if err := s.SyncClients(ctx, []me.Client{portal, moved}); err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			name string
			want me.Client // zero: deleted
		}{
			{"malmo-portal", portal},
			{"gbg-bygglov", moved},
			{"malmo-arende", me.Client{}},
		}
		for _, tt := range tests {
			got, err := s.Client(ctx, tt.name)
			if tt.want.Name == "" {
				if !errors.Is(err, me.ErrNotFound) {
					t.Errorf("Client(%q) after removal: err = %v, want ErrNotFound", tt.name, err)
				}
				continue
			}
			if err != nil {
				t.Errorf("Client(%q): %v", tt.name, err)
			} else if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Client(%q) = %+v, want %+v", tt.name, got, tt.want)
			}
		}
	})
}

func TestSyncClientsRejects(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		client me.Client
	}{
		{"unknown role", me.Client{Name: "c", OrganisationNumber: malmo.Number, Role: "admin", SecretHash: "x"}},
		{"unknown organisation", me.Client{Name: "c", OrganisationNumber: "0000000000", Role: me.RolePortal, SecretHash: "x"}},
	}
	forEachDB(t, func(t *testing.T, s *store.Store) {
		if err := s.SyncOrganisations(ctx, []me.Organisation{malmo}); err != nil {
			t.Fatal(err)
		}
		keep := me.Client{Name: "keep", OrganisationNumber: malmo.Number, Role: me.RolePortal, SecretHash: "x"}
		if err := s.SyncClients(ctx, []me.Client{keep}); err != nil {
			t.Fatal(err)
		}
		for _, tt := range tests {
			if err := s.SyncClients(ctx, []me.Client{tt.client}); err == nil {
				t.Errorf("%s: SyncClients succeeded, want an error", tt.name)
			}
			// The failed sync was rolled back: nothing was deleted.
			if _, err := s.Client(ctx, keep.Name); err != nil {
				t.Errorf("%s: after failed sync: %v", tt.name, err)
			}
		}
	})
}
