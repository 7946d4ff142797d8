package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"
	"github.com/mattn/go-sqlite3"

	"github.com/minaengagemang/me"
)

// States of a mail in the mail outbox.
const (
	MailPending = "pending" // waiting for next_attempt_at
	MailSending = "sending" // claimed by a sender until next_attempt_at
	MailSent    = "sent"
	MailFailed  = "failed" // given up
)

// MailItem is a mail in the mail outbox.
type MailItem struct {
	ID        int64
	Mail      me.Mail
	State     string // MailPending, MailSending, MailSent or MailFailed
	Attempts  int    // failed attempts so far
	LastError string
	Created   time.Time
	Sent      *time.Time
}

type mailRow struct {
	ID        int64         `db:"id"`
	MessageID string        `db:"message_id"`
	Recipient string        `db:"recipient"`
	ReplyTo   string        `db:"reply_to"`
	Subject   string        `db:"subject"`
	Body      string        `db:"body"`
	CreatedAt timestamp     `db:"created_at"`
	State     string        `db:"state"`
	Attempts  int           `db:"attempts"`
	LastError string        `db:"last_error"`
	SentAt    nullTimestamp `db:"sent_at"`
}

const mailColumns = `
	id, message_id, recipient, reply_to, subject, body, created_at, state, attempts, last_error, sent_at`

func (r mailRow) item() MailItem {
	return MailItem{
		ID:        r.ID,
		Mail:      me.Mail{To: r.Recipient, ReplyTo: r.ReplyTo, Subject: r.Subject, Text: r.Body, MessageID: r.MessageID},
		State:     r.State,
		Attempts:  r.Attempts,
		LastError: r.LastError,
		Created:   r.CreatedAt.Time,
		Sent:      r.SentAt.Ptr(),
	}
}

// queueMail adds m to the mail outbox, pending from now.
func queueMail(ctx context.Context, tx *sqlx.Tx, m me.Mail, now time.Time) error {
	_, err := tx.ExecContext(ctx, tx.Rebind(`
		INSERT INTO mail_outbox (message_id, recipient, reply_to, subject, body, created_at, next_attempt_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`),
		m.MessageID, m.To, m.ReplyTo, m.Subject, m.Text, timestamp{now}, timestamp{now})
	if err != nil {
		return fmt.Errorf("queue mail %s: %w", m.MessageID, err)
	}
	return nil
}

// ClaimMail takes up to limit mails to send, oldest due first: the pending
// ones due at now, and the ones a sender claimed whose lease ran out by now
// (the sender died or hung). It marks them sending until now+lease and
// returns them, in the order they were queued. Concurrent callers, on one
// node or several, never get the same mail while its lease lasts:
// PostgreSQL skips the rows another claim has locked, SQLite has one
// writer. limit and lease must be positive.
func (s *Store) ClaimMail(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]MailItem, error) {
	if limit <= 0 || lease <= 0 {
		return nil, fmt.Errorf("store: claim mail: limit %d and lease %s must be positive", limit, lease)
	}
	skipLocked := ""
	if s.driver == DriverPostgres {
		skipLocked = ` FOR UPDATE SKIP LOCKED`
	}
	// MATERIALIZED: the rows are picked (and, on PostgreSQL, locked) once.
	query := s.db.Rebind(`
		WITH picked AS MATERIALIZED (
			SELECT id FROM mail_outbox
			WHERE state IN (?, ?) AND next_attempt_at <= ?
			ORDER BY next_attempt_at, id
			LIMIT ?` + skipLocked + `)
		UPDATE mail_outbox SET state = ?, next_attempt_at = ?
		WHERE id IN (SELECT id FROM picked)
		RETURNING ` + mailColumns)
	var rows []mailRow
	err := retry(ctx, func() error {
		return s.inTx(ctx, func(tx *sqlx.Tx) error {
			rows = nil
			return tx.SelectContext(ctx, &rows, query,
				MailPending, MailSending, timestamp{now}, limit,
				MailSending, timestamp{now.Add(lease)})
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim mail: %w", err)
	}
	slices.SortFunc(rows, func(a, b mailRow) int { return cmp.Compare(a.ID, b.ID) })
	items := make([]MailItem, len(rows))
	for i, r := range rows {
		items[i] = r.item()
	}
	return items, nil
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

// MailSent records that the mail was sent at now.
func (s *Store) MailSent(ctx context.Context, id int64, now time.Time) error {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`
		UPDATE mail_outbox SET state = ?, sent_at = ?, last_error = '' WHERE id = ?`),
		MailSent, timestamp{now}, id)
	if err == nil {
		err = affected(res)
	}
	if err != nil {
		return fmt.Errorf("store: mail %d sent: %w", id, err)
	}
	return nil
}

// MailFailed records a failed attempt to send the mail: when permanent, the
// mail is given up (failed); otherwise it is pending again from retryAt.
// Either way attempts counts it and errText is kept. A mail that was sent
// (by a sender whose lease ran out, say) stays sent.
func (s *Store) MailFailed(ctx context.Context, id int64, errText string, retryAt time.Time, permanent bool) error {
	state := MailPending
	if permanent {
		state = MailFailed
	}
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`
		UPDATE mail_outbox SET state = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ?
		WHERE id = ? AND state <> ?`),
		state, errText, timestamp{retryAt}, id, MailSent)
	if err == nil {
		err = affected(res)
	}
	if errors.Is(err, me.ErrNotFound) {
		var n int
		if err = s.db.GetContext(ctx, &n, s.db.Rebind(`SELECT count(*) FROM mail_outbox WHERE id = ?`), id); err == nil && n == 0 {
			err = me.ErrNotFound
		}
	}
	if err != nil {
		return fmt.Errorf("store: mail %d failed: %w", id, err)
	}
	return nil
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

// MailOutbox returns every mail in the mail outbox in the order queued.
func (s *Store) MailOutbox(ctx context.Context) ([]MailItem, error) {
	var rows []mailRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+mailColumns+` FROM mail_outbox ORDER BY id`); err != nil {
		return nil, fmt.Errorf("store: list mail outbox: %w", err)
	}
	items := make([]MailItem, len(rows))
	for i, r := range rows {
		items[i] = r.item()
	}
	return items, nil
}
