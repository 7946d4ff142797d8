// Package soap is a SOAP 1.1 engine for document/literal wrapped services:
// it reads the envelope, validates the one request element in the Body
// against the contract's schema (libxml2), dispatches it by its element
// name to an operation, encodes the response (and, when asked, validates
// it too), and answers every error as a SOAP fault with ME's typed detail
// from xsd/fault.xsd. It knows no ME service: the operations come from the
// generated packages, bound to the services that implement them.
package soap

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"sort"
	"strings"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/generated/common"
	"github.com/minaengagemang/me/server/requestlog"
	"github.com/minaengagemang/me/server/xmlfrag"
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

// actionNames reports whether a SOAPAction header names op: the contract's
// form (namespace/Operation), or namespace#Operation, which SOAP::Lite and
// other RPC-minded stacks send by default. An empty SOAPAction names any
// operation: the body element chooses.
func actionNames(action string, op Operation) bool {
	return action == "" || action == op.SOAPAction || action == op.Request.Space+"#"+op.Name
}

func (e *Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "text/xml" {
		msg := fmt.Sprintf("Content-Type %q is not SOAP 1.1; send text/xml", r.Header.Get("Content-Type"))
		if mt == "application/soap+xml" {
			msg = "SOAP 1.2 is not served; use the SOAP 1.1 binding in the WSDL (Content-Type text/xml)"
		}
		WriteFault(w, r, http.StatusUnsupportedMediaType, &me.Error{Code: me.CodeValidationFailed, Message: msg})
		return
	}
	if r.ContentLength > e.maxBody { // refused before a byte of it is read
		WriteFault(w, r, http.StatusRequestEntityTooLarge, me.Errorf(me.CodeValidationFailed,
			"the request body of %d bytes exceeds the %d ME accepts (http.max_body_bytes)", r.ContentLength, e.maxBody))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, e.maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			WriteFault(w, r, http.StatusRequestEntityTooLarge, me.Errorf(me.CodeValidationFailed, "the request body exceeds %d bytes", e.maxBody))
			return
		}
		// The client stopped sending, or was slower than http.read_timeout:
		// its problem, and the request may simply be sent again.
		came := fmt.Sprint(len(body))
		if r.ContentLength >= 0 {
			came += fmt.Sprintf(" of %d", r.ContentLength)
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			WriteFault(w, r, http.StatusRequestTimeout, me.Errorf(me.CodeValidationFailed,
				"the request body did not arrive within ME's read timeout (%s bytes came); nothing was changed: send it again", came))
			return
		}
		WriteFault(w, r, http.StatusBadRequest, me.Errorf(me.CodeValidationFailed,
			"the request body broke off (%s bytes came: %v); nothing was changed: send it again", came, err))
		return
	}
	if body, err = toUTF8(body, params["charset"]); err != nil {
		WriteFault(w, r, http.StatusInternalServerError, err)
		return
	}
	p, err := bodyPayload(body)
	var notUnderstood notUnderstoodError
	if errors.As(err, &notUnderstood) {
		writeMustUnderstand(w, r, notUnderstood)
		return
	}
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
	if action := strings.Trim(r.Header.Get("SOAPAction"), `"`); !actionNames(action, op) {
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
	out = compactNamespaces(out)
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

const (
	soap11NS = "http://schemas.xmlsoap.org/soap/envelope/"
	soap12NS = "http://www.w3.org/2003/05/soap-envelope"
)

// writeEnvelope wraps a marshalled body element in a SOAP 1.1 envelope.
func writeEnvelope(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", `text/xml; charset=utf-8`)
	w.WriteHeader(status)
	io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<soap:Envelope xmlns:soap="`+soap11NS+`"><soap:Body>`)
	w.Write(body)
	io.WriteString(w, `</soap:Body></soap:Envelope>`)
}

// payload is the one element inside a SOAP Body, as a standalone document.
type payload struct {
	name xml.Name
	doc  []byte
}

// bodyPayload finds the single element in the SOAP 1.1 Body and returns it
// as a document of its own: its bytes as sent, with the namespace
// declarations it inherits from Envelope and Body copied onto it, so that
// it validates and decodes exactly as the client wrote it.
func bodyPayload(msg []byte) (payload, error) {
	d := xml.NewDecoder(bytes.NewReader(msg))
	d.Strict = true
	var (
		depth     int
		inherited = xmlfrag.Decls{}
		sawBody   bool
		found     payload
		start     int64
	)
	for {
		offset := d.InputOffset()
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return payload{}, me.Errorf(me.CodeValidationFailed, "the request is not well-formed XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return payload{}, me.Errorf(me.CodeValidationFailed, "DTDs and DOCTYPE declarations are not allowed in SOAP messages")
		case xml.ProcInst:
			if t.Target != "xml" {
				return payload{}, me.Errorf(me.CodeValidationFailed, "processing instructions are not allowed in SOAP messages")
			}
		case xml.StartElement:
			depth++
			ns := t.Name.Space
			switch depth {
			case 1:
				if t.Name.Local != "Envelope" || ns != soap11NS {
					if ns == soap12NS {
						return payload{}, me.Errorf(me.CodeValidationFailed, "SOAP 1.2 is not served; use the SOAP 1.1 binding in the WSDL")
					}
					return payload{}, &me.Error{Code: me.CodeValidationFailed, Element: clark(xml.Name{Space: ns, Local: t.Name.Local}),
						Message: fmt.Sprintf("the root element must be {%s}Envelope", soap11NS)}
				}
				inherited.Add(t.Attr)
			case 2:
				if ns != soap11NS || (t.Name.Local != "Header" && t.Name.Local != "Body") {
					return payload{}, me.Errorf(me.CodeValidationFailed, "unexpected element %s in the Envelope; want Header and Body", t.Name.Local)
				}
				if t.Name.Local == "Body" {
					sawBody = true
					inherited.Add(t.Attr)
					break
				}
				// The Header comes before the Body: a block ME must
				// understand stops the request before it is read further.
				if err := checkHeader(d); err != nil {
					return payload{}, err
				}
				depth--
			case 3:
				if found.doc != nil {
					return payload{}, me.Errorf(me.CodeValidationFailed, "the Body holds more than one element; document/literal wrapped wants exactly one")
				}
				found.name = xml.Name{Space: ns, Local: t.Name.Local}
				start = offset
				if err := d.Skip(); err != nil {
					return payload{}, me.Errorf(me.CodeValidationFailed, "the request is not well-formed XML: %v", err)
				}
				depth--
				found.doc = xmlfrag.WithDecls(msg[start:d.InputOffset()], t, inherited)
			}
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 2 && sawBody && len(bytes.TrimSpace(t)) > 0 {
				return payload{}, me.Errorf(me.CodeValidationFailed, "the Body holds text; it must hold exactly one element")
			}
		}
	}
	if !sawBody {
		return payload{}, me.Errorf(me.CodeValidationFailed, "the Envelope has no Body")
	}
	if found.doc == nil {
		return payload{}, me.Errorf(me.CodeValidationFailed, "the Body is empty; it must hold the operation's request element")
	}
	return found, nil
}

// actorNext is the SOAP 1.1 actor that means "the receiver", which is ME.
const actorNext = "http://schemas.xmlsoap.org/soap/actor/next"

// checkHeader reads the Header's blocks, up to and including its end
// element. ME understands no header block, so one addressed to it (no
// actor, or the "next" actor) with mustUnderstand="1" is a
// notUnderstoodError (SOAP 1.1 §4.2.3); the others are ignored, as SOAP 1.1
// allows. Blocks for another actor are not ME's to check.
func checkHeader(d *xml.Decoder) error {
	var blocks []xml.Name
	for {
		tok, err := d.Token()
		if err != nil {
			return me.Errorf(me.CodeValidationFailed, "the request is not well-formed XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			if len(blocks) > 0 {
				return notUnderstoodError(blocks)
			}
			return nil
		case xml.StartElement:
			must, err := mustUnderstand(t)
			if err != nil {
				return err
			}
			if must {
				blocks = append(blocks, t.Name)
			}
			if err := d.Skip(); err != nil {
				return me.Errorf(me.CodeValidationFailed, "the request is not well-formed XML: %v", err)
			}
		}
	}
}

// mustUnderstand reports whether a header block is addressed to ME and
// must be understood.
func mustUnderstand(block xml.StartElement) (bool, error) {
	must, forME := false, true
	for _, a := range block.Attr {
		if a.Name.Space != soap11NS {
			continue
		}
		switch a.Name.Local {
		case "actor":
			forME = a.Value == actorNext
		case "mustUnderstand":
			// SOAP 1.1 allows "0" and "1"; SOAP 1.2's "true" and "false" are
			// read as meant, since ignoring a "true" would mislead.
			switch strings.TrimSpace(a.Value) {
			case "1", "true":
				must = true
			case "0", "false":
				must = false
			default:
				return false, &me.Error{Code: me.CodeValidationFailed, Element: clark(block.Name),
					Message: fmt.Sprintf("the header block %s has mustUnderstand %q; SOAP 1.1 allows \"0\" or \"1\"", clark(block.Name), a.Value)}
			}
		}
	}
	return must && forME, nil
}

// notUnderstoodError lists the header blocks ME was told to understand and
// does not.
type notUnderstoodError []xml.Name

func (e notUnderstoodError) Error() string {
	names := make([]string, len(e))
	for i, n := range e {
		names[i] = clark(n)
	}
	return fmt.Sprintf("ME does not process the SOAP header block %s, which is marked mustUnderstand=\"1\", so it did not process the request. "+
		"ME processes no header blocks: leave it out, or send it with mustUnderstand=\"0\" if ME may ignore it", strings.Join(names, ", "))
}
