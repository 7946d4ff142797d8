package store_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"
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

// TestSQLiteCheckpointsInTheBackground: what is committed reaches the
// database file itself within a few checkpoint intervals, without a
// commit having to copy the write-ahead log (commits only do so past a
// high mark). The file is read without its log (immutable=1).
func TestSQLiteCheckpointsInTheBackground(t *testing.T) {
	dsn := storetest.DSN(t, store.DriverSQLite)
	s := storetest.OpenAt(t, store.DriverSQLite, dsn)
	setup(t, s)
	file, err := sql.Open("sqlite3", "file:"+dsn+"?immutable=1")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		file.Exec(`PRAGMA schema_version`) // no cache across tries
		var n int
		err := file.QueryRow(`SELECT count(*) FROM organisations`).Scan(&n)
		if err == nil && n == 2 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the organisations are not in the database file after 5 s (count %d, %v): nothing checkpointed the log", n, err)
		}
		file.Close()
		if file, err = sql.Open("sqlite3", "file:"+dsn+"?immutable=1"); err != nil {
			t.Fatal(err)
		}
	}
}
