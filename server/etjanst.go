package server

import (
	"context"

	"github.com/minaengagemang/me/generated/etjanst"
)

// eServiceService implements etjanst.EServiceServer for e-services (eTjänster)
// redeeming tickets. Tickets come with their own issue.
type eServiceService struct{}

var _ etjanst.EServiceServer = eServiceService{}

func (eServiceService) RedeemTicket(context.Context, *etjanst.RedeemTicket) (*etjanst.RedeemTicketResponse, error) {
	return nil, notImplemented("RedeemTicket")
}

func (eServiceService) ReportCompletion(context.Context, *etjanst.ReportCompletion) (*etjanst.ReportCompletionResponse, error) {
	return nil, notImplemented("ReportCompletion")
}
