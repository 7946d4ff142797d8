package soap

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/minaengagemang/me"
)

// The encodings a request may come in. XML 1.0 (§4.3.3) requires every
// parser to read UTF-8 and UTF-16; older SOAP stacks still send Latin-1.
// The request is made UTF-8 once, at the door, so that the envelope reader,
// libxml2 and encoding/xml all read the same text. Responses are UTF-8.
const encodingsRead = "ME reads UTF-8 (with or without a byte order mark), UTF-16 (LE or BE, with a byte order mark or the charset in Content-Type), ISO-8859-1 and windows-1252; send UTF-8 where you can"

// textEncoding is an encoding ME reads.
type textEncoding struct {
	name string            // as messages name it
	dec  encoding.Encoding // nil: UTF-8, read as it is
	wide bool              // UTF-16: ASCII text is not ASCII bytes
}

var (
	utf8Text    = textEncoding{name: "UTF-8"}
	utf16Text   = textEncoding{name: "UTF-16", wide: true} // endianness from the bytes
	utf16LEText = textEncoding{name: "UTF-16LE", dec: unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), wide: true}
	utf16BEText = textEncoding{name: "UTF-16BE", dec: unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), wide: true}
	// Windows-1252 is a superset of ISO-8859-1 for printable text and
	// what "ISO-8859-1" means in practice (WHATWG maps it so too).
	latin1Text = textEncoding{name: "ISO-8859-1", dec: charmap.Windows1252}
)

// lookupEncoding is the encoding of a charset or XML encoding name, and
// whether ME reads it.
func lookupEncoding(name string) (textEncoding, bool) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return utf8Text, true
	case "utf-16", "utf16":
		return utf16Text, true
	case "utf-16le":
		return utf16LEText, true
	case "utf-16be":
		return utf16BEText, true
	case "iso-8859-1", "iso8859-1", "iso_8859-1", "iso_8859-1:1987", "latin1", "latin-1", "l1", "cp819", "ibm819", "csisolatin1",
		"windows-1252", "cp1252", "x-cp1252":
		return latin1Text, true
	}
	return textEncoding{}, false
}

// Byte order marks.
var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
	bomUTF32LE = []byte{0xFF, 0xFE, 0, 0}
	bomUTF32BE = []byte{0, 0, 0xFE, 0xFF}
)

// xmlDeclEncoding finds the encoding an XML declaration names.
var xmlDeclEncoding = regexp.MustCompile(`^<\?xml\s[^>]*?encoding\s*=\s*["']([^"']*)["']`)

// toUTF8 makes a request UTF-8 and its XML declaration say so. What
// decides the encoding is, in this order (RFC 7303 §3, XML 1.0 appendix
// F): a byte order mark; a UTF-16 charset in Content-Type, or a document
// that starts with '<' as UTF-16; else the bytes are ASCII-compatible, and
// bytes that are valid UTF-8 are UTF-8 (Latin-1 text with å, ä or ö
// practically never is), while others are read as the XML declaration
// says, or else as the Content-Type charset says. Every encoding named
// must be one ME reads.
func toUTF8(raw []byte, charset string) ([]byte, error) {
	var header textEncoding
	if charset != "" {
		var ok bool
		if header, ok = lookupEncoding(charset); !ok {
			return nil, me.Errorf(me.CodeValidationFailed, "the Content-Type charset %q is not an encoding ME reads. %s", charset, encodingsRead)
		}
	}
	var (
		doc []byte
		err error
	)
	switch {
	case bytes.HasPrefix(raw, bomUTF32LE), bytes.HasPrefix(raw, bomUTF32BE):
		return nil, me.Errorf(me.CodeValidationFailed, "the request is UTF-32 (by its byte order mark). %s", encodingsRead)
	case bytes.HasPrefix(raw, bomUTF8):
		doc = raw[len(bomUTF8):]
		if !utf8.Valid(doc) {
			err = invalidUTF8(doc, "it starts with UTF-8's byte order mark")
		}
	case bytes.HasPrefix(raw, bomUTF16LE):
		doc, err = decodeWide(utf16LEText, raw[len(bomUTF16LE):])
	case bytes.HasPrefix(raw, bomUTF16BE):
		doc, err = decodeWide(utf16BEText, raw[len(bomUTF16BE):])
	case header.wide, bytes.HasPrefix(raw, []byte("<\x00")), bytes.HasPrefix(raw, []byte("\x00<")):
		enc := header
		if !enc.wide || enc.dec == nil { // no order said: '<' tells
			enc = utf16BEText
			if bytes.HasPrefix(raw, []byte("<\x00")) {
				enc = utf16LEText
			}
		}
		doc, err = decodeWide(enc, raw)
	default:
		doc, err = narrowToUTF8(raw, charset, header)
	}
	if err != nil {
		return nil, err
	}
	return declareUTF8(doc), nil
}

// narrowToUTF8 reads an ASCII-compatible request.
func narrowToUTF8(raw []byte, charset string, header textEncoding) ([]byte, error) {
	var declared textEncoding
	m := xmlDeclEncoding.FindSubmatch(raw)
	if m != nil {
		var ok bool
		if declared, ok = lookupEncoding(string(m[1])); !ok {
			return nil, me.Errorf(me.CodeValidationFailed, "the XML declaration's encoding %q is not an encoding ME reads. %s", m[1], encodingsRead)
		}
		if declared.wide {
			return nil, me.Errorf(me.CodeValidationFailed, "the XML declaration says %s, but the request is not UTF-16: it has no byte order mark and its declaration is in single bytes. %s", m[1], encodingsRead)
		}
	}
	if utf8.Valid(raw) {
		return raw, nil
	}
	for _, enc := range []textEncoding{declared, header} {
		if enc.dec != nil {
			out, err := enc.dec.NewDecoder().Bytes(raw)
			if err != nil {
				return nil, me.Errorf(me.CodeValidationFailed, "the request cannot be read as %s: %v. %s", enc.name, err, encodingsRead)
			}
			return out, nil
		}
	}
	why := "its XML declaration names no other encoding"
	if charset != "" {
		why += fmt.Sprintf(" and the Content-Type charset is %q", charset)
	}
	return nil, invalidUTF8(raw, why)
}

func invalidUTF8(doc []byte, why string) error {
	at := 0
	for at < len(doc) {
		r, n := utf8.DecodeRune(doc[at:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		at += n
	}
	return me.Errorf(me.CodeValidationFailed, "the request is not valid UTF-8 (byte %d) and %s. %s", at, why, encodingsRead)
}

// decodeWide decodes UTF-16. Ill-formed sequences (a lone surrogate, an odd
// last byte) become U+FFFD, as x/text decodes them.
func decodeWide(enc textEncoding, raw []byte) ([]byte, error) {
	out, err := enc.dec.NewDecoder().Bytes(raw)
	if err != nil {
		return nil, me.Errorf(me.CodeValidationFailed, "the request cannot be read as %s: %v. %s", enc.name, err, encodingsRead)
	}
	return out, nil
}

// declareUTF8 makes the XML declaration, if it names an encoding, name
// UTF-8, which the document now is.
func declareUTF8(doc []byte) []byte {
	loc := xmlDeclEncoding.FindSubmatchIndex(doc)
	if loc == nil || strings.EqualFold(string(doc[loc[2]:loc[3]]), "UTF-8") {
		return doc
	}
	out := make([]byte, 0, len(doc))
	out = append(out, doc[:loc[2]]...)
	out = append(out, "UTF-8"...)
	return append(out, doc[loc[3]:]...)
}
