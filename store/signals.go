package store

import (
	"cmp"
	"context"
	crand "crypto/rand"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"
	"github.com/mattn/go-sqlite3"

	"github.com/minaengagemang/me"
)

// Prefixes of ME's ids, one per kind of row.
const (
	idCase       = "c"
	idEvent      = "e"
	idAttachment = "a"
	idAction     = "x"
	idMessage    = "m" // an SHS message's local id
)

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newID returns prefix and 20 characters of lower-case base32 of random
// bytes (100 bits), e.g. "c7q3k…": URL-safe and matching [A-Za-z0-9._-]{1,64}.
func newID(prefix string) string {
	b := make([]byte, 13)
	crand.Read(b) // never fails
	return prefix + strings.ToLower(idEncoding.EncodeToString(b)[:20])
}

// Outbox kinds.
const outboxEvent = "event"

// RecordSignal stores a case system's signal and the SHS message it came in,
// exactly once and atomically, and says what it did:
//
//   - A message whose tx.id is stored already changes nothing: the receipt
//     is the first arrival's, with Duplicate set.
//   - A message whose event the case has already (by the event's external
//     id) is kept but changes nothing else: DuplicateEvent is set and EventID
//     is the existing event's.
//   - Otherwise the case is created (found by organisation and external id)
//     or updated (case number, title, status, the handler when the signal
//     names one, updated at now); the citizens are upserted (names and
//     address filled in when given, never blanked) and linked to the case;
//     the event is added with its attachments and actions (state available,
//     download actions resolved to the attachment's ME id); and when the
//     event notifies, one outbox row per citizen of the case is written.
//
// The SHS message's LocalID is kept, or a new one is made when it is empty;
// Arrival is now. When two calls race (the same tx.id, or the same new case
// or event), the loser's unique violation makes it retry the whole
// transaction, which then finds the winner's rows.
func (s *Store) RecordSignal(ctx context.Context, msg me.SHSMessage, sig me.Signal, now time.Time) (me.SignalReceipt, error) {
	var r me.SignalReceipt
	err := retry(ctx, func() error {
		return s.inTx(ctx, func(tx *sqlx.Tx) error {
			var err error
			r, err = recordSignal(ctx, tx, msg, sig, now)
			return err
		})
	})
	if err != nil {
		return me.SignalReceipt{}, fmt.Errorf("store: record signal tx.id %s: %w", msg.TxID, err)
	}
	return r, nil
}

func recordSignal(ctx context.Context, tx *sqlx.Tx, msg me.SHSMessage, sig me.Signal, now time.Time) (me.SignalReceipt, error) {
	now = dbTime(now)
	if r, err := shsReceipt(ctx, tx, tx.Rebind, msg.TxID); err == nil {
		return r, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return me.SignalReceipt{}, fmt.Errorf("find message: %w", err)
	}

	r := me.SignalReceipt{TxID: msg.TxID, LocalID: msg.LocalID, Arrival: now, From: msg.From}
	if r.LocalID == "" {
		r.LocalID = newID(idMessage)
	}
	c := sig.Case
	err := tx.GetContext(ctx, &r.CaseID, tx.Rebind(`
		SELECT id FROM cases WHERE organisation_number = ? AND external_id = ?`),
		c.OrganisationNumber, c.ExternalID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		r.CaseID = newID(idCase)
		if err := insertCase(ctx, tx, r.CaseID, c, now); err != nil {
			return me.SignalReceipt{}, fmt.Errorf("insert case %s/%s: %w", c.OrganisationNumber, c.ExternalID, err)
		}
	case err != nil:
		return me.SignalReceipt{}, fmt.Errorf("find case %s/%s: %w", c.OrganisationNumber, c.ExternalID, err)
	default:
		if sig.Event.ExternalID != "" {
			err := tx.GetContext(ctx, &r.EventID, tx.Rebind(`
				SELECT id FROM events WHERE case_id = ? AND external_id = ?`),
				r.CaseID, sig.Event.ExternalID)
			switch {
			case err == nil:
				r.DuplicateEvent = true
			case !errors.Is(err, sql.ErrNoRows):
				return me.SignalReceipt{}, fmt.Errorf("find event %s of case %s: %w", sig.Event.ExternalID, r.CaseID, err)
			}
		}
		if !r.DuplicateEvent {
			if err := updateCase(ctx, tx, r.CaseID, c, now); err != nil {
				return me.SignalReceipt{}, fmt.Errorf("update case %s: %w", r.CaseID, err)
			}
		}
	}

	if !r.DuplicateEvent {
		if err := addCitizens(ctx, tx, r.CaseID, sig.Citizens, now); err != nil {
			return me.SignalReceipt{}, err
		}
		r.EventID = newID(idEvent)
		if err := insertEvent(ctx, tx, r.EventID, r.CaseID, msg.TxID, sig.Event, now); err != nil {
			return me.SignalReceipt{}, err
		}
		if sig.Event.Notify {
			if err := notifyCitizens(ctx, tx, c.OrganisationNumber, r.CaseID, r.EventID, now); err != nil {
				return me.SignalReceipt{}, err
			}
		}
	}

	raw := msg.Raw
	if raw == nil {
		raw = []byte{}
	}
	_, err = tx.ExecContext(ctx, tx.Rebind(`
		INSERT INTO shs_messages (
			tx_id, corr_id, content_id, local_id, from_org, to_org, product,
			sequence_type, transfer_type, client, arrival,
			case_id, event_id, duplicate_event, raw)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		msg.TxID, msg.CorrID, msg.ContentID, r.LocalID, msg.From, msg.To, msg.Product,
		msg.SequenceType, msg.TransferType, msg.Client, timestamp{now},
		r.CaseID, r.EventID, r.DuplicateEvent, raw)
	if err != nil {
		return me.SignalReceipt{}, fmt.Errorf("insert message: %w", err)
	}
	return r, nil
}

// SHSReceipt returns the receipt of the stored message with this tx.id,
// as a repeat of it is answered (Duplicate set), or an error wrapping
// me.ErrNotFound. It does not read the message itself.
func (s *Store) SHSReceipt(ctx context.Context, txID string) (me.SignalReceipt, error) {
	r, err := shsReceipt(ctx, s.db, s.db.Rebind, txID)
	if err != nil {
		return me.SignalReceipt{}, fmt.Errorf("store: get SHS receipt %s: %w", txID, notFound(err))
	}
	return r, nil
}

// shsReceipt returns the receipt of a stored message, or sql.ErrNoRows.
func shsReceipt(ctx context.Context, q sqlx.QueryerContext, rebind func(string) string, txID string) (me.SignalReceipt, error) {
	var row struct {
		LocalID        string         `db:"local_id"`
		Arrival        timestamp      `db:"arrival"`
		CaseID         sql.NullString `db:"case_id"`
		EventID        sql.NullString `db:"event_id"`
		DuplicateEvent bool           `db:"duplicate_event"`
		From           string         `db:"from_org"`
	}
	err := sqlx.GetContext(ctx, q, &row, rebind(`
		SELECT local_id, arrival, case_id, event_id, duplicate_event, from_org
		FROM shs_messages WHERE tx_id = ?`), txID)
	if err != nil {
		return me.SignalReceipt{}, err
	}
	return me.SignalReceipt{
		TxID:           txID,
		LocalID:        row.LocalID,
		Arrival:        row.Arrival.Time,
		CaseID:         row.CaseID.String,
		EventID:        row.EventID.String,
		Duplicate:      true,
		DuplicateEvent: row.DuplicateEvent,
		From:           row.From,
	}, nil
}

func insertCase(ctx context.Context, tx *sqlx.Tx, id string, c me.Case, now time.Time) error {
	_, err := tx.ExecContext(ctx, tx.Rebind(`
		INSERT INTO cases (
			id, organisation_number, external_id, case_number, title_sv, title_en,
			status, handler_name, handler_email, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		id, c.OrganisationNumber, c.ExternalID, c.CaseNumber, c.Title.SV, c.Title.EN,
		string(c.Status), c.Handler.Name, c.Handler.Email, timestamp{now}, timestamp{now})
	return err
}

// updateCase sets what a later signal updates. A signal without a handler
// keeps the case's handler.
func updateCase(ctx context.Context, tx *sqlx.Tx, id string, c me.Case, now time.Time) error {
	query := `UPDATE cases SET case_number = ?, title_sv = ?, title_en = ?, status = ?, updated_at = ?`
	args := []any{c.CaseNumber, c.Title.SV, c.Title.EN, string(c.Status), timestamp{now}}
	if c.Handler != (me.Handler{}) {
		query += `, handler_name = ?, handler_email = ?`
		args = append(args, c.Handler.Name, c.Handler.Email)
	}
	query += ` WHERE id = ?`
	args = append(args, id)
	_, err := tx.ExecContext(ctx, tx.Rebind(query), args...)
	return err
}

// addCitizens upserts the citizens and links them to the case, in order of
// personnummer so that concurrent transactions lock rows in the same order.
func addCitizens(ctx context.Context, tx *sqlx.Tx, caseID string, citizens []me.Citizen, now time.Time) error {
	citizens = slices.SortedFunc(slices.Values(citizens), func(a, b me.Citizen) int {
		return cmp.Compare(a.PersonalIdentityNumber, b.PersonalIdentityNumber)
	})
	// Errors name no personnummer: they end up in logs.
	for i, c := range citizens {
		if i > 0 && c.PersonalIdentityNumber == citizens[i-1].PersonalIdentityNumber {
			continue
		}
		if err := upsertCitizen(ctx, tx, c, now); err != nil {
			return fmt.Errorf("upsert citizen: %w", err)
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`
			INSERT INTO case_citizens (case_id, personal_identity_number) VALUES (?, ?)
			ON CONFLICT DO NOTHING`),
			caseID, c.PersonalIdentityNumber)
		if err != nil {
			return fmt.Errorf("link citizen to case %s: %w", caseID, err)
		}
	}
	return nil
}

// upsertCitizen inserts a citizen or fills in the names it is given (an
// empty one keeps the stored one) and, when given, the whole address.
func upsertCitizen(ctx context.Context, tx *sqlx.Tx, c me.Citizen, now time.Time) error {
	var a me.PostalAddress
	if c.Address != nil {
		a = *c.Address
	}
	query := `
		INSERT INTO citizens (
			personal_identity_number, name, given_name, surname,
			care_of, street, postal_code, city, country, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (personal_identity_number) DO UPDATE SET
			given_name = COALESCE(NULLIF(excluded.given_name, ''), citizens.given_name),
			surname = COALESCE(NULLIF(excluded.surname, ''), citizens.surname),
			name = TRIM(COALESCE(NULLIF(excluded.given_name, ''), citizens.given_name) || ' ' ||
				COALESCE(NULLIF(excluded.surname, ''), citizens.surname)),
			updated_at = excluded.updated_at`
	if c.Address != nil {
		query += `,
			care_of = excluded.care_of,
			street = excluded.street,
			postal_code = excluded.postal_code,
			city = excluded.city,
			country = excluded.country`
	}
	_, err := tx.ExecContext(ctx, tx.Rebind(query),
		c.PersonalIdentityNumber, strings.TrimSpace(c.GivenName+" "+c.Surname), c.GivenName, c.Surname,
		a.CareOf, a.Street, a.PostalCode, a.City, a.Country, timestamp{now}, timestamp{now})
	return err
}

func insertEvent(ctx context.Context, tx *sqlx.Tx, id, caseID, txID string, e me.Event, now time.Time) error {
	_, err := tx.ExecContext(ctx, tx.Rebind(`
		INSERT INTO events (
			id, case_id, external_id, time, title_sv, title_en, text_sv, text_en,
			notify, from_citizen, created_at, tx_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		id, caseID, e.ExternalID, timestamp{e.Time}, e.Title.SV, e.Title.EN, e.Text.SV, e.Text.EN,
		e.Notify, e.FromCitizen, timestamp{now}, txID)
	if err != nil {
		return fmt.Errorf("insert event %s of case %s: %w", e.ExternalID, caseID, err)
	}

	attachmentIDs := make(map[string]string, len(e.Attachments)) // signal id → ME id
	for i, a := range e.Attachments {
		aid := newID(idAttachment)
		attachmentIDs[a.SignalID] = aid
		content := a.Content
		if content == nil {
			content = []byte{}
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`
			INSERT INTO attachments (id, event_id, position, signal_id, file_name, media_type, size, content)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
			aid, id, i, a.SignalID, a.FileName, a.MediaType, int64(len(content)), content)
		if err != nil {
			return fmt.Errorf("insert attachment %s of event %s: %w", a.SignalID, e.ExternalID, err)
		}
	}

	for i, a := range e.Actions {
		var attachmentID sql.NullString
		if a.AttachmentSignalID != "" {
			aid, ok := attachmentIDs[a.AttachmentSignalID]
			if !ok {
				return me.Errorf(me.CodeValidationFailed,
					"action %d of event %s refers to attachment %q, which the event does not have",
					i+1, e.ExternalID, a.AttachmentSignalID)
			}
			attachmentID = sql.NullString{String: aid, Valid: true}
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`
			INSERT INTO actions (
				id, event_id, position, external_id, type, label_sv, label_en, state,
				attachment_id, eservice_id, eservice_organisation, due_date, completion_data)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			newID(idAction), id, i, a.ExternalID, string(a.Type), a.Label.SV, a.Label.EN, string(me.ActionAvailable),
			attachmentID, a.EServiceID, a.EServiceOrganisation, a.DueDate, a.CompletionData)
		if err != nil {
			return fmt.Errorf("insert action %d of event %s: %w", i+1, e.ExternalID, err)
		}
	}
	return nil
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
