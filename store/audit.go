// Tables: audit_log: who read a citizen's personal data, when, and
// through which operation. It does not know what was read beyond the
// operation and object it is given.

package store

import (
	"context"
	"fmt"

	"github.com/minaengagemang/me"
)

// Audit records a client's read of a citizen's personal data. The time is
// stored in UTC to the microsecond.
func (s *Store) Audit(ctx context.Context, e me.AuditEntry) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`
		INSERT INTO audit_log (at, client, personal_identity_number, operation, object)
		VALUES (?, ?, ?, ?, ?)`),
		timestamp{e.Time}, e.Client, e.PersonalIdentityNumber, e.Operation, e.Object)
	if err != nil {
		// No personnummer in the error: it ends up in logs.
		return fmt.Errorf("store: audit %s by %s: %w", e.Operation, e.Client, err)
	}
	return nil
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
