package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hooklift/gowsdl/soap"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/generated/catalog"
	"github.com/minaengagemang/me/generated/portal"
	"github.com/minaengagemang/me/store"
)

// eServices is the e-service catalog (eTjänstekatalog) behind both the
// catalog service, where organisations publish, and the portal service,
// where portals list and show.
type eServices struct {
	store         *store.Store
	organisations map[string]me.Organisation
	now           func() time.Time
}

func (s *eServices) publish(ctx context.Context, e me.EService) (me.EService, error) {
	if e.TicketParameter == "" {
		e.TicketParameter = "ticket"
	}
	return s.store.PublishEService(ctx, e, s.now())
}

func (s *eServices) withdraw(ctx context.Context, org, id string) (me.EService, error) {
	e, err := s.store.WithdrawEService(ctx, org, id, s.now())
	if errors.Is(err, me.ErrNotFound) {
		return e, &me.Error{Code: me.CodeNotFound, Element: "eServiceId",
			Message: fmt.Sprintf("organisation %s has no e-service %q", org, id)}
	}
	return e, err
}

func (s *eServices) get(ctx context.Context, org, id string) (me.EService, error) {
	e, err := s.store.EService(ctx, org, id)
	if errors.Is(err, me.ErrNotFound) || (err == nil && e.Withdrawn != nil) {
		return me.EService{}, &me.Error{Code: me.CodeNotFound, Element: "eServiceId",
			Message: fmt.Sprintf("organisation %s has no published e-service %q", org, id)}
	}
	return e, err
}

func (s *eServices) list(ctx context.Context, f me.EServiceFilter) ([]me.EService, error) {
	if _, ok := s.organisations[f.OrganisationNumber]; !ok {
		return nil, &me.Error{Code: me.CodeNotFound, Element: "organisationNumber",
			Message: fmt.Sprintf("organisation %s is not served by this ME", f.OrganisationNumber)}
	}
	return s.store.ListEServices(ctx, f)
}

func (s *eServices) organisationName(number string) string {
	if o, ok := s.organisations[number]; ok {
		return o.Name
	}
	return number
}

// catalogService implements catalog.CatalogServer for catalog clients,
// each acting for its own organisation.
type catalogService struct{ *eServices }

var _ catalog.CatalogServer = catalogService{}

func (s catalogService) PublishEService(ctx context.Context, req *catalog.PublishEService) (*catalog.PublishEServiceResponse, error) {
	client, _ := clientFrom(ctx)
	d := req.EService
	e := me.EService{
		ID:                  string(d.Id),
		OrganisationNumber:  client.OrganisationNumber,
		Name:                me.LocalizedText{SV: string(d.Name.Sv), EN: string(deref(d.Name.En))},
		Description:         me.LocalizedText{SV: string(d.Description.Sv), EN: string(deref(d.Description.En))},
		StartURL:            string(d.StartUrl),
		TicketParameter:     string(deref(d.TicketParameter)),
		AuthenticationLevel: int(d.AuthenticationLevel),
	}
	for _, a := range d.Area {
		e.Areas = append(e.Areas, string(a))
	}
	if c := d.Contact; c != nil {
		e.Contact = me.Contact{Name: string(deref(c.Name)), Email: string(deref(c.Email)), Phone: string(deref(c.Phone)), URL: string(deref(c.Url))}
	}
	stored, err := s.publish(ctx, e)
	if err != nil {
		return nil, err
	}
	return &catalog.PublishEServiceResponse{EService: toCatalogEService(stored, s.organisationName(stored.OrganisationNumber))}, nil
}

func (s catalogService) WithdrawEService(ctx context.Context, req *catalog.WithdrawEService) (*catalog.WithdrawEServiceResponse, error) {
	client, _ := clientFrom(ctx)
	e, err := s.withdraw(ctx, client.OrganisationNumber, string(req.EServiceId))
	if err != nil {
		return nil, err
	}
	return &catalog.WithdrawEServiceResponse{EService: toCatalogEService(e, s.organisationName(e.OrganisationNumber))}, nil
}

func (s catalogService) ListOwnEServices(ctx context.Context, req *catalog.ListOwnEServices) (*catalog.ListOwnEServicesResponse, error) {
	client, _ := clientFrom(ctx)
	list, err := s.list(ctx, me.EServiceFilter{OrganisationNumber: client.OrganisationNumber, IncludeWithdrawn: deref(req.IncludeWithdrawn)})
	if err != nil {
		return nil, err
	}
	resp := &catalog.ListOwnEServicesResponse{}
	for _, e := range list {
		resp.EService = append(resp.EService, toCatalogEService(e, s.organisationName(e.OrganisationNumber)))
	}
	return resp, nil
}

// The generated packages each hold their own copy of the shared types of
// xsd/common.xsd, so the conversion exists once per package.

func toCatalogEService(e me.EService, orgName string) catalog.EService {
	out := catalog.EService{
		Id:                  catalog.Identifier(e.ID),
		OrganisationNumber:  catalog.OrganisationNumber(e.OrganisationNumber),
		OrganisationName:    catalog.ShortText(orgName),
		Name:                catalog.LocalizedText{Sv: catalog.LongText(e.Name.SV), En: optional[catalog.LongText](e.Name.EN)},
		Description:         catalog.LocalizedText{Sv: catalog.LongText(e.Description.SV), En: optional[catalog.LongText](e.Description.EN)},
		StartUrl:            catalog.HTTPURL(e.StartURL),
		TicketParameter:     catalog.TicketParameter(e.TicketParameter),
		AuthenticationLevel: catalog.AuthenticationLevel(e.AuthenticationLevel),
		Published:           xsdTime(e.Published),
	}
	for _, a := range e.Areas {
		out.Area = append(out.Area, catalog.Area(a))
	}
	if c := e.Contact; c != (me.Contact{}) {
		out.Contact = &catalog.Contact{Name: optional[catalog.ShortText](c.Name), Email: optional[catalog.EmailAddress](c.Email),
			Phone: optional[catalog.ShortText](c.Phone), Url: optional[catalog.HTTPURL](c.URL)}
	}
	if e.Withdrawn != nil {
		w := xsdTime(*e.Withdrawn)
		out.Withdrawn = &w
	}
	return out
}

func toPortalEService(e me.EService, orgName string) portal.EService {
	out := portal.EService{
		Id:                  portal.Identifier(e.ID),
		OrganisationNumber:  portal.OrganisationNumber(e.OrganisationNumber),
		OrganisationName:    portal.ShortText(orgName),
		Name:                portal.LocalizedText{Sv: portal.LongText(e.Name.SV), En: optional[portal.LongText](e.Name.EN)},
		Description:         portal.LocalizedText{Sv: portal.LongText(e.Description.SV), En: optional[portal.LongText](e.Description.EN)},
		StartUrl:            portal.HTTPURL(e.StartURL),
		TicketParameter:     portal.TicketParameter(e.TicketParameter),
		AuthenticationLevel: portal.AuthenticationLevel(e.AuthenticationLevel),
		Published:           xsdTime(e.Published),
	}
	for _, a := range e.Areas {
		out.Area = append(out.Area, portal.Area(a))
	}
	if c := e.Contact; c != (me.Contact{}) {
		out.Contact = &portal.Contact{Name: optional[portal.ShortText](c.Name), Email: optional[portal.EmailAddress](c.Email),
			Phone: optional[portal.ShortText](c.Phone), Url: optional[portal.HTTPURL](c.URL)}
	}
	if e.Withdrawn != nil {
		w := xsdTime(*e.Withdrawn)
		out.Withdrawn = &w
	}
	return out
}

// optional returns nil for an empty string: the element is left out.
func optional[T ~string](s string) *T {
	if s == "" {
		return nil
	}
	v := T(s)
	return &v
}

func deref[T any](p *T) (zero T) {
	if p == nil {
		return zero
	}
	return *p
}

func xsdTime(t time.Time) soap.XSDDateTime { return soap.CreateXsdDateTime(t.UTC(), true) }
