package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/store"
	"github.com/minaengagemang/me/store/storetest"
)

// forEachDB runs fn on a fresh, migrated store of each driver.
func forEachDB(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	for _, driver := range storetest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			fn(t, storetest.Open(t, driver))
		})
	}
}

// setup syncs Malmö and Göteborg, the organisations most tests need.
func setup(t *testing.T, s *store.Store) {
	t.Helper()
	if err := s.SyncOrganisations(context.Background(), []me.Organisation{malmo, goteborg}); err != nil {
		t.Fatal(err)
	}
}

var (
	malmo    = me.Organisation{Number: "2120000829", Name: "Malmö stad", PortalURL: "https://malmo.example/mina-sidor"}
	goteborg = me.Organisation{Number: "2120001355", Name: "Göteborgs Stad", PortalURL: "https://goteborg.example"}
	orebro   = me.Organisation{Number: "2120001967", Name: "Örebro kommun"}
)

var (
	tolvan = me.Citizen{
		PersonalIdentityNumber: "191212121212",
		GivenName:              "Tolvan",
		Surname:                "Tolvansson",
		Address:                &me.PostalAddress{CareOf: "Familjen Tolvansson", Street: "Solrosvägen 4", PostalCode: "123 45", City: "Ekby"},
	}
	asa = me.Citizen{PersonalIdentityNumber: "198112289874", GivenName: "Åsa", Surname: "Tolvansson"}
)

// at returns a time h hours into the test day, with nanoseconds and a
// non-UTC zone so that truncation and conversion to UTC are exercised.
func at(h int) time.Time {
	return time.Date(2025, 3, 1, 9+h, 30, 0, 123456789, time.FixedZone("CET", 3600))
}

// stored is t as the store returns it: UTC, to the microsecond.
func stored(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func TestOpen(t *testing.T) {
	ctx := context.Background()
	t.Run("unknown driver", func(t *testing.T) {
		_, err := store.Open(ctx, "mysql", "whatever")
		if err == nil || !strings.Contains(err.Error(), `"mysql"`) {
			t.Fatalf("Open(mysql) = %v, want an error naming the driver", err)
		}
	})
	t.Run("sqlite creates the directory", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "data", "nested", "me.db")
		s, err := store.Open(ctx, store.DriverSQLite, path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("database file not created: %v", err)
		}
	})
	forEachDB(t, func(t *testing.T, s *store.Store) {
		if err := s.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		if want := filepath.Base(t.Name()); s.Driver() != want {
			t.Fatalf("Driver() = %q, want %q", s.Driver(), want)
		}
	})
}
