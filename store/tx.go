// Tables: none. What the table files share: the transaction helper and the
// retry of a transaction that lost a race to a concurrent one, ME's one id
// generator, and the mapping of driver errors to domain ones. It knows no
// table's columns and no domain rule.

package store

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"
	"github.com/mattn/go-sqlite3"

	"github.com/minaengagemang/me"
)

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

// Retrying a transaction that lost a race.
const (
	retryAttempts = 8
	retryBaseWait = 5 * time.Millisecond
)

// retry calls fn until it succeeds, fails with an error that retrying cannot
// help, or has been tried retryAttempts times. Between attempts it sleeps a
// jittered, growing while so that racing transactions spread out.
func retry(ctx context.Context, fn func() error) error {
	var err error
	for attempt := 1; ; attempt++ {
		err = fn()
		if err == nil || !retryable(err) || attempt == retryAttempts {
			return err
		}
		wait := retryBaseWait*time.Duration(attempt) + rand.N(retryBaseWait*time.Duration(attempt))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
	}
}

// retryable reports whether err is a conflict with a concurrent transaction
// that running the transaction again resolves: a unique violation (the
// other one inserted the same key first), a serialisation failure or
// deadlock (PostgreSQL), or a busy or locked database (SQLite).
func retryable(err error) bool {
	if pqErr := (*pq.Error)(nil); errors.As(err, &pqErr) {
		switch pqErr.Code {
		case pqerror.UniqueViolation, pqerror.TRSerializationFailure, pqerror.TRDeadlockDetected:
			return true
		}
		return false
	}
	var liteErr sqlite3.Error
	if errors.As(err, &liteErr) {
		switch {
		case liteErr.ExtendedCode == sqlite3.ErrConstraintUnique,
			liteErr.ExtendedCode == sqlite3.ErrConstraintPrimaryKey,
			liteErr.Code == sqlite3.ErrBusy,
			liteErr.Code == sqlite3.ErrLocked:
			return true
		}
	}
	return false
}

// Prefixes of ME's ids, one per kind of row.
const (
	idCase       = "c"
	idEvent      = "e"
	idAttachment = "a"
	idAction     = "x"
	idMessage    = "m" // an SHS message's local id
)

// newID returns prefix and 20 characters of lower-case base32 of random
// bytes (100 bits), e.g. "c7q3k…": URL-safe and matching [A-Za-z0-9._-]{1,64}.
func newID(prefix string) string {
	return prefix + me.NewToken(13)[:20] // 100 bits
}

// validID reports whether id could be one of ME's ids.
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
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

// nextBatch waits for the first request in queue, then takes those already
// waiting behind it, up to limit: the writes that arrived together, to be
// committed together. It returns false once closed is closed.
func nextBatch[T any](queue <-chan T, closed <-chan struct{}, limit int) ([]T, bool) {
	var batch []T
	select {
	case req := <-queue:
		batch = append(batch, req)
	case <-closed:
		return nil, false
	}
	for len(batch) < limit {
		select {
		case req := <-queue:
			batch = append(batch, req)
		default:
			return batch, true
		}
	}
	return batch, true
}
