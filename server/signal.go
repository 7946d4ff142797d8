package server

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/personnummer/go/v3"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/server/shs"
)

// The signal as encoding/xml reads it. It has already been validated
// against xsd/signal.xsd, so element names are matched by local name and
// the schema's rules (required elements, keys, choices) hold.
type signalDoc struct {
	Organisation struct {
		Number string `xml:"organisationNumber"`
	} `xml:"organisation"`
	Case struct {
		ExternalID string    `xml:"externalId"`
		CaseNumber string    `xml:"caseNumber"`
		Title      textDoc   `xml:"title"`
		Citizens   []citizen `xml:"citizen"`
		Status     string    `xml:"status"`
		Handler    *handler  `xml:"handler"`
	} `xml:"case"`
	Event struct {
		ExternalID  string       `xml:"externalId"`
		Time        string       `xml:"time"`
		Title       textDoc      `xml:"title"`
		Text        textDoc      `xml:"text"`
		Notify      *bool        `xml:"notify"`
		Attachments []attachment `xml:"attachment"`
		Actions     []action     `xml:"action"`
	} `xml:"event"`
}

type textDoc struct {
	SV string `xml:"sv"`
	EN string `xml:"en"`
}

type citizen struct {
	PNR       string `xml:"personalIdentityNumber"`
	GivenName string `xml:"givenName"`
	Surname   string `xml:"surname"`
	Address   *struct {
		CareOf     string `xml:"careOf"`
		Street     string `xml:"street"`
		PostalCode string `xml:"postalCode"`
		City       string `xml:"city"`
		Country    string `xml:"country"`
	} `xml:"address"`
}

type handler struct {
	Name  string `xml:"name"`
	Email string `xml:"email"`
}

type attachment struct {
	ID        string `xml:"id"`
	FileName  string `xml:"fileName"`
	MediaType string `xml:"mediaType"`
	Content   string `xml:"content"`
}

type action struct {
	ID       string  `xml:"id"`
	Label    textDoc `xml:"label"`
	Download *struct {
		AttachmentID string `xml:"attachmentId"`
	} `xml:"download"`
	Message  *struct{} `xml:"message"`
	Complete *struct {
		EServiceID         string `xml:"eServiceId"`
		OrganisationNumber string `xml:"organisationNumber"`
		DueDate            string `xml:"dueDate"`
	} `xml:"complete"`
	Archive *struct{} `xml:"archive"`
}

// parseSignal turns a schema-valid signal into the domain's Signal, and
// checks what the schema cannot: personnummer control digits. Problems are
// returned as *shsError with code IllegalDatapartContent.
func parseSignal(doc []byte) (me.Signal, error) {
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
			return me.Signal{}, signalError("case/citizen[%d]/personalIdentityNumber: %s is not a valid personnummer or samordningsnummer (check the date and the control digit)", i+1, pnr)
		}
		cz := me.Citizen{PersonalIdentityNumber: pnr, GivenName: strings.TrimSpace(c.GivenName), Surname: strings.TrimSpace(c.Surname)}
		if a := c.Address; a != nil {
			cz.Address = &me.PostalAddress{CareOf: a.CareOf, Street: a.Street, PostalCode: a.PostalCode, City: a.City, Country: a.Country}
		}
		sig.Citizens = append(sig.Citizens, cz)
	}
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(d.Event.Time))
	if err != nil {
		return me.Signal{}, signalError("event/time: %q is not a date and time with a zone, e.g. 2026-03-12T14:05:00+01:00", d.Event.Time)
	}
	sig.Event.Time = t.UTC()
	for _, a := range d.Event.Attachments {
		content, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(a.Content), ""))
		if err != nil {
			return me.Signal{}, signalError("event/attachment %q: content is not base64: %v", a.ID, err)
		}
		sig.Event.Attachments = append(sig.Event.Attachments, me.Attachment{
			SignalID: a.ID, FileName: a.FileName, MediaType: a.MediaType, Size: int64(len(content)), Content: content,
		})
	}
	// The completion data is read in a second pass over the bytes, which
	// only a signal with a complete action needs.
	var data []string
	if slices.ContainsFunc(d.Event.Actions, func(a action) bool { return a.Complete != nil }) {
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
			act.DueDate = strings.TrimSpace(a.Complete.DueDate)
			if completions < len(data) {
				act.CompletionData = data[completions]
			}
			completions++
		case a.Archive != nil:
			act.Type = me.ActionArchive
		default:
			return me.Signal{}, signalError("event/action: no action type (download, message, complete or archive)")
		}
		sig.Event.Actions = append(sig.Event.Actions, act)
	}
	return sig, nil
}

func signalError(format string, args ...any) error {
	return shs.Errorf(shs.IllegalDatapartContent, format, args...)
}

// completionData returns, for every complete action in document order, the
// content of its data element as self-contained XML: the child elements'
// bytes exactly as the case system wrote them, each carrying the namespace
// declarations it inherited, so that the e-service receives XML equivalent
// to what was sent however the signal declared its prefixes.
func completionData(doc []byte) ([]string, error) {
	type frame struct {
		local string
		decls map[string]string
	}
	var (
		out   []string
		stack []frame
		d     = xml.NewDecoder(bytes.NewReader(doc))
	)
	inScope := func() map[string]string {
		m := map[string]string{}
		for _, f := range stack {
			for p, ns := range f.decls {
				m[p] = ns
			}
		}
		return m
	}
	for {
		offset := d.InputOffset()
		tok, err := d.RawToken()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			parent := ""
			if len(stack) > 0 {
				parent = stack[len(stack)-1].local
			}
			if parent == "data" && len(stack) >= 2 && stack[len(stack)-2].local == "complete" {
				// A child of complete/data: take it whole, as written.
				inherited := inScope()
				if err := skipRaw(d); err != nil {
					return nil, err
				}
				out[len(out)-1] += string(withDecls(doc[offset:d.InputOffset()], t, inherited))
				continue
			}
			decls := map[string]string{}
			addDecls(decls, t.Attr)
			stack = append(stack, frame{local: t.Name.Local, decls: decls})
			if t.Name.Local == "data" && parent == "complete" {
				out = append(out, "")
			}
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		}
	}
}

// skipRaw reads raw tokens up to the end of the element just started.
func skipRaw(d *xml.Decoder) error {
	for depth := 1; depth > 0; {
		tok, err := d.RawToken()
		if err != nil {
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
	return nil
}

// signalNS is the namespace of xsd/signal.xsd.
const signalNS = "http://minaengagemang.se/signal/v1"

// CheckSignal applies the rules a signal file must meet before its schema
// is even consulted, the same for the receiver and `me validate`: UTF-8,
// no DOCTYPE (so no entities), and a signal as the root element (signal.xsd
// also declares the receipt ME sends back, which is valid but no signal).
func CheckSignal(doc []byte) error {
	if bytes.HasPrefix(doc, []byte{0xFE, 0xFF}) || bytes.HasPrefix(doc, []byte{0xFF, 0xFE}) || !utf8.Valid(doc) {
		return fmt.Errorf("the signal is not UTF-8; save it as UTF-8 without a byte order mark")
	}
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := d.RawToken()
		if err != nil {
			return fmt.Errorf("the signal is not well-formed XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.ProcInst:
			if t.Target == "xml" {
				if enc := declaredEncoding(string(t.Inst)); enc != "" && !strings.EqualFold(enc, "UTF-8") && !strings.EqualFold(enc, "UTF8") {
					return fmt.Errorf("the signal declares encoding %q; signals are UTF-8: declare encoding=\"UTF-8\" and save the file so", enc)
				}
			}
		case xml.Directive:
			return fmt.Errorf("the signal carries a DOCTYPE or entity declaration; remove it (ME never loads DTDs or expands entities)")
		case xml.StartElement:
			ns := ""
			for _, a := range t.Attr {
				if (t.Name.Space == "" && a.Name.Space == "" && a.Name.Local == "xmlns") || (t.Name.Space != "" && a.Name.Space == "xmlns" && a.Name.Local == t.Name.Space) {
					ns = a.Value
				}
			}
			if ns != signalNS || t.Name.Local != "signal" {
				return fmt.Errorf("the root element is {%s}%s; a signal's root is {%s}signal", ns, t.Name.Local, signalNS)
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
