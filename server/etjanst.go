package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/generated/etjanst"
	"github.com/minaengagemang/me/store"
)

// etjanstService implements etjanst.EServiceServer for e-services
// (eTjänster): redeeming the ticket a citizen arrives with, and reporting
// a completion (komplettering) sent on to the case system.
type etjanstService struct {
	store   *store.Store
	tickets *tickets
	now     func() time.Time
}

var _ etjanst.EServiceServer = etjanstService{}

func (s etjanstService) RedeemTicket(ctx context.Context, req *etjanst.RedeemTicket) (*etjanst.RedeemTicketResponse, error) {
	client, _ := clientFrom(ctx)
	t, err := s.tickets.redeem(ctx, string(req.Ticket), client)
	if err != nil {
		return nil, err
	}
	p, err := profile(ctx, s.store, t.PersonalIdentityNumber)
	if err != nil {
		return nil, err
	}
	resp := &etjanst.RedeemTicketResponse{Purpose: etjanst.TicketPurpose(t.Purpose), EServiceId: etjanst.Identifier(t.EServiceID), Citizen: toProfile(p)}
	if t.Purpose != me.TicketCompletion {
		return resp, auditRead(ctx, s.store, s.now(), client, t.PersonalIdentityNumber, "RedeemTicket", "profile")
	}
	c, ev, err := s.store.EventWithCase(ctx, t.EventID)
	if err != nil {
		return nil, fmt.Errorf("completion ticket's event %s: %w", t.EventID, err)
	}
	comp := &etjanst.Completion{CaseId: etjanst.Identifier(c.ID), CaseNumber: optional[etjanst.ShortText](c.CaseNumber),
		ExternalCaseId: etjanst.ShortText(c.ExternalID), EventId: etjanst.Identifier(ev.ID), ActionId: etjanst.Identifier(t.ActionID)}
	for _, a := range ev.Actions {
		if a.ID != t.ActionID {
			continue
		}
		if a.State == me.ActionDone {
			return nil, &me.Error{Code: me.CodeConflict, Element: "ticket", Message: "this completion was already sent (ReportCompletion); the ticket is used up"}
		}
		comp.DueDate = xsdDate(a.DueDate)
		if a.CompletionData != "" {
			comp.Data = &etjanst.CompletionData{InnerXML: a.CompletionData}
		}
	}
	resp.Completion = comp
	// Audited once the answer is complete: a refused redemption read nothing.
	return resp, auditRead(ctx, s.store, s.now(), client, t.PersonalIdentityNumber, "RedeemTicket", "profile, completion "+t.ActionID)
}

func (s etjanstService) ReportCompletion(ctx context.Context, req *etjanst.ReportCompletion) (*etjanst.ReportCompletionResponse, error) {
	client, _ := clientFrom(ctx)
	caseID, actionID := string(req.CaseId), string(req.ActionId)
	// A missing case, a missing action and another e-service's action are
	// answered alike, so that ids reveal nothing to an e-service that does
	// not handle them.
	notYours := &me.Error{Code: me.CodeNotFound, Element: "actionId", Message: fmt.Sprintf("case %s has no completion %s handled by this e-service", caseID, actionID)}
	c, err := s.store.CaseByID(ctx, caseID)
	if errors.Is(err, me.ErrNotFound) {
		return nil, notYours
	}
	if err != nil {
		return nil, err
	}
	a, _, err := s.store.Action(ctx, caseID, actionID)
	if errors.Is(err, me.ErrNotFound) {
		return nil, notYours
	}
	if err != nil {
		return nil, err
	}
	if a.Type != me.ActionComplete || !client.ServesEService(a.EServiceOrganisation, a.EServiceID) {
		return nil, notYours
	}
	// Who completed, so that the case's other citizens see it as theirs
	// (author in GetCase); unknown when the e-service does not say.
	author := string(deref(req.Citizen))
	if author != "" {
		if err := checkCitizen(author); err != nil {
			return nil, err
		}
		if !slices.Contains(c.Citizens, author) {
			return nil, &me.Error{Code: me.CodeValidationFailed, Element: "citizen", Message: fmt.Sprintf(
				"the citizen is not one of case %s's; send citizen/personalIdentityNumber of the RedeemTicket answer", caseID)}
		}
	}
	text := me.LocalizedText{SV: "Din komplettering har skickats till handläggaren.", EN: "Your completion has been sent to the case handler."}
	if ref := string(deref(req.Reference)); ref != "" {
		text.SV += " Referens: " + ref
		text.EN += " Reference: " + ref
	}
	ev, err := s.store.CompleteAction(ctx, c.ID, actionID, me.Event{
		Title: me.LocalizedText{SV: "Komplettering mottagen", EN: "Completion received"}, Text: text, FromCitizen: true, Author: author,
	}, s.now().UTC())
	if err != nil {
		return nil, err
	}
	return &etjanst.ReportCompletionResponse{EventId: etjanst.Identifier(ev.ID)}, nil
}
