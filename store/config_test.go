package store_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/store"
)

var (
	malmo    = me.Organisation{Number: "2120000829", Name: "Malmö stad", PortalURL: "https://malmo.example/mina-sidor"}
	goteborg = me.Organisation{Number: "2120001355", Name: "Göteborgs Stad", PortalURL: "https://goteborg.example"}
	orebro   = me.Organisation{Number: "2120001967", Name: "Örebro kommun"}
)

func TestSyncOrganisations(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		if err := s.SyncOrganisations(ctx, []me.Organisation{orebro, malmo, goteborg}); err != nil {
			t.Fatal(err)
		}
		// Malmö is referenced by a client, Örebro by nothing.
		if err := s.SyncClients(ctx, []me.Client{{Name: "malmo-portal", OrganisationNumber: malmo.Number, Role: me.RolePortal, SecretHash: "x"}}); err != nil {
			t.Fatal(err)
		}
		renamed := goteborg
		renamed.Name = "Göteborgs stad"
		renamed.PortalURL = ""
		if err := s.SyncOrganisations(ctx, []me.Organisation{renamed}); err != nil {
			t.Fatal(err)
		}

		got, err := s.Organisations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := []me.Organisation{malmo, renamed}; !reflect.DeepEqual(got, want) {
			t.Fatalf("Organisations() =\n%+v\nwant (Malmö kept as referenced, Örebro deleted)\n%+v", got, want)
		}
		o, err := s.Organisation(ctx, renamed.Number)
		if err != nil {
			t.Fatal(err)
		}
		if o != renamed {
			t.Fatalf("Organisation() = %+v, want %+v", o, renamed)
		}
	})
}

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
