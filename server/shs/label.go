package shs

import (
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/minaengagemang/me"
)

// Label is an SHS 1.2 label (SHS-etikett), the first part of every SHS
// message. Parse fills in the schema's defaults for attributes a label leaves
// out (version 1.2, asynch, simple, production); MarshalLabel leaves empty
// ones out. In attribute values (names, file names) tabs and line breaks are
// spaces, as XML reads them.
type Label struct {
	Version      string          // always 1.2
	TxID         string          // transaction id, unique per message
	CorrID       string          // correlation id: the tx.id of the exchange's first message
	Agreement    string          // shs.agreement (överenskommelse); optional
	TransferType me.TransferType // asynch or synch
	MessageType  string          // simple or compound
	DocumentType string          // simple or compound
	SequenceType me.SequenceType // event, request, reply or adm
	Status       string          // test or production

	Originator   *Party // original sender (ursprunglig avsändare): Value, Name, LabeledURI
	From         *Party // sender (avsändare): Value, CommonName (required), EMail, LabeledURI
	To           *Party // receiver (mottagare): Value, CommonName
	EndRecipient *Party // end recipient (slutmottagare): Value, Name, LabeledURI
	Product      Product
	Meta         []Meta
	Subject      string
	Datetime     string // yyyy-MM-ddTHH:mm:ss, see FormatTime
	Content      Content
	History      []History
}

// Party is an SHS actor in a label. Each element carries only some of the
// attributes; the comments on Label's fields say which.
type Party struct {
	Value      string // the address, e.g. urn:X-shs:2120009994
	CommonName string
	Name       string
	EMail      string
	LabeledURI string
}

// OrgNumber is the address without its urn:X-shs: prefix: for an
// organisation, its organisation number (organisationsnummer).
func (p *Party) OrgNumber() string {
	if p == nil {
		return ""
	}
	return stripURN(p.Value)
}

// Product is a label's product type (produkttyp).
type Product struct {
	Value      string // e.g. urn:X-shs:00000000-0000-0000-0000-000000000000
	CommonName string
	LabeledURI string
}

// ID is the product type id without its urn:X-shs: prefix.
func (p Product) ID() string { return stripURN(p.Value) }

// urnPrefix is how SHS addresses start; senders vary the case.
const urnPrefix = "urn:x-shs:"

func stripURN(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= len(urnPrefix) && strings.EqualFold(s[:len(urnPrefix)], urnPrefix) {
		return s[len(urnPrefix):]
	}
	return s
}

// Meta is one name/value pair of label metadata.
type Meta struct{ Name, Value string }

// Content describes the data parts: either Data (one per part, in order) or
// Compound.
type Content struct {
	ID       string // content.id
	Data     []DataInfo
	Compound *Compound
	Comment  string
}

// DataInfo is a label's data element: what one data part is.
type DataInfo struct {
	DatapartType string // e.g. xml, txt, error
	Filename     string
	NoOfBytes    string
	NoOfRecords  string
}

// Compound stands for parts the label does not list one by one.
type Compound struct{ NoOfParts string }

// History is one trace entry an SHS node added on the way.
type History struct {
	NodeID    string
	TxID      string
	ContentID string
	LocalID   string // joined again when a sender wrapped it over lines
	Agreement string
	From, To  string
	Datetime  string
	Comment   string
}

// The XML shape of a label. Each element has its own type so that
// MarshalLabel can only write the attributes the schema allows there.
type (
	xmlLabel struct {
		XMLName      xml.Name     `xml:"shs.label"`
		Version      string       `xml:"version,attr,omitempty"`
		TxID         string       `xml:"tx.id,attr"`
		CorrID       string       `xml:"corr.id,attr"`
		Agreement    string       `xml:"shs.agreement,attr,omitempty"`
		TransferType string       `xml:"transfer-type,attr,omitempty"`
		MessageType  string       `xml:"message-type,attr,omitempty"`
		DocumentType string       `xml:"document-type,attr,omitempty"`
		SequenceType string       `xml:"sequence-type,attr"`
		Status       string       `xml:"status,attr,omitempty"`
		Originator   *xmlNamed    `xml:"originator"`
		From         *xmlFrom     `xml:"from"`
		To           *xmlTo       `xml:"to"`
		EndRecipient *xmlNamed    `xml:"end-recipient"`
		Product      xmlProduct   `xml:"product"`
		Meta         []xmlMeta    `xml:"meta"`
		Subject      string       `xml:"subject,omitempty"`
		Datetime     string       `xml:"datetime"`
		Content      xmlContent   `xml:"content"`
		History      []xmlHistory `xml:"history"`
	}
	xmlNamed struct {
		Value      string `xml:",chardata"`
		Name       string `xml:"name,attr,omitempty"`
		LabeledURI string `xml:"labeledURI,attr,omitempty"`
	}
	xmlFrom struct {
		Value      string `xml:",chardata"`
		CommonName string `xml:"commonName,attr"`
		EMail      string `xml:"e-mail,attr,omitempty"`
		LabeledURI string `xml:"labeledURI,attr,omitempty"`
	}
	xmlTo struct {
		Value      string `xml:",chardata"`
		CommonName string `xml:"commonName,attr,omitempty"`
	}
	xmlProduct struct {
		Value      string `xml:",chardata"`
		CommonName string `xml:"commonName,attr,omitempty"`
		LabeledURI string `xml:"labeledURI,attr,omitempty"`
	}
	xmlMeta struct {
		Name  string `xml:"name,attr"`
		Value string `xml:",chardata"`
	}
	xmlContent struct {
		ID       string       `xml:"content.id,attr"`
		Data     []xmlData    `xml:"data"`
		Compound *xmlCompound `xml:"compound"`
		Comment  string       `xml:"comment,omitempty"`
	}
	xmlData struct {
		DatapartType string `xml:"datapartType,attr"`
		Filename     string `xml:"filename,attr,omitempty"`
		NoOfBytes    string `xml:"no-of-bytes,attr,omitempty"`
		NoOfRecords  string `xml:"no-of-records,attr,omitempty"`
	}
	xmlCompound struct {
		NoOfParts string `xml:"no-of-parts,attr"`
	}
	xmlHistory struct {
		NodeID    string `xml:"node.id,attr"`
		ContentID string `xml:"content.id,attr,omitempty"`
		TxID      string `xml:"tx.id,attr,omitempty"`
		From      string `xml:"from,attr,omitempty"`
		To        string `xml:"to,attr,omitempty"`
		LocalID   string `xml:"local.id,attr,omitempty"`
		Agreement string `xml:"shs.agreement,attr,omitempty"`
		Datetime  string `xml:"datetime"`
		Comment   string `xml:"comment,omitempty"`
	}
)

// MarshalLabel writes l as an XML document in UTF-8, with an XML declaration
// and without a DOCTYPE, valid against shs-label-1.2.xsd. It refuses a label
// the schema would refuse, saying which field is wrong.
func MarshalLabel(l Label) ([]byte, error) {
	if err := checkLabel(l); err != nil {
		return nil, fmt.Errorf("shs: label: %w", err)
	}
	out, err := xml.MarshalIndent(toXML(l), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("shs: label: %w", err)
	}
	return append([]byte(xml.Header), append(out, '\n')...), nil
}

func toXML(l Label) xmlLabel {
	x := xmlLabel{
		Version: l.Version, TxID: l.TxID, CorrID: l.CorrID, Agreement: l.Agreement,
		TransferType: string(l.TransferType), MessageType: l.MessageType, DocumentType: l.DocumentType,
		SequenceType: string(l.SequenceType), Status: l.Status,
		Product:  xmlProduct{Value: l.Product.Value, CommonName: attr(l.Product.CommonName), LabeledURI: attr(l.Product.LabeledURI)},
		Subject:  l.Subject,
		Datetime: l.Datetime,
		Content:  xmlContent{ID: l.Content.ID, Comment: l.Content.Comment},
	}
	if p := l.Originator; p != nil {
		x.Originator = &xmlNamed{Value: p.Value, Name: attr(p.Name), LabeledURI: attr(p.LabeledURI)}
	}
	if p := l.From; p != nil {
		x.From = &xmlFrom{Value: p.Value, CommonName: attr(p.CommonName), EMail: attr(p.EMail), LabeledURI: attr(p.LabeledURI)}
	}
	if p := l.To; p != nil {
		x.To = &xmlTo{Value: p.Value, CommonName: attr(p.CommonName)}
	}
	if p := l.EndRecipient; p != nil {
		x.EndRecipient = &xmlNamed{Value: p.Value, Name: attr(p.Name), LabeledURI: attr(p.LabeledURI)}
	}
	for _, m := range l.Meta {
		x.Meta = append(x.Meta, xmlMeta{Name: attr(m.Name), Value: m.Value})
	}
	for _, d := range l.Content.Data {
		x.Content.Data = append(x.Content.Data, xmlData{
			DatapartType: attr(d.DatapartType), Filename: attr(d.Filename), NoOfBytes: d.NoOfBytes, NoOfRecords: d.NoOfRecords,
		})
	}
	if c := l.Content.Compound; c != nil {
		x.Content.Compound = &xmlCompound{NoOfParts: c.NoOfParts}
	}
	for _, h := range l.History {
		x.History = append(x.History, xmlHistory{
			NodeID: h.NodeID, ContentID: h.ContentID, TxID: h.TxID, From: attr(h.From), To: attr(h.To),
			LocalID: h.LocalID, Agreement: h.Agreement, Datetime: h.Datetime, Comment: h.Comment,
		})
	}
	return x
}

// fromXML turns a parsed label into a Label the way a validating parser
// would see it: attribute values normalised, NMTOKENs trimmed, defaults set.
func fromXML(x xmlLabel) Label {
	l := Label{
		Version:      orDefault(token(x.Version), "1.2"),
		TxID:         token(x.TxID),
		CorrID:       token(x.CorrID),
		Agreement:    token(x.Agreement),
		TransferType: me.TransferType(orDefault(token(x.TransferType), string(me.Asynch))),
		MessageType:  orDefault(token(x.MessageType), "simple"),
		DocumentType: orDefault(token(x.DocumentType), "simple"),
		SequenceType: me.SequenceType(token(x.SequenceType)),
		Status:       orDefault(token(x.Status), "production"),
		Product: Product{
			Value:      strings.TrimSpace(x.Product.Value),
			CommonName: attr(x.Product.CommonName),
			LabeledURI: attr(x.Product.LabeledURI),
		},
		Subject:  x.Subject,
		Datetime: strings.TrimSpace(x.Datetime),
		Content:  Content{ID: token(x.Content.ID), Comment: x.Content.Comment},
	}
	if p := x.Originator; p != nil {
		l.Originator = &Party{Value: strings.TrimSpace(p.Value), Name: attr(p.Name), LabeledURI: attr(p.LabeledURI)}
	}
	if p := x.From; p != nil {
		l.From = &Party{Value: strings.TrimSpace(p.Value), CommonName: attr(p.CommonName), EMail: attr(p.EMail), LabeledURI: attr(p.LabeledURI)}
	}
	if p := x.To; p != nil {
		l.To = &Party{Value: strings.TrimSpace(p.Value), CommonName: attr(p.CommonName)}
	}
	if p := x.EndRecipient; p != nil {
		l.EndRecipient = &Party{Value: strings.TrimSpace(p.Value), Name: attr(p.Name), LabeledURI: attr(p.LabeledURI)}
	}
	for _, m := range x.Meta {
		l.Meta = append(l.Meta, Meta{Name: attr(m.Name), Value: m.Value})
	}
	for _, d := range x.Content.Data {
		l.Content.Data = append(l.Content.Data, DataInfo{
			DatapartType: attr(d.DatapartType), Filename: attr(d.Filename),
			NoOfBytes: token(d.NoOfBytes), NoOfRecords: token(d.NoOfRecords),
		})
	}
	if c := x.Content.Compound; c != nil {
		l.Content.Compound = &Compound{NoOfParts: token(c.NoOfParts)}
	}
	for _, h := range x.History {
		l.History = append(l.History, History{
			NodeID: token(h.NodeID), ContentID: token(h.ContentID), TxID: token(h.TxID),
			From: attr(h.From), To: attr(h.To), Agreement: token(h.Agreement),
			// Axel wraps local.id over two lines; the schema's wrappedNMTOKEN
			// says to join the pieces again.
			LocalID:  strings.Join(strings.Fields(h.LocalID), ""),
			Datetime: strings.TrimSpace(h.Datetime), Comment: h.Comment,
		})
	}
	return l
}

// attr normalises a CDATA attribute value as XML 1.0 (3.3.3) says and
// encoding/xml does not: each tab or line break becomes a space. encoding/xml
// has already turned &#xA; into a line break, so that becomes a space too;
// MarshalLabel writes spaces for the same reason, so what ME sends reads
// back the same.
func attr(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}

// token collapses white space as the schema does for NMTOKEN and token types.
func token(s string) string { return strings.Join(strings.Fields(s), " ") }

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// checkLabel refuses what shs-label-1.2.xsd would refuse, so that ME never
// sends a label its peers reject.
func checkLabel(l Label) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	nmtoken := func(field, v string, required bool) {
		switch {
		case v == "" && required:
			bad("%s is required", field)
		case v != "" && !isNMTOKEN(v):
			bad("%s %q is not an NMTOKEN (letters, digits, '.', '-', '_', ':' only)", field, v)
		}
	}
	oneOf := func(field, v string, allowed ...string) {
		for _, a := range allowed {
			if v == a {
				return
			}
		}
		bad("%s %q must be one of %s", field, v, strings.Join(allowed[1:], ", "))
	}
	if l.Version != "" && l.Version != "1.2" {
		bad("Version %q: only 1.2 exists", l.Version)
	}
	nmtoken("TxID", l.TxID, true)
	nmtoken("CorrID", l.CorrID, true)
	nmtoken("Agreement", l.Agreement, false)
	oneOf("TransferType", string(l.TransferType), "", string(me.Asynch), string(me.Synch))
	oneOf("MessageType", l.MessageType, "", "simple", "compound")
	oneOf("DocumentType", l.DocumentType, "", "simple", "compound")
	oneOf("SequenceType", string(l.SequenceType), "", string(me.SequenceEvent), string(me.SequenceRequest), string(me.SequenceReply), string(me.SequenceAdm))
	if l.SequenceType == "" {
		bad("SequenceType is required")
	}
	oneOf("Status", l.Status, "", "test", "production")

	if l.Originator == nil && l.From == nil {
		bad("From (or Originator) is required")
	}
	party := func(field string, p *Party, commonName, name, email, uri bool) {
		if p == nil {
			return
		}
		if strings.TrimSpace(p.Value) == "" {
			bad("%s.Value (the address) is required", field)
		}
		for _, a := range []struct {
			name    string
			v       string
			allowed bool
		}{{"CommonName", p.CommonName, commonName}, {"Name", p.Name, name}, {"EMail", p.EMail, email}, {"LabeledURI", p.LabeledURI, uri}} {
			if a.v != "" && !a.allowed {
				bad("%s.%s: the label has no such attribute there", field, a.name)
			}
		}
	}
	party("Originator", l.Originator, false, true, false, true)
	party("From", l.From, true, false, true, true)
	party("To", l.To, true, false, false, false)
	party("EndRecipient", l.EndRecipient, false, true, false, true)
	if l.From != nil && l.From.CommonName == "" {
		bad("From.CommonName is required")
	}
	if strings.TrimSpace(l.Product.Value) == "" {
		bad("Product.Value (the product type id) is required")
	}
	for i, m := range l.Meta {
		if m.Name == "" {
			bad("Meta[%d].Name is required", i)
		}
	}
	if strings.TrimSpace(l.Datetime) == "" {
		bad("Datetime is required")
	}
	nmtoken("Content.ID", l.Content.ID, true)
	if l.Content.Compound != nil && len(l.Content.Data) > 0 {
		bad("Content has both Data and Compound; it takes one of them")
	}
	if c := l.Content.Compound; c != nil {
		nmtoken("Content.Compound.NoOfParts", c.NoOfParts, true)
	}
	for i, d := range l.Content.Data {
		if d.DatapartType == "" {
			bad("Content.Data[%d].DatapartType is required", i)
		}
		nmtoken(fmt.Sprintf("Content.Data[%d].NoOfBytes", i), d.NoOfBytes, false)
		nmtoken(fmt.Sprintf("Content.Data[%d].NoOfRecords", i), d.NoOfRecords, false)
	}
	for i, h := range l.History {
		f := fmt.Sprintf("History[%d].", i)
		nmtoken(f+"NodeID", h.NodeID, true)
		nmtoken(f+"ContentID", h.ContentID, false)
		nmtoken(f+"TxID", h.TxID, false)
		nmtoken(f+"LocalID", h.LocalID, false)
		nmtoken(f+"Agreement", h.Agreement, false)
		if strings.TrimSpace(h.Datetime) == "" {
			bad("%sDatetime is required", f)
		}
	}
	return errors.Join(errs...)
}

// isNMTOKEN says whether s is made of XML name characters only.
func isNMTOKEN(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		switch {
		case r == '.' || r == '-' || r == '_' || r == ':' || r == '\u00b7':
		case unicode.IsLetter(r) || unicode.IsDigit(r):
		case unicode.In(r, unicode.Mn, unicode.Mc, unicode.Nd):
		default:
			return false
		}
	}
	return true
}
