package me

import (
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// A client's cert_subject is compared with a certificate's subject as a set
// of attributes (type and value): the order of the RDNs, and how they are
// grouped with '+', do not matter, so the subject matches whether it is
// written as openssl's -nameopt RFC2253 prints it (the certificate's order
// reversed), in the certificate's order, or as Go prints it. The text is
// read as RFC 4514 defines it: attribute types by name (any case) or dotted
// OID, values with \-escapes (\, or \C3\A4) or as #hex DER. Values are
// compared as RFC 5280 §7.1 compares names: case and runs of spaces do
// not matter, nor the ASN.1 string type the certificate uses.

// SubjectKey returns the key of a certificate subject written as RFC 4514
// text, e.g. "CN=arende.kommun.example,O=Demo kommun,C=SE": subjects with
// equal keys match. The error says what is wrong with the text.
func SubjectKey(text string) (string, error) {
	if strings.TrimSpace(text) == "" {
		return "", errors.New("the subject is empty")
	}
	var attrs []string
	rest := text
	for {
		typ, value, sep, after, err := nextAttribute(rest)
		if err != nil {
			return "", err
		}
		attrs = append(attrs, typ+"="+value)
		if sep == 0 {
			break
		}
		rest = after
	}
	return subjectKey(attrs), nil
}

// SubjectKeyOf returns the key of a certificate's subject, given as its
// DER encoding (x509.Certificate.RawSubject).
func SubjectKeyOf(der []byte) (string, error) {
	type attribute struct {
		Type  asn1.ObjectIdentifier
		Value asn1.RawValue
	}
	type rdnSET []attribute // a name ending in SET is a SET OF to encoding/asn1
	var rdns []rdnSET
	rest, err := asn1.Unmarshal(der, &rdns)
	if err != nil {
		return "", fmt.Errorf("reading the certificate's subject: %w", err)
	}
	if len(rest) > 0 {
		return "", errors.New("reading the certificate's subject: trailing bytes")
	}
	var attrs []string
	for _, rdn := range rdns {
		for _, a := range rdn {
			attrs = append(attrs, a.Type.String()+"="+valueKey(a.Value))
		}
	}
	return subjectKey(attrs), nil
}

func subjectKey(attrs []string) string {
	slices.Sort(attrs)
	return strings.Join(attrs, "\n") // valueKey quotes every newline
}

// nextAttribute reads "type=value" from the start of s and returns the
// type's OID, the value's key, the separator after it (',' or '+', or 0
// at the end) and what follows that.
func nextAttribute(s string) (oid, value string, sep byte, rest string, err error) {
	eq := strings.IndexByte(s, '=')
	if strings.TrimSpace(s) == "" {
		return "", "", 0, "", errors.New("it ends with a ',' or '+' that no attribute follows")
	}
	if eq < 0 {
		return "", "", 0, "", fmt.Errorf("%q has no '='; write each attribute as TYPE=value, e.g. CN=arende.kommun.example", strings.TrimSpace(s))
	}
	name := strings.TrimSpace(s[:eq])
	if oid, err = attributeOID(name); err != nil {
		return "", "", 0, "", err
	}
	s = strings.TrimLeft(s[eq+1:], " ")
	if strings.HasPrefix(s, "#") {
		end := strings.IndexAny(s, ",+")
		if end < 0 {
			end = len(s)
		}
		der, err := hex.DecodeString(strings.TrimRight(s[1:end], " "))
		var raw asn1.RawValue
		if err == nil {
			var trailing []byte
			if trailing, err = asn1.Unmarshal(der, &raw); err == nil && len(trailing) > 0 {
				err = errors.New("more than one value")
			}
		}
		if err != nil {
			return "", "", 0, "", fmt.Errorf("the value of %s, %s, is not the hex of one DER value: %v", name, s[:end], err)
		}
		if end == len(s) {
			return oid, valueKey(raw), 0, "", nil
		}
		return oid, valueKey(raw), s[end], s[end+1:], nil
	}
	var b []byte
	trimmed := 0 // len(b) without the unescaped spaces at its end
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ',', '+':
			return oid, textKey(string(b[:trimmed])), c, s[i+1:], checkUTF8(name, b[:trimmed])
		case '\\':
			if i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
				h, _ := hex.DecodeString(s[i+1 : i+3])
				b = append(b, h[0])
				i += 2
			} else if i+1 < len(s) && strings.IndexByte(`"+,;<>\ #=`, s[i+1]) >= 0 {
				b = append(b, s[i+1])
				i++
			} else {
				return "", "", 0, "", fmt.Errorf("the value of %s has a '\\' that escapes nothing: write \\\\ for a backslash, and \\, \\+ \\; \\\" \\< \\> or two hex digits after it", name)
			}
			trimmed = len(b)
		case ';', '"', '<', '>':
			return "", "", 0, "", fmt.Errorf("the value of %s has an unescaped %q; separate attributes with ',' and write %q in a value as \\%c", name, c, c, c)
		default:
			b = append(b, c)
			if c != ' ' {
				trimmed = len(b)
			}
		}
	}
	return oid, textKey(string(b[:trimmed])), 0, "", checkUTF8(name, b[:trimmed])
}

func checkUTF8(name string, b []byte) error {
	if !utf8.Valid(b) {
		return fmt.Errorf("the value of %s is not UTF-8 once its \\-escapes are read", name)
	}
	return nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

var dottedOID = regexp.MustCompile(`^[0-9]+(\.[0-9]+)+$`)

// attributeOID returns the dotted OID of an attribute type's name or OID.
func attributeOID(name string) (string, error) {
	if oid, ok := attributeTypes[strings.ToLower(name)]; ok {
		return oid, nil
	}
	if dottedOID.MatchString(name) {
		return name, nil
	}
	switch strings.ToLower(name) {
	case "":
		return "", errors.New("an attribute has no type before its '='")
	case "subject":
		return "", errors.New(`it starts with "subject="; leave out what openssl prints before the subject`)
	}
	return "", fmt.Errorf("attribute type %q is unknown; write CN, O, OU, C, L, ST, STREET, serialNumber, organizationIdentifier, emailAddress, DC, UID, SN, GN, title or a dotted OID such as 2.5.4.97", name)
}

// attributeTypes are the names RFC 4514, openssl and Go print, lower case.
var attributeTypes = map[string]string{
	"cn": "2.5.4.3", "commonname": "2.5.4.3",
	"sn": "2.5.4.4", "surname": "2.5.4.4",
	"serialnumber": "2.5.4.5",
	"c":            "2.5.4.6", "countryname": "2.5.4.6",
	"l": "2.5.4.7", "localityname": "2.5.4.7",
	"st": "2.5.4.8", "stateorprovincename": "2.5.4.8",
	"street": "2.5.4.9", "streetaddress": "2.5.4.9",
	"o": "2.5.4.10", "organizationname": "2.5.4.10",
	"ou": "2.5.4.11", "organizationalunitname": "2.5.4.11",
	"title":            "2.5.4.12",
	"description":      "2.5.4.13",
	"businesscategory": "2.5.4.15",
	"postalcode":       "2.5.4.17",
	"name":             "2.5.4.41",
	"gn":               "2.5.4.42", "givenname": "2.5.4.42",
	"initials":               "2.5.4.43",
	"generationqualifier":    "2.5.4.44",
	"dnqualifier":            "2.5.4.46",
	"pseudonym":              "2.5.4.65",
	"organizationidentifier": "2.5.4.97",
	"uid":                    "0.9.2342.19200300.100.1.1", "userid": "0.9.2342.19200300.100.1.1",
	"dc": "0.9.2342.19200300.100.1.25", "domaincomponent": "0.9.2342.19200300.100.1.25",
	"emailaddress": "1.2.840.113549.1.9.1", "e": "1.2.840.113549.1.9.1",
}

// valueKey is the key of an attribute value as a certificate encodes it:
// the text of a string type, else the DER itself.
func valueKey(v asn1.RawValue) string {
	if v.Class == asn1.ClassUniversal && !v.IsCompound {
		switch v.Tag {
		case asn1.TagUTF8String:
			if utf8.Valid(v.Bytes) {
				return textKey(string(v.Bytes))
			}
		case asn1.TagPrintableString, asn1.TagIA5String, asn1.TagNumericString, 26: // 26: VisibleString
			return textKey(string(v.Bytes))
		case asn1.TagT61String: // read as Latin-1, as openssl does
			r := make([]rune, len(v.Bytes))
			for i, c := range v.Bytes {
				r[i] = rune(c)
			}
			return textKey(string(r))
		case asn1.TagBMPString:
			if len(v.Bytes)%2 == 0 {
				u := make([]uint16, len(v.Bytes)/2)
				for i := range u {
					u[i] = uint16(v.Bytes[2*i])<<8 | uint16(v.Bytes[2*i+1])
				}
				return textKey(string(utf16.Decode(u)))
			}
		}
	}
	return "#" + hex.EncodeToString(v.FullBytes)
}

// textKey compares text as RFC 5280 §7.1 does, near enough: without case,
// and with each run of spaces as one, none at the ends.
func textKey(s string) string {
	return strconv.Quote(strings.ToLower(strings.Join(strings.Fields(s), " ")))
}
