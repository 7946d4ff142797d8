// Package store persists Mina Engagemang's data in SQLite (one node) or
// PostgreSQL (several nodes). Queries are plain SQL written once with ?
// placeholders and rebound for the driver; where the dialects differ the
// package keeps one small SQL string per dialect.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq" // registers "postgres"
	"github.com/lib/pq/pqerror"
	"github.com/mattn/go-sqlite3" // registers "sqlite3"

	"github.com/minaengagemang/me"
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

// inTx runs fn in a transaction and commits if it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// notFound turns sql.ErrNoRows into me.ErrNotFound so that callers need not
// know about database/sql.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return me.ErrNotFound
	}
	return err
}

// uniqueViolation reports whether err is a unique violation.
func uniqueViolation(err error) bool {
	if pqErr := (*pq.Error)(nil); errors.As(err, &pqErr) {
		return pqErr.Code == pqerror.UniqueViolation
	}
	var liteErr sqlite3.Error
	return errors.As(err, &liteErr) &&
		(liteErr.ExtendedCode == sqlite3.ErrConstraintUnique || liteErr.ExtendedCode == sqlite3.ErrConstraintPrimaryKey)
}

// affected returns me.ErrNotFound when the statement changed no row.
func affected(res interface{ RowsAffected() (int64, error) }) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return me.ErrNotFound
	}
	return nil
}

// timeFormat is RFC 3339 with a fixed nine-digit fraction: SQLite keeps it
// as TEXT that sorts chronologically and PostgreSQL parses it into
// timestamptz, so one value works for both drivers.
const timeFormat = "2006-01-02T15:04:05.000000000Z07:00"

// timestamp moves a time through both drivers: it is written as timeFormat
// text and read from time.Time (PostgreSQL) or text (SQLite), always in UTC.
type timestamp struct{ time.Time }

// dbTime returns t as it will read back from the database: UTC, truncated to
// microseconds (PostgreSQL's precision) so both drivers round-trip exactly.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// Value implements driver.Valuer.
func (t timestamp) Value() (driver.Value, error) {
	return dbTime(t.Time).Format(timeFormat), nil
}

// Scan implements sql.Scanner.
func (t *timestamp) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		t.Time = v.UTC()
		return nil
	case string:
		return t.parse(v)
	case []byte:
		return t.parse(string(v))
	}
	return fmt.Errorf("store: cannot scan %T into a timestamp", src)
}

func (t *timestamp) parse(s string) error {
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("store: bad timestamp %q: %w", s, err)
	}
	t.Time = v.UTC()
	return nil
}

// nullTimestamp is a timestamp that may be NULL.
type nullTimestamp struct {
	Time  time.Time
	Valid bool
}

func newNullTimestamp(t *time.Time) nullTimestamp {
	if t == nil {
		return nullTimestamp{}
	}
	return nullTimestamp{Time: *t, Valid: true}
}

// Ptr returns nil for NULL.
func (n nullTimestamp) Ptr() *time.Time {
	if !n.Valid {
		return nil
	}
	t := n.Time
	return &t
}

// Value implements driver.Valuer.
func (n nullTimestamp) Value() (driver.Value, error) {
	if !n.Valid {
		return nil, nil
	}
	return timestamp{n.Time}.Value()
}

// Scan implements sql.Scanner.
func (n *nullTimestamp) Scan(src any) error {
	if src == nil {
		*n = nullTimestamp{}
		return nil
	}
	var t timestamp
	if err := t.Scan(src); err != nil {
		return err
	}
	*n = nullTimestamp{Time: t.Time, Valid: true}
	return nil
}
