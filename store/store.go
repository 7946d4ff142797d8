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
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // registers "postgres"
	"github.com/mattn/go-sqlite3"
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
const sqliteParams = "_journal_mode=WAL&_synchronous=NORMAL&_foreign_keys=on&_busy_timeout=5000&_txlock=immediate&_stmt_cache_size=128"

// SQLite checkpoints: a commit that finds the write-ahead log past
// sqliteAutocheckpointPages copies it into the database itself, which under
// a stream of signals (each some 30 KB of log) put a checkpoint on every
// hundred-odd commits. A goroutine of its own checkpoints every
// sqliteCheckpointEvery instead; the commit's own checkpoint stays as a
// backstop at a higher mark.
const (
	sqliteAutocheckpointPages = 16384 // 64 MiB of 4 KiB pages
	sqliteCheckpointEvery     = 500 * time.Millisecond
)

// sqliteConnector opens SQLite connections with the checkpoint mark set:
// the driver takes no wal_autocheckpoint in its DSN.
type sqliteConnector struct{ dsn string }

func (c sqliteConnector) Connect(ctx context.Context) (driver.Conn, error) {
	return c.Driver().Open(c.dsn)
}

func (sqliteConnector) Driver() driver.Driver {
	return &sqlite3.SQLiteDriver{ConnectHook: func(conn *sqlite3.SQLiteConn) error {
		_, err := conn.Exec(fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", sqliteAutocheckpointPages), nil)
		return err
	}}
}

// checkpoint copies the write-ahead log into the database every
// sqliteCheckpointEvery, without waiting for readers (PASSIVE), until the
// store closes.
func (s *Store) checkpoint(done *sync.WaitGroup) {
	defer done.Done()
	tick := time.NewTicker(sqliteCheckpointEvery)
	defer tick.Stop()
	for {
		select {
		case <-s.closed:
			return
		case <-tick.C:
			s.db.Exec(`PRAGMA wal_checkpoint(PASSIVE)`) // a failure is retried on the next tick
		}
	}
}

// Store is the database. It is safe for concurrent use.
type Store struct {
	db     *sqlx.DB
	driver string // DriverSQLite or DriverPostgres
	// reads runs the portal's hot reads: prepared statements on
	// PostgreSQL (prepared.go), db itself on SQLite.
	reads sqlx.ExtContext
	// audits are the audit rows waiting for writeAudits, signals the
	// signals waiting for writeSignals; closed ends both.
	audits chan auditRequest
	// signals has one queue per signal writer; a case's signals all go
	// to one writer (signalQueue), so concurrent writers never wait for
	// each other's locks on the same case.
	signals    []chan signalRequest
	writers    sync.WaitGroup
	closed     chan struct{}
	auditsDone chan struct{}
	closeOnce  sync.Once
	// writes is what those writers met at their last commit.
	writes writeStatus
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
		sqlDriver, dsn = "postgres", withBinaryParameters(dsn)
	default:
		return nil, fmt.Errorf("store: unknown database driver %q (want %q or %q)", driver, DriverSQLite, DriverPostgres)
	}
	var db *sqlx.DB
	if driver == DriverSQLite {
		db = sqlx.NewDb(sql.OpenDB(sqliteConnector{dsn}), sqlDriver)
	} else {
		var err error
		if db, err = sqlx.Open(sqlDriver, dsn); err != nil {
			return nil, fmt.Errorf("store: open %s: %w", driver, err)
		}
	}
	s := &Store{db: db, driver: driver, audits: make(chan auditRequest),
		closed: make(chan struct{}), auditsDone: make(chan struct{})}
	s.reads = db
	if driver == DriverPostgres {
		s.reads = &prepared{db: db, stmts: map[string]*sqlx.Stmt{}}
	}
	s.SetPool(Pool{})
	if err := s.Ping(ctx); err != nil {
		db.Close()
		return nil, err
	}
	go s.writeAudits()
	if driver == DriverSQLite {
		s.writers.Add(1)
		go s.checkpoint(&s.writers)
	}
	signalWriters := 4 // PostgreSQL commits concurrent transactions in parallel
	if driver == DriverSQLite {
		signalWriters = 1 // one writer at a time in any case
	}
	for range signalWriters {
		queue := make(chan signalRequest)
		s.signals = append(s.signals, queue)
		s.writers.Add(1)
		go s.writeSignals(queue, &s.writers)
	}
	return s, nil
}

// Pool sizes the connection pool. Zero values take the defaults.
type Pool struct {
	// MaxOpen is the most connections open at once; they are all kept
	// open while idle, so a burst of requests never waits for a new
	// PostgreSQL backend (each costs a fork and an authentication).
	// Default: 16 on PostgreSQL, 8 on SQLite.
	MaxOpen int
	// MaxLifetime closes a connection this old, so that a restarted or
	// failed-over database is reconnected to in time. Default 30 minutes.
	MaxLifetime time.Duration
	// MaxIdleTime closes a connection unused this long. Default 5 minutes.
	MaxIdleTime time.Duration
}

// SetPool sizes the connection pool.
func (s *Store) SetPool(p Pool) {
	if p.MaxOpen <= 0 {
		p.MaxOpen = 16
		if s.driver == DriverSQLite {
			// One writer at a time in any case; readers run beside it in WAL.
			p.MaxOpen = 8
		}
	}
	if p.MaxLifetime <= 0 {
		p.MaxLifetime = 30 * time.Minute
	}
	if p.MaxIdleTime <= 0 {
		p.MaxIdleTime = 5 * time.Minute
	}
	s.db.SetMaxOpenConns(p.MaxOpen)
	s.db.SetMaxIdleConns(p.MaxOpen)
	s.db.SetConnMaxLifetime(p.MaxLifetime)
	s.db.SetConnMaxIdleTime(p.MaxIdleTime)
}

// withBinaryParameters turns on lib/pq's binary_parameters unless the DSN
// sets it: a query with arguments then takes one round trip instead of two
// (parse and describe, then bind and execute), which halves the time of
// ME's short queries; []byte arguments go as binary, as bytea wants them.
func withBinaryParameters(dsn string) string {
	if strings.Contains(dsn, "binary_parameters") {
		return dsn
	}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if strings.Contains(dsn, "?") {
			return dsn + "&binary_parameters=yes"
		}
		return dsn + "?binary_parameters=yes"
	}
	return strings.TrimSpace(dsn + " binary_parameters=yes")
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping %s: %w", s.driver, err)
	}
	return nil
}

// Close stops the audit writer and closes the connection pool. Audit rows
// already queued are written first.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { close(s.closed) })
	<-s.auditsDone
	s.writers.Wait()
	if p, ok := s.reads.(*prepared); ok {
		p.close()
	}
	return s.db.Close()
}

// Driver returns "sqlite" or "postgres".
func (s *Store) Driver() string { return s.driver }
