// Tables: shs_messages and shs_rejections: every SHS message accepted, as
// it arrived, and every one refused. A signal's transaction starts from its
// message (RecordSignal) and writes the case, citizens, event and outbox
// through their files' helpers. It does not know SHS or the signal's XML:
// it is given both parsed.

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

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
// transaction, which then finds the winner's rows. An action that refers to
// an attachment its event does not have gives a *me.Error with code
// ValidationFailed, and nothing is stored.
//
// Signals that arrive together are written together: each in a savepoint of
// one transaction, so that they share one commit and one refused signal
// leaves the others' rows. RecordSignal still returns only once its
// signal is committed.
func (s *Store) RecordSignal(ctx context.Context, msg me.SHSMessage, sig me.Signal, now time.Time) (me.SignalReceipt, error) {
	req := signalRequest{msg: msg, sig: sig, now: now, done: make(chan signalResult, 1)}
	select {
	case s.signalQueue(sig.Case) <- req:
	case <-s.closed:
		return me.SignalReceipt{}, fmt.Errorf("store: record signal tx.id %s: the store is closed", msg.TxID)
	case <-ctx.Done():
		return me.SignalReceipt{}, ctx.Err()
	}
	// Once queued it is written whatever happens to ctx: a sender that
	// hung up and sends again is answered as a duplicate.
	res := <-req.done
	if res.err != nil {
		return me.SignalReceipt{}, fmt.Errorf("store: record signal tx.id %s: %w", msg.TxID, res.err)
	}
	return res.receipt, nil
}

// signalQueue is the writer queue of a case's signals: by a hash of the
// case's key, so one writer takes them all, in the order they come.
func (s *Store) signalQueue(c me.Case) chan<- signalRequest {
	h := fnv.New32a()
	h.Write([]byte(c.OrganisationNumber))
	h.Write([]byte{0})
	h.Write([]byte(c.ExternalID))
	return s.signals[h.Sum32()%uint32(len(s.signals))]
}

type signalRequest struct {
	msg  me.SHSMessage
	sig  me.Signal
	now  time.Time
	done chan signalResult
}

type signalResult struct {
	receipt me.SignalReceipt
	err     error
}

// maxSignalBatch bounds the signals one transaction writes.
const maxSignalBatch = 64

// writeSignals writes the queued signals until the store is closed, each
// batch the signals queued while the previous one was being written.
// Several run at once on PostgreSQL, one on SQLite (one writer in any case).
func (s *Store) writeSignals(queue <-chan signalRequest, done *sync.WaitGroup) {
	defer done.Done()
	for {
		batch, ok := nextBatch(queue, s.closed, maxSignalBatch)
		if !ok {
			return
		}
		results := s.recordSignals(batch)
		for i, req := range batch {
			req.done <- results[i]
		}
	}
}

// recordSignals writes a batch in one transaction, each signal in a
// savepoint. A signal refused for what it holds is rolled back alone; a
// conflict with another transaction retries the whole batch.
func (s *Store) recordSignals(batch []signalRequest) []signalResult {
	ctx := context.Background()
	results := make([]signalResult, len(batch))
	err := retry(ctx, func() error {
		return s.inTx(ctx, func(tx *sqlx.Tx) error {
			if len(batch) == 1 {
				// Alone: no savepoint to pay for; a refusal rolls back all.
				var err error
				results[0].receipt, err = recordSignal(ctx, tx, batch[0].msg, batch[0].sig, batch[0].now)
				return err
			}
			for i, req := range batch {
				if _, err := tx.ExecContext(ctx, "SAVEPOINT signal"); err != nil {
					return err
				}
				r, err := recordSignal(ctx, tx, req.msg, req.sig, req.now)
				if err != nil {
					if retryable(err) {
						return err
					}
					if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT signal"); rerr != nil {
						return rerr
					}
					results[i] = signalResult{err: err}
					continue
				}
				if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT signal"); err != nil {
					return err
				}
				results[i] = signalResult{receipt: r}
			}
			return nil
		})
	})
	s.writes.noteCommit(err)
	if err != nil {
		// The transaction did not commit: nothing of the batch is stored.
		for i := range results {
			results[i] = signalResult{err: err}
		}
	}
	return results
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
	newCase := errors.Is(err, sql.ErrNoRows)
	switch {
	case newCase:
		r.CaseID = newID(idCase)
	case err != nil:
		return me.SignalReceipt{}, fmt.Errorf("find case %s/%s: %w", c.OrganisationNumber, c.ExternalID, err)
	case sig.Event.ExternalID != "":
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

	// Each table is written by its own file, in one order for every
	// signal (citizens, case, event, outbox), so concurrent transactions
	// take their locks alike.
	if !r.DuplicateEvent {
		pnrs, err := upsertCitizens(ctx, tx, sig.Citizens, now)
		if err != nil {
			return me.SignalReceipt{}, err
		}
		if err := saveCase(ctx, tx, r.CaseID, c, pnrs, newCase, now); err != nil {
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

// purgeSHSPayloads removes a batch of the scope's accepted SHS messages'
// payloads past their time (retention.go): an accepted message is its
// receiver's (to_org). The row stays, without its payload, so that a
// resend of its tx.id is still answered as a duplicate (purgeSHSTxIDs).
func purgeSHSPayloads(ctx context.Context, tx *sqlx.Tx, sc purgeScope) (purgeBatch, error) {
	org, args := sc.byOrganisation("to_org")
	ids, err := selectPurgeKeys[string](ctx, tx, "shs_messages", "tx_id",
		org+` AND raw_purged_at IS NULL AND arrival < ?`, append(args, sc.before), sc, false)
	b := newBatch(ids)
	if err != nil || len(ids) == 0 {
		return b, err
	}
	if b.rows["shs_messages.raw"], err = execIn(ctx, tx, `UPDATE shs_messages SET raw = ?, raw_purged_at = ? WHERE tx_id IN (?)`,
		[]byte{}, sc.now, ids); err != nil {
		return b, fmt.Errorf("remove SHS messages' payloads: %w", err)
	}
	return b, nil
}

// purgeSHSTxIDs removes a batch of the scope's accepted SHS messages' rows
// past their time (retention.go): from then on a resend of the tx.id is a
// new message.
func purgeSHSTxIDs(ctx context.Context, tx *sqlx.Tx, sc purgeScope) (purgeBatch, error) {
	org, args := sc.byOrganisation("to_org")
	ids, err := selectPurgeKeys[string](ctx, tx, "shs_messages", "tx_id", org+` AND arrival < ?`, append(args, sc.before), sc, false)
	b := newBatch(ids)
	if err != nil || len(ids) == 0 {
		return b, err
	}
	if b.rows["shs_messages"], err = execIn(ctx, tx, `DELETE FROM shs_messages WHERE tx_id IN (?)`, ids); err != nil {
		return b, fmt.Errorf("delete SHS messages: %w", err)
	}
	return b, nil
}

// purgeRejections removes a batch of the scope's refused SHS messages past
// their time (retention.go): a refused message is its client's
// organisation's (its label may not have been readable).
func purgeRejections(ctx context.Context, tx *sqlx.Tx, sc purgeScope) (purgeBatch, error) {
	org, args := sc.byClient("client")
	ids, err := selectPurgeKeys[int64](ctx, tx, "shs_rejections", "id", org+` AND received < ?`, append(args, sc.before), sc, false)
	b := newBatch(ids)
	if err != nil || len(ids) == 0 {
		return b, err
	}
	if b.rows["shs_rejections"], err = execIn(ctx, tx, `DELETE FROM shs_rejections WHERE id IN (?)`, ids); err != nil {
		return b, fmt.Errorf("delete refused SHS messages: %w", err)
	}
	return b, nil
}
