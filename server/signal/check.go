package signal

import (
	"bytes"
	"encoding/xml"
	"strings"
	"unicode/utf8"
)

// Check applies the rules a signal file must meet before its schema
// is even consulted, the same for the receiver and `me validate`: UTF-8,
// no DOCTYPE (so no entities), and a signal as the root element (signal.xsd
// also declares the receipt ME sends back, which is valid but no signal).
func Check(doc []byte) error {
	if bytes.HasPrefix(doc, []byte{0xFE, 0xFF}) || bytes.HasPrefix(doc, []byte{0xFF, 0xFE}) || !utf8.Valid(doc) {
		return invalid("the signal is not UTF-8; save it as UTF-8 without a byte order mark")
	}
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := d.RawToken()
		if err != nil {
			return invalid("the signal is not well-formed XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.ProcInst:
			if t.Target == "xml" {
				if enc := declaredEncoding(string(t.Inst)); enc != "" && !strings.EqualFold(enc, "UTF-8") && !strings.EqualFold(enc, "UTF8") {
					return invalid("the signal declares encoding %q; signals are UTF-8: declare encoding=\"UTF-8\" and save the file so", enc)
				}
			}
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
