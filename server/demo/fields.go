package demo

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// This file turns the case system's completion data (any XML, in any
// namespace) into fields a citizen can read: element names become Swedish
// labels where the demo knows them, values are shown as text, and the XML
// itself never reaches the page.

// field is one element of the completion data: a label and its text, and
// the fields inside it.
type field struct {
	Label    string
	Value    string
	Children []field
}

// fieldLabels are the Swedish labels of element (and attribute) local
// names the demo knows, among them those of docs/examples. Others are
// written out from their name (see label).
var fieldLabels = map[string]string{
	"komplettering":       "Komplettering",
	"kontrollplanBegäran": "Begäran om kontrollplan",
	"kontrollplan":        "Kontrollplan",
	"fastighet":           "Fastighet",
	"åtgärd":              "Åtgärd",
	"krav":                "Krav",
	"elev":                "Elev",
	"förnamn":             "Förnamn",
	"efternamn":           "Efternamn",
	"skola":               "Skola",
	"enhetskod":           "Skolenhetskod",
	"efterfrågas":         "Det här behöver vi från dig",
	"uppgift":             "Uppgift",
	"kändaAdresser":       "Adresser vi känner till",
	"adress":              "Adress",
	"gata":                "Gatuadress",
	"postnummer":          "Postnummer",
	"postort":             "Postort",
	// Common English names.
	"givenName":           "Förnamn",
	"firstName":           "Förnamn",
	"surname":             "Efternamn",
	"lastName":            "Efternamn",
	"name":                "Namn",
	"address":             "Adress",
	"street":              "Gatuadress",
	"postalCode":          "Postnummer",
	"city":                "Ort",
	"country":             "Land",
	"email":               "E-post",
	"phone":               "Telefon",
	"date":                "Datum",
	"dueDate":             "Sista dag",
	"description":         "Beskrivning",
	"comment":             "Kommentar",
	"propertyDesignation": "Fastighetsbeteckning",
}

// hiddenAttrs are attributes for systems, not for the citizen: versions,
// codes and ids. A "typ" or "type" attribute is shown beside its label.
var hiddenAttrs = map[string]bool{"version": true, "kod": true, "code": true, "id": true, "lang": true}

// Limits on what is shown: the data is the case system's, the page is a
// citizen's.
const (
	maxFieldDepth = 12
	maxFields     = 500
)

// completionFields reads the completion data as fields. ok is false when
// it is not well-formed XML (or too deep or large to show); the page then
// says so instead of showing it.
func completionFields(data string) (fields []field, ok bool) {
	dec := xml.NewDecoder(strings.NewReader(data))
	type open struct {
		f    field
		text strings.Builder
	}
	var stack []*open
	count := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			count++
			if len(stack) >= maxFieldDepth || count > maxFields {
				return nil, false
			}
			o := &open{f: field{Label: label(t.Name.Local)}}
			for _, a := range t.Attr {
				switch {
				case a.Name.Space == "xmlns" || a.Name.Local == "xmlns" || a.Name.Space == "http://www.w3.org/2001/XMLSchema-instance" || hiddenAttrs[a.Name.Local]:
				case a.Name.Local == "typ" || a.Name.Local == "type":
					if v := strings.TrimSpace(a.Value); v != "" {
						o.f.Label += " (" + v + ")"
					}
				default:
					o.f.Children = append(o.f.Children, field{Label: label(a.Name.Local), Value: value(a.Value)})
				}
			}
			stack = append(stack, o)
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			}
		case xml.EndElement:
			o := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			o.f.Value = value(o.text.String())
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.f.Children = append(p.f.Children, o.f)
			} else {
				fields = append(fields, o.f)
			}
		}
	}
	return fields, len(stack) == 0
}

// value is an element's text with its white space collapsed; an xs:date
// is written in the demo's date format.
func value(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) == len("2006-01-02") {
		if t, err := time.Parse("2006-01-02", s); err == nil {
			return formatDate(t)
		}
	}
	return s
}

// label is the Swedish label of a local name: a known one, or the name
// written out ("kändaAdresser" → "Kända adresser", "start_datum" →
// "Start datum").
func label(local string) string {
	if l, ok := fieldLabels[local]; ok {
		return l
	}
	var b strings.Builder
	prev := rune(0)
	for _, r := range local {
		switch {
		case r == '_' || r == '-' || r == '.':
			r = ' '
		case unicode.IsUpper(r) && unicode.IsLower(prev):
			b.WriteRune(' ')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
		prev = r
	}
	s := strings.Join(strings.Fields(b.String()), " ")
	if s == "" {
		return local
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}
