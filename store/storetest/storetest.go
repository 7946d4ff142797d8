// Package storetest gives tests a fresh, migrated store on each database.
//
// PostgreSQL tests connect to ME_TEST_POSTGRES_DSN (default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable). Each test gets
// its own schema, dropped when the test ends, so parallel runs never collide.
// An unreachable PostgreSQL fails the test rather than skipping it.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/lib/pq" // registers "postgres"

	"github.com/minaengagemang/me/store"
)

// DefaultPostgresDSN is used when ME_TEST_POSTGRES_DSN is not set.
const DefaultPostgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Drivers returns the drivers every store test runs on.
func Drivers() []string { return []string{store.DriverSQLite, store.DriverPostgres} }

// Open returns a migrated store on an empty database of the given driver,
// closed and removed when the test ends.
func Open(t testing.TB, driver string) *store.Store {
	t.Helper()
	return OpenAt(t, driver, DSN(t, driver))
}

// OpenAt is Open on the database of a DSN that DSN returned, for tests
// that also reach the database beside the store.
func OpenAt(t testing.TB, driver, dsn string) *store.Store {
	t.Helper()
	s := openAt(t, driver, dsn)
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// OpenUnmigrated is Open without Migrate, for testing migrations.
func OpenUnmigrated(t testing.TB, driver string) *store.Store {
	t.Helper()
	return openAt(t, driver, DSN(t, driver))
}

func openAt(t testing.TB, driver, dsn string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// RefuseInserts makes the database at dsn (from DSN, migrated) refuse
// every insert into the tables, as a full disk or a read-only database
// refuses writes, with an error that is not a conflict to retry. The
// returned function lets the inserts through again.
func RefuseInserts(t testing.TB, driver, dsn string, tables ...string) (allow func()) {
	t.Helper()
	sqlDriver, create, drop := "sqlite3",
		`CREATE TRIGGER refuse_%[1]s BEFORE INSERT ON %[1]s BEGIN SELECT RAISE(ABORT, 'database or disk is full (storetest)'); END`,
		`DROP TRIGGER refuse_%[1]s`
	var setup []string
	if driver == store.DriverPostgres {
		sqlDriver, create, drop = "postgres",
			`CREATE TRIGGER refuse_%[1]s BEFORE INSERT ON %[1]s FOR EACH ROW EXECUTE FUNCTION refuse_write()`,
			`DROP TRIGGER refuse_%[1]s ON %[1]s`
		setup = []string{`CREATE OR REPLACE FUNCTION refuse_write() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN RAISE EXCEPTION 'could not extend file: No space left on device (storetest)' USING ERRCODE = 'disk_full'; END $$`}
	}
	db, err := sql.Open(sqlDriver, dsn)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	exec := func(stmts []string) {
		for _, stmt := range stmts {
			if _, err := db.Exec(stmt); err != nil {
				t.Fatalf("storetest: %s: %v", stmt, err)
			}
		}
	}
	var creates, drops []string
	for _, table := range tables {
		creates = append(creates, fmt.Sprintf(create, table))
		drops = append(drops, fmt.Sprintf(drop, table))
	}
	exec(append(setup, creates...))
	return func() { exec(drops) }
}

// DSN returns the DSN of an empty database of the given driver, removed
// when the test ends: a file in a temporary directory for SQLite, a new
// schema for PostgreSQL.
func DSN(t testing.TB, driver string) string {
	t.Helper()
	switch driver {
	case store.DriverSQLite:
		return filepath.Join(t.TempDir(), "me.db")
	case store.DriverPostgres:
		return postgresSchema(t)
	}
	t.Fatalf("storetest: unknown driver %q", driver)
	return ""
}

func postgresSchema(t testing.TB) string {
	t.Helper()
	base := os.Getenv("ME_TEST_POSTGRES_DSN")
	if base == "" {
		base = DefaultPostgresDSN
	}
	db, err := sql.Open("postgres", base)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("storetest: PostgreSQL is unreachable at %s: %v\n"+
			"The store tests need it. Start one with trust authentication and a database named test, e.g.\n"+
			"  docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust -e POSTGRES_DB=test postgres:15\n"+
			"or point ME_TEST_POSTGRES_DSN at another server.", base, err)
	}

	b := make([]byte, 8)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("storetest: create schema: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("postgres", base)
		if err != nil {
			t.Errorf("storetest: drop schema %s: %v", schema, err)
			return
		}
		defer db.Close()
		if _, err := db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("storetest: drop schema %s: %v", schema, err)
		}
	})
	return withSearchPath(base, schema)
}

// withSearchPath adds search_path to a URL or key=value DSN; lib/pq sends
// unknown parameters to the server as run-time settings.
func withSearchPath(dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return dsn + " search_path=" + schema
}
