// Package xmlfrag cuts elements out of an XML document as fragments that
// stand on their own: the element's bytes exactly as written, with the
// namespace declarations it inherits from its ancestors copied onto its
// start tag. The SOAP engine uses it for the request inside the Body, the
// signal decoder for the case system's completion data.
package xmlfrag

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"sort"
)

// Decls maps a namespace prefix ("" for the default namespace) to the
// namespace it is bound to.
type Decls map[string]string

// Add records the declarations among attrs (xmlns and xmlns:p).
func (d Decls) Add(attrs []xml.Attr) {
	for _, a := range attrs {
		switch {
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			d[""] = a.Value
		case a.Name.Space == "xmlns":
			d[a.Name.Local] = a.Value
		}
	}
}

// WithDecls inserts into the start tag of raw, an element whose start is
// start, the inherited declarations that the element does not make itself.
func WithDecls(raw []byte, start xml.StartElement, inherited Decls) []byte {
	own := Decls{}
	own.Add(start.Attr)
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
