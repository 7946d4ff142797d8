// Tables: outbox: one row per citizen of a case to tell about a notifying
// event, written in the signal's transaction (notifyCitizens) and turned
// into notifications by the planner (notifications.go), which claims and
// marks the rows here. It does not know how a citizen is reached.

package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Outbox kinds.
const outboxEvent = "event"

// States of an outbox row: written pending; the planner sets the others,
// and says why it skipped one.
const (
	outboxPending = "pending"
	outboxSent    = "sent"
	outboxSkipped = "skipped"
	outboxFailed  = "failed"

	SkipCoalesced        = "coalesced"          // the citizen was notified within the window
	SkipNoContactDetails = "no contact details" // build gave no notification
)

// OutboxItem is a notification to send: for kind "event", that the event
// happened on the citizen's case.
type OutboxItem struct {
	ID                     int64
	Kind                   string // "event"
	OrganisationNumber     string
	CaseID                 string
	EventID                string
	PersonalIdentityNumber string
	State                  string // pending, sending, sent, failed or skipped
	Attempts               int
	NextAttempt            time.Time
	LastError              string
	Created                time.Time
	Sent                   *time.Time
}

type outboxRow struct {
	ID                     int64         `db:"id"`
	Kind                   string        `db:"kind"`
	OrganisationNumber     string        `db:"organisation_number"`
	CaseID                 string        `db:"case_id"`
	EventID                string        `db:"event_id"`
	PersonalIdentityNumber string        `db:"personal_identity_number"`
	State                  string        `db:"state"`
	Attempts               int           `db:"attempts"`
	NextAttemptAt          timestamp     `db:"next_attempt_at"`
	LastError              string        `db:"last_error"`
	CreatedAt              timestamp     `db:"created_at"`
	SentAt                 nullTimestamp `db:"sent_at"`
}

// Outbox returns every outbox row in the order they were written.
func (s *Store) Outbox(ctx context.Context) ([]OutboxItem, error) {
	var rows []outboxRow
	err := s.db.SelectContext(ctx, &rows, `
		SELECT id, kind, organisation_number, case_id, event_id, personal_identity_number,
			state, attempts, next_attempt_at, last_error, created_at, sent_at
		FROM outbox ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: list outbox: %w", err)
	}
	items := make([]OutboxItem, len(rows))
	for i, r := range rows {
		items[i] = OutboxItem{
			ID:                     r.ID,
			Kind:                   r.Kind,
			OrganisationNumber:     r.OrganisationNumber,
			CaseID:                 r.CaseID,
			EventID:                r.EventID,
			PersonalIdentityNumber: r.PersonalIdentityNumber,
			State:                  r.State,
			Attempts:               r.Attempts,
			NextAttempt:            r.NextAttemptAt.Time,
			LastError:              r.LastError,
			Created:                r.CreatedAt.Time,
			Sent:                   r.SentAt.Ptr(),
		}
	}
	return items, nil
}

// notifyCitizens writes one outbox row per citizen of the case.
func notifyCitizens(ctx context.Context, tx *sqlx.Tx, org, caseID, eventID string, now time.Time) error {
	var pnrs []string
	err := tx.SelectContext(ctx, &pnrs, tx.Rebind(`
		SELECT personal_identity_number FROM case_citizens WHERE case_id = ?
		ORDER BY personal_identity_number`), caseID)
	if err != nil {
		return fmt.Errorf("list citizens of case %s: %w", caseID, err)
	}
	for _, pnr := range pnrs {
		_, err := tx.ExecContext(ctx, tx.Rebind(`
			INSERT INTO outbox (
				kind, organisation_number, case_id, event_id, personal_identity_number,
				created_at, next_attempt_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`),
			outboxEvent, org, caseID, eventID, pnr, timestamp{now}, timestamp{now})
		if err != nil {
			return fmt.Errorf("queue notification of event %s: %w", eventID, err)
		}
	}
	return nil
}

// claimedOutboxRow is an outbox row the planner claimed: whom to tell, and
// about which organisation.
type claimedOutboxRow struct {
	ID                     int64  `db:"id"`
	OrganisationNumber     string `db:"organisation_number"`
	PersonalIdentityNumber string `db:"personal_identity_number"`
}

// claimOutbox returns up to limit pending 'event' rows due at now, oldest
// first. On PostgreSQL it locks them until tx ends and skips the rows
// another transaction has locked, so that concurrent planners never claim
// one row twice; SQLite has one writer.
func claimOutbox(ctx context.Context, tx *sqlx.Tx, driver string, now time.Time, limit int) ([]claimedOutboxRow, error) {
	skipLocked := ""
	if driver == DriverPostgres {
		skipLocked = ` FOR UPDATE SKIP LOCKED`
	}
	var rows []claimedOutboxRow
	err := tx.SelectContext(ctx, &rows, tx.Rebind(`
		SELECT id, organisation_number, personal_identity_number FROM outbox
		WHERE kind = ? AND state = ? AND next_attempt_at <= ?
		ORDER BY id
		LIMIT ?`+skipLocked),
		outboxEvent, outboxPending, timestamp{now}, limit)
	return rows, err
}

// markOutbox sets the outbox rows' state and last error; sent ones get
// sent_at now.
func markOutbox(ctx context.Context, tx *sqlx.Tx, ids []int64, state, lastError string, now time.Time) error {
	sentAt := nullTimestamp{}
	if state == outboxSent {
		sentAt = nullTimestamp{Time: now, Valid: true}
	}
	query, args, err := sqlx.In(`UPDATE outbox SET state = ?, last_error = ?, sent_at = ? WHERE id IN (?)`,
		state, lastError, sentAt, ids)
	if err == nil {
		_, err = tx.ExecContext(ctx, tx.Rebind(query), args...)
	}
	if err != nil {
		return fmt.Errorf("mark outbox rows %s: %w", state, err)
	}
	return nil
}

// deleteOutboxOfCases removes the outbox rows of cases being purged
// (cases.go's purgeCases), whatever their state: a pending one would only
// be skipped.
func deleteOutboxOfCases(ctx context.Context, tx *sqlx.Tx, caseIDs []string) (int64, error) {
	return execIn(ctx, tx, `DELETE FROM outbox WHERE case_id IN (?)`, caseIDs)
}

// purgeOutbox removes a batch of the scope's outbox rows past their time
// (retention.go): those the planner is done with (sent, skipped or failed)
// that were written before the scope's time.
func purgeOutbox(ctx context.Context, tx *sqlx.Tx, sc purgeScope) (purgeBatch, error) {
	org, args := sc.byOrganisation("organisation_number")
	ids, err := selectPurgeKeys[int64](ctx, tx, "outbox", "id",
		org+` AND state IN ('sent', 'skipped', 'failed') AND created_at < ?`, append(args, sc.before), sc, false)
	b := newBatch(ids)
	if err != nil || len(ids) == 0 {
		return b, err
	}
	if b.rows["outbox"], err = execIn(ctx, tx, `DELETE FROM outbox WHERE id IN (?)`, ids); err != nil {
		return b, fmt.Errorf("delete outbox rows: %w", err)
	}
	return b, nil
}

// eraseOutbox deletes the citizen's outbox rows: the notifications still
// to plan, and the record of those planned or skipped. It returns how many.
func eraseOutbox(ctx context.Context, tx *sqlx.Tx, pnr string) (int64, error) {
	res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM outbox WHERE personal_identity_number = ?`), pnr)
	if err != nil {
		return 0, fmt.Errorf("delete outbox rows: %w", err)
	}
	return res.RowsAffected()
}
