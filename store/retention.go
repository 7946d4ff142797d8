// Tables: none of its own. Retention (gallring): Purge walks the kinds of
// rows that go by rule, organisation by organisation, in small batches of
// short transactions, and each table's file deletes its own rows
// (purgeCases, purgeSHSPayloads, ...). This file holds the walk, the
// batches and the lock that lets one node purge at a time; it knows no
// table's columns.

package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/minaengagemang/me"
)

// ErrPurgeRunning is returned by Purge when another node (or `me purge`)
// is purging the PostgreSQL database.
var ErrPurgeRunning = errors.New("store: another node is purging this database (its PostgreSQL advisory lock is held); try again when it has finished")

// PurgeLockKey is the PostgreSQL advisory lock a purge holds: one node
// purges at a time.
const PurgeLockKey int64 = 0x6d65_7075_7267_6501 // "mepurge" and 1

// DefaultPurgeBatch is the most rows of one kind a purge transaction takes.
const DefaultPurgeBatch = 500

// PurgeOptions say what Purge removes and how.
type PurgeOptions struct {
	Policy me.RetentionPolicy
	Now    time.Time
	// Batch is the most rows of one kind per transaction (a case counts
	// as one, with its events and their rows); 0 is DefaultPurgeBatch.
	Batch int
	// Pause is the wait between two transactions, so that the purge
	// leaves the database to the foreground most of the time.
	Pause time.Duration
	// DryRun runs every batch as it would run and rolls it back: it
	// counts exactly what would go, and removes nothing.
	DryRun bool
}

// PurgeCount is how many rows of a table of an organisation were (or, in a
// dry run, would be) removed. Organisation is "" for rows of no stored
// organisation (e.g. an audit entry of a client no longer configured),
// which go by the default rule. Table "shs_messages.raw" counts the
// payloads removed from rows that stay.
type PurgeCount struct {
	Organisation string
	Table        string
	Rows         int64
}

// PurgeReport is what a purge did: the counts in the order of
// PurgeTables, then by organisation, without zeros; and how many
// transactions it took.
type PurgeReport struct {
	Counts       []PurgeCount
	Transactions int
}

// PurgeTables are the tables a purge removes rows from, as it reports them.
var PurgeTables = []string{
	"cases", "case_citizens", "events", "attachments", "actions", "event_reads", "reminders", "outbox",
	"shs_messages.raw", "shs_messages", "shs_rejections", "inbound_mail", "notifications", "audit_log",
}

// purgeKind is one kind of row that goes by rule: the period of its rule,
// and the batch that removes its rows of one scope from the table file
// that owns them.
type purgeKind struct {
	name   string
	before func(r me.Retention, now time.Time) (time.Time, bool)
	batch  func(ctx context.Context, tx *sqlx.Tx, sc purgeScope) (purgeBatch, error)
}

var purgeKinds = []purgeKind{
	{"cases", func(r me.Retention, now time.Time) (time.Time, bool) {
		return me.RetentionCutoff(now, r.CasesAfterClosing, 0)
	}, purgeCases},
	{"SHS message payloads", func(r me.Retention, now time.Time) (time.Time, bool) {
		return me.RetentionCutoff(now, 0, r.SHSMessages)
	}, purgeSHSPayloads},
	{"SHS tx.ids", func(r me.Retention, now time.Time) (time.Time, bool) {
		if r.SHSMessages <= 0 { // the payload, and so its row, is kept for ever
			return time.Time{}, false
		}
		return me.RetentionCutoff(now, 0, max(r.SHSTxIDs, r.SHSMessages))
	}, purgeSHSTxIDs},
	{"refused SHS messages", func(r me.Retention, now time.Time) (time.Time, bool) {
		return me.RetentionCutoff(now, 0, r.SHSMessages)
	}, purgeRejections},
	{"inbound mail", func(r me.Retention, now time.Time) (time.Time, bool) {
		return me.RetentionCutoff(now, 0, r.SHSMessages) // raw as the SHS messages are
	}, purgeInboundMail},
	{"notifications", func(r me.Retention, now time.Time) (time.Time, bool) {
		return me.RetentionCutoff(now, 0, r.Notifications)
	}, purgeNotifications},
	{"outbox", func(r me.Retention, now time.Time) (time.Time, bool) {
		return me.RetentionCutoff(now, 0, r.Notifications)
	}, purgeOutbox},
	{"audit", func(r me.Retention, now time.Time) (time.Time, bool) {
		return me.RetentionCutoff(now, r.Audit, 0)
	}, purgeAudit},
}

// purgeScope is what one batch may take: the rows of one organisation (or
// of none stored, when other) past before, after the key where the last
// batch ended, at most limit of them.
type purgeScope struct {
	org    string
	other  bool
	before timestamp
	after  any // nil at the first batch
	limit  int
	now    timestamp
	// lock is appended to the selection of rows that others write to,
	// on PostgreSQL: rows a foreground transaction holds are skipped,
	// for the next run.
	lock string
}

// purgeBatch is what a batch did: how many rows it selected (fewer than
// the limit: the last batch), the last key, and the rows removed per table.
type purgeBatch struct {
	selected int
	last     any
	rows     map[string]int64
}

// byOrganisation is the condition that column col holds the scope's
// organisation.
func (sc purgeScope) byOrganisation(col string) (string, []any) {
	if sc.other {
		return col + ` NOT IN (SELECT number FROM organisations)`, nil
	}
	return col + ` = ?`, []any{sc.org}
}

// byClient is the condition that column col names a client of the scope's
// organisation.
func (sc purgeScope) byClient(col string) (string, []any) {
	if sc.other {
		return col + ` NOT IN (SELECT name FROM clients)`, nil
	}
	return col + ` IN (SELECT name FROM clients WHERE organisation_number = ?)`, []any{sc.org}
}

// selectPurgeKeys returns the keys (column key of table) of up to
// sc.limit rows matching where, after the scope's cursor, in key order.
func selectPurgeKeys[K string | int64](ctx context.Context, tx *sqlx.Tx, table, key, where string, args []any, sc purgeScope, lock bool) ([]K, error) {
	query := `SELECT ` + key + ` FROM ` + table + ` WHERE ` + where
	if sc.after != nil {
		query += ` AND ` + key + ` > ?`
		args = append(args, sc.after)
	}
	query += ` ORDER BY ` + key + ` LIMIT ?`
	args = append(args, sc.limit)
	if lock {
		query += sc.lock
	}
	var keys []K
	if err := tx.SelectContext(ctx, &keys, tx.Rebind(query), args...); err != nil {
		return nil, fmt.Errorf("select %s past their time: %w", table, err)
	}
	return keys, nil
}

// execIn runs a statement with one IN (?) list and returns the rows it
// changed.
func execIn(ctx context.Context, tx *sqlx.Tx, query string, args ...any) (int64, error) {
	q, a, err := sqlx.In(query, args...)
	if err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, tx.Rebind(q), a...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// newBatch is the purgeBatch of keys.
func newBatch[K string | int64](keys []K) purgeBatch {
	b := purgeBatch{selected: len(keys), rows: map[string]int64{}}
	if len(keys) > 0 {
		b.last = keys[len(keys)-1]
	}
	return b
}

// Purge removes the rows past their time by opts.Policy, each kind and
// organisation in batches of at most opts.Batch rows, one short
// transaction each with opts.Pause between, so that signals and the
// portals' reads are never held up for long. On PostgreSQL it holds an
// advisory lock while it runs, and returns ErrPurgeRunning when another
// holds it; a dry run takes no lock. Expired tickets are not its:
// PurgeTickets.
func (s *Store) Purge(ctx context.Context, opts PurgeOptions) (PurgeReport, error) {
	if opts.Batch <= 0 {
		opts.Batch = DefaultPurgeBatch
	}
	if s.driver == DriverPostgres && !opts.DryRun {
		unlock, err := s.lockPurge(ctx)
		if err != nil {
			return PurgeReport{}, err
		}
		defer unlock()
	}
	var orgs []string
	if err := s.db.SelectContext(ctx, &orgs, `SELECT number FROM organisations ORDER BY number`); err != nil {
		return PurgeReport{}, fmt.Errorf("store: purge: list organisations: %w", err)
	}
	lock := ""
	if s.driver == DriverPostgres {
		lock = ` FOR UPDATE SKIP LOCKED`
	}
	counts := map[[2]string]int64{} // by organisation and table
	var report PurgeReport
	for _, kind := range purgeKinds {
		for i := 0; i <= len(orgs); i++ {
			sc := purgeScope{other: i == len(orgs), limit: opts.Batch, now: timestamp{opts.Now}, lock: lock}
			if !sc.other {
				sc.org = orgs[i]
			}
			before, ok := kind.before(opts.Policy.For(sc.org), opts.Now)
			if !ok {
				continue
			}
			sc.before = timestamp{before}
			for {
				b, err := s.purgeOnce(ctx, kind, sc, opts.DryRun)
				if err != nil {
					return report, fmt.Errorf("store: purge %s of %s: %w", kind.name, orgName(sc.org), err)
				}
				report.Transactions++
				for table, n := range b.rows {
					counts[[2]string{sc.org, table}] += n
				}
				if b.selected < sc.limit {
					break
				}
				sc.after = b.last
				if err := sleep(ctx, opts.Pause); err != nil {
					return report, err
				}
			}
		}
	}
	for key, n := range counts {
		if n > 0 {
			report.Counts = append(report.Counts, PurgeCount{Organisation: key[0], Table: key[1], Rows: n})
		}
	}
	slices.SortFunc(report.Counts, func(a, b PurgeCount) int {
		if d := slices.Index(PurgeTables, a.Table) - slices.Index(PurgeTables, b.Table); d != 0 {
			return d
		}
		return cmpOrg(a.Organisation, b.Organisation)
	})
	return report, nil
}

// purgeOnce runs one batch in its own transaction, retried when it loses a
// race, and rolls it back in a dry run.
func (s *Store) purgeOnce(ctx context.Context, kind purgeKind, sc purgeScope, dryRun bool) (purgeBatch, error) {
	var b purgeBatch
	errDryRun := errors.New("dry run")
	err := retry(ctx, func() error {
		err := s.inTx(ctx, func(tx *sqlx.Tx) error {
			var err error
			if b, err = kind.batch(ctx, tx, sc); err != nil {
				return err
			}
			if dryRun {
				return errDryRun
			}
			return nil
		})
		if errors.Is(err, errDryRun) {
			return nil
		}
		return err
	})
	return b, err
}

// lockPurge takes the purge's advisory lock on a connection of its own,
// held until unlock.
func (s *Store) lockPurge(ctx context.Context) (unlock func(), err error) {
	conn, err := s.db.Connx(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: purge lock: %w", err)
	}
	var got bool
	if err := conn.GetContext(ctx, &got, `SELECT pg_try_advisory_lock($1)`, PurgeLockKey); err != nil {
		conn.Close()
		return nil, fmt.Errorf("store: purge lock: %w", err)
	}
	if !got {
		conn.Close()
		return nil, ErrPurgeRunning
	}
	return func() {
		// Not ctx: the lock must go even when the purge was cancelled.
		conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, PurgeLockKey) //nolint:errcheck // closing the session releases it too
		conn.Close()
	}, nil
}

// sleep waits d, or returns ctx's error when it ends first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// cmpOrg orders organisations by number, the rows of none last.
func cmpOrg(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == "":
		return 1
	case b == "":
		return -1
	case a < b:
		return -1
	}
	return 1
}

func orgName(org string) string {
	if org == "" {
		return "no stored organisation"
	}
	return "organisation " + org
}
