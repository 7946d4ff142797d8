// Tables: tickets: the one-time tickets that send a citizen on to an
// e-service, kept by the SHA-256 of their value, never the value. It does
// not know whether a redemption may succeed: the caller decides.

package store

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/minaengagemang/me"
)

type ticketRow struct {
	Purpose                string        `db:"purpose"`
	PersonalIdentityNumber string        `db:"personal_identity_number"`
	EServiceOrganisation   string        `db:"eservice_organisation"`
	EServiceID             string        `db:"eservice_id"`
	IssuedBy               string        `db:"issued_by"`
	CaseID                 string        `db:"case_id"`
	EventID                string        `db:"event_id"`
	ActionID               string        `db:"action_id"`
	IssuedAt               timestamp     `db:"issued_at"`
	ExpiresAt              timestamp     `db:"expires_at"`
	RedeemAttemptAt        nullTimestamp `db:"redeem_attempt_at"`
	RedeemedBy             string        `db:"redeemed_by"`
}

func (r ticketRow) ticket() me.Ticket {
	return me.Ticket{
		Purpose:                me.TicketPurpose(r.Purpose),
		PersonalIdentityNumber: r.PersonalIdentityNumber,
		EServiceOrganisation:   r.EServiceOrganisation,
		EServiceID:             r.EServiceID,
		IssuedBy:               r.IssuedBy,
		CaseID:                 r.CaseID,
		EventID:                r.EventID,
		ActionID:               r.ActionID,
		Issued:                 r.IssuedAt.Time,
		Expires:                r.ExpiresAt.Time,
		RedeemAttempt:          r.RedeemAttemptAt.Ptr(),
		RedeemedBy:             r.RedeemedBy,
	}
}

const ticketColumns = `
	purpose, personal_identity_number, eservice_organisation, eservice_id, issued_by,
	case_id, event_id, action_id, issued_at, expires_at, redeem_attempt_at, redeemed_by`

// checkHash says what is wrong with a ticket hash: it must be a SHA-256.
func checkHash(hash []byte) error {
	if len(hash) != sha256.Size {
		return fmt.Errorf("ticket hash has %d bytes, want a SHA-256 (%d)", len(hash), sha256.Size)
	}
	return nil
}

// CreateTicket stores a new ticket under hash, the SHA-256 of the ticket's
// value; the value itself is never stored. t.RedeemAttempt and
// t.RedeemedBy are ignored: a new ticket has had no redemption attempt.
// Times are stored in UTC to the microsecond. Errors name no hash and no
// personnummer.
func (s *Store) CreateTicket(ctx context.Context, hash []byte, t me.Ticket) error {
	if err := checkHash(hash); err != nil {
		return fmt.Errorf("store: create ticket: %w", err)
	}
	switch t.Purpose {
	case me.TicketStart, me.TicketCompletion:
	default:
		return fmt.Errorf("store: create ticket: %w", me.Errorf(me.CodeValidationFailed, "unknown ticket purpose %q", t.Purpose))
	}
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`
		INSERT INTO tickets (
			hash, purpose, personal_identity_number, eservice_organisation, eservice_id, issued_by,
			case_id, event_id, action_id, issued_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		hash, string(t.Purpose), t.PersonalIdentityNumber, t.EServiceOrganisation, t.EServiceID, t.IssuedBy,
		t.CaseID, t.EventID, t.ActionID, timestamp{t.Issued}, timestamp{t.Expires})
	if err != nil {
		return fmt.Errorf("store: create %s ticket for %s/%s: %w", t.Purpose, t.EServiceOrganisation, t.EServiceID, err)
	}
	return nil
}

// RedeemTicket makes the one redemption attempt a ticket gets, atomically:
// the first call for a hash records now and client as the attempt and
// returns the ticket with first true; every later call changes nothing and
// returns the ticket with the first attempt and first false. Of concurrent
// calls exactly one is first. Whether the attempt succeeds (the ticket has
// not expired, the client may redeem it) is for the caller to decide: the
// attempt is used up either way. An unknown (or purged) hash gives an error
// wrapping me.ErrNotFound.
func (s *Store) RedeemTicket(ctx context.Context, hash []byte, client string, now time.Time) (t me.Ticket, first bool, err error) {
	if err := checkHash(hash); err != nil {
		return me.Ticket{}, false, fmt.Errorf("store: redeem ticket: %w", err)
	}
	var r ticketRow
	// One statement: the row lock (PostgreSQL) or the database lock
	// (SQLite) lets exactly one caller find redeem_attempt_at NULL. A busy
	// SQLite changed nothing, so retrying is safe.
	err = retry(ctx, func() error {
		rows, err := s.db.QueryxContext(ctx, s.db.Rebind(`
			UPDATE tickets SET redeem_attempt_at = ?, redeemed_by = ?
			WHERE hash = ? AND redeem_attempt_at IS NULL
			RETURNING `+ticketColumns),
			timestamp{now}, client, hash)
		if err != nil {
			return err
		}
		defer rows.Close()
		first = false
		for rows.Next() { // at most one: hash is the key
			if err := rows.StructScan(&r); err != nil {
				return err
			}
			first = true
		}
		// A busy SQLite reports here, not at QueryxContext.
		return rows.Err()
	})
	if err != nil {
		return me.Ticket{}, false, fmt.Errorf("store: redeem ticket: %w", err)
	}
	if first {
		return r.ticket(), true, nil
	}
	err = s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT `+ticketColumns+` FROM tickets WHERE hash = ?`), hash)
	if err != nil {
		return me.Ticket{}, false, fmt.Errorf("store: redeem ticket: %w", notFound(err))
	}
	return r.ticket(), false, nil
}

// PurgeTickets deletes the tickets that expired before now, redeemed or
// not, and returns how many. Tickets live minutes, so a used one goes soon
// after its use.
func (s *Store) PurgeTickets(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM tickets WHERE expires_at < ?`), timestamp{now})
	if err != nil {
		return 0, fmt.Errorf("store: purge tickets: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: purge tickets: %w", err)
	}
	return n, nil
}

// CountTickets returns how many tickets are stored.
func (s *Store) CountTickets(ctx context.Context) (int, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM tickets`); err != nil {
		return 0, fmt.Errorf("store: count tickets: %w", err)
	}
	return n, nil
}

// CitizenTickets returns the tickets issued for the citizen and not yet
// purged, oldest first. The ticket values are not stored; their hashes
// are not returned.
func (s *Store) CitizenTickets(ctx context.Context, pnr string) ([]me.Ticket, error) {
	var rows []ticketRow
	err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`
		SELECT `+ticketColumns+` FROM tickets WHERE personal_identity_number = ?
		ORDER BY issued_at`), pnr)
	if err != nil {
		return nil, fmt.Errorf("store: list citizen's tickets: %w", err)
	}
	out := make([]me.Ticket, len(rows))
	for i, r := range rows {
		out[i] = r.ticket()
	}
	return out, nil
}

// eraseUnusedTickets deletes the citizen's tickets that no e-service has
// tried to redeem, and returns how many. A used ticket is the record of
// what an e-service was given; it goes when it expires (PurgeTickets).
func eraseUnusedTickets(ctx context.Context, tx *sqlx.Tx, pnr string) (int64, error) {
	res, err := tx.ExecContext(ctx, tx.Rebind(`
		DELETE FROM tickets WHERE personal_identity_number = ? AND redeem_attempt_at IS NULL`), pnr)
	if err != nil {
		return 0, fmt.Errorf("delete unused tickets: %w", err)
	}
	return res.RowsAffected()
}
