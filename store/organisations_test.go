package store_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/store"
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

func TestSyncOrganisationsKeepsOrganisationsWithCases(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		record(t, s, shsMessage("tx-1"), bygglovSignal(), at(1))
		if err := s.SyncOrganisations(ctx, nil); err != nil {
			t.Fatal(err)
		}
		orgs, err := s.Organisations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := []me.Organisation{malmo}; !reflect.DeepEqual(orgs, want) {
			t.Fatalf("Organisations() = %+v, want %+v (Malmö has a case)", orgs, want)
		}
	})
}
