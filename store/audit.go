// Tables: audit_log: who read a citizen's personal data, when, and
// through which operation. It does not know what was read beyond the
// operation and object it is given.

package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/minaengagemang/me"
)

// Audit records a client's read of a citizen's personal data, and returns
// once the row is committed: a read is never answered before its audit row
// is durable. The rows of concurrent reads are committed together, in one
// statement, so that a busy portal pays one commit for many reads rather
// than one each. The time is stored in UTC to the microsecond.
func (s *Store) Audit(ctx context.Context, e me.AuditEntry) error {
	req := auditRequest{entry: e, done: make(chan error, 1)}
	select {
	case s.audits <- req:
	case <-s.closed:
		return fmt.Errorf("store: audit %s by %s: the store is closed", e.Operation, e.Client)
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued the row is written whatever happens to ctx; waiting for
	// it is what makes the answer safe to send.
	if err := <-req.done; err != nil {
		// No personnummer in the error: it ends up in logs.
		return fmt.Errorf("store: audit %s by %s: %w", e.Operation, e.Client, err)
	}
	return nil
}

type auditRequest struct {
	entry me.AuditEntry
	done  chan error
}

// maxAuditBatch bounds one statement's rows (and its 5 parameters each).
const maxAuditBatch = 200

// writeAudits commits the queued audit rows until the store is closed: it
// takes every row queued while the previous batch was being written.
func (s *Store) writeAudits() {
	defer close(s.auditsDone)
	for {
		batch, ok := nextBatch(s.audits, s.closed, maxAuditBatch)
		if !ok {
			return
		}
		err := s.insertAudits(batch)
		s.writes.noteCommit(err)
		for _, req := range batch {
			req.done <- err
		}
	}
}

func (s *Store) insertAudits(batch []auditRequest) error {
	// Not the callers' contexts: one caller giving up must not fail the
	// others' rows.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	query := `INSERT INTO audit_log (at, client, personal_identity_number, operation, object) VALUES ` +
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?), ", len(batch)), ", ")
	args := make([]any, 0, 5*len(batch))
	for _, req := range batch {
		e := req.entry
		args = append(args, timestamp{e.Time}, e.Client, e.PersonalIdentityNumber, e.Operation, e.Object)
	}
	_, err := s.db.ExecContext(ctx, s.db.Rebind(query), args...)
	return err
}

// AuditLog returns the latest limit reads of the citizen's personal data,
// newest first. A limit of 0 or less returns all.
func (s *Store) AuditLog(ctx context.Context, pnr string, limit int) ([]me.AuditEntry, error) {
	query := `
		SELECT at, client, personal_identity_number, operation, object
		FROM audit_log WHERE personal_identity_number = ?
		ORDER BY at DESC, id DESC`
	args := []any{pnr}
	if limit > 0 {
		query += ` LIMIT ?`
		args = append(args, limit)
	}
	var rows []struct {
		At        timestamp `db:"at"`
		Client    string    `db:"client"`
		PNR       string    `db:"personal_identity_number"`
		Operation string    `db:"operation"`
		Object    string    `db:"object"`
	}
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(query), args...); err != nil {
		return nil, fmt.Errorf("store: list audit log: %w", err)
	}
	entries := make([]me.AuditEntry, len(rows))
	for i, r := range rows {
		entries[i] = me.AuditEntry{Time: r.At.Time, Client: r.Client, PersonalIdentityNumber: r.PNR, Operation: r.Operation, Object: r.Object}
	}
	return entries, nil
}

// purgeAudit removes a batch of the scope's audit entries past their time
// (retention.go): an entry is its client's organisation's; one of a client
// no longer configured goes by the default rule.
func purgeAudit(ctx context.Context, tx *sqlx.Tx, sc purgeScope) (purgeBatch, error) {
	org, args := sc.byClient("client")
	ids, err := selectPurgeKeys[int64](ctx, tx, "audit_log", "id", org+` AND at < ?`, append(args, sc.before), sc, false)
	b := newBatch(ids)
	if err != nil || len(ids) == 0 {
		return b, err
	}
	if b.rows["audit_log"], err = execIn(ctx, tx, `DELETE FROM audit_log WHERE id IN (?)`, ids); err != nil {
		return b, fmt.Errorf("delete audit entries: %w", err)
	}
	return b, nil
}
