// Tables: events, attachments, actions and event_reads. A case's events,
// with the attachments and actions a signal gave them, and which citizen
// read which event; the citizen's message and completion, each an event.
// Only this file writes these tables. A case's row is cases.go's (touchCase)
// and the handler's mail notifications.go's (insertNotification).

package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/minaengagemang/me"
)

const eventColumns = `
	id, case_id, external_id, time, title_sv, title_en, text_sv, text_en,
	notify, from_citizen, author, from_handler, created_at`

type eventRow struct {
	ID          string    `db:"id"`
	CaseID      string    `db:"case_id"`
	ExternalID  string    `db:"external_id"`
	Time        timestamp `db:"time"`
	TitleSV     string    `db:"title_sv"`
	TitleEN     string    `db:"title_en"`
	TextSV      string    `db:"text_sv"`
	TextEN      string    `db:"text_en"`
	Notify      bool      `db:"notify"`
	FromCitizen bool      `db:"from_citizen"`
	Author      string    `db:"author"`
	FromHandler bool      `db:"from_handler"`
	CreatedAt   timestamp `db:"created_at"`
}

func (r eventRow) event() me.Event {
	return me.Event{
		ID:          r.ID,
		CaseID:      r.CaseID,
		ExternalID:  r.ExternalID,
		Time:        r.Time.Time,
		Title:       me.LocalizedText{SV: r.TitleSV, EN: r.TitleEN},
		Text:        me.LocalizedText{SV: r.TextSV, EN: r.TextEN},
		Notify:      r.Notify,
		FromCitizen: r.FromCitizen,
		Author:      r.Author,
		FromHandler: r.FromHandler,
		Created:     r.CreatedAt.Time,
	}
}

type attachmentRow struct {
	ID        string `db:"id"`
	EventID   string `db:"event_id"`
	SignalID  string `db:"signal_id"`
	FileName  string `db:"file_name"`
	MediaType string `db:"media_type"`
	Size      int64  `db:"size"`
	Content   []byte `db:"content"`
}

const actionColumns = `
	x.id, x.event_id, x.external_id, x.type, x.label_sv, x.label_en, x.state, x.done_at,
	x.attachment_id, x.eservice_id, x.eservice_organisation, x.due_date, x.completion_data`

type actionRow struct {
	ID                   string         `db:"id"`
	EventID              string         `db:"event_id"`
	ExternalID           string         `db:"external_id"`
	Type                 string         `db:"type"`
	LabelSV              string         `db:"label_sv"`
	LabelEN              string         `db:"label_en"`
	State                string         `db:"state"`
	DoneAt               nullTimestamp  `db:"done_at"`
	AttachmentID         sql.NullString `db:"attachment_id"`
	EServiceID           string         `db:"eservice_id"`
	EServiceOrganisation string         `db:"eservice_organisation"`
	DueDate              string         `db:"due_date"`
	CompletionData       string         `db:"completion_data"`
}

// action is the row as an action; attachmentSignalID is the signal's id of
// the attachment a download action refers to.
func (a actionRow) action(attachmentSignalID string) me.Action {
	return me.Action{
		ID:                   a.ID,
		ExternalID:           a.ExternalID,
		Type:                 me.ActionType(a.Type),
		Label:                me.LocalizedText{SV: a.LabelSV, EN: a.LabelEN},
		State:                me.ActionState(a.State),
		DoneAt:               a.DoneAt.Ptr(),
		AttachmentSignalID:   attachmentSignalID,
		AttachmentID:         a.AttachmentID.String,
		EServiceID:           a.EServiceID,
		EServiceOrganisation: a.EServiceOrganisation,
		DueDate:              a.DueDate,
		CompletionData:       a.CompletionData,
	}
}

// CaseEvents returns a case's events, oldest first (by event time, then by
// when ME stored them), each with its attachments (content included) and
// actions in the signal's order.
func (s *Store) CaseEvents(ctx context.Context, caseID string) ([]me.Event, error) {
	var rows []eventRow
	err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`
		SELECT `+eventColumns+`
		FROM events WHERE case_id = ?
		ORDER BY time, created_at, id`), caseID)
	if err != nil {
		return nil, fmt.Errorf("store: list events of case %s: %w", caseID, err)
	}
	if len(rows) == 0 {
		// Every case has an event, so the case does not exist.
		var n int
		if err := s.db.GetContext(ctx, &n, s.db.Rebind(`SELECT count(*) FROM cases WHERE id = ?`), caseID); err != nil {
			return nil, fmt.Errorf("store: list events of case %s: %w", caseID, err)
		}
		if n == 0 {
			return nil, fmt.Errorf("store: list events of case %s: %w", caseID, me.ErrNotFound)
		}
		return nil, nil
	}
	events, err := withDetails(ctx, s.db, rows, `e.case_id = ?`, caseID, true)
	if err != nil {
		return nil, fmt.Errorf("store: list events of case %s: %w", caseID, err)
	}
	return events, nil
}

// EventWithCase returns an event, with its attachments (without their
// content) and actions, and the case it is on, with its citizens. A missing
// event gives an error wrapping me.ErrNotFound.
func (s *Store) EventWithCase(ctx context.Context, eventID string) (me.Case, me.Event, error) {
	var r eventRow
	err := s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT `+eventColumns+` FROM events WHERE id = ?`), eventID)
	if err != nil {
		return me.Case{}, me.Event{}, fmt.Errorf("store: get event %s: %w", eventID, notFound(err))
	}
	events, err := withDetails(ctx, s.db, []eventRow{r}, `e.id = ?`, eventID, false)
	if err != nil {
		return me.Case{}, me.Event{}, fmt.Errorf("store: get event %s: %w", eventID, err)
	}
	c, err := getCase(ctx, s.db, `id = ?`, r.CaseID)
	if err != nil {
		return me.Case{}, me.Event{}, fmt.Errorf("store: get case %s of event %s: %w", r.CaseID, eventID, err)
	}
	return c, events[0], nil
}

// withDetails turns event rows into events with their attachments and
// actions, which it reads from the events that where (on events e, with one
// ? for arg) selects: the same events as rows. Attachment content is read
// only when withContent is set.
func withDetails(ctx context.Context, q sqlx.ExtContext, rows []eventRow, where string, arg any, withContent bool) ([]me.Event, error) {
	events := make([]me.Event, len(rows))
	byID := make(map[string]*me.Event, len(rows))
	for i, r := range rows {
		events[i] = r.event()
		byID[r.ID] = &events[i]
	}

	content := `NULL AS content`
	if withContent {
		content = `a.content`
	}
	var attachments []attachmentRow
	err := sqlx.SelectContext(ctx, q, &attachments, q.Rebind(`
		SELECT a.id, a.event_id, a.signal_id, a.file_name, a.media_type, a.size, `+content+`
		FROM attachments a JOIN events e ON e.id = a.event_id
		WHERE `+where+`
		ORDER BY a.event_id, a.position`), arg)
	if err != nil {
		return nil, fmt.Errorf("list attachments: %w", err)
	}
	signalIDs := make(map[string]string, len(attachments)) // ME id → signal id
	for _, a := range attachments {
		e := byID[a.EventID]
		if e == nil {
			continue
		}
		e.Attachments = append(e.Attachments, me.Attachment{
			ID:        a.ID,
			SignalID:  a.SignalID,
			FileName:  a.FileName,
			MediaType: a.MediaType,
			Size:      a.Size,
			Content:   a.Content,
		})
		signalIDs[a.ID] = a.SignalID
	}

	var actions []actionRow
	err = sqlx.SelectContext(ctx, q, &actions, q.Rebind(`
		SELECT `+actionColumns+`
		FROM actions x JOIN events e ON e.id = x.event_id
		WHERE `+where+`
		ORDER BY x.event_id, x.position`), arg)
	if err != nil {
		return nil, fmt.Errorf("list actions: %w", err)
	}
	for _, a := range actions {
		e := byID[a.EventID]
		if e == nil {
			continue
		}
		e.Actions = append(e.Actions, a.action(signalIDs[a.AttachmentID.String]))
	}
	return events, nil
}

func insertEvent(ctx context.Context, tx *sqlx.Tx, id, caseID, txID string, e me.Event, now time.Time) error {
	columns := `id, case_id, external_id, time, title_sv, title_en, text_sv, text_en, notify, from_citizen, created_at, tx_id`
	values := `?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?`
	args := []any{id, caseID, e.ExternalID, timestamp{e.Time}, e.Title.SV, e.Title.EN, e.Text.SV, e.Text.EN,
		e.Notify, e.FromCitizen, timestamp{now}, txID}
	if e.Author != "" {
		// Only a citizen's event names its author; a signal's event is
		// written as before 0008, so the migration tests can record one
		// on an older schema.
		columns, values, args = columns+`, author`, values+`, ?`, append(args, e.Author)
	}
	if e.FromHandler {
		// Likewise only the handler's reply (0012).
		columns, values, args = columns+`, from_handler`, values+`, ?`, append(args, true)
	}
	_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO events (`+columns+`) VALUES (`+values+`)`), args...)
	if err != nil {
		return fmt.Errorf("insert event %s of case %s: %w", e.ExternalID, caseID, err)
	}
	// Unread by every citizen of the case, until each reads it.
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE case_citizens SET unread = unread + 1 WHERE case_id = ?`), caseID); err != nil {
		return fmt.Errorf("count event %s of case %s unread: %w", e.ExternalID, caseID, err)
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

// The citizen's events. As with a citizen's cases (cases.go), every method
// takes the citizen's personnummer and the organisations the portal may
// show, and another citizen's or organisation's event or attachment is
// answered exactly like a missing one (me.ErrNotFound). Errors name no
// personnummer: they end up in logs.

// citizenEventCase returns the id of the case that the event is on, when
// the citizen is on that case and it is at one of orgs, and otherwise
// me.ErrNotFound.
func citizenEventCase(ctx context.Context, q sqlx.ExtContext, pnr string, orgs []string, eventID string) (string, error) {
	if pnr == "" || len(orgs) == 0 {
		return "", me.ErrNotFound
	}
	query, args, err := sqlx.In(`
		SELECT c.id
		FROM events e
		JOIN cases c ON c.id = e.case_id
		JOIN case_citizens cc ON cc.case_id = c.id AND cc.personal_identity_number = ?
		WHERE e.id = ? AND c.organisation_number IN (?)`, pnr, eventID, orgs)
	if err != nil {
		return "", err
	}
	var caseID string
	if err := sqlx.GetContext(ctx, q, &caseID, q.Rebind(query), args...); err != nil {
		return "", notFound(err)
	}
	return caseID, nil
}

// MarkEventRead records that the citizen read the event, on portal client,
// at now, unless the citizen read it before, and returns when the citizen
// first read it. Of concurrent calls the first read is kept and returned to
// all. An event that does not exist, or is on a case that the citizen is
// not on or that is at another organisation than orgs, gives an error
// wrapping me.ErrNotFound.
func (s *Store) MarkEventRead(ctx context.Context, pnr string, orgs []string, eventID, client string, now time.Time) (readAt time.Time, err error) {
	caseID, err := citizenEventCase(ctx, s.db, pnr, orgs, eventID)
	if err != nil {
		return time.Time{}, fmt.Errorf("store: mark event %s read: %w", eventID, err)
	}
	err = retry(ctx, func() error {
		return s.inTx(ctx, func(tx *sqlx.Tx) error {
			return markRead(ctx, tx, caseID, eventID, pnr, client, now)
		})
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("store: mark event %s read: %w", eventID, err)
	}
	var t timestamp
	if err := s.db.GetContext(ctx, &t, s.db.Rebind(`
		SELECT read_at FROM event_reads WHERE event_id = ? AND personal_identity_number = ?`),
		eventID, pnr); err != nil {
		return time.Time{}, fmt.Errorf("store: mark event %s read: %w", eventID, notFound(err))
	}
	return t.Time, nil
}

// markRead records the citizen's first read of an event of caseID, on
// portal client ("" for ME itself), and counts it off the citizen's unread
// events of the case. A later read changes nothing.
func markRead(ctx context.Context, tx *sqlx.Tx, caseID, eventID, pnr, client string, now time.Time) error {
	res, err := tx.ExecContext(ctx, tx.Rebind(`
		INSERT INTO event_reads (event_id, personal_identity_number, read_at, client)
		VALUES (?, ?, ?, ?)
		ON CONFLICT (event_id, personal_identity_number) DO NOTHING`),
		eventID, pnr, timestamp{now}, client)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	_, err = tx.ExecContext(ctx, tx.Rebind(`
		UPDATE case_citizens SET unread = unread - 1 WHERE case_id = ? AND personal_identity_number = ?`), caseID, pnr)
	return err
}

// Attachment returns an attachment with its content, when a download action
// of an event on one of the citizen's cases at orgs offers it. Any other
// attachment, offered by no download action, on another citizen's case or
// at another organisation, gives an error wrapping me.ErrNotFound.
func (s *Store) Attachment(ctx context.Context, pnr string, orgs []string, attachmentID string) (me.Attachment, error) {
	if pnr == "" || len(orgs) == 0 {
		return me.Attachment{}, fmt.Errorf("store: get attachment %s: %w", attachmentID, me.ErrNotFound)
	}
	query, args, err := sqlx.In(`
		SELECT a.id, a.event_id, a.signal_id, a.file_name, a.media_type, a.size, a.content
		FROM attachments a
		WHERE a.id = ? AND EXISTS (
			SELECT 1
			FROM actions x
			JOIN events e ON e.id = x.event_id
			JOIN cases c ON c.id = e.case_id
			JOIN case_citizens cc ON cc.case_id = c.id AND cc.personal_identity_number = ?
			WHERE x.attachment_id = a.id AND x.type = ? AND c.organisation_number IN (?))`,
		attachmentID, pnr, string(me.ActionDownload), orgs)
	if err != nil {
		return me.Attachment{}, fmt.Errorf("store: get attachment %s: %w", attachmentID, err)
	}
	var r attachmentRow
	if err := s.db.GetContext(ctx, &r, s.db.Rebind(query), args...); err != nil {
		return me.Attachment{}, fmt.Errorf("store: get attachment %s: %w", attachmentID, notFound(err))
	}
	return me.Attachment{ID: r.ID, SignalID: r.SignalID, FileName: r.FileName, MediaType: r.MediaType, Size: r.Size, Content: r.Content}, nil
}

// The citizen's message event.
var messageTitle = me.LocalizedText{SV: "Meddelande till handläggaren", EN: "Message to the case handler"}

// Errors of AddCitizenMessage, sentinels for errors.Is. Both are *me.Error
// with code Conflict, so a service can return them as they are.
var (
	// ErrNoMessageAction: the event offers no message action.
	ErrNoMessageAction = &me.Error{Code: me.CodeConflict, Message: "the event does not offer to message the case handler"}
	// ErrNoHandlerEmail: the case's handler has no e-mail address.
	ErrNoHandlerEmail = &me.Error{Code: me.CodeConflict, Message: "the case has no case handler e-mail address to send the message to"}
)

// AddCitizenMessage records the citizen's message to the case handler, in
// one transaction: a new event on the case (from the citizen, with the
// citizen as its author, not notified, titled messageTitle, with text as its Swedish text, at now), read by the
// citizen at now; the case's updated time set to now; and the mail queued
// as a notification of kind me.NotifyHandler on channel email,
// pending from now: to the case's handler (mail.To is ignored, the caller
// does not know it), from the citizen (personal_identity_number) about the
// case's organisation, with mail.Subject and mail.Text, and mail.MessageID
// as its idempotency key. Without mail.ReplyToken, mail.ReplyTo is not
// kept: the sender sets it. With one, the notification keeps mail.ReplyTo,
// and the token's hash is bound to the case, the new event and the
// handler's address until mail.ReplyExpires (replies.go). It returns the
// event.
//
// eventID is the event whose message action the citizen used: it must be on
// case caseID, the citizen on the case and the case at one of orgs, or the
// error wraps me.ErrNotFound. An event without an available message action
// gives an error wrapping ErrNoMessageAction, a case without a handler
// e-mail address one wrapping ErrNoHandlerEmail, and a mail.MessageID that
// is taken by a notification already one wrapping a *me.Error with code
// Conflict. A mail without a MessageID is the caller's bug: an error that
// wraps no *me.Error.
func (s *Store) AddCitizenMessage(ctx context.Context, pnr string, orgs []string, caseID, eventID string, text string, mail me.Mail, now time.Time) (me.Event, error) {
	now = dbTime(now)
	if mail.MessageID == "" {
		return me.Event{}, fmt.Errorf("store: add message to case %s: the mail has no message id", caseID)
	}
	ev := me.Event{
		ID:          newID(idEvent),
		CaseID:      caseID,
		Time:        now,
		Title:       messageTitle,
		Text:        me.LocalizedText{SV: text},
		FromCitizen: true,
		Author:      pnr,
		Created:     now,
		ReadAt:      &now,
	}
	err := retry(ctx, func() error {
		return s.inTx(ctx, func(tx *sqlx.Tx) error {
			evCase, err := citizenEventCase(ctx, tx, pnr, orgs, eventID)
			if err != nil {
				return err
			}
			if evCase != caseID {
				return me.ErrNotFound
			}
			var offers int
			if err := tx.GetContext(ctx, &offers, tx.Rebind(`
				SELECT count(*) FROM actions WHERE event_id = ? AND type = ? AND state = ?`),
				eventID, string(me.ActionMessage), string(me.ActionAvailable)); err != nil {
				return fmt.Errorf("find message action: %w", err)
			}
			if offers == 0 {
				return ErrNoMessageAction
			}
			var c struct {
				HandlerEmail       string `db:"handler_email"`
				OrganisationNumber string `db:"organisation_number"`
			}
			if err := tx.GetContext(ctx, &c, tx.Rebind(`SELECT handler_email, organisation_number FROM cases WHERE id = ?`), caseID); err != nil {
				return fmt.Errorf("get case handler: %w", notFound(err))
			}
			if c.HandlerEmail == "" {
				return ErrNoHandlerEmail
			}

			if err := insertEvent(ctx, tx, ev.ID, caseID, "", ev, now); err != nil {
				return err
			}
			if err := touchCase(ctx, tx, caseID, now); err != nil {
				return fmt.Errorf("update case: %w", err)
			}
			// The citizen has read what they wrote; the case's other
			// citizens have not.
			if err := markRead(ctx, tx, caseID, ev.ID, pnr, "", now); err != nil {
				return fmt.Errorf("mark message read: %w", err)
			}
			n := me.Notification{
				Channel:        me.NotifyEmail,
				To:             c.HandlerEmail,
				Subject:        mail.Subject,
				Text:           mail.Text,
				IdempotencyKey: mail.MessageID,
			}
			if mail.ReplyToken != "" {
				// The handler's reply comes back to this address, bound
				// to the case, this message and the handler's address.
				n.ReplyTo = mail.ReplyTo
				if err := insertReplyAddress(ctx, tx, mail.ReplyToken, caseID, ev.ID, c.HandlerEmail, now, mail.ReplyExpires); err != nil {
					return err
				}
			}
			// A taken message id is a Conflict, not for retry to repeat.
			return insertNotification(ctx, tx, me.NotifyHandler, pnr, c.OrganisationNumber, n, now)
		})
	})
	if err != nil {
		return me.Event{}, fmt.Errorf("store: add message to case %s: %w", caseID, err)
	}
	return ev, nil
}

// A case's actions as an e-service reaches them: by case and action, not
// by citizen.

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

// setActionDone sets the action done at now and reports whether it changed
// the row: false when the action was done already.
func setActionDone(ctx context.Context, tx *sqlx.Tx, actionID string, now time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, tx.Rebind(`
		UPDATE actions SET state = ?, done_at = ? WHERE id = ? AND state <> ?`),
		string(me.ActionDone), timestamp{now}, actionID, string(me.ActionDone))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// CompleteAction records that the citizen completed a case (komplettering)
// through an e-service, in one transaction: the complete action actionID,
// which must be on an event of case caseID, is set done at now, and ev is
// added to the case as the citizen's event, with its attachments and
// actions (a new ME id, time now, from the citizen, not notified, no
// external id), and the case's updated time is now. ev.Author, the citizen
// who completed, is kept as given: the caller knows whether that citizen is
// on the case. It returns the stored event.
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
			if done, err := setActionDone(ctx, tx, actionID, now); err != nil {
				return fmt.Errorf("set action done: %w", err)
			} else if !done {
				return ErrAlreadyCompleted
			}

			if err := insertEvent(ctx, tx, ev.ID, caseID, "", ev, now); err != nil {
				return err
			}
			if err := touchCase(ctx, tx, caseID, now); err != nil {
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

// prefixed qualifies each of a comma-separated column list with prefix
// ("e."), for a query that joins the table.
func prefixed(prefix, columns string) string {
	fields := strings.Split(columns, ",")
	for i, f := range fields {
		fields[i] = prefix + strings.TrimSpace(f)
	}
	return strings.Join(fields, ", ")
}

// deleteEventsOfCases removes the events of cases being purged (cases.go's
// purgeCases) with their attachments, actions, reads and reminders, adding
// the rows removed per table to rows. With lock (PostgreSQL) the events
// are locked first, so that no read or reminder is added to them while
// they go.
func deleteEventsOfCases(ctx context.Context, tx *sqlx.Tx, caseIDs []string, lock bool, rows map[string]int64) error {
	if lock {
		q, a, err := sqlx.In(`SELECT id FROM events WHERE case_id IN (?) ORDER BY id FOR UPDATE`, caseIDs)
		if err != nil {
			return err
		}
		var locked []string
		if err := tx.SelectContext(ctx, &locked, tx.Rebind(q), a...); err != nil {
			return fmt.Errorf("lock events of cases: %w", err)
		}
	}
	var err error
	if rows["reminders"], err = deleteRemindersOfCases(ctx, tx, caseIDs); err != nil {
		return fmt.Errorf("delete reminders of cases: %w", err)
	}
	// Children first: actions refer to attachments, and both to events.
	for _, table := range []string{"event_reads", "actions", "attachments"} {
		if rows[table], err = execIn(ctx, tx, `DELETE FROM `+table+` WHERE event_id IN (SELECT id FROM events WHERE case_id IN (?))`, caseIDs); err != nil {
			return fmt.Errorf("delete %s of cases: %w", table, err)
		}
	}
	if rows["events"], err = execIn(ctx, tx, `DELETE FROM events WHERE case_id IN (?)`, caseIDs); err != nil {
		return fmt.Errorf("delete events of cases: %w", err)
	}
	return nil
}

// CitizenAttachmentContent returns the content of an attachment of an
// event on one of the citizen's cases, at any organisation, offered for
// download or not: for the register extract. Any other attachment gives an
// error wrapping me.ErrNotFound.
func (s *Store) CitizenAttachmentContent(ctx context.Context, pnr, attachmentID string) ([]byte, error) {
	var content []byte
	err := s.db.GetContext(ctx, &content, s.db.Rebind(`
		SELECT a.content FROM attachments a
		JOIN events e ON e.id = a.event_id
		JOIN case_citizens cc ON cc.case_id = e.case_id AND cc.personal_identity_number = ?
		WHERE a.id = ?`), pnr, attachmentID)
	if err != nil {
		return nil, fmt.Errorf("store: get attachment %s: %w", attachmentID, notFound(err))
	}
	return content, nil
}
