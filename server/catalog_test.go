package server

import (
	"context"
	"testing"
	"time"

	"github.com/hooklift/gowsdl/soap"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/generated/catalog"
	"github.com/minaengagemang/me/generated/portal"
)

// TestCatalogSnapshotFollowsEveryNode checks that GetEService, served
// from memory, shows what this node publishes and withdraws at once, and
// what another node does in the store within
// catalogRecheck.
func TestCatalogSnapshotFollowsEveryNode(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		env := newTestEnv(t, driver)
		ctx := context.Background()
		por := portal.NewPortalPortType(soap.NewClient(env.ts.URL+"/soap/portal", soap.WithBasicAuth("portal-a", pw)))
		cat := catalog.NewCatalogPortType(soap.NewClient(env.ts.URL+"/soap/catalog", soap.WithBasicAuth("catalog-a", pw)))
		name := func() (string, bool) {
			t.Helper()
			got, err := por.GetEServiceContext(ctx, &portal.GetEService{EServiceId: "parkering"})
			if f, ok := portal.AsMEFault(err); ok && f.Code == portal.FaultCodeNotFound {
				return "", false
			}
			if err != nil {
				t.Fatalf("GetEService: %v", err)
			}
			return string(got.EService.Name.Sv), true
		}
		if _, ok := name(); ok {
			t.Fatal("parkering is shown before anyone published it")
		}

		// Another node publishes: shown once this node asks the store again.
		other := me.EService{OrganisationNumber: orgA, ID: "parkering", Name: me.LocalizedText{SV: "Parkeringstillstånd"},
			Description: me.LocalizedText{SV: "Ansök om parkeringstillstånd för rörelsehindrade."},
			StartURL:    "https://etjanst.demo.example/parkering", TicketParameter: "ticket", AuthenticationLevel: 3}
		if _, err := env.st.PublishEService(ctx, other, env.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if _, ok := name(); ok {
			t.Log("shown at once (the snapshot was read after the publication)")
		}
		env.clock.Advance(catalogRecheck)
		if got, ok := name(); !ok || got != "Parkeringstillstånd" {
			t.Fatalf("after %v: GetEService shows %q, %v; want another node's publication", catalogRecheck, got, ok)
		}

		// Another node renames it: shown after the recheck too.
		other.Name.SV = "Parkeringstillstånd för rörelsehindrade"
		env.clock.Advance(time.Millisecond)
		if _, err := env.st.PublishEService(ctx, other, env.clock.Now()); err != nil {
			t.Fatal(err)
		}
		env.clock.Advance(catalogRecheck)
		if got, _ := name(); got != other.Name.SV {
			t.Errorf("after another node's change GetEService shows %q, want %q", got, other.Name.SV)
		}

		// This node withdraws: gone at once, without waiting for a recheck.
		if _, err := cat.WithdrawEServiceContext(ctx, &catalog.WithdrawEService{EServiceId: "parkering"}); err != nil {
			t.Fatal(err)
		}
		if got, ok := name(); ok {
			t.Errorf("GetEService right after this node's withdrawal shows %q", got)
		}
	})
}
