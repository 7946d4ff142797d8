package server

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/generated/catalog"
	"github.com/minaengagemang/me/store"
)

// catalogue is the e-service catalog (eTjänstekatalog) behind both the
// catalog service, where organisations publish, and the portal service,
// where portals list and show.
type catalogue struct {
	store         *store.Store
	organisations organisations
	now           func() time.Time
	published     snapshot
}

// catalogRecheck is how often a node asks the store whether the catalog
// changed (store.CatalogVersion): a publication or withdrawal through
// another node (a catalog client's call, or eservices[] published at its
// start) shows here within this time; through this node, at once.
const catalogRecheck = time.Second

// snapshot is the published e-services in memory, for GetEService and
// ticket issuing: portals show an e-service on every page, and it changes
// a few times a month. Listing and search still read the store.
type snapshot struct {
	mu        sync.Mutex
	version   string // store.CatalogVersion when read
	checked   time.Time
	eservices map[[2]string]me.EService // by organisation, id
}

// lookup returns the published e-service org/id from the snapshot, first
// reading the catalog again when it changed since it was read.
func (s *catalogue) lookup(ctx context.Context, org, id string) (me.EService, bool, error) {
	p := &s.published
	p.mu.Lock()
	defer p.mu.Unlock()
	if now := s.now(); p.eservices == nil || now.Sub(p.checked) >= catalogRecheck || now.Before(p.checked) {
		version, err := s.store.CatalogVersion(ctx)
		if err != nil {
			return me.EService{}, false, err
		}
		if p.eservices == nil || version != p.version {
			list, err := s.store.PublishedEServices(ctx)
			if err != nil {
				return me.EService{}, false, err
			}
			p.eservices = make(map[[2]string]me.EService, len(list))
			for _, e := range list {
				p.eservices[[2]string{e.OrganisationNumber, e.ID}] = e
			}
			p.version = version
		}
		p.checked = now
	}
	e, ok := p.eservices[[2]string{org, id}]
	return e, ok, nil
}

// changed makes the next lookup ask the store: this node published or
// withdrew.
func (s *catalogue) changed() {
	s.published.mu.Lock()
	s.published.eservices = nil
	s.published.mu.Unlock()
}

func (s *catalogue) publish(ctx context.Context, e me.EService) (me.EService, error) {
	if e.TicketParameter == "" {
		e.TicketParameter = "ticket"
	}
	defer s.changed()
	return s.store.PublishEService(ctx, e, s.now())
}

func (s *catalogue) withdraw(ctx context.Context, org, id string) (me.EService, error) {
	defer s.changed()
	e, err := s.store.WithdrawEService(ctx, org, id, s.now())
	if errors.Is(err, me.ErrNotFound) {
		return e, &me.Error{Code: me.CodeNotFound, Element: "eServiceId",
			Message: fmt.Sprintf("organisation %s has no e-service %q", org, id)}
	}
	return e, err
}

// get returns a published e-service from the snapshot.
func (s *catalogue) get(ctx context.Context, org, id string) (me.EService, error) {
	e, ok, err := s.lookup(ctx, org, id)
	if err != nil {
		return me.EService{}, err
	}
	if !ok {
		return me.EService{}, &me.Error{Code: me.CodeNotFound, Element: "eServiceId",
			Message: fmt.Sprintf("organisation %s has no published e-service %q", org, id)}
	}
	return e, nil
}

func (s *catalogue) list(ctx context.Context, f me.EServiceFilter) ([]me.EService, error) {
	if _, ok := s.organisations[f.OrganisationNumber]; !ok {
		return nil, &me.Error{Code: me.CodeNotFound, Element: "organisationNumber",
			Message: fmt.Sprintf("organisation %s is not served by this ME", f.OrganisationNumber)}
	}
	return s.store.ListEServices(ctx, f)
}

// catalogService implements catalog.CatalogServer for catalog clients,
// each acting for its own organisation.
type catalogService struct{ *catalogue }

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
	return &catalog.PublishEServiceResponse{PublishedEService: toEService(stored, s.organisations.name(stored.OrganisationNumber))}, nil
}

func (s catalogService) WithdrawEService(ctx context.Context, req *catalog.WithdrawEService) (*catalog.WithdrawEServiceResponse, error) {
	client, _ := clientFrom(ctx)
	e, err := s.withdraw(ctx, client.OrganisationNumber, string(req.EServiceId))
	if err != nil {
		return nil, err
	}
	return &catalog.WithdrawEServiceResponse{EService: toEService(e, s.organisations.name(e.OrganisationNumber))}, nil
}

func (s catalogService) ListOwnEServices(ctx context.Context, req *catalog.ListOwnEServices) (*catalog.ListOwnEServicesResponse, error) {
	client, _ := clientFrom(ctx)
	list, err := s.list(ctx, me.EServiceFilter{OrganisationNumber: client.OrganisationNumber, IncludeWithdrawn: deref(req.IncludeWithdrawn)})
	if err != nil {
		return nil, err
	}
	resp := &catalog.ListOwnEServicesResponse{}
	for _, e := range list {
		resp.EService = append(resp.EService, toEService(e, s.organisations.name(e.OrganisationNumber)))
	}
	return resp, nil
}
