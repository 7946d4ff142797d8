// Package soap is a SOAP 1.1 engine for document/literal wrapped services:
// it reads the envelope, validates the one request element in the Body
// against the contract's schema (libxml2), dispatches it by its element
// name to an operation, encodes the response (and, when asked, validates
// it too), and answers every error as a SOAP fault with ME's typed detail
// from xsd/fault.xsd. It knows no ME service: the operations come from the
// generated packages, bound to the services that implement them.
package soap

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sort"
	"strings"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/generated/common"
	"github.com/minaengagemang/me/server/requestlog"
	"github.com/minaengagemang/me/xsd"
)

// Operation is one SOAP operation of a contract, bound to the service that
// serves it: what each generated package's Operations(service) lists.
type Operation = common.Operation

// Endpoint serves one WSDL's operations at one URL.
type Endpoint struct {
	name     string // the service, for messages: "portal"
	schema   *xsd.Schema
	ops      map[xml.Name]Operation
	maxBody  int64
	validate bool
}

// NewEndpoint returns the endpoint of the named service. Requests larger
// than maxBody bytes are refused; validateResponses checks every response
// against schema before it is sent, so that a response the contract does
// not allow becomes an Internal fault instead of a client's surprise.
func NewEndpoint(name string, schema *xsd.Schema, ops []Operation, maxBody int64, validateResponses bool) *Endpoint {
	e := &Endpoint{name: name, schema: schema, ops: map[xml.Name]Operation{}, maxBody: maxBody, validate: validateResponses}
	for _, op := range ops {
		e.ops[op.Request] = op
	}
	return e
}

func (e *Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "text/xml" {
		msg := fmt.Sprintf("Content-Type %q is not SOAP 1.1; send text/xml", r.Header.Get("Content-Type"))
		if mt == "application/soap+xml" {
			msg = "SOAP 1.2 is not served; use the SOAP 1.1 binding in the WSDL (Content-Type text/xml)"
		}
		WriteFault(w, r, http.StatusUnsupportedMediaType, &me.Error{Code: me.CodeValidationFailed, Message: msg})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, e.maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			WriteFault(w, r, http.StatusRequestEntityTooLarge, me.Errorf(me.CodeValidationFailed, "the request body exceeds %d bytes", e.maxBody))
			return
		}
		WriteFault(w, r, http.StatusBadRequest, me.Errorf(me.CodeValidationFailed, "reading the request body: %v", err))
		return
	}
	p, err := bodyPayload(body)
	if err != nil {
		WriteFault(w, r, http.StatusInternalServerError, err)
		return
	}
	op, ok := e.ops[p.name]
	if !ok {
		WriteFault(w, r, http.StatusInternalServerError, &me.Error{Code: me.CodeValidationFailed, Element: clark(p.name),
			Message: fmt.Sprintf("the %s service has no operation with request element %s; it serves %s", e.name, clark(p.name), e.operationList())})
		return
	}
	requestlog.From(r.Context()).Operation = op.Name
	if action := strings.Trim(r.Header.Get("SOAPAction"), `"`); action != "" && action != op.SOAPAction {
		WriteFault(w, r, http.StatusInternalServerError, me.Errorf(me.CodeValidationFailed,
			"SOAPAction %q does not match the body element %s; send %q or none", action, clark(p.name), op.SOAPAction))
		return
	}
	if err := e.schema.Validate(p.doc); err != nil {
		WriteFault(w, r, http.StatusInternalServerError, validationError(err))
		return
	}
	req := op.NewRequest()
	if err := xml.Unmarshal(p.doc, req); err != nil {
		WriteFault(w, r, http.StatusInternalServerError, me.Errorf(me.CodeValidationFailed, "decoding %s: %v", op.Name, err))
		return
	}
	resp, err := op.Invoke(r.Context(), req)
	if err != nil {
		WriteFault(w, r, http.StatusInternalServerError, err)
		return
	}
	out, err := xml.Marshal(resp)
	if err != nil {
		WriteFault(w, r, http.StatusInternalServerError, fmt.Errorf("encoding %s response: %w", op.Name, err))
		return
	}
	if e.validate {
		if err := e.schema.Validate(out); err != nil {
			WriteFault(w, r, http.StatusInternalServerError, fmt.Errorf("%s response does not validate against %s: %w", op.Name, e.schema.Name(), err))
			return
		}
	}
	writeEnvelope(w, http.StatusOK, out)
}

func (e *Endpoint) operationList() string {
	names := make([]string, 0, len(e.ops))
	for _, op := range e.ops {
		names = append(names, op.Name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func clark(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return "{" + n.Space + "}" + n.Local
}
