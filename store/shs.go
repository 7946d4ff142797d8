package store

import (
	"context"
	"fmt"
	"time"

	"github.com/minaengagemang/me"
)

type shsMessageRow struct {
	TxID         string          `db:"tx_id"`
	CorrID       string          `db:"corr_id"`
	ContentID    string          `db:"content_id"`
	LocalID      string          `db:"local_id"`
	FromOrg      string          `db:"from_org"`
	ToOrg        string          `db:"to_org"`
	Product      string          `db:"product"`
	SequenceType me.SequenceType `db:"sequence_type"`
	TransferType me.TransferType `db:"transfer_type"`
	Client       string          `db:"client"`
	Arrival      timestamp       `db:"arrival"`
	Raw          []byte          `db:"raw"`
}

// SHSMessage returns a stored SHS message, with the message as it arrived.
func (s *Store) SHSMessage(ctx context.Context, txID string) (me.SHSMessage, error) {
	var r shsMessageRow
	err := s.db.GetContext(ctx, &r, s.db.Rebind(`
		SELECT tx_id, corr_id, content_id, local_id, from_org, to_org, product,
			sequence_type, transfer_type, client, arrival, raw
		FROM shs_messages WHERE tx_id = ?`), txID)
	if err != nil {
		return me.SHSMessage{}, fmt.Errorf("store: get SHS message %s: %w", txID, notFound(err))
	}
	return me.SHSMessage{
		TxID:         r.TxID,
		CorrID:       r.CorrID,
		ContentID:    r.ContentID,
		From:         r.FromOrg,
		To:           r.ToOrg,
		Product:      r.Product,
		SequenceType: r.SequenceType,
		TransferType: r.TransferType,
		Client:       r.Client,
		LocalID:      r.LocalID,
		Arrival:      r.Arrival.Time,
		Raw:          r.Raw,
	}, nil
}

// CountSHSMessages returns how many SHS messages are stored.
func (s *Store) CountSHSMessages(ctx context.Context) (int, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM shs_messages`); err != nil {
		return 0, fmt.Errorf("store: count SHS messages: %w", err)
	}
	return n, nil
}

type rejectionRow struct {
	ID       int64     `db:"id"`
	Received timestamp `db:"received"`
	TxID     string    `db:"tx_id"`
	Client   string    `db:"client"`
	Code     string    `db:"code"`
	Reason   string    `db:"reason"`
	Raw      []byte    `db:"raw"`
}

func (r rejectionRow) rejection() me.Rejection {
	return me.Rejection{
		ID:       r.ID,
		Received: r.Received.Time,
		TxID:     r.TxID,
		Client:   r.Client,
		Code:     r.Code,
		Reason:   r.Reason,
		Raw:      r.Raw,
	}
}

// RecordRejection stores a refused SHS message and returns its id. Its ID
// is ignored; Received is stored in UTC to the microsecond.
func (s *Store) RecordRejection(ctx context.Context, r me.Rejection) (int64, error) {
	raw := r.Raw
	if raw == nil {
		raw = []byte{}
	}
	var id int64
	err := s.db.GetContext(ctx, &id, s.db.Rebind(`
		INSERT INTO shs_rejections (received, tx_id, client, code, reason, raw)
		VALUES (?, ?, ?, ?, ?, ?)
		RETURNING id`),
		timestamp{r.Received}, r.TxID, r.Client, r.Code, r.Reason, raw)
	if err != nil {
		return 0, fmt.Errorf("store: record rejection of tx.id %q: %w", r.TxID, err)
	}
	return id, nil
}

// Rejections returns the latest limit rejections, newest first, without
// their Raw message (see Rejection). A limit of 0 or less returns all.
func (s *Store) Rejections(ctx context.Context, limit int) ([]me.Rejection, error) {
	query := `
		SELECT id, received, tx_id, client, code, reason
		FROM shs_rejections ORDER BY received DESC, id DESC`
	var args []any
	if limit > 0 {
		query += ` LIMIT ?`
		args = append(args, limit)
	}
	var rows []rejectionRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(query), args...); err != nil {
		return nil, fmt.Errorf("store: list rejections: %w", err)
	}
	list := make([]me.Rejection, len(rows))
	for i, r := range rows {
		list[i] = r.rejection()
	}
	return list, nil
}

// Rejection returns one rejection with the message as it arrived.
func (s *Store) Rejection(ctx context.Context, id int64) (me.Rejection, error) {
	var r rejectionRow
	err := s.db.GetContext(ctx, &r, s.db.Rebind(`
		SELECT id, received, tx_id, client, code, reason, raw
		FROM shs_rejections WHERE id = ?`), id)
	if err != nil {
		return me.Rejection{}, fmt.Errorf("store: get rejection %d: %w", id, notFound(err))
	}
	return r.rejection(), nil
}

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
