package server

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/generated/portal"
	"github.com/minaengagemang/me/xsd"
)

const (
	soap11NS = "http://schemas.xmlsoap.org/soap/envelope/"
	soap12NS = "http://www.w3.org/2003/05/soap-envelope"
)

// operation is one SOAP operation an endpoint dispatches to, adapted from
// a generated package's Operation table.
type operation struct {
	Name       string
	SOAPAction string
	Request    xml.Name
	NewRequest func() any
	Invoke     func(ctx context.Context, request any) (any, error)
}

// endpoint serves one WSDL: dispatch by body element, request and response
// validation against the contract's schema, typed faults.
type endpoint struct {
	name     string  // "portal", the path under /soap/
	role     me.Role // the only role that may call it
	schema   *xsd.Schema
	ops      map[xml.Name]operation
	maxBody  int64
	validate bool // validate responses too (tests, and when configured)
	faults   *faultWriter
}

func newEndpoint(name string, role me.Role, schema *xsd.Schema, ops []operation, maxBody int64, validateResponses bool, fw *faultWriter) *endpoint {
	e := &endpoint{name: name, role: role, schema: schema, ops: map[xml.Name]operation{}, maxBody: maxBody, validate: validateResponses, faults: fw}
	for _, op := range ops {
		e.ops[op.Request] = op
	}
	return e
}

func (e *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	info := requestInfoFrom(r.Context())
	client, _ := clientFrom(r.Context())
	if client.Role != e.role {
		e.faults.write(w, r, http.StatusInternalServerError, &me.Error{Code: me.CodeForbidden,
			Message: fmt.Sprintf("client %q has role %s; the %s service serves clients with role %s", client.Name, client.Role, e.name, e.role)})
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "text/xml" {
		status := http.StatusUnsupportedMediaType
		msg := fmt.Sprintf("Content-Type %q is not SOAP 1.1; send text/xml", r.Header.Get("Content-Type"))
		if mt == "application/soap+xml" {
			msg = "SOAP 1.2 is not served; use the SOAP 1.1 binding in the WSDL (Content-Type text/xml)"
		}
		e.faults.write(w, r, status, &me.Error{Code: me.CodeValidationFailed, Message: msg})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, e.maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			e.faults.write(w, r, http.StatusRequestEntityTooLarge, me.Errorf(me.CodeValidationFailed,
				"the request body exceeds %d bytes", e.maxBody))
			return
		}
		e.faults.write(w, r, http.StatusBadRequest, me.Errorf(me.CodeValidationFailed, "reading the request body: %v", err))
		return
	}
	payload, err := bodyPayload(body)
	if err != nil {
		e.faults.write(w, r, http.StatusInternalServerError, err)
		return
	}
	op, ok := e.ops[payload.name]
	if !ok {
		e.faults.write(w, r, http.StatusInternalServerError, &me.Error{Code: me.CodeValidationFailed,
			Element: clark(payload.name),
			Message: fmt.Sprintf("the %s service has no operation with request element %s; it serves %s", e.name, clark(payload.name), e.operationList())})
		return
	}
	info.Operation = op.Name
	if action := strings.Trim(r.Header.Get("SOAPAction"), `"`); action != "" && action != op.SOAPAction {
		e.faults.write(w, r, http.StatusInternalServerError, me.Errorf(me.CodeValidationFailed,
			"SOAPAction %q does not match the body element %s; send %q or none", action, clark(payload.name), op.SOAPAction))
		return
	}
	if err := e.schema.Validate(payload.doc); err != nil {
		e.faults.write(w, r, http.StatusInternalServerError, validationError(err))
		return
	}
	req := op.NewRequest()
	if err := xml.Unmarshal(payload.doc, req); err != nil {
		e.faults.write(w, r, http.StatusInternalServerError, me.Errorf(me.CodeValidationFailed, "decoding %s: %v", op.Name, err))
		return
	}
	resp, err := op.Invoke(r.Context(), req)
	if err != nil {
		e.faults.write(w, r, http.StatusInternalServerError, err)
		return
	}
	out, err := xml.Marshal(resp)
	if err != nil {
		e.faults.write(w, r, http.StatusInternalServerError, fmt.Errorf("encoding %s response: %w", op.Name, err))
		return
	}
	if e.validate {
		if err := e.schema.Validate(out); err != nil {
			e.faults.write(w, r, http.StatusInternalServerError, fmt.Errorf("%s response does not validate against %s: %w", op.Name, e.schema.Name(), err))
			return
		}
	}
	writeEnvelope(w, http.StatusOK, out)
}

func (e *endpoint) operationList() string {
	names := make([]string, 0, len(e.ops))
	for _, op := range e.ops {
		names = append(names, op.Name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

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
		inherited = map[string]string{} // prefix ("" for default) -> namespace
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
				addDecls(inherited, t.Attr)
			case 2:
				if ns != soap11NS || (t.Name.Local != "Header" && t.Name.Local != "Body") {
					return payload{}, me.Errorf(me.CodeValidationFailed, "unexpected element %s in the Envelope; want Header and Body", t.Name.Local)
				}
				if t.Name.Local == "Body" {
					sawBody = true
					addDecls(inherited, t.Attr)
				} else if err := d.Skip(); err != nil {
					return payload{}, me.Errorf(me.CodeValidationFailed, "the request is not well-formed XML: %v", err)
				} else {
					depth--
				}
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
				found.doc = withDecls(msg[start:d.InputOffset()], t, inherited)
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

func addDecls(into map[string]string, attrs []xml.Attr) {
	for _, a := range attrs {
		switch {
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			into[""] = a.Value
		case a.Name.Space == "xmlns":
			into[a.Name.Local] = a.Value
		}
	}
}

// withDecls inserts into the start tag of raw the inherited namespace
// declarations that the element does not make itself.
func withDecls(raw []byte, start xml.StartElement, inherited map[string]string) []byte {
	own := map[string]string{}
	addDecls(own, start.Attr)
	prefixes := make([]string, 0, len(inherited))
	for p := range inherited {
		if _, ok := own[p]; !ok {
			prefixes = append(prefixes, p)
		}
	}
	if len(prefixes) == 0 {
		return raw
	}
	sort.Strings(prefixes)
	var decls bytes.Buffer
	for _, p := range prefixes {
		name := "xmlns"
		if p != "" {
			name += ":" + p
		}
		fmt.Fprintf(&decls, ` %s="`, name)
		xml.EscapeText(&decls, []byte(inherited[p]))
		decls.WriteByte('"')
	}
	// The start tag begins "<qname"; the declarations go right after it.
	at := 1 + bytes.IndexAny(raw[1:], " \t\r\n/>")
	out := make([]byte, 0, len(raw)+decls.Len())
	out = append(out, raw[:at]...)
	out = append(out, decls.Bytes()...)
	return append(out, raw[at:]...)
}

func clark(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return "{" + n.Space + "}" + n.Local
}

// libxml2 names the element at fault as 'Element '{ns}local”.
var elementInMessage = regexp.MustCompile(`Element '([^']+)'`)

func validationError(err error) error {
	var errs xsd.Errors
	if !errors.As(err, &errs) {
		return err
	}
	msgs := make([]string, 0, len(errs))
	for _, e := range errs {
		msgs = append(msgs, e.Message)
	}
	out := &me.Error{Code: me.CodeValidationFailed, Message: "the request does not match the contract: " + strings.Join(msgs, " ")}
	if m := elementInMessage.FindStringSubmatch(errs[0].Message); m != nil {
		out.Element = m[1]
	}
	return out
}

// faultWriter writes SOAP 1.1 faults with ME's typed detail.
type faultWriter struct {
	logError func(r *http.Request, err error)
}

func (fw *faultWriter) write(w http.ResponseWriter, r *http.Request, status int, err error) {
	info := requestInfoFrom(r.Context())
	var e *me.Error
	if !errors.As(err, &e) {
		// Something failed inside ME: log it whole, tell the client only
		// the reference under which it is logged.
		fw.logError(r, err)
		e = &me.Error{Code: me.CodeInternal, Message: "ME failed to handle the request; nothing was changed. Retry later, or quote the reference to ME's administrator."}
	}
	info.Fault = string(e.Code)
	faultCode := "soap:Client"
	if e.Code == me.CodeInternal || e.Code == me.CodeNotImplemented {
		faultCode = "soap:Server"
	}
	// All three generated packages hold the same MEFault, from xsd/fault.xsd.
	detail := portal.MEFault{Code: portal.FaultCode(e.Code), Message: e.Message}
	if e.Element != "" {
		detail.Element = &e.Element
	}
	if info.ID != "" {
		detail.Reference = &info.ID
	}
	d, merr := xml.Marshal(detail)
	if merr != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var b bytes.Buffer
	b.WriteString(`<soap:Fault><faultcode>` + faultCode + `</faultcode><faultstring xml:lang="en">`)
	xml.EscapeText(&b, []byte(string(e.Code)+": "+e.Message))
	b.WriteString(`</faultstring><detail>`)
	b.Write(d)
	b.WriteString(`</detail></soap:Fault>`)
	writeEnvelope(w, status, b.Bytes())
}
