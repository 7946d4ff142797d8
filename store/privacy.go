// Tables: erasures: the record of each erasure of a citizen's data. What
// ME holds about one citizen across the table families, read for the
// register extract (registerutdrag, `me citizen export`), and the erasure
// of what ME owns (`me citizen erase`), each table family's part done by
// its own file in one transaction. It does not know the extract's format.

package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/minaengagemang/me"
)

// CitizenData returns everything ME holds about the citizen (me.CitizenData
// says what): for a citizen ME does not know, only the audit log and
// erasures, which may still name them. Errors name no personnummer.
func (s *Store) CitizenData(ctx context.Context, pnr string) (me.CitizenData, error) {
	d := me.CitizenData{PersonalIdentityNumber: pnr}
	p, err := s.CitizenProfile(ctx, pnr)
	switch {
	case err == nil:
		d.Profile = &p
	case !errors.Is(err, me.ErrNotFound):
		return me.CitizenData{}, err
	}
	if d.Cases, err = s.CitizenCases(ctx, pnr); err != nil {
		return me.CitizenData{}, err
	}
	if d.Tickets, err = s.CitizenTickets(ctx, pnr); err != nil {
		return me.CitizenData{}, err
	}
	if d.Notifications, err = s.CitizenNotifications(ctx, pnr); err != nil {
		return me.CitizenData{}, err
	}
	if d.Reminders, err = s.CitizenReminders(ctx, pnr); err != nil {
		return me.CitizenData{}, err
	}
	if d.Audit, err = s.AuditLog(ctx, pnr, 0); err != nil {
		return me.CitizenData{}, err
	}
	if d.Erasures, err = s.Erasures(ctx, pnr); err != nil {
		return me.CitizenData{}, err
	}
	return d, nil
}

// ErasedTables returns the tables EraseCitizen removes rows from (or, for
// citizens, blanks a row of), in the order it reports them.
func ErasedTables() []string {
	return []string{"citizens", "notifications", "outbox", "reminders", "tickets"}
}

// errDryRun rolls back a dry run's transaction.
var errDryRun = errors.New("dry run")

// EraseCitizen erases what ME owns of the citizen's data, in one
// transaction: their profile (names, address, contact details, language,
// channel; the citizens row itself when no case names them), every
// notification of theirs and their outbox rows (history and pending), the
// record of their reminders, and their tickets that no e-service has tried
// to redeem. It records the erasure (by, now, the rows per table) in
// erasures and returns that record. Rows is keyed by ErasedTables, zero
// included.
//
// It leaves the case records that the case systems own (cases, events,
// attachments, actions, who is on a case, read marks and archiving) and the
// audit log: they follow the retention rules. Kept counts those that name
// the citizen, for saying so.
//
// With dryRun nothing changes and nothing is recorded: the returned record
// says what would go.
func (s *Store) EraseCitizen(ctx context.Context, pnr, by string, now time.Time, dryRun bool) (erased me.Erasure, kept map[string]int64, err error) {
	if pnr == "" || by == "" {
		return me.Erasure{}, nil, fmt.Errorf("store: erase citizen: say whose data and who erases it")
	}
	now = dbTime(now)
	err = retry(ctx, func() error {
		erased = me.Erasure{PersonalIdentityNumber: pnr, By: by, Time: now, Rows: map[string]int64{}}
		err := s.inTx(ctx, func(tx *sqlx.Tx) error {
			var err error
			rows := erased.Rows
			if rows["citizens"], err = eraseProfile(ctx, tx, pnr, now); err != nil {
				return err
			}
			if rows["notifications"], rows["reminders"], err = eraseNotifications(ctx, tx, pnr); err != nil {
				return err
			}
			if rows["outbox"], err = eraseOutbox(ctx, tx, pnr); err != nil {
				return err
			}
			if rows["tickets"], err = eraseUnusedTickets(ctx, tx, pnr); err != nil {
				return err
			}
			if kept, err = keptRows(ctx, tx, pnr); err != nil {
				return err
			}
			if dryRun {
				return errDryRun
			}
			counts, err := json.Marshal(rows)
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, tx.Rebind(`
				INSERT INTO erasures (at, erased_by, personal_identity_number, counts) VALUES (?, ?, ?, ?)`),
				timestamp{now}, by, pnr, string(counts))
			return err
		})
		if errors.Is(err, errDryRun) {
			return nil
		}
		return err
	})
	if err != nil {
		return me.Erasure{}, nil, fmt.Errorf("store: erase citizen: %w", err)
	}
	return erased, kept, nil
}

// keptRows counts the rows that name the citizen and that an erasure
// keeps, by table: the case records and the audit log, and the tickets an
// e-service used.
func keptRows(ctx context.Context, tx *sqlx.Tx, pnr string) (map[string]int64, error) {
	kept := map[string]int64{}
	for table, query := range map[string]string{
		"case_citizens": `SELECT count(*) FROM case_citizens WHERE personal_identity_number = ?`,
		"events": `SELECT count(*) FROM events e
			WHERE EXISTS (SELECT 1 FROM case_citizens cc WHERE cc.case_id = e.case_id AND cc.personal_identity_number = ?)`,
		"event_reads": `SELECT count(*) FROM event_reads WHERE personal_identity_number = ?`,
		"audit_log":   `SELECT count(*) FROM audit_log WHERE personal_identity_number = ?`,
		"tickets":     `SELECT count(*) FROM tickets WHERE personal_identity_number = ?`,
	} {
		var n int64
		if err := tx.GetContext(ctx, &n, tx.Rebind(query), pnr); err != nil {
			return nil, fmt.Errorf("count kept %s: %w", table, err)
		}
		kept[table] = n
	}
	return kept, nil
}

// Erasures returns the erasures of the citizen's data, oldest first.
func (s *Store) Erasures(ctx context.Context, pnr string) ([]me.Erasure, error) {
	var rows []struct {
		At     timestamp `db:"at"`
		By     string    `db:"erased_by"`
		Counts string    `db:"counts"`
	}
	err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`
		SELECT at, erased_by, counts FROM erasures WHERE personal_identity_number = ? ORDER BY at, id`), pnr)
	if err != nil {
		return nil, fmt.Errorf("store: list erasures: %w", err)
	}
	out := make([]me.Erasure, len(rows))
	for i, r := range rows {
		out[i] = me.Erasure{PersonalIdentityNumber: pnr, By: r.By, Time: r.At.Time}
		if err := json.Unmarshal([]byte(r.Counts), &out[i].Rows); err != nil {
			return nil, fmt.Errorf("store: list erasures: counts of %s: %w", r.At.Time.Format(time.RFC3339), err)
		}
	}
	return out, nil
}
