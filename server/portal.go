package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/generated/portal"
	"github.com/minaengagemang/me/server/notify"
	"github.com/minaengagemang/me/store"
)

// portalService implements portal.PortalServer: what an organisation's web
// asks on behalf of a logged-in citizen.
type portalService struct {
	catalogue *catalogue
	store     *store.Store
	tickets   *tickets
	mail      notify.Addressing
	now       func() time.Time
}

var _ portal.PortalServer = portalService{}

func (s portalService) ListEServices(ctx context.Context, req *portal.ListEServices) (*portal.ListEServicesResponse, error) {
	client, _ := clientFrom(ctx)
	f := me.EServiceFilter{OrganisationNumber: client.OrganisationNumber, Area: string(deref(req.Area)), Text: string(deref(req.Text))}
	if req.OrganisationNumber != nil {
		f.OrganisationNumber = string(*req.OrganisationNumber)
	}
	list, err := s.catalogue.list(ctx, f)
	if err != nil {
		return nil, err
	}
	resp := &portal.ListEServicesResponse{}
	for _, e := range list {
		resp.EService = append(resp.EService, toEService(e, s.catalogue.organisations.name(e.OrganisationNumber)))
	}
	return resp, nil
}

func (s portalService) GetEService(ctx context.Context, req *portal.GetEService) (*portal.GetEServiceResponse, error) {
	client, _ := clientFrom(ctx)
	org := client.OrganisationNumber
	if req.OrganisationNumber != nil {
		org = string(*req.OrganisationNumber)
	}
	e, err := s.catalogue.get(ctx, org, string(req.EServiceId))
	if err != nil {
		return nil, err
	}
	return &portal.GetEServiceResponse{EService: toEService(e, s.catalogue.organisations.name(e.OrganisationNumber))}, nil
}

func (s portalService) GetCitizenProfile(ctx context.Context, req *portal.GetCitizenProfile) (*portal.GetCitizenProfileResponse, error) {
	pnr := string(req.Citizen)
	if err := checkCitizen(pnr); err != nil {
		return nil, err
	}
	p, err := profile(ctx, s.store, pnr)
	if err != nil {
		return nil, err
	}
	client, _ := clientFrom(ctx)
	if err := s.audit(ctx, client, pnr, "GetCitizenProfile", "profile"); err != nil {
		return nil, err
	}
	return &portal.GetCitizenProfileResponse{Profile: toProfile(p)}, nil
}

func (s portalService) UpdateCitizenProfile(ctx context.Context, req *portal.UpdateCitizenProfile) (*portal.UpdateCitizenProfileResponse, error) {
	p := fromProfile(req.Profile)
	if err := checkCitizen(p.PersonalIdentityNumber); err != nil {
		return nil, err
	}
	if (p.Channel == me.NotifySMS || p.Channel == me.NotifyBoth) && p.Mobile == "" {
		return nil, &me.Error{Code: me.CodeValidationFailed, Element: "mobile", Message: fmt.Sprintf("notificationChannel %s needs a mobile number", p.Channel)}
	}
	if (p.Channel == me.NotifyEmail || p.Channel == me.NotifyBoth) && p.Email == "" {
		return nil, &me.Error{Code: me.CodeValidationFailed, Element: "email", Message: fmt.Sprintf("notificationChannel %s needs an e-mail address", p.Channel)}
	}
	stored, err := s.store.PutCitizenProfile(ctx, p, s.now().UTC())
	if err != nil {
		return nil, err
	}
	return &portal.UpdateCitizenProfileResponse{StoredProfile: toProfile(stored)}, nil
}

func (s portalService) CreateStartTicket(ctx context.Context, req *portal.CreateStartTicket) (*portal.CreateStartTicketResponse, error) {
	client, _ := clientFrom(ctx)
	pnr := string(req.Citizen)
	if err := checkCitizen(pnr); err != nil {
		return nil, err
	}
	org := client.OrganisationNumber
	if req.OrganisationNumber != nil {
		org = string(*req.OrganisationNumber)
	}
	e, err := s.catalogue.get(ctx, org, string(req.EServiceId))
	if err != nil {
		return nil, err
	}
	issued, expires := s.tickets.times()
	value, link, err := s.tickets.issue(ctx, me.Ticket{Purpose: me.TicketStart, PersonalIdentityNumber: pnr,
		EServiceOrganisation: e.OrganisationNumber, EServiceID: e.ID, IssuedBy: client.Name, Issued: issued, Expires: expires}, e)
	if err != nil {
		return nil, err
	}
	return &portal.CreateStartTicketResponse{Ticket: portal.IssuedTicket{Ticket: portal.Ticket(value), Url: portal.HTTPURL(link), Expires: xsdTime(expires)}}, nil
}

func (s portalService) CreateCompletionTicket(ctx context.Context, req *portal.CreateCompletionTicket) (*portal.CreateCompletionTicketResponse, error) {
	client, _ := clientFrom(ctx)
	pnr := string(req.Citizen)
	if err := checkCitizen(pnr); err != nil {
		return nil, err
	}
	c, ev, err := s.citizenEvent(ctx, client, pnr, string(req.EventId))
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(ev.Actions, func(a me.Action) bool { return a.ID == string(req.ActionId) })
	if i < 0 {
		return nil, &me.Error{Code: me.CodeNotFound, Element: "actionId", Message: fmt.Sprintf("event %s has no action %s", ev.ID, req.ActionId)}
	}
	a := ev.Actions[i]
	switch {
	case a.Type != me.ActionComplete:
		return nil, &me.Error{Code: me.CodeConflict, Element: "actionId", Message: fmt.Sprintf("action %s is a %s action; completion tickets are for complete actions", a.ID, a.Type)}
	case a.State == me.ActionDone:
		return nil, &me.Error{Code: me.CodeConflict, Element: "actionId", Message: fmt.Sprintf("the completion for action %s was already sent", a.ID)}
	}
	e, err := s.store.EService(ctx, a.EServiceOrganisation, a.EServiceID)
	if err != nil || e.Withdrawn != nil {
		if err == nil || errors.Is(err, me.ErrNotFound) {
			return nil, &me.Error{Code: me.CodeNotFound, Element: "actionId", Message: fmt.Sprintf(
				"the e-service %s of organisation %s that handles this completion is not published in ME's catalog; its organisation must publish it", a.EServiceID, a.EServiceOrganisation)}
		}
		return nil, err
	}
	issued, expires := s.tickets.times()
	value, link, err := s.tickets.issue(ctx, me.Ticket{Purpose: me.TicketCompletion, PersonalIdentityNumber: pnr,
		EServiceOrganisation: e.OrganisationNumber, EServiceID: e.ID, IssuedBy: client.Name,
		CaseID: c.ID, EventID: ev.ID, ActionID: a.ID, Issued: issued, Expires: expires}, e)
	if err != nil {
		return nil, err
	}
	return &portal.CreateCompletionTicketResponse{Ticket: portal.IssuedTicket{Ticket: portal.Ticket(value), Url: portal.HTTPURL(link), Expires: xsdTime(expires)}}, nil
}

// citizenEvent returns an event of one of the citizen's cases at the
// portal's organisations (its own and those granted to its client), as the
// case operations reach them. Another citizen's or organisation's event is
// answered exactly like a missing one, so ids reveal nothing.
func (s portalService) citizenEvent(ctx context.Context, client me.Client, pnr, eventID string) (me.Case, me.Event, error) {
	c, ev, err := s.store.EventWithCase(ctx, eventID)
	if err == nil && (!slices.Contains(portalOrgs(client), c.OrganisationNumber) || !slices.Contains(c.Citizens, pnr)) {
		err = me.ErrNotFound
	}
	if errors.Is(err, me.ErrNotFound) {
		return me.Case{}, me.Event{}, &me.Error{Code: me.CodeNotFound, Element: "eventId", Message: fmt.Sprintf("the citizen has no event %s", eventID)}
	}
	return c, ev, err
}

// profile returns the citizen's profile, or the default one when ME has
// none yet.
func profile(ctx context.Context, st *store.Store, pnr string) (me.CitizenProfile, error) {
	p, err := st.CitizenProfile(ctx, pnr)
	if errors.Is(err, me.ErrNotFound) {
		return me.DefaultProfile(pnr), nil
	}
	return p, err
}
