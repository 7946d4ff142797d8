package shs

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"

	"github.com/minaengagemang/me/xsd"
)

// decodeLabel reads the label part's bytes: it makes them UTF-8, drops the
// DOCTYPE, validates against the label schema (when one is given) and
// unmarshals. Every failure is IllegalMessageStructure.
func decodeLabel(raw []byte, charset string, schema *xsd.Schema) (Label, error) {
	doc, err := cleanXML(raw, charset)
	if err != nil {
		return Label{}, Errorf(IllegalMessageStructure, "the SHS label (the first MIME part) cannot be read: %v", err)
	}
	if schema != nil {
		if err := schema.Validate(doc); err != nil {
			return Label{}, Errorf(IllegalMessageStructure, "the SHS label is not valid against %s: %s", schema.Name(), schemaErrors(err))
		}
	}
	var x xmlLabel
	if err := xml.Unmarshal(doc, &x); err != nil {
		return Label{}, Errorf(IllegalMessageStructure, "the SHS label cannot be read: %v", err)
	}
	return fromXML(x), nil
}

func schemaErrors(err error) string {
	var es xsd.Errors
	if !errors.As(err, &es) {
		return err.Error()
	}
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

// cleanXML makes an XML document from a MIME part safe and plain for both
// libxml2 and encoding/xml: UTF-8, an XML declaration that says so, and no
// DOCTYPE. An SHS document never needs its DTD (the schema stands in for
// it), so the DOCTYPE is dropped rather than fetched; one with an internal
// subset is refused, as that is where entity attacks (XXE, billion laughs)
// live. Line breaks are kept, so line numbers in errors match what the
// sender sent.
func cleanXML(raw []byte, charset string) ([]byte, error) {
	// Some senders leave an empty line between the part headers and the
	// XML declaration, which must come first.
	if trimmed := bytes.TrimLeft(raw, " \t\r\n"); bytes.HasPrefix(trimmed, []byte("<?xml")) {
		raw = trimmed
	}
	doc, err := toUTF8(raw, charset)
	if err != nil {
		return nil, err
	}
	return stripProlog(doc)
}

// xmlEncoding finds the encoding an XML declaration names.
var xmlEncoding = regexp.MustCompile(`^<\?xml\s[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']`)

// toUTF8 decodes an XML document. Real labels say charset=UTF-8 in MIME but
// ISO-8859-1 in the declaration, and are sometimes either: bytes that are
// valid UTF-8 are taken as UTF-8 (Latin-1 text with å, ä or ö practically
// never is), anything else is decoded as the declaration says, or else as
// the MIME charset says.
func toUTF8(raw []byte, charset string) ([]byte, error) {
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	if utf8.Valid(raw) {
		return raw, nil
	}
	var declared string
	if m := xmlEncoding.FindSubmatch(raw); m != nil {
		declared = string(m[1])
	}
	for _, name := range []string{declared, charset} {
		if enc := singleByte(name); enc != nil {
			out, err := enc.NewDecoder().Bytes(raw)
			if err != nil {
				return nil, fmt.Errorf("decode as %s: %w", name, err)
			}
			return out, nil
		}
	}
	return nil, fmt.Errorf("it is not valid UTF-8 and names no encoding ME reads (XML declaration %q, MIME charset %q); send UTF-8 or ISO-8859-1", declared, charset)
}

// singleByte is the decoder for the 8-bit character sets Swedish systems
// use, or nil.
func singleByte(name string) encoding.Encoding {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "cp819",
		"windows-1252", "cp1252", "x-cp1252":
		// Windows-1252 is a superset of ISO-8859-1 for printable text, and
		// what "ISO-8859-1" means in practice (WHATWG maps it so too).
		return charmap.Windows1252
	case "iso-8859-15", "iso8859-15", "latin9", "latin-9":
		return charmap.ISO8859_15
	}
	return nil
}

// stripProlog rewrites the XML declaration to say UTF-8 and removes the
// DOCTYPE, refusing internal subsets and entity declarations.
func stripProlog(doc []byte) ([]byte, error) {
	out := make([]byte, 0, len(doc)+40)
	out = append(out, `<?xml version="1.0" encoding="UTF-8"?>`...)
	rest := doc
	if len(rest) > 5 && bytes.HasPrefix(rest, []byte("<?xml")) && isSpace(rest[5]) {
		end := bytes.Index(rest, []byte("?>"))
		if end < 0 {
			return nil, errors.New("the XML declaration is not closed with ?>")
		}
		out = appendNewlines(out, rest[:end])
		rest = rest[end+2:]
	}
	doctypes := 0
	for {
		n := 0
		for n < len(rest) && isSpace(rest[n]) {
			n++
		}
		out, rest = append(out, rest[:n]...), rest[n:]
		var end int
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			end = bytes.Index(rest, []byte("-->"))
			if end < 0 {
				return nil, errors.New("a comment before the root element is not closed")
			}
			end += 3
			out = append(out, rest[:end]...)
		case bytes.HasPrefix(rest, []byte("<?")):
			end = bytes.Index(rest, []byte("?>"))
			if end < 0 {
				return nil, errors.New("a processing instruction before the root element is not closed")
			}
			end += 2
			out = append(out, rest[:end]...)
		case bytes.HasPrefix(rest, []byte("<!DOCTYPE")):
			doctypes++
			var err error
			if end, err = doctypeEnd(rest); err != nil {
				return nil, err
			}
			if doctypes > 1 {
				return nil, errors.New("the document has more than one DOCTYPE")
			}
			out = appendNewlines(out, rest[:end])
		default:
			out = append(out, rest...)
			// Entities are only declared in a DTD, which is gone by now;
			// this catches tricks that hide one from the scan above.
			for _, s := range []string{"<!DOCTYPE", "<!ENTITY"} {
				if bytes.Contains(rest, []byte(s)) {
					return nil, fmt.Errorf("the document contains %s after its start; SHS documents take no DTD or entity declarations", s)
				}
			}
			return out, nil
		}
		rest = rest[end:]
	}
}

// doctypeEnd finds the end of <!DOCTYPE name SYSTEM "..."> and refuses an
// internal subset ([ ... ]).
func doctypeEnd(s []byte) (int, error) {
	for i := len("<!DOCTYPE"); i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\'':
			j := bytes.IndexByte(s[i+1:], c)
			if j < 0 {
				return 0, errors.New("a quoted string in the DOCTYPE is not closed")
			}
			i += j + 1
		case '[':
			return 0, errors.New("the DOCTYPE has an internal subset ([...]); SHS documents must not declare entities or a DTD of their own")
		case '>':
			return i + 1, nil
		}
	}
	return 0, errors.New("the DOCTYPE is not closed with >")
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// appendNewlines keeps the line breaks of removed text, so line numbers stay.
func appendNewlines(out, removed []byte) []byte {
	for range bytes.Count(removed, []byte("\n")) {
		out = append(out, '\n')
	}
	return out
}
