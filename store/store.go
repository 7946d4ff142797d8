// Package store persists Mina Engagemang's data in SQLite (one node) or
// PostgreSQL (several nodes). Queries are plain SQL written once with ?
// placeholders and rebound for the driver; where the dialects differ the
// package keeps one small SQL string per dialect.
//
// Each file holds one family of tables, named in its opening comment, with
// the SQL beside the Go that scans it; only that file writes its tables.
// Errors are domain errors (me.ErrNotFound, *me.Error with a code and a
// message): the store does not know the requests that reach it. This file
// holds the handle, and no table; tx.go and time.go hold what the table
// files share.
package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"           // registers "postgres"
	_ "github.com/mattn/go-sqlite3" // registers "sqlite3"
)

// Drivers accepted by Open.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// sqliteParams are appended to the SQLite file path. WAL lets readers run
// beside the writer; busy_timeout makes a second writer wait instead of
// failing; _txlock=immediate takes the write lock at BEGIN so a transaction
// that reads before it writes cannot deadlock with another one (SQLITE_BUSY
// that busy_timeout does not retry).
const sqliteParams = "_journal_mode=WAL&_synchronous=NORMAL&_foreign_keys=on&_busy_timeout=5000&_txlock=immediate"

// Store is the database. It is safe for concurrent use.
type Store struct {
	db     *sqlx.DB
	driver string // DriverSQLite or DriverPostgres
}

// Open connects to the database and checks that it answers. driver is
// "sqlite" (dsn is a file path; its directory is created) or "postgres"
// (dsn is a lib/pq connection string). Call Migrate before use.
func Open(ctx context.Context, driver, dsn string) (*Store, error) {
	var sqlDriver string
	switch driver {
	case DriverSQLite:
		if dsn == "" {
			return nil, errors.New("store: open sqlite: empty database path")
		}
		if err := os.MkdirAll(filepath.Dir(dsn), 0o750); err != nil {
			return nil, fmt.Errorf("store: open sqlite %s: %w", dsn, err)
		}
		sqlDriver, dsn = "sqlite3", dsn+"?"+sqliteParams
	case DriverPostgres:
		sqlDriver = "postgres"
	default:
		return nil, fmt.Errorf("store: unknown database driver %q (want %q or %q)", driver, DriverSQLite, DriverPostgres)
	}
	db, err := sqlx.Open(sqlDriver, dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", driver, err)
	}
	s := &Store{db: db, driver: driver}
	if err := s.Ping(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping %s: %w", s.driver, err)
	}
	return nil
}

// Close closes the connection pool.
func (s *Store) Close() error { return s.db.Close() }

// Driver returns "sqlite" or "postgres".
func (s *Store) Driver() string { return s.driver }
