package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/minaengagemang/me"
)

// A citizen's cases as the portal shows them. Every method takes the
// citizen's personnummer and the organisations the portal may show and
// filters on both in SQL: another citizen's case, or a case of another
// organisation, is answered exactly like a missing one (me.ErrNotFound).
// The handler's e-mail address is never returned: Handler.Email is empty.
//
// Errors name no personnummer: they end up in logs.

// Listing page sizes.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// citizenCaseColumns are caseColumns on cases c, and the citizen's
// archiving from case_citizens cc.
const citizenCaseColumns = `
	c.id, c.organisation_number, c.external_id, c.case_number, c.title_sv, c.title_en,
	c.status, c.handler_name, c.handler_email, c.created_at, c.updated_at,
	cc.archived_at AS citizen_archived_at`

type citizenCaseRow struct {
	caseRow
	ArchivedAt nullTimestamp `db:"citizen_archived_at"`
}

// archived reports whether the citizen's archiving still holds: activity
// on the case after it (a new event, a reopening) brings the case back.
func (r citizenCaseRow) archived() bool {
	return r.ArchivedAt.Valid && !r.ArchivedAt.Time.Before(r.caseValue().Updated)
}

// summary is the row as the citizen sees it: without the handler's e-mail.
func (r citizenCaseRow) summary() me.CaseSummary {
	c := r.caseValue()
	c.Handler.Email = ""
	return me.CaseSummary{Case: c, Archived: r.archived()}
}

// pageKey is where a page of the listing ends: the last case's updated_at
// and id.
type pageKey struct {
	Updated time.Time
	ID      string
}

// encode returns the key as an opaque, URL-safe page token.
func (k pageKey) encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(k.Updated.UnixMicro(), 10) + "." + k.ID))
}

// decodePageToken reads a token made by pageKey.encode.
func decodePageToken(token string) (pageKey, error) {
	bad := &me.Error{Code: me.CodeValidationFailed, Element: "pageToken", Message: "the page token is malformed: pass on nextPageToken of the previous page as it is"}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return pageKey{}, bad
	}
	micros, id, ok := strings.Cut(string(b), ".")
	if !ok || !validID(id) {
		return pageKey{}, bad
	}
	us, err := strconv.ParseInt(micros, 10, 64)
	if err != nil || us < 0 {
		return pageKey{}, bad
	}
	return pageKey{Updated: time.UnixMicro(us).UTC(), ID: id}, nil
}

// validID reports whether id could be one of ME's ids.
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// ListCases returns a page of the citizen's cases at f.Organisations, newest
// activity first (updated_at, then id, descending), and the token of the
// next page, empty on the last page. PageSize defaults to DefaultPageSize
// and is at most MaxPageSize. A malformed PageToken gives a *me.Error with
// code ValidationFailed for element pageToken.
//
// Filters: Status; UnreadOnly, the cases with an event this citizen has not
// read; IncludeArchived, else the cases this citizen archived are left out;
// UpdatedSince, updated at or after it. Each summary has the case with its
// citizens (and the handler's name, not e-mail), the number of events this
// citizen has not read, the title of the newest event and whether this
// citizen archived the case.
func (s *Store) ListCases(ctx context.Context, f me.CaseFilter) (cases []me.CaseSummary, nextPageToken string, err error) {
	size := f.PageSize
	if size <= 0 {
		size = DefaultPageSize
	}
	size = min(size, MaxPageSize)
	var after *pageKey
	if f.PageToken != "" {
		k, err := decodePageToken(f.PageToken)
		if err != nil {
			return nil, "", fmt.Errorf("store: list cases: %w", err)
		}
		after = &k
	}
	pnr := f.PersonalIdentityNumber
	if pnr == "" || len(f.Organisations) == 0 {
		return nil, "", nil
	}

	// CROSS JOIN makes SQLite start from the citizen's case_citizens rows
	// rather than walk every case in updated_at order; PostgreSQL plans
	// it like any inner join.
	query := `
		SELECT ` + citizenCaseColumns + `
		FROM case_citizens cc CROSS JOIN cases c
		WHERE c.id = cc.case_id
			AND cc.personal_identity_number = ?
			AND c.organisation_number IN (?)`
	args := []any{pnr, f.Organisations}
	if f.Status != "" {
		query += ` AND c.status = ?`
		args = append(args, string(f.Status))
	}
	if !f.IncludeArchived {
		query += ` AND (cc.archived_at IS NULL OR cc.archived_at < c.updated_at)`
	}
	if !f.UpdatedSince.IsZero() {
		query += ` AND c.updated_at >= ?`
		args = append(args, timestamp{f.UpdatedSince})
	}
	if after != nil {
		query += ` AND (c.updated_at < ? OR (c.updated_at = ? AND c.id < ?))`
		args = append(args, timestamp{after.Updated}, timestamp{after.Updated}, after.ID)
	}
	if f.UnreadOnly {
		query += ` AND EXISTS (
			SELECT 1 FROM events e
			WHERE e.case_id = c.id AND NOT EXISTS (
				SELECT 1 FROM event_reads r
				WHERE r.event_id = e.id AND r.personal_identity_number = cc.personal_identity_number))`
	}
	query += `
		ORDER BY c.updated_at DESC, c.id DESC
		LIMIT ?`
	args = append(args, size+1)

	query, args, err = sqlx.In(query, args...)
	if err != nil {
		return nil, "", fmt.Errorf("store: list cases: %w", err)
	}
	var rows []citizenCaseRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(query), args...); err != nil {
		return nil, "", fmt.Errorf("store: list cases: %w", err)
	}
	if len(rows) > size {
		rows = rows[:size]
		last := rows[size-1]
		nextPageToken = pageKey{Updated: last.UpdatedAt.Time, ID: last.ID}.encode()
	}
	if len(rows) == 0 {
		return nil, "", nil
	}

	cases = make([]me.CaseSummary, len(rows))
	ids := make([]string, len(rows))
	for i, r := range rows {
		cases[i] = r.summary()
		ids[i] = r.ID
	}
	if err := s.fillSummaries(ctx, pnr, ids, cases); err != nil {
		return nil, "", fmt.Errorf("store: list cases: %w", err)
	}
	return cases, nextPageToken, nil
}

// fillSummaries sets the citizens, the unread events and the latest event's
// title of the cases (ids[i] is cases[i]'s) in two queries.
func (s *Store) fillSummaries(ctx context.Context, pnr string, ids []string, cases []me.CaseSummary) error {
	byID := make(map[string]*me.CaseSummary, len(cases))
	for i := range cases {
		byID[ids[i]] = &cases[i]
	}

	var links []struct {
		CaseID string `db:"case_id"`
		PNR    string `db:"personal_identity_number"`
	}
	query, args, err := sqlx.In(`
		SELECT case_id, personal_identity_number FROM case_citizens WHERE case_id IN (?)`, ids)
	if err != nil {
		return err
	}
	if err := s.db.SelectContext(ctx, &links, s.db.Rebind(query), args...); err != nil {
		return fmt.Errorf("list citizens: %w", err)
	}
	for _, l := range links {
		if c := byID[l.CaseID]; c != nil {
			c.Citizens = append(c.Citizens, l.PNR)
		}
	}
	for i := range cases {
		slices.Sort(cases[i].Citizens)
	}

	// Per case: the newest event (by time, then when stored) and how many
	// of the case's events have no read by this citizen.
	var stats []struct {
		CaseID  string `db:"case_id"`
		TitleSV string `db:"title_sv"`
		TitleEN string `db:"title_en"`
		Unread  int    `db:"unread"`
	}
	query, args, err = sqlx.In(`
		SELECT case_id, title_sv, title_en, unread FROM (
			SELECT e.case_id, e.title_sv, e.title_en,
				ROW_NUMBER() OVER (PARTITION BY e.case_id ORDER BY e.time DESC, e.created_at DESC, e.id DESC) AS n,
				SUM(CASE WHEN r.event_id IS NULL THEN 1 ELSE 0 END) OVER (PARTITION BY e.case_id) AS unread
			FROM events e
			LEFT JOIN event_reads r ON r.event_id = e.id AND r.personal_identity_number = ?
			WHERE e.case_id IN (?)
		) t WHERE n = 1`, pnr, ids)
	if err != nil {
		return err
	}
	if err := s.db.SelectContext(ctx, &stats, s.db.Rebind(query), args...); err != nil {
		return fmt.Errorf("count unread events: %w", err)
	}
	for _, st := range stats {
		if c := byID[st.CaseID]; c != nil {
			c.UnreadEvents = st.Unread
			c.LatestEventTitle = me.LocalizedText{SV: st.TitleSV, EN: st.TitleEN}
		}
	}
	return nil
}

// citizenCase reads a case of the citizen at one of orgs, or returns
// me.ErrNotFound.
func citizenCase(ctx context.Context, q sqlx.ExtContext, pnr string, orgs []string, caseID string) (citizenCaseRow, error) {
	if pnr == "" || len(orgs) == 0 {
		return citizenCaseRow{}, me.ErrNotFound
	}
	query, args, err := sqlx.In(`
		SELECT `+citizenCaseColumns+`
		FROM cases c
		JOIN case_citizens cc ON cc.case_id = c.id AND cc.personal_identity_number = ?
		WHERE c.id = ? AND c.organisation_number IN (?)`, pnr, caseID, orgs)
	if err != nil {
		return citizenCaseRow{}, err
	}
	var r citizenCaseRow
	if err := sqlx.GetContext(ctx, q, &r, q.Rebind(query), args...); err != nil {
		return citizenCaseRow{}, notFound(err)
	}
	return r, nil
}

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

// CaseView returns the citizen's case at one of orgs as the citizen sees
// it: the summary as ListCases gives it and the events newest first (by
// time, then when stored), each with its attachments (without content),
// actions and when this citizen first read it. A case that does not exist,
// that the citizen is not on or that is at another organisation gives an
// error wrapping me.ErrNotFound.
func (s *Store) CaseView(ctx context.Context, pnr string, orgs []string, caseID string) (me.CaseView, error) {
	v, err := s.caseView(ctx, pnr, orgs, caseID)
	if err != nil {
		return me.CaseView{}, fmt.Errorf("store: view case %s: %w", caseID, err)
	}
	return v, nil
}

func (s *Store) caseView(ctx context.Context, pnr string, orgs []string, caseID string) (me.CaseView, error) {
	r, err := citizenCase(ctx, s.db, pnr, orgs, caseID)
	if err != nil {
		return me.CaseView{}, err
	}
	v := me.CaseView{CaseSummary: r.summary()}
	if err := s.db.SelectContext(ctx, &v.Citizens, s.db.Rebind(`
		SELECT personal_identity_number FROM case_citizens WHERE case_id = ?`), caseID); err != nil {
		return me.CaseView{}, fmt.Errorf("list citizens: %w", err)
	}
	slices.Sort(v.Citizens)

	var rows []eventRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`
		SELECT `+eventColumns+`
		FROM events WHERE case_id = ?
		ORDER BY time DESC, created_at DESC, id DESC`), caseID); err != nil {
		return me.CaseView{}, fmt.Errorf("list events: %w", err)
	}
	if v.Events, err = withDetails(ctx, s.db, rows, `e.case_id = ?`, caseID, false); err != nil {
		return me.CaseView{}, err
	}

	var reads []struct {
		EventID string    `db:"event_id"`
		ReadAt  timestamp `db:"read_at"`
	}
	if err := s.db.SelectContext(ctx, &reads, s.db.Rebind(`
		SELECT r.event_id, r.read_at
		FROM event_reads r JOIN events e ON e.id = r.event_id
		WHERE e.case_id = ? AND r.personal_identity_number = ?`), caseID, pnr); err != nil {
		return me.CaseView{}, fmt.Errorf("list reads: %w", err)
	}
	readAt := make(map[string]time.Time, len(reads))
	for _, r := range reads {
		readAt[r.EventID] = r.ReadAt.Time
	}
	for i := range v.Events {
		e := &v.Events[i]
		if t, ok := readAt[e.ID]; ok {
			e.ReadAt = &t
		} else {
			v.UnreadEvents++
		}
	}
	if len(v.Events) > 0 {
		v.LatestEventTitle = v.Events[0].Title
	}
	return v, nil
}

// MarkEventRead records that the citizen read the event, on portal client,
// at now, unless the citizen read it before, and returns when the citizen
// first read it. Of concurrent calls the first read is kept and returned to
// all. An event that does not exist, or is on a case that the citizen is
// not on or that is at another organisation than orgs, gives an error
// wrapping me.ErrNotFound.
func (s *Store) MarkEventRead(ctx context.Context, pnr string, orgs []string, eventID, client string, now time.Time) (readAt time.Time, err error) {
	if _, err := citizenEventCase(ctx, s.db, pnr, orgs, eventID); err != nil {
		return time.Time{}, fmt.Errorf("store: mark event %s read: %w", eventID, err)
	}
	err = retry(ctx, func() error {
		_, err := s.db.ExecContext(ctx, s.db.Rebind(`
			INSERT INTO event_reads (event_id, personal_identity_number, read_at, client)
			VALUES (?, ?, ?, ?)
			ON CONFLICT (event_id, personal_identity_number) DO NOTHING`),
			eventID, pnr, timestamp{now}, client)
		return err
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

// AddCitizenMessage records the citizen's message to the case handler, in
// one transaction: a new event on the case (from the citizen, not notified,
// titled messageTitle, with text as its Swedish text, at now), read by the
// citizen at now; the case's updated time set to now; and the mail queued
// as a notification of kind me.NotifyHandler on channel email,
// pending from now: to the case's handler (mail.To is ignored, the caller
// does not know it), from the citizen (personal_identity_number) about the
// case's organisation, with mail.Subject and mail.Text, and mail.MessageID
// as its idempotency key. mail.ReplyTo is not kept: the sender sets it. It
// returns the event.
//
// eventID is the event whose message action the citizen used: it must be on
// case caseID, the citizen on the case and the case at one of orgs, or the
// error wraps me.ErrNotFound. An event without a message action, or a case
// without a handler e-mail address, gives a *me.Error with code Conflict;
// so does a mail.MessageID that is taken by a notification already.
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
				return &me.Error{Code: me.CodeConflict, Element: "eventId", Message: "the event does not offer to message the case handler"}
			}
			var c struct {
				HandlerEmail       string `db:"handler_email"`
				OrganisationNumber string `db:"organisation_number"`
			}
			if err := tx.GetContext(ctx, &c, tx.Rebind(`SELECT handler_email, organisation_number FROM cases WHERE id = ?`), caseID); err != nil {
				return fmt.Errorf("get case handler: %w", notFound(err))
			}
			if c.HandlerEmail == "" {
				return &me.Error{Code: me.CodeConflict, Element: "caseId", Message: "the case has no case handler e-mail address to send the message to"}
			}

			if err := insertEvent(ctx, tx, ev.ID, caseID, "", ev, now); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE cases SET updated_at = ? WHERE id = ?`), timestamp{now}, caseID); err != nil {
				return fmt.Errorf("update case: %w", err)
			}
			// The citizen has read what they wrote; the case's other
			// citizens have not.
			if _, err := tx.ExecContext(ctx, tx.Rebind(`
				INSERT INTO event_reads (event_id, personal_identity_number, read_at) VALUES (?, ?, ?)`),
				ev.ID, pnr, timestamp{now}); err != nil {
				return fmt.Errorf("mark message read: %w", err)
			}
			// A taken message id is a Conflict, not for retry to repeat.
			return insertNotification(ctx, tx, me.NotifyHandler, pnr, c.OrganisationNumber, me.Notification{
				Channel:        me.NotifyEmail,
				To:             c.HandlerEmail,
				Subject:        mail.Subject,
				Text:           mail.Text,
				IdempotencyKey: mail.MessageID,
			}, now)
		})
	})
	if err != nil {
		return me.Event{}, fmt.Errorf("store: add message to case %s: %w", caseID, err)
	}
	return ev, nil
}

// ArchiveCase archives the case for the citizen (the case's other citizens
// still see it) at now and returns when it was archived. The case must be
// closed and its latest event (by time, then when stored) must offer an
// archive action, which is set done; otherwise the error is a *me.Error
// with code Conflict saying which rule fails. Archiving an archived case
// returns when it was first archived; activity on the case since an
// archiving undoes it (see archived). A case that does not exist, that the
// citizen is not on or that is at another organisation gives an error
// wrapping me.ErrNotFound.
//
// The archive action is one per event while archiving is per citizen: once
// one citizen has archived, the action is done, and the case's other
// citizens may still archive through it.
func (s *Store) ArchiveCase(ctx context.Context, pnr string, orgs []string, caseID string, now time.Time) (time.Time, error) {
	now = dbTime(now)
	var archivedAt time.Time
	err := retry(ctx, func() error {
		return s.inTx(ctx, func(tx *sqlx.Tx) error {
			r, err := citizenCase(ctx, tx, pnr, orgs, caseID)
			if err != nil {
				return err
			}
			if r.archived() {
				archivedAt = r.ArchivedAt.Time
				return nil
			}
			if me.CaseStatus(r.Status) != me.CaseClosed {
				return &me.Error{Code: me.CodeConflict, Element: "caseId", Message: fmt.Sprintf("the case is %s: only a closed case can be archived", r.Status)}
			}
			var actionID string
			err = tx.GetContext(ctx, &actionID, tx.Rebind(`
				SELECT x.id FROM actions x
				WHERE x.type = ? AND x.event_id = (
					SELECT id FROM events WHERE case_id = ?
					ORDER BY time DESC, created_at DESC, id DESC LIMIT 1)
				ORDER BY x.position LIMIT 1`),
				string(me.ActionArchive), caseID)
			if errors.Is(err, sql.ErrNoRows) {
				return &me.Error{Code: me.CodeConflict, Element: "caseId", Message: "the latest event of the case does not offer to archive it"}
			}
			if err != nil {
				return fmt.Errorf("find archive action: %w", err)
			}

			res, err := tx.ExecContext(ctx, tx.Rebind(`
				UPDATE case_citizens SET archived_at = ?
				WHERE case_id = ? AND personal_identity_number = ? AND (archived_at IS NULL OR archived_at < ?)`),
				timestamp{now}, caseID, pnr, timestamp{r.caseValue().Updated})
			if err != nil {
				return fmt.Errorf("archive: %w", err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return fmt.Errorf("archive: %w", err)
			} else if n == 0 {
				// A concurrent call archived first (PostgreSQL waited for
				// its row lock): return its time.
				var t timestamp
				if err := tx.GetContext(ctx, &t, tx.Rebind(`
					SELECT archived_at FROM case_citizens WHERE case_id = ? AND personal_identity_number = ?`),
					caseID, pnr); err != nil {
					return fmt.Errorf("archive: %w", err)
				}
				archivedAt = t.Time
				return nil
			}
			if _, err := tx.ExecContext(ctx, tx.Rebind(`
				UPDATE actions SET state = ?, done_at = ? WHERE id = ? AND state <> ?`),
				string(me.ActionDone), timestamp{now}, actionID, string(me.ActionDone)); err != nil {
				return fmt.Errorf("set archive action done: %w", err)
			}
			archivedAt = now
			return nil
		})
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("store: archive case %s: %w", caseID, err)
	}
	return archivedAt, nil
}
