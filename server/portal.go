package server

import (
	"context"
	"fmt"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/generated/portal"
)

// portalService implements portal.PortalServer: what an organisation's web
// asks on behalf of a logged-in citizen.
type portalService struct {
	eServices *eServices
}

var _ portal.PortalServer = portalService{}

func (s portalService) ListEServices(ctx context.Context, req *portal.ListEServices) (*portal.ListEServicesResponse, error) {
	client, _ := clientFrom(ctx)
	f := me.EServiceFilter{OrganisationNumber: client.OrganisationNumber, Area: string(deref(req.Area)), Text: string(deref(req.Text))}
	if req.OrganisationNumber != nil {
		f.OrganisationNumber = string(*req.OrganisationNumber)
	}
	list, err := s.eServices.list(ctx, f)
	if err != nil {
		return nil, err
	}
	resp := &portal.ListEServicesResponse{}
	for _, e := range list {
		resp.EService = append(resp.EService, toPortalEService(e, s.eServices.organisationName(e.OrganisationNumber)))
	}
	return resp, nil
}

func (s portalService) GetEService(ctx context.Context, req *portal.GetEService) (*portal.GetEServiceResponse, error) {
	client, _ := clientFrom(ctx)
	org := client.OrganisationNumber
	if req.OrganisationNumber != nil {
		org = string(*req.OrganisationNumber)
	}
	e, err := s.eServices.get(ctx, org, string(req.EServiceId))
	if err != nil {
		return nil, err
	}
	return &portal.GetEServiceResponse{EService: toPortalEService(e, s.eServices.organisationName(e.OrganisationNumber))}, nil
}

// notImplemented answers operations that are in the contract but whose
// issue has not landed yet.
func notImplemented(op string) error {
	return &me.Error{Code: me.CodeNotImplemented, Message: fmt.Sprintf("%s is in the contract but not served by this version of ME yet", op)}
}

func (portalService) CreateStartTicket(context.Context, *portal.CreateStartTicket) (*portal.CreateStartTicketResponse, error) {
	return nil, notImplemented("CreateStartTicket")
}

func (portalService) ListCases(context.Context, *portal.ListCases) (*portal.ListCasesResponse, error) {
	return nil, notImplemented("ListCases")
}

func (portalService) GetCase(context.Context, *portal.GetCase) (*portal.GetCaseResponse, error) {
	return nil, notImplemented("GetCase")
}

func (portalService) MarkEventRead(context.Context, *portal.MarkEventRead) (*portal.MarkEventReadResponse, error) {
	return nil, notImplemented("MarkEventRead")
}

func (portalService) GetAttachment(context.Context, *portal.GetAttachment) (*portal.GetAttachmentResponse, error) {
	return nil, notImplemented("GetAttachment")
}

func (portalService) SendMessageToHandler(context.Context, *portal.SendMessageToHandler) (*portal.SendMessageToHandlerResponse, error) {
	return nil, notImplemented("SendMessageToHandler")
}

func (portalService) CreateCompletionTicket(context.Context, *portal.CreateCompletionTicket) (*portal.CreateCompletionTicketResponse, error) {
	return nil, notImplemented("CreateCompletionTicket")
}

func (portalService) ArchiveCase(context.Context, *portal.ArchiveCase) (*portal.ArchiveCaseResponse, error) {
	return nil, notImplemented("ArchiveCase")
}

func (portalService) GetCitizenProfile(context.Context, *portal.GetCitizenProfile) (*portal.GetCitizenProfileResponse, error) {
	return nil, notImplemented("GetCitizenProfile")
}

func (portalService) UpdateCitizenProfile(context.Context, *portal.UpdateCitizenProfile) (*portal.UpdateCitizenProfileResponse, error) {
	return nil, notImplemented("UpdateCitizenProfile")
}
