package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

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
	CreatedAt   timestamp `db:"created_at"`
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

const eventColumns = `
	id, case_id, external_id, time, title_sv, title_en, text_sv, text_en,
	notify, from_citizen, created_at`

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
		Created:     r.CreatedAt.Time,
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

const actionColumns = `
	x.id, x.event_id, x.external_id, x.type, x.label_sv, x.label_en, x.state, x.done_at,
	x.attachment_id, x.eservice_id, x.eservice_organisation, x.due_date, x.completion_data`

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

type citizenRow struct {
	PersonalIdentityNumber string `db:"personal_identity_number"`
	GivenName              string `db:"given_name"`
	Surname                string `db:"surname"`
	CareOf                 string `db:"care_of"`
	Street                 string `db:"street"`
	PostalCode             string `db:"postal_code"`
	City                   string `db:"city"`
	Country                string `db:"country"`
}

// Citizen returns a citizen by personnummer. Address is nil when no signal
// has given one.
func (s *Store) Citizen(ctx context.Context, pnr string) (me.Citizen, error) {
	var r citizenRow
	err := s.db.GetContext(ctx, &r, s.db.Rebind(`
		SELECT personal_identity_number, given_name, surname,
			care_of, street, postal_code, city, country
		FROM citizens WHERE personal_identity_number = ?`), pnr)
	if err != nil {
		// No personnummer in the error: it ends up in logs.
		return me.Citizen{}, fmt.Errorf("store: get citizen: %w", notFound(err))
	}
	return me.Citizen{PersonalIdentityNumber: r.PersonalIdentityNumber, GivenName: r.GivenName, Surname: r.Surname, Address: r.address()}, nil
}

// address is nil when every address column is empty.
func (r citizenRow) address() *me.PostalAddress {
	a := me.PostalAddress{CareOf: r.CareOf, Street: r.Street, PostalCode: r.PostalCode, City: r.City, Country: r.Country}
	if a == (me.PostalAddress{}) {
		return nil
	}
	return &a
}
