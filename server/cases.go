package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/personnummer/go/v3"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/generated/portal"
	"github.com/minaengagemang/me/store"
)

// The citizen's cases (ärenden) through the portal. Every read is limited
// to the citizen named in the request and to the organisations the portal
// serves; anything else is answered as missing. Every successful read of a
// case, event or attachment is written to the audit log first.

// portalOrgs are the organisations whose cases a portal client may show.
func portalOrgs(c me.Client) []string {
	return append([]string{c.OrganisationNumber}, c.ExtraOrganisations...)
}

// audit records a read of the citizen's personal data. A read that cannot
// be audited is not served.
func (s portalService) audit(ctx context.Context, client me.Client, pnr, op, object string) error {
	return auditRead(ctx, s.store, s.now(), client, pnr, op, object)
}

func auditRead(ctx context.Context, st *store.Store, now time.Time, client me.Client, pnr, op, object string) error {
	err := st.Audit(ctx, me.AuditEntry{Time: now.UTC(), Client: client.Name, PersonalIdentityNumber: pnr, Operation: op, Object: object})
	if err != nil {
		return fmt.Errorf("audit %s: %w", op, err)
	}
	return nil
}

func notFound(element, format string, args ...any) error {
	return &me.Error{Code: me.CodeNotFound, Element: element, Message: fmt.Sprintf(format, args...)}
}

// at names the request element a domain error from the store is about, so
// that the fault tells the client which element to fix. Other errors pass
// unchanged.
func at(element string, err error) error {
	var e *me.Error
	if !errors.As(err, &e) {
		return err
	}
	out := *e
	out.Element = element
	return &out
}

func (s portalService) ListCases(ctx context.Context, req *portal.ListCases) (*portal.ListCasesResponse, error) {
	client, _ := clientFrom(ctx)
	pnr := string(req.Citizen)
	if err := checkCitizen(pnr); err != nil {
		return nil, err
	}
	f := me.CaseFilter{PersonalIdentityNumber: pnr, Organisations: portalOrgs(client), Status: me.CaseStatus(deref(req.Status)),
		UnreadOnly: deref(req.UnreadOnly), IncludeArchived: deref(req.IncludeArchived), PageSize: int(deref(req.PageSize)), PageToken: string(deref(req.PageToken))}
	if req.UpdatedSince != nil {
		f.UpdatedSince = req.UpdatedSince.ToGoTime()
	}
	list, next, err := s.store.ListCases(ctx, f)
	if errors.Is(err, store.ErrMalformedPageToken) {
		return nil, at("pageToken", err)
	}
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(list))
	for i, c := range list {
		ids[i] = c.ID
	}
	if err := s.audit(ctx, client, pnr, "ListCases", strings.Join(ids, " ")); err != nil {
		return nil, err
	}
	resp := &portal.ListCasesResponse{NextPageToken: optional[portal.PageToken](next)}
	for _, c := range list {
		resp.CaseSummary = append(resp.CaseSummary, toSummary(c, s.catalogue.organisations.name(c.OrganisationNumber)))
	}
	return resp, nil
}

func (s portalService) GetCase(ctx context.Context, req *portal.GetCase) (*portal.GetCaseResponse, error) {
	client, _ := clientFrom(ctx)
	pnr := string(req.Citizen)
	if err := checkCitizen(pnr); err != nil {
		return nil, err
	}
	v, err := s.store.CaseView(ctx, pnr, portalOrgs(client), string(req.CaseId))
	if errors.Is(err, me.ErrNotFound) {
		return nil, notFound("caseId", "the citizen has no case %s", req.CaseId)
	}
	if err != nil {
		return nil, err
	}
	if err := s.audit(ctx, client, pnr, "GetCase", v.ID); err != nil {
		return nil, err
	}
	detail := portal.CaseDetail{Summary: toSummary(v.CaseSummary, s.catalogue.organisations.name(v.OrganisationNumber)), HandlerName: optional[portal.ShortText](v.Handler.Name)}
	for _, e := range v.Events {
		detail.CaseEvent = append(detail.CaseEvent, toEvent(e))
	}
	return &portal.GetCaseResponse{CaseDetail: detail}, nil
}

func (s portalService) MarkEventRead(ctx context.Context, req *portal.MarkEventRead) (*portal.MarkEventReadResponse, error) {
	client, _ := clientFrom(ctx)
	pnr := string(req.Citizen)
	if err := checkCitizen(pnr); err != nil {
		return nil, err
	}
	readAt, err := s.store.MarkEventRead(ctx, pnr, portalOrgs(client), string(req.EventId), client.Name, s.now().UTC())
	if errors.Is(err, me.ErrNotFound) {
		return nil, notFound("eventId", "the citizen has no event %s", req.EventId)
	}
	if err != nil {
		return nil, err
	}
	return &portal.MarkEventReadResponse{ReadAt: xsdTime(readAt)}, nil
}

func (s portalService) GetAttachment(ctx context.Context, req *portal.GetAttachment) (*portal.GetAttachmentResponse, error) {
	client, _ := clientFrom(ctx)
	pnr := string(req.Citizen)
	if err := checkCitizen(pnr); err != nil {
		return nil, err
	}
	a, err := s.store.Attachment(ctx, pnr, portalOrgs(client), string(req.AttachmentId))
	if errors.Is(err, me.ErrNotFound) {
		return nil, notFound("attachmentId", "the citizen has no attachment %s to download", req.AttachmentId)
	}
	if err != nil {
		return nil, err
	}
	if err := s.audit(ctx, client, pnr, "GetAttachment", a.ID); err != nil {
		return nil, err
	}
	return &portal.GetAttachmentResponse{FileName: portal.ShortText(a.FileName), MediaType: portal.ShortText(a.MediaType), Content: portal.Base64Binary(a.Content)}, nil
}

func (s portalService) SendMessageToHandler(ctx context.Context, req *portal.SendMessageToHandler) (*portal.SendMessageToHandlerResponse, error) {
	client, _ := clientFrom(ctx)
	pnr := string(req.Citizen)
	if err := checkCitizen(pnr); err != nil {
		return nil, err
	}
	text := strings.TrimSpace(string(req.Text))
	if text == "" {
		return nil, &me.Error{Code: me.CodeValidationFailed, Element: "text", Message: "the message is empty"}
	}
	v, err := s.store.CaseView(ctx, pnr, portalOrgs(client), string(req.CaseId))
	if errors.Is(err, me.ErrNotFound) {
		return nil, notFound("caseId", "the citizen has no case %s", req.CaseId)
	}
	if err != nil {
		return nil, err
	}
	name := "En medborgare"
	if p, err := s.store.CitizenProfile(ctx, pnr); err == nil && strings.TrimSpace(p.GivenName+" "+p.Surname) != "" {
		name = strings.TrimSpace(p.GivenName + " " + p.Surname)
	}
	m := s.mail.HandlerMail(v.Case, s.catalogue.organisations.name(v.OrganisationNumber), name, text, s.now().UTC())
	ev, err := s.store.AddCitizenMessage(ctx, pnr, portalOrgs(client), v.ID, string(req.EventId), text, m, s.now().UTC())
	switch {
	case errors.Is(err, me.ErrNotFound):
		return nil, notFound("eventId", "case %s has no event %s", req.CaseId, req.EventId)
	case errors.Is(err, store.ErrNoMessageAction):
		return nil, at("eventId", err)
	case errors.Is(err, store.ErrNoHandlerEmail):
		return nil, at("caseId", err)
	case err != nil:
		return nil, err
	}
	return &portal.SendMessageToHandlerResponse{MessageEventId: portal.Identifier(ev.ID)}, nil
}

func (s portalService) ArchiveCase(ctx context.Context, req *portal.ArchiveCase) (*portal.ArchiveCaseResponse, error) {
	client, _ := clientFrom(ctx)
	pnr := string(req.Citizen)
	if err := checkCitizen(pnr); err != nil {
		return nil, err
	}
	archived, err := s.store.ArchiveCase(ctx, pnr, portalOrgs(client), string(req.CaseId), s.now().UTC())
	if errors.Is(err, me.ErrNotFound) {
		return nil, notFound("caseId", "the citizen has no case %s", req.CaseId)
	}
	if err != nil {
		return nil, at("caseId", err) // a case that cannot be archived (yet)
	}
	return &portal.ArchiveCaseResponse{ArchivedAt: xsdTime(archived)}, nil
}

// checkCitizen refuses a personnummer whose date or control digit is
// wrong; the schema has checked its form already.
func checkCitizen(pnr string) error {
	if !personnummer.Valid(pnr) {
		return &me.Error{Code: me.CodeValidationFailed, Element: "citizen",
			Message: "the personnummer is not valid (check its date and control digit)"}
	}
	return nil
}
