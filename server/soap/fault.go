package soap

import (
	"bytes"
	"encoding/xml"
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/generated/common"
	"github.com/minaengagemang/me/server/requestlog"
	"github.com/minaengagemang/me/xsd"
)

// WriteFault answers err as a SOAP 1.1 fault with ME's typed detail. An
// *me.Error is the client's to fix and is sent as it is; any other error is
// a failure inside ME: it goes to the request log in full, and the client
// is told only the reference under which it is logged.
func WriteFault(w http.ResponseWriter, r *http.Request, status int, err error) {
	writeFault(w, r, status, "", err)
}

// writeMustUnderstand answers a request with header blocks ME must
// understand and does not: faultcode MustUnderstand, HTTP 500 (SOAP 1.1
// §4.2.3). Its detail is ME's MEFault, as in every fault ME sends, with
// code ValidationFailed and the (first) block as its element. SOAP 1.1 §4.4
// reserves detail for errors of the Body, but ME's clients read every
// fault's code there, and one they could not read they would treat as
// Internal and retry, where this one needs the request changed.
func writeMustUnderstand(w http.ResponseWriter, r *http.Request, blocks notUnderstoodError) {
	writeFault(w, r, http.StatusInternalServerError, "soap:MustUnderstand",
		&me.Error{Code: me.CodeValidationFailed, Element: clark(blocks[0]), Message: blocks.Error()})
	requestlog.From(r.Context()).Fault = "MustUnderstand"
}

// writeFault is WriteFault with the SOAP faultcode; empty: soap:Client, or
// soap:Server for ME's own failures.
func writeFault(w http.ResponseWriter, r *http.Request, status int, faultCode string, err error) {
	info := requestlog.From(r.Context())
	var e *me.Error
	if !errors.As(err, &e) {
		info.Err = err
		e = &me.Error{Code: me.CodeInternal, Message: "ME failed to handle the request; nothing was changed. Retry later, or quote the reference to ME's administrator."}
	}
	info.Fault = string(e.Code)
	switch {
	case faultCode != "":
	case e.Code == me.CodeInternal || e.Code == me.CodeNotImplemented:
		faultCode = "soap:Server"
	default:
		faultCode = "soap:Client"
	}
	detail := common.MEFault{Code: common.FaultCode(e.Code), Message: e.Message}
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
	b.Write(compactNamespaces(d))
	b.WriteString(`</detail></soap:Fault>`)
	writeEnvelope(w, status, b.Bytes())
}

// libxml2 names the element at fault as 'Element '{ns}local”.
var elementInMessage = regexp.MustCompile(`Element '([^']+)'`)

// validationError turns the schema's complaints into a ValidationFailed
// error naming the first element at fault.
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
