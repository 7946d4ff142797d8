// Tables: schema_migrations, which records what Migrate applied; the schema
// itself is migrations/, one directory per driver. It does not know what
// the migrations create.

package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// migrations holds one directory per driver with files named
// NNNN_description.sql, applied in order of NNNN.
//
//go:embed migrations
var migrations embed.FS

// migrateLockKey is the pg_advisory_xact_lock key that serialises Migrate
// across nodes starting at the same time ("me.migr" in ASCII).
const migrateLockKey = 0x6d652e6d696772

// schema_migrations is created by Migrate itself, before the first migration.
const (
	createSchemaMigrationsPostgres = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		applied_at timestamptz NOT NULL
	)`
	createSchemaMigrationsSQLite = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at TEXT NOT NULL
	) STRICT`
)

type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations returns the driver's migrations sorted by version.
func loadMigrations(driver string) ([]migration, error) {
	dir := path.Join("migrations", driver)
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		prefix, _, _ := strings.Cut(e.Name(), "_")
		version, err := strconv.Atoi(prefix)
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number: %w", e.Name(), err)
		}
		b, err := migrations.ReadFile(path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: version, name: e.Name(), sql: string(b)})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s have the same version", ms[i-1].name, ms[i].name)
		}
	}
	return ms, nil
}

// Migrate applies the migrations not yet recorded in schema_migrations,
// each in its own transaction, and returns how many it applied.
func (s *Store) Migrate(ctx context.Context) (applied int, err error) {
	return s.migrateTo(ctx, math.MaxInt)
}

// migrateTo is Migrate up to and including version last (tests start from
// an older schema with it).
func (s *Store) migrateTo(ctx context.Context, last int) (applied int, err error) {
	ms, err := loadMigrations(s.driver)
	if err != nil {
		return 0, fmt.Errorf("store: migrate: %w", err)
	}
	ms = slices.DeleteFunc(ms, func(m migration) bool { return m.version > last })
	createTable := createSchemaMigrationsSQLite
	if s.driver == DriverPostgres {
		createTable = createSchemaMigrationsPostgres
	}
	for _, m := range ms {
		var done bool
		err := s.inTx(ctx, func(tx *sqlx.Tx) error {
			if s.driver == DriverPostgres {
				// Held until commit: a second node waits here and then
				// finds the migration recorded.
				if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLockKey); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, createTable); err != nil {
				return err
			}
			var n int
			if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT count(*) FROM schema_migrations WHERE version = ?`), m.version); err != nil {
				return err
			}
			if n > 0 {
				done = true
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`),
				m.version, timestamp{time.Now()})
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("store: migrate %s %s: %w", s.driver, m.name, err)
		}
		if !done {
			applied++
		}
	}
	return applied, nil
}
