// Tables: reply_addresses and inbound_mail. The case handler's e-mail
// reply (svar) coming back into the case: the reply addresses the handler
// mails carry, and every mail that reached one. The reply's event is
// written with events.go's insertEvent, its notification with outbox.go's
// notifyCitizens. Only this file writes these tables.

package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/minaengagemang/me"
)

// The handler's reply as an event, and the action that lets the citizen
// answer it.
var (
	replyTitle       = me.LocalizedText{SV: "Svar från handläggaren", EN: "Reply from the case handler"}
	replyActionLabel = me.LocalizedText{SV: "Svara handläggaren", EN: "Reply to the case handler"}
	downloadLabel    = me.LocalizedText{SV: "Ladda ner", EN: "Download"}
)

// Errors of ReplyAddress and RecordReply, sentinels for errors.Is.
var (
	// ErrReplyExpired: the reply address's token is known but expired.
	ErrReplyExpired = errors.New("the reply address has expired")
	// ErrDuplicateReply: a reply with this Message-ID was accepted before.
	ErrDuplicateReply = errors.New("a reply with this Message-ID was accepted before")
)

// insertReplyAddress binds token's hash to the case, the citizen's
// message event and the handler's address until expires.
func insertReplyAddress(ctx context.Context, tx *sqlx.Tx, token, caseID, eventID, handlerEmail string, now, expires time.Time) error {
	if expires.IsZero() {
		return fmt.Errorf("reply address: no expiry given")
	}
	_, err := tx.ExecContext(ctx, tx.Rebind(`
		INSERT INTO reply_addresses (token_hash, case_id, event_id, handler_email, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)`),
		me.HashReplyToken(token), caseID, eventID, handlerEmail, timestamp{now}, timestamp{dbTime(expires)})
	if err != nil {
		return fmt.Errorf("insert reply address: %w", err)
	}
	return nil
}

type replyAddressRow struct {
	CaseID             string    `db:"case_id"`
	OrganisationNumber string    `db:"organisation_number"`
	EventID            string    `db:"event_id"`
	HandlerEmail       string    `db:"handler_email"`
	ExpiresAt          timestamp `db:"expires_at"`
}

func replyAddress(ctx context.Context, q sqlx.ExtContext, token string, now time.Time) (me.ReplyAddress, error) {
	var r replyAddressRow
	err := sqlx.GetContext(ctx, q, &r, q.Rebind(`
		SELECT r.case_id, c.organisation_number, r.event_id, r.handler_email, r.expires_at
		FROM reply_addresses r JOIN cases c ON c.id = r.case_id
		WHERE r.token_hash = ?`), me.HashReplyToken(token))
	if err != nil {
		return me.ReplyAddress{}, notFound(err)
	}
	a := me.ReplyAddress{CaseID: r.CaseID, OrganisationNumber: r.OrganisationNumber, EventID: r.EventID,
		HandlerEmail: r.HandlerEmail, Expires: r.ExpiresAt.Time}
	if !now.Before(a.Expires) {
		return a, ErrReplyExpired
	}
	return a, nil
}

// ReplyAddress returns what a reply token is bound to. An unknown token (or
// one altered in any character) gives an error wrapping me.ErrNotFound, an
// expired one an error wrapping ErrReplyExpired, both without naming the
// token.
func (s *Store) ReplyAddress(ctx context.Context, token string, now time.Time) (me.ReplyAddress, error) {
	a, err := replyAddress(ctx, s.db, token, now)
	if err != nil {
		return me.ReplyAddress{}, fmt.Errorf("store: reply address: %w", err)
	}
	return a, nil
}

// RecordReply records the handler's reply r, accepted at now, in one
// transaction: a new event on the case of r.Token's reply address (titled
// "Svar från handläggaren", from the handler, r.Text as its Swedish text,
// notified), with r.Attachments, a download action for each and a message
// action so the citizen can answer; the case's updated time; one outbox row
// per citizen of the case; and the mail in inbound_mail as accepted, with
// r.Raw. It returns the event.
//
// The token must still be valid at now (an error wrapping me.ErrNotFound or
// ErrReplyExpired). Exactly once per Message-ID: a reply whose MessageID was
// accepted before, now or concurrently, writes nothing and gives an error
// wrapping ErrDuplicateReply. Whether the sender may reply is the caller's
// to check (ReplyAddress).
func (s *Store) RecordReply(ctx context.Context, r me.Reply, now time.Time) (me.Event, error) {
	now = dbTime(now)
	if r.MessageID == "" {
		return me.Event{}, fmt.Errorf("store: record reply: no Message-ID")
	}
	ev := me.Event{
		ID:          newID(idEvent),
		Time:        now,
		Title:       replyTitle,
		Text:        me.LocalizedText{SV: r.Text},
		Notify:      true,
		FromHandler: true,
		Created:     now,
	}
	for i, a := range r.Attachments {
		a.SignalID = fmt.Sprintf("a%d", i+1)
		ev.Attachments = append(ev.Attachments, a)
		ev.Actions = append(ev.Actions, me.Action{Type: me.ActionDownload, Label: downloadLabel, AttachmentSignalID: a.SignalID})
	}
	ev.Actions = append(ev.Actions, me.Action{Type: me.ActionMessage, Label: replyActionLabel})

	err := retry(ctx, func() error {
		return s.inTx(ctx, func(tx *sqlx.Tx) error {
			a, err := replyAddress(ctx, tx, r.Token, now)
			if err != nil {
				return err
			}
			var seen int
			if err := tx.GetContext(ctx, &seen, tx.Rebind(`
				SELECT count(*) FROM inbound_mail WHERE message_id = ? AND outcome = ?`),
				r.MessageID, string(me.InboundAccepted)); err != nil {
				return fmt.Errorf("find earlier delivery: %w", err)
			}
			if seen > 0 {
				return ErrDuplicateReply
			}
			ev.CaseID = a.CaseID
			if err := insertEvent(ctx, tx, ev.ID, a.CaseID, "", ev, now); err != nil {
				return err
			}
			if err := touchCase(ctx, tx, a.CaseID, now); err != nil {
				return fmt.Errorf("update case: %w", err)
			}
			if err := notifyCitizens(ctx, tx, a.OrganisationNumber, a.CaseID, ev.ID, now); err != nil {
				return err
			}
			err = insertInbound(ctx, tx, me.InboundMail{Outcome: me.InboundAccepted, MessageID: r.MessageID,
				EnvelopeFrom: r.EnvelopeFrom, HeaderFrom: r.HeaderFrom, Subject: r.Subject, CaseID: a.CaseID,
				OrganisationNumber: a.OrganisationNumber, EventID: ev.ID, Size: int64(len(r.Raw)), Raw: r.Raw}, now)
			if uniqueViolation(err) {
				// A concurrent delivery of the same mail committed first.
				return ErrDuplicateReply
			}
			return err
		})
	})
	if err != nil {
		return me.Event{}, fmt.Errorf("store: record reply: %w", err)
	}
	return ev, nil
}

func insertInbound(ctx context.Context, tx sqlx.ExtContext, m me.InboundMail, now time.Time) error {
	raw := m.Raw
	if raw == nil {
		raw = []byte{}
	}
	_, err := tx.ExecContext(ctx, tx.Rebind(`
		INSERT INTO inbound_mail (
			outcome, reason, message_id, envelope_from, header_from, subject, case_id,
			organisation_number, event_id, size, received_at, raw)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		string(m.Outcome), m.Reason, m.MessageID, m.EnvelopeFrom, m.HeaderFrom, m.Subject, m.CaseID,
		m.OrganisationNumber, m.EventID, m.Size, timestamp{now}, raw)
	return err
}

// RecordInbound keeps a mail that reached a reply address and was rejected
// or dropped (m.Outcome), with why (m.Reason) and m.Raw, received at now.
func (s *Store) RecordInbound(ctx context.Context, m me.InboundMail, now time.Time) error {
	if m.Outcome == me.InboundAccepted {
		return fmt.Errorf("store: record inbound mail: an accepted reply is RecordReply's")
	}
	if err := insertInbound(ctx, s.db, m, dbTime(now)); err != nil {
		return fmt.Errorf("store: record inbound mail: %w", err)
	}
	return nil
}

type inboundRow struct {
	ID                 int64     `db:"id"`
	Outcome            string    `db:"outcome"`
	Reason             string    `db:"reason"`
	MessageID          string    `db:"message_id"`
	EnvelopeFrom       string    `db:"envelope_from"`
	HeaderFrom         string    `db:"header_from"`
	Subject            string    `db:"subject"`
	CaseID             string    `db:"case_id"`
	OrganisationNumber string    `db:"organisation_number"`
	EventID            string    `db:"event_id"`
	Size               int64     `db:"size"`
	ReceivedAt         timestamp `db:"received_at"`
	Raw                []byte    `db:"raw"`
}

func (r inboundRow) mail() me.InboundMail {
	return me.InboundMail{ID: r.ID, Outcome: me.InboundOutcome(r.Outcome), Reason: r.Reason, MessageID: r.MessageID,
		EnvelopeFrom: r.EnvelopeFrom, HeaderFrom: r.HeaderFrom, Subject: r.Subject, CaseID: r.CaseID,
		OrganisationNumber: r.OrganisationNumber, EventID: r.EventID, Size: r.Size, Received: r.ReceivedAt.Time, Raw: r.Raw}
}

const inboundColumns = `id, outcome, reason, message_id, envelope_from, header_from, subject, case_id,
	organisation_number, event_id, size, received_at`

// InboundMails lists the mail that reached reply addresses, newest first,
// at most limit, without the originals: only the rejected and dropped ones
// when refusedOnly.
func (s *Store) InboundMails(ctx context.Context, refusedOnly bool, limit int) ([]me.InboundMail, error) {
	query := `SELECT ` + inboundColumns + ` FROM inbound_mail`
	var args []any
	if refusedOnly {
		query += ` WHERE outcome <> ?`
		args = append(args, string(me.InboundAccepted))
	}
	query += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	var rows []inboundRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(query), args...); err != nil {
		return nil, fmt.Errorf("store: list inbound mail: %w", err)
	}
	out := make([]me.InboundMail, len(rows))
	for i, r := range rows {
		out[i] = r.mail()
	}
	return out, nil
}

// InboundStats counts the mail that reached reply addresses by outcome.
func (s *Store) InboundStats(ctx context.Context) (map[me.InboundOutcome]int, error) {
	var rows []struct {
		Outcome string `db:"outcome"`
		N       int    `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT outcome, count(*) AS n FROM inbound_mail GROUP BY outcome`); err != nil {
		return nil, fmt.Errorf("store: count inbound mail: %w", err)
	}
	out := map[me.InboundOutcome]int{}
	for _, r := range rows {
		out[me.InboundOutcome(r.Outcome)] = r.N
	}
	return out, nil
}

// HandlerReply is an accepted reply as the case system's list gives it,
// for registration (diarieföring).
type HandlerReply struct {
	ID             int64 // increasing: the case system asks for those after the last it took
	CaseID         string
	CaseExternalID string // the case system's own id of the case
	CaseNumber     string
	EventID        string
	MessageID      string
	Subject        string
	Received       time.Time
}

// HandlerReplies lists the organisation's accepted replies with an id
// above after, oldest first, at most limit.
func (s *Store) HandlerReplies(ctx context.Context, org string, after int64, limit int) ([]HandlerReply, error) {
	var rows []struct {
		ID             int64     `db:"id"`
		CaseID         string    `db:"case_id"`
		CaseExternalID string    `db:"external_id"`
		CaseNumber     string    `db:"case_number"`
		EventID        string    `db:"event_id"`
		MessageID      string    `db:"message_id"`
		Subject        string    `db:"subject"`
		ReceivedAt     timestamp `db:"received_at"`
	}
	err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`
		SELECT m.id, m.case_id, COALESCE(c.external_id, '') AS external_id, COALESCE(c.case_number, '') AS case_number,
			m.event_id, m.message_id, m.subject, m.received_at
		FROM inbound_mail m LEFT JOIN cases c ON c.id = m.case_id
		WHERE m.organisation_number = ? AND m.outcome = ? AND m.id > ?
		ORDER BY m.id LIMIT ?`), org, string(me.InboundAccepted), after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: list handler replies: %w", err)
	}
	out := make([]HandlerReply, len(rows))
	for i, r := range rows {
		out[i] = HandlerReply{ID: r.ID, CaseID: r.CaseID, CaseExternalID: r.CaseExternalID, CaseNumber: r.CaseNumber,
			EventID: r.EventID, MessageID: r.MessageID, Subject: r.Subject, Received: r.ReceivedAt.Time}
	}
	return out, nil
}

// HandlerReplyOriginal returns the full original (message/rfc822) of one
// of the organisation's accepted replies; another organisation's, or a
// refused mail, gives an error wrapping me.ErrNotFound.
func (s *Store) HandlerReplyOriginal(ctx context.Context, org string, id int64) ([]byte, error) {
	var raw []byte
	err := s.db.GetContext(ctx, &raw, s.db.Rebind(`
		SELECT raw FROM inbound_mail WHERE id = ? AND organisation_number = ? AND outcome = ?`),
		id, org, string(me.InboundAccepted))
	if err != nil {
		return nil, fmt.Errorf("store: get handler reply %d: %w", id, notFound(err))
	}
	return raw, nil
}

// PurgeReplyAddresses deletes the reply addresses that expired before
// before and returns how many. Until purged, an expired address is refused
// as expired rather than unknown, which tells a late handler more.
func (s *Store) PurgeReplyAddresses(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM reply_addresses WHERE expires_at < ?`), timestamp{before})
	if err != nil {
		return 0, fmt.Errorf("store: purge reply addresses: %w", err)
	}
	return res.RowsAffected()
}

// InboundMail returns one mail that reached a reply address, with its
// full original; an unknown id gives an error wrapping me.ErrNotFound.
func (s *Store) InboundMail(ctx context.Context, id int64) (me.InboundMail, error) {
	var r inboundRow
	if err := s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT `+inboundColumns+`, raw FROM inbound_mail WHERE id = ?`), id); err != nil {
		return me.InboundMail{}, fmt.Errorf("store: get inbound mail %d: %w", id, notFound(err))
	}
	return r.mail(), nil
}

// purgeInboundMail removes a batch of the scope's inbound mail past its
// time (retention.go): every outcome, received before the scope's time, by
// the rule for raw messages (retention.shs_messages). A redelivery of a
// purged reply finds its reply address long expired, and is refused.
func purgeInboundMail(ctx context.Context, tx *sqlx.Tx, sc purgeScope) (purgeBatch, error) {
	org, args := sc.byOrganisation("organisation_number")
	ids, err := selectPurgeKeys[int64](ctx, tx, "inbound_mail", "id", org+` AND received_at < ?`, append(args, sc.before), sc, false)
	b := newBatch(ids)
	if err != nil || len(ids) == 0 {
		return b, err
	}
	if b.rows["inbound_mail"], err = execIn(ctx, tx, `DELETE FROM inbound_mail WHERE id IN (?)`, ids); err != nil {
		return b, fmt.Errorf("delete inbound mail: %w", err)
	}
	return b, nil
}
