package server

import (
	"context"
	"encoding/xml"

	"github.com/minaengagemang/me/generated/catalog"
	"github.com/minaengagemang/me/generated/etjanst"
	"github.com/minaengagemang/me/generated/portal"
)

// bind adapts one generated operation to the dispatcher, with the service
// that serves it.
func bind[S any](srv S, name, action string, req xml.Name, newReq func() any, invoke func(context.Context, S, any) (any, error)) operation {
	return operation{Name: name, SOAPAction: action, Request: req, NewRequest: newReq,
		Invoke: func(ctx context.Context, r any) (any, error) { return invoke(ctx, srv, r) }}
}

func portalOperations(srv portal.PortalServer) (ops []operation) {
	for _, o := range portal.Operations() {
		ops = append(ops, bind(srv, o.Name, o.SOAPAction, o.Request, o.NewRequest, o.Invoke))
	}
	return ops
}

func catalogOperations(srv catalog.CatalogServer) (ops []operation) {
	for _, o := range catalog.Operations() {
		ops = append(ops, bind(srv, o.Name, o.SOAPAction, o.Request, o.NewRequest, o.Invoke))
	}
	return ops
}

func eServiceOperations(srv etjanst.EServiceServer) (ops []operation) {
	for _, o := range etjanst.Operations() {
		ops = append(ops, bind(srv, o.Name, o.SOAPAction, o.Request, o.NewRequest, o.Invoke))
	}
	return ops
}
