// Package signal is the case-system signal contract (xsd/signal.xsd): it
// checks a signal document exactly as ME's SHS receiver does and as
// `me validate` does offline — encoding, no DOCTYPE, the schema, and the
// rules the schema cannot express — and decodes it into an me.Signal. It
// also writes the receipt a synchronous SHS reply carries. It knows nothing
// of HTTP, SHS envelopes, the store or the configuration.
package signal

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/personnummer/go/v3"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/xsd"
)

// NS is the namespace of xsd/signal.xsd.
const NS = "http://minaengagemang.se/signal/v1"

// Error says why a document is not a signal ME accepts. Its problems carry
// their line where the schema knows it.
type Error struct {
	Schema   bool // the document does not validate against signal.xsd
	Problems []xsd.Error
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.Error()
	}
	if e.Schema {
		return "the signal does not validate against signal.xsd (check it offline with `me validate FILE`):\n" + strings.Join(lines, "\n")
	}
	return strings.Join(lines, "\n")
}

func invalid(format string, args ...any) error {
	return &Error{Problems: []xsd.Error{{Message: fmt.Sprintf(format, args...)}}}
}

// Decoder checks and decodes signals. It is safe for concurrent use.
type Decoder struct {
	schema *xsd.Schema // xsd.Signal
}

// NewDecoder returns a decoder validating against schema, the parsed
// xsd/signal.xsd.
func NewDecoder(schema *xsd.Schema) *Decoder { return &Decoder{schema: schema} }

// Decode checks doc and returns the signal it carries. A document ME does
// not accept gives an *Error that says what to fix; any other error is
// ME's own.
func (d *Decoder) Decode(doc []byte) (me.Signal, error) {
	if err := Check(doc); err != nil {
		return me.Signal{}, err
	}
	if err := d.schema.Validate(doc); err != nil {
		var errs xsd.Errors
		if errors.As(err, &errs) {
			return me.Signal{}, &Error{Schema: true, Problems: errs}
		}
		return me.Signal{}, err
	}
	return decode(doc)
}

// decode turns a schema-valid signal into the domain's Signal, and checks
// what the schema cannot: personnummer control digits, the event time, the
// attachments' base64 and the organisation numbers of complete actions.
func decode(doc []byte) (me.Signal, error) {
	var d signalDoc
	if err := xml.Unmarshal(doc, &d); err != nil {
		return me.Signal{}, fmt.Errorf("decode signal: %w", err)
	}
	sig := me.Signal{
		Case: me.Case{
			OrganisationNumber: strings.TrimSpace(d.Organisation.Number),
			ExternalID:         strings.TrimSpace(d.Case.ExternalID),
			CaseNumber:         strings.TrimSpace(d.Case.CaseNumber),
			Title:              me.LocalizedText(d.Case.Title),
			Status:             me.CaseStatus(strings.TrimSpace(d.Case.Status)),
		},
		Event: me.Event{
			ExternalID: strings.TrimSpace(d.Event.ExternalID),
			Title:      me.LocalizedText(d.Event.Title),
			Text:       me.LocalizedText(d.Event.Text),
			Notify:     d.Event.Notify == nil || *d.Event.Notify,
		},
	}
	if h := d.Case.Handler; h != nil {
		sig.Case.Handler = me.Handler{Name: strings.TrimSpace(h.Name), Email: strings.TrimSpace(h.Email)}
	}
	for i, c := range d.Case.Citizens {
		pnr := strings.TrimSpace(c.PNR)
		if !personnummer.Valid(pnr) {
			return me.Signal{}, invalid("case/citizen[%d]/personalIdentityNumber: %s is not a valid personnummer or samordningsnummer (check the date and the control digit)", i+1, pnr)
		}
		cz := me.Citizen{PersonalIdentityNumber: pnr, GivenName: strings.TrimSpace(c.GivenName), Surname: strings.TrimSpace(c.Surname)}
		if a := c.Address; a != nil {
			cz.Address = &me.PostalAddress{CareOf: a.CareOf, Street: a.Street, PostalCode: a.PostalCode, City: a.City, Country: a.Country}
		}
		sig.Citizens = append(sig.Citizens, cz)
	}
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(d.Event.Time))
	if err != nil {
		return me.Signal{}, invalid("event/time: %q is not a date and time with a zone, e.g. 2026-03-12T14:05:00+01:00", d.Event.Time)
	}
	sig.Event.Time = t.UTC()
	for _, a := range d.Event.Attachments {
		content, err := decodeBase64(a.Content)
		if err != nil {
			return me.Signal{}, invalid("event/attachment %q: content is not base64: %v", a.ID, err)
		}
		sig.Event.Attachments = append(sig.Event.Attachments, me.Attachment{
			SignalID: a.ID, FileName: a.FileName, MediaType: a.MediaType, Size: int64(len(content)), Content: content,
		})
	}
	// The completion data is read in a second pass over the bytes, which
	// only a signal with a complete action needs.
	var data []string
	if slices.ContainsFunc(d.Event.Actions, func(a actionDoc) bool { return a.Complete != nil }) {
		var err error
		if data, err = completionData(doc); err != nil {
			return me.Signal{}, fmt.Errorf("read completion data: %w", err)
		}
	}
	completions := 0
	for _, a := range d.Event.Actions {
		act := me.Action{ExternalID: strings.TrimSpace(a.ID), Label: me.LocalizedText(a.Label), State: me.ActionAvailable}
		switch {
		case a.Download != nil:
			act.Type, act.AttachmentSignalID = me.ActionDownload, strings.TrimSpace(a.Download.AttachmentID)
		case a.Message != nil:
			act.Type = me.ActionMessage
		case a.Complete != nil:
			act.Type = me.ActionComplete
			act.EServiceID = strings.TrimSpace(a.Complete.EServiceID)
			act.EServiceOrganisation = strings.TrimSpace(a.Complete.OrganisationNumber)
			if act.EServiceOrganisation == "" {
				act.EServiceOrganisation = sig.Case.OrganisationNumber
			}
			if !me.ValidOrganisationNumber(act.EServiceOrganisation) {
				return me.Signal{}, invalid("complete action: organisationNumber %s fails the organisationsnummer check", act.EServiceOrganisation)
			}
			act.DueDate = strings.TrimSpace(a.Complete.DueDate)
			if completions < len(data) {
				act.CompletionData = data[completions]
			}
			completions++
		case a.Archive != nil:
			act.Type = me.ActionArchive
		default:
			return me.Signal{}, invalid("event/action: no action type (download, message, complete or archive)")
		}
		sig.Event.Actions = append(sig.Event.Actions, act)
	}
	return sig, nil
}

// decodeBase64 decodes an xs:base64Binary value, which may hold XML white
// space anywhere, with one copy of the text and one of the bytes.
func decodeBase64(text string) ([]byte, error) {
	clean := make([]byte, 0, len(text))
	for i := 0; i < len(text); i++ {
		if c := text[i]; c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			clean = append(clean, c)
		}
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
	n, err := base64.StdEncoding.Decode(out, clean)
	return out[:n], err
}

// Check applies the rules a signal file must meet before its schema
// is even consulted, the same for the receiver and `me validate`: UTF-8,
// no DOCTYPE (so no entities), and a signal as the root element (signal.xsd
// also declares the receipt ME sends back, which is valid but no signal).
func Check(doc []byte) error {
	if bytes.HasPrefix(doc, []byte{0xFE, 0xFF}) || bytes.HasPrefix(doc, []byte{0xFF, 0xFE}) || !utf8.Valid(doc) {
		return invalid("the signal is not UTF-8; save it as UTF-8 without a byte order mark")
	}
	// The declaration is read before the decoder, which refuses any other
	// encoding in words of its own.
	if decl, ok := bytes.CutPrefix(doc, []byte("<?xml")); ok {
		if end := bytes.Index(decl, []byte("?>")); end >= 0 {
			if enc := declaredEncoding(string(decl[:end])); enc != "" && !strings.EqualFold(enc, "UTF-8") && !strings.EqualFold(enc, "UTF8") {
				return invalid("the signal declares encoding %q; signals are UTF-8: declare encoding=\"UTF-8\" and save the file so", enc)
			}
		}
	}
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := d.RawToken()
		if err != nil {
			return invalid("the signal is not well-formed XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return invalid("the signal carries a DOCTYPE or entity declaration; remove it (ME never loads DTDs or expands entities)")
		case xml.StartElement:
			ns := ""
			for _, a := range t.Attr {
				if (t.Name.Space == "" && a.Name.Space == "" && a.Name.Local == "xmlns") || (t.Name.Space != "" && a.Name.Space == "xmlns" && a.Name.Local == t.Name.Space) {
					ns = a.Value
				}
			}
			if ns != NS || t.Name.Local != "signal" {
				return invalid("the root element is {%s}%s; a signal's root is {%s}signal", ns, t.Name.Local, NS)
			}
			return nil
		}
	}
}

// declaredEncoding reads encoding="…" from an XML declaration.
func declaredEncoding(decl string) string {
	_, after, ok := strings.Cut(decl, "encoding")
	if !ok {
		return ""
	}
	after = strings.TrimLeft(after, " \t\r\n=")
	if after == "" || (after[0] != '"' && after[0] != '\'') {
		return ""
	}
	end := strings.IndexByte(after[1:], after[0])
	if end < 0 {
		return ""
	}
	return after[1 : 1+end]
}
