// Tables: cases and case_citizens. A case as the case systems signal it,
// and the citizen's cases: the listing, the view and archiving. Only this
// file writes these tables. Events and their actions are events.go's: this
// file reads them to summarise a case and to find its archive action, which
// events.go sets done. Citizens' names and contact details are citizens.go's.

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

const caseColumns = `
	id, organisation_number, external_id, case_number, title_sv, title_en,
	status, handler_name, handler_email, created_at, updated_at`

type caseRow struct {
	ID                 string    `db:"id"`
	OrganisationNumber string    `db:"organisation_number"`
	ExternalID         string    `db:"external_id"`
	CaseNumber         string    `db:"case_number"`
	TitleSV            string    `db:"title_sv"`
	TitleEN            string    `db:"title_en"`
	Status             string    `db:"status"`
	HandlerName        string    `db:"handler_name"`
	HandlerEmail       string    `db:"handler_email"`
	CreatedAt          timestamp `db:"created_at"`
	UpdatedAt          timestamp `db:"updated_at"`
}

func (r caseRow) caseValue() me.Case {
	return me.Case{
		ID:                 r.ID,
		OrganisationNumber: r.OrganisationNumber,
		ExternalID:         r.ExternalID,
		CaseNumber:         r.CaseNumber,
		Title:              me.LocalizedText{SV: r.TitleSV, EN: r.TitleEN},
		Status:             me.CaseStatus(r.Status),
		Handler:            me.Handler{Name: r.HandlerName, Email: r.HandlerEmail},
		Created:            r.CreatedAt.Time,
		Updated:            r.UpdatedAt.Time,
	}
}

// CaseByExternalID returns an organisation's case by the case system's id,
// with its citizens' personnummer sorted. The handler's e-mail address is
// included; callers must not show it.
func (s *Store) CaseByExternalID(ctx context.Context, org, externalID string) (me.Case, error) {
	c, err := getCase(ctx, s.db, `organisation_number = ? AND external_id = ?`, org, externalID)
	if err != nil {
		return me.Case{}, fmt.Errorf("store: get case %s/%s: %w", org, externalID, err)
	}
	return c, nil
}

// CaseByID returns a case by ME's id, as CaseByExternalID does.
func (s *Store) CaseByID(ctx context.Context, caseID string) (me.Case, error) {
	c, err := getCase(ctx, s.db, `id = ?`, caseID)
	if err != nil {
		return me.Case{}, fmt.Errorf("store: get case %s: %w", caseID, err)
	}
	return c, nil
}

// getCase returns the case that where (with ? placeholders) selects, with
// its citizens sorted, or an error wrapping me.ErrNotFound.
func getCase(ctx context.Context, q sqlx.ExtContext, where string, args ...any) (me.Case, error) {
	var r caseRow
	err := sqlx.GetContext(ctx, q, &r, q.Rebind(`SELECT `+caseColumns+` FROM cases WHERE `+where), args...)
	if err != nil {
		return me.Case{}, notFound(err)
	}
	c := r.caseValue()
	err = sqlx.SelectContext(ctx, q, &c.Citizens, q.Rebind(`
		SELECT personal_identity_number FROM case_citizens WHERE case_id = ?`), c.ID)
	if err != nil {
		return me.Case{}, fmt.Errorf("get citizens of case %s: %w", c.ID, err)
	}
	slices.Sort(c.Citizens)
	return c, nil
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

// updateCase sets what a later signal updates. A signal without a case
// number or a handler keeps the case's.
func updateCase(ctx context.Context, tx *sqlx.Tx, id string, c me.Case, now time.Time) error {
	query := `UPDATE cases SET title_sv = ?, title_en = ?, status = ?, updated_at = ?`
	args := []any{c.Title.SV, c.Title.EN, string(c.Status), timestamp{now}}
	if c.CaseNumber != "" {
		query += `, case_number = ?`
		args = append(args, c.CaseNumber)
	}
	if c.Handler != (me.Handler{}) {
		query += `, handler_name = ?, handler_email = ?`
		args = append(args, c.Handler.Name, c.Handler.Email)
	}
	query += ` WHERE id = ?`
	args = append(args, id)
	_, err := tx.ExecContext(ctx, tx.Rebind(query), args...)
	return err
}

// touchCase sets the case's updated time to now: something happened on it
// that no signal brought (the citizen's message or completion).
func touchCase(ctx context.Context, tx *sqlx.Tx, caseID string, now time.Time) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE cases SET updated_at = ? WHERE id = ?`), timestamp{now}, caseID); err != nil {
		return err
	}
	return touchCitizenLinks(ctx, tx, caseID, now)
}

// touchCitizenLinks copies the case's new updated time to its citizens'
// rows, which order each citizen's listing (migration 0007).
func touchCitizenLinks(ctx context.Context, tx *sqlx.Tx, caseID string, now time.Time) error {
	_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE case_citizens SET updated_at = ? WHERE case_id = ?`), timestamp{now}, caseID)
	return err
}

// saveCase inserts the case (newCase) or updates it from a signal, and
// puts the citizens on it that are not on it already.
func saveCase(ctx context.Context, tx *sqlx.Tx, id string, c me.Case, citizens []string, newCase bool, now time.Time) error {
	if newCase {
		if err := insertCase(ctx, tx, id, c, now); err != nil {
			return fmt.Errorf("insert case %s/%s: %w", c.OrganisationNumber, c.ExternalID, err)
		}
	} else if err := updateCase(ctx, tx, id, c, now); err != nil {
		return fmt.Errorf("update case %s: %w", id, err)
	} else if err := touchCitizenLinks(ctx, tx, id, now); err != nil {
		return fmt.Errorf("update case %s: %w", id, err)
	}
	// A citizen put on a case later has read none of its events.
	for _, pnr := range citizens {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`
			INSERT INTO case_citizens (case_id, personal_identity_number, updated_at, unread)
			VALUES (?, ?, ?, (SELECT count(*) FROM events WHERE case_id = ?))
			ON CONFLICT DO NOTHING`),
			id, pnr, timestamp{now}, id); err != nil {
			return fmt.Errorf("link citizen to case %s: %w", id, err)
		}
	}
	return nil
}

// A citizen's cases. Every method takes the citizen's personnummer and the
// organisations the portal may show and filters on both in SQL: another
// citizen's case, or a case of another organisation, is answered exactly
// like a missing one (me.ErrNotFound). The handler's e-mail address is
// never returned: Handler.Email is empty.
//
// Errors name no personnummer: they end up in logs.

// Listing page sizes.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// Errors of ListCases and ArchiveCase, sentinels for errors.Is. Each is a
// *me.Error, so a service can return it as it is.
var (
	// ErrMalformedPageToken: ListCases was given a page token it did not
	// make (ValidationFailed).
	ErrMalformedPageToken = &me.Error{Code: me.CodeValidationFailed, Message: "the page token is malformed: pass on nextPageToken of the previous page as it is"}
	// ErrNotArchivable: the case system's latest event on the case offers
	// no archive action (Conflict).
	ErrNotArchivable = &me.Error{Code: me.CodeConflict, Message: "the case system's latest event on the case does not offer to archive it"}
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

// decodePageToken reads a token made by pageKey.encode, or returns
// ErrMalformedPageToken.
func decodePageToken(token string) (pageKey, error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return pageKey{}, ErrMalformedPageToken
	}
	micros, id, ok := strings.Cut(string(b), ".")
	if !ok || !validID(id) {
		return pageKey{}, ErrMalformedPageToken
	}
	us, err := strconv.ParseInt(micros, 10, 64)
	if err != nil || us < 0 {
		return pageKey{}, ErrMalformedPageToken
	}
	return pageKey{Updated: time.UnixMicro(us).UTC(), ID: id}, nil
}

// ListCases returns a page of the citizen's cases at f.Organisations, newest
// activity first (updated_at, then id, descending), and the token of the
// next page, empty on the last page. PageSize defaults to DefaultPageSize
// and is at most MaxPageSize. A malformed PageToken gives an error wrapping
// ErrMalformedPageToken.
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

	// One index gives the page: the citizen's case_citizens rows in order of
	// their case's activity (kept on the row, migration 0007), each joined
	// to its case by key, until the page and one more are found. The
	// planners otherwise start from cases, or sort every case of the
	// citizen: SQLite keeps the order of a CROSS JOIN.
	// The case's citizens and its newest event's title come along, each
	// from an index probe per case of the page: one query in all.
	latest := func(column string) string {
		return `(SELECT e.` + column + ` FROM events e WHERE e.case_id = c.id
			ORDER BY e.time DESC, e.created_at DESC, e.id DESC LIMIT 1)`
	}
	aggregate := `group_concat(x.personal_identity_number, ',')`
	if s.driver == DriverPostgres {
		aggregate = `string_agg(x.personal_identity_number, ',')`
	}
	query := `
		SELECT ` + citizenCaseColumns + `, cc.unread,
			COALESCE(` + latest("title_sv") + `, '') AS latest_title_sv,
			COALESCE(` + latest("title_en") + `, '') AS latest_title_en,
			(SELECT ` + aggregate + ` FROM case_citizens x WHERE x.case_id = c.id) AS citizens
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
		query += ` AND (cc.archived_at IS NULL OR cc.archived_at < cc.updated_at)`
	}
	if !f.UpdatedSince.IsZero() {
		query += ` AND cc.updated_at >= ?`
		args = append(args, timestamp{f.UpdatedSince})
	}
	if after != nil {
		query += ` AND (cc.updated_at < ? OR (cc.updated_at = ? AND cc.case_id < ?))`
		args = append(args, timestamp{after.Updated}, timestamp{after.Updated}, after.ID)
	}
	if f.UnreadOnly {
		query += ` AND cc.unread > 0`
	}
	query += `
		ORDER BY cc.updated_at DESC, cc.case_id DESC
		LIMIT ?`
	args = append(args, size+1)

	query, args, err = sqlx.In(query, args...)
	if err != nil {
		return nil, "", fmt.Errorf("store: list cases: %w", err)
	}
	var rows []struct {
		citizenCaseRow
		Unread        int    `db:"unread"`
		LatestTitleSV string `db:"latest_title_sv"`
		LatestTitleEN string `db:"latest_title_en"`
		Citizens      string `db:"citizens"`
	}
	if err := sqlx.SelectContext(ctx, s.reads, &rows, s.db.Rebind(query), args...); err != nil {
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
	for i, r := range rows {
		cases[i] = r.summary()
		cases[i].UnreadEvents = r.Unread
		cases[i].LatestEventTitle = me.LocalizedText{SV: r.LatestTitleSV, EN: r.LatestTitleEN}
		cases[i].Citizens = strings.Split(r.Citizens, ",")
		slices.Sort(cases[i].Citizens)
	}
	return cases, nextPageToken, nil
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
	r, err := citizenCase(ctx, s.reads, pnr, orgs, caseID)
	if err != nil {
		return me.CaseView{}, err
	}
	v := me.CaseView{CaseSummary: r.summary()}
	if err := sqlx.SelectContext(ctx, s.reads, &v.Citizens, s.db.Rebind(`
		SELECT personal_identity_number FROM case_citizens WHERE case_id = ?`), caseID); err != nil {
		return me.CaseView{}, fmt.Errorf("list citizens: %w", err)
	}
	slices.Sort(v.Citizens)

	// The events with this citizen's first read of each, in one query.
	var rows []struct {
		eventRow
		ReadAt nullTimestamp `db:"read_at"`
	}
	if err := sqlx.SelectContext(ctx, s.reads, &rows, s.db.Rebind(`
		SELECT `+prefixed("e.", eventColumns)+`, r.read_at
		FROM events e
		LEFT JOIN event_reads r ON r.event_id = e.id AND r.personal_identity_number = ?
		WHERE e.case_id = ?
		ORDER BY e.time DESC, e.created_at DESC, e.id DESC`), pnr, caseID); err != nil {
		return me.CaseView{}, fmt.Errorf("list events: %w", err)
	}
	events := make([]eventRow, len(rows))
	for i, r := range rows {
		events[i] = r.eventRow
	}
	if v.Events, err = withDetails(ctx, s.reads, events, `e.case_id = ?`, caseID, false); err != nil {
		return me.CaseView{}, err
	}
	for i := range v.Events {
		if t := rows[i].ReadAt; t.Valid {
			v.Events[i].ReadAt = &t.Time
		} else {
			v.UnreadEvents++
		}
	}
	if len(v.Events) > 0 {
		v.LatestEventTitle = v.Events[0].Title
	}
	return v, nil
}

// ArchiveCase archives the case for the citizen (the case's other citizens
// still see it) at now and returns when it was archived. The case must be
// closed and the case system's latest event on it (by time, then when
// stored) must offer an archive action, which is set done. The citizens'
// own events (a message, a completion: from_citizen) do not count: they
// are stamped when ME made them, later than the closing event the case
// system dated earlier. Otherwise the error wraps a *me.Error with code
// Conflict saying which rule fails: for a case that is not closed, one
// whose message names the case's status; for a latest event without an
// archive action, ErrNotArchivable. Archiving an archived case
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
				return me.Errorf(me.CodeConflict, "the case is %s: only a closed case can be archived", r.Status)
			}
			var actionID string
			err = tx.GetContext(ctx, &actionID, tx.Rebind(`
				SELECT x.id FROM actions x
				WHERE x.type = ? AND x.event_id = (
					SELECT id FROM events WHERE case_id = ? AND NOT from_citizen
					ORDER BY time DESC, created_at DESC, id DESC LIMIT 1)
				ORDER BY x.position LIMIT 1`),
				string(me.ActionArchive), caseID)
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotArchivable
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
			if _, err := setActionDone(ctx, tx, actionID, now); err != nil {
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

// purgeCases removes a batch of the scope's cases past their time with
// everything that hangs on them (retention.go): a closed case whose last
// change is before the scope's time. (A citizen archives only a closed
// case, so an archived case is a closed one.) Its events' rows go through
// events.go, its reminders and outbox rows through their files; on
// PostgreSQL the cases are locked first (those a signal holds are
// skipped), so that nothing is added to them while they go.
func purgeCases(ctx context.Context, tx *sqlx.Tx, sc purgeScope) (purgeBatch, error) {
	org, args := sc.byOrganisation("organisation_number")
	where := org + ` AND status = 'closed' AND updated_at < ?`
	ids, err := selectPurgeKeys[string](ctx, tx, "cases", "id", where, append(args, sc.before), sc, true)
	b := newBatch(ids)
	if err != nil || len(ids) == 0 {
		return b, err
	}
	if err := deleteEventsOfCases(ctx, tx, ids, sc.lock != "", b.rows); err != nil {
		return b, err
	}
	if b.rows["outbox"], err = deleteOutboxOfCases(ctx, tx, ids); err != nil {
		return b, fmt.Errorf("delete outbox rows of cases: %w", err)
	}
	if b.rows["case_citizens"], err = execIn(ctx, tx, `DELETE FROM case_citizens WHERE case_id IN (?)`, ids); err != nil {
		return b, fmt.Errorf("delete citizens' links to cases: %w", err)
	}
	if b.rows["cases"], err = execIn(ctx, tx, `DELETE FROM cases WHERE id IN (?)`, ids); err != nil {
		return b, fmt.Errorf("delete cases: %w", err)
	}
	return b, nil
}

// CitizenCases returns every case the citizen is on, at any organisation,
// as CaseView gives each (archived ones included), oldest first: for the
// register extract. The cases' other citizens are in Citizens; a caller
// showing the cases to this citizen leaves them out, as portals do.
func (s *Store) CitizenCases(ctx context.Context, pnr string) ([]me.CaseView, error) {
	var rows []struct {
		ID                 string `db:"id"`
		OrganisationNumber string `db:"organisation_number"`
	}
	err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`
		SELECT c.id, c.organisation_number
		FROM case_citizens cc JOIN cases c ON c.id = cc.case_id
		WHERE cc.personal_identity_number = ?
		ORDER BY c.created_at, c.id`), pnr)
	if err != nil {
		return nil, fmt.Errorf("store: list citizen's cases: %w", err)
	}
	views := make([]me.CaseView, 0, len(rows))
	for _, r := range rows {
		v, err := s.caseView(ctx, pnr, []string{r.OrganisationNumber}, r.ID)
		if errors.Is(err, me.ErrNotFound) {
			continue // taken off the case since the list was read
		}
		if err != nil {
			return nil, fmt.Errorf("store: view case %s: %w", r.ID, err)
		}
		views = append(views, v)
	}
	return views, nil
}
