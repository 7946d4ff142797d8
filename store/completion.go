package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/minaengagemang/me"
)

// Errors of CompleteAction. Both are *me.Error with code Conflict, so a
// service can return them as they are, and sentinels for errors.Is.
var (
	// ErrNotComplete: the action is not a completion (komplettering).
	ErrNotComplete = &me.Error{Code: me.CodeConflict, Message: "the action is not a completion"}
	// ErrAlreadyCompleted: the completion was reported before.
	ErrAlreadyCompleted = &me.Error{Code: me.CodeConflict, Message: "the completion was already reported"}
)

// Action returns an action of one of a case's events, and the id of its
// event. An action that does not exist, or is on another case, gives an
// error wrapping me.ErrNotFound.
func (s *Store) Action(ctx context.Context, caseID, actionID string) (me.Action, string, error) {
	a, err := caseAction(ctx, s.db, caseID, actionID)
	if err != nil {
		return me.Action{}, "", fmt.Errorf("store: get action %s of case %s: %w", actionID, caseID, notFound(err))
	}
	return a.action(a.AttachmentSignalID.String), a.EventID, nil
}

type caseActionRow struct {
	actionRow
	AttachmentSignalID sql.NullString `db:"attachment_signal_id"`
}

// caseAction reads an action of a case's event, or sql.ErrNoRows.
func caseAction(ctx context.Context, q sqlx.ExtContext, caseID, actionID string) (caseActionRow, error) {
	var a caseActionRow
	err := sqlx.GetContext(ctx, q, &a, q.Rebind(`
		SELECT `+actionColumns+`, att.signal_id AS attachment_signal_id
		FROM actions x
		JOIN events e ON e.id = x.event_id
		LEFT JOIN attachments att ON att.id = x.attachment_id
		WHERE x.id = ? AND e.case_id = ?`), actionID, caseID)
	return a, err
}

// CompleteAction records that the citizen completed a case (komplettering)
// through an e-service, in one transaction: the complete action actionID,
// which must be on an event of case caseID, is set done at now, and ev is
// added to the case as the citizen's event, with its attachments and
// actions (a new ME id, time now, from the citizen, not notified, no
// external id), and the case's updated time is now. It returns the stored
// event.
//
// An action that does not exist or is on another case gives an error
// wrapping me.ErrNotFound, one of another type ErrNotComplete, and an
// action already done ErrAlreadyCompleted. Of concurrent calls for one
// action exactly one succeeds; the others get ErrAlreadyCompleted.
func (s *Store) CompleteAction(ctx context.Context, caseID, actionID string, ev me.Event, now time.Time) (me.Event, error) {
	now = dbTime(now)
	ev.ID, ev.CaseID, ev.ExternalID = newID(idEvent), caseID, ""
	ev.Time, ev.Created = now, now
	ev.FromCitizen, ev.Notify = true, false

	var stored me.Event
	err := retry(ctx, func() error {
		return s.inTx(ctx, func(tx *sqlx.Tx) error {
			a, err := caseAction(ctx, tx, caseID, actionID)
			if err != nil {
				return notFound(err)
			}
			if me.ActionType(a.Type) != me.ActionComplete {
				return ErrNotComplete
			}
			// The state is checked again by the update: a concurrent call
			// that got here too finds the row done once the first commits
			// (PostgreSQL waits for its row lock; SQLite has one writer).
			res, err := tx.ExecContext(ctx, tx.Rebind(`
				UPDATE actions SET state = ?, done_at = ? WHERE id = ? AND state <> ?`),
				string(me.ActionDone), timestamp{now}, actionID, string(me.ActionDone))
			if err != nil {
				return fmt.Errorf("set action done: %w", err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return fmt.Errorf("set action done: %w", err)
			} else if n == 0 {
				return ErrAlreadyCompleted
			}

			if err := insertEvent(ctx, tx, ev.ID, caseID, "", ev, now); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE cases SET updated_at = ? WHERE id = ?`), timestamp{now}, caseID)
			if err != nil {
				return fmt.Errorf("update case: %w", err)
			}

			var r eventRow
			err = tx.GetContext(ctx, &r, tx.Rebind(`SELECT `+eventColumns+` FROM events WHERE id = ?`), ev.ID)
			if err != nil {
				return fmt.Errorf("read event back: %w", err)
			}
			events, err := withDetails(ctx, tx, []eventRow{r}, `e.id = ?`, ev.ID, true)
			if err != nil {
				return fmt.Errorf("read event back: %w", err)
			}
			stored = events[0]
			return nil
		})
	})
	if err != nil {
		return me.Event{}, fmt.Errorf("store: complete action %s of case %s: %w", actionID, caseID, err)
	}
	return stored, nil
}
