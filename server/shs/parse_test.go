package shs

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

const testBoundary = "=_test_boundary"

// testLabel is a valid label with one data element per file name ("" for
// none).
func testLabel(files ...string) string {
	var data strings.Builder
	for _, f := range files {
		if f == "" {
			data.WriteString(`<data datapartType="xml"/>`)
		} else {
			fmt.Fprintf(&data, `<data datapartType="xml" filename=%q/>`, f)
		}
	}
	return `<?xml version="1.0" encoding="UTF-8"?>
<shs.label version="1.2" tx.id="7d8c1c3e-7d4b-4c36-9a3f-2b1d1f0a9c11" corr.id="7d8c1c3e-7d4b-4c36-9a3f-2b1d1f0a9c11" sequence-type="event">
  <from commonName="Malmö stad">urn:X-shs:2120000829</from>
  <to>urn:X-shs:2021005489</to>
  <product>urn:X-shs:8f1c2d3e-0000-4000-8000-000000000001</product>
  <datetime>2026-03-12T14:05:00</datetime>
  <content content.id="5e0b8a52-3a0b-4d0a-8f4e-3c1e2d9b7a60">` + data.String() + `</content>
</shs.label>`
}

// testMessage is an RFC 822 multipart/mixed message from a label and raw
// data parts (each its headers, an empty line and its body).
func testMessage(label string, parts ...string) []byte {
	var b strings.Builder
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"" + testBoundary + "\"\r\n\r\n")
	b.WriteString("--" + testBoundary + "\r\nContent-Type: text/xml; charset=UTF-8\r\n\r\n" + label + "\r\n")
	for _, p := range parts {
		b.WriteString("--" + testBoundary + "\r\n" + p + "\r\n")
	}
	b.WriteString("--" + testBoundary + "--\r\n")
	return []byte(b.String())
}

func parseErrorCode(t *testing.T, err error) ErrorCode {
	t.Helper()
	if err == nil {
		return ""
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	return e.Code
}

func TestParseEncodings(t *testing.T) {
	for _, c := range []struct {
		name     string
		label    string
		part     string
		wantFile string
		wantData string
		wantCode ErrorCode
	}{
		{name: "binary", part: "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n\x00\x01\xff\xfe\r\nend",
			wantData: "\x00\x01\xff\xfe\r\nend"},
		{name: "8bit", part: "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nÅsa på ön",
			wantData: "Åsa på ön"},
		{name: "7bit", part: "Content-Type: text/plain\r\nContent-Transfer-Encoding: 7bit\r\n\r\nplain text",
			wantData: "plain text"},
		{name: "no transfer encoding", part: "Content-Type: text/plain\r\n\r\nplain text", wantData: "plain text"},
		{name: "base64 wrapped with spaces", part: "Content-Transfer-Encoding: BASE64\r\n\r\nw4Vz\r\n YSBw\tw6Ug\n w7Zu",
			wantData: "Åsa på ön"},
		{name: "base64 without padding", part: "Content-Transfer-Encoding: base64\r\n\r\nYWI", wantData: "ab"},
		{name: "quoted-printable", part: "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=C3=85sa p=C3=A5 =\r\n=C3=B6n",
			wantData: "Åsa på ön"},
		{name: "bad base64", part: "Content-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!", wantCode: IllegalDatapartContent},
		{name: "bad quoted-printable", part: "Content-Transfer-Encoding: quoted-printable\r\n\r\na control byte \x01 unescaped", wantCode: IllegalDatapartContent},
		{name: "unknown transfer encoding", part: "Content-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 x", wantCode: IllegalDatapartContent},

		{name: "file name plain", part: "Content-Disposition: attachment; filename=signal.xml\r\n\r\nx", wantFile: "signal.xml", wantData: "x"},
		{name: "file name raw UTF-8", part: "Content-Disposition: attachment; filename=filnamn-med-åäö.xml\r\n\r\nx",
			wantFile: "filnamn-med-åäö.xml", wantData: "x"},
		{name: "file name raw Latin-1", part: "Content-Disposition: attachment; filename=filnamn-med-\xe5\xe4\xf6.xml\r\n\r\nx",
			wantFile: "filnamn-med-åäö.xml", wantData: "x"},
		{name: "file name raw UTF-8 quoted", part: "Content-Disposition: attachment; filename=\"filnamn med åäö.xml\"\r\n\r\nx",
			wantFile: "filnamn med åäö.xml", wantData: "x"},
		{name: "file name RFC 2231 UTF-8", part: "Content-Disposition: attachment; filename*=UTF-8''filnamn-med-%C3%A5%C3%A4%C3%B6.xml\r\n\r\nx",
			wantFile: "filnamn-med-åäö.xml", wantData: "x"},
		{name: "file name RFC 2231 Latin-1", part: "Content-Disposition: attachment; filename*=iso-8859-1''filnamn-med-%E5%E4%F6.xml\r\n\r\nx",
			wantFile: "filnamn-med-åäö.xml", wantData: "x"},
		{name: "file name RFC 2231 continuation", part: "Content-Disposition: attachment;\r\n filename*0*=UTF-8''filnamn-med-;\r\n filename*1*=%C3%A5%C3%A4%C3%B6.xml\r\n\r\nx",
			wantFile: "filnamn-med-åäö.xml", wantData: "x"},
		{name: "file name RFC 2047", part: "Content-Disposition: attachment; filename=\"=?UTF-8?B?ZmlsbmFtbi1tZWQtw6XDpMO2LnhtbA==?=\"\r\n\r\nx",
			wantFile: "filnamn-med-åäö.xml", wantData: "x"},
		{name: "file name RFC 2047 Latin-1 Q", part: "Content-Disposition: attachment; filename=\"=?ISO-8859-1?Q?filnamn-med-=E5=E4=F6.xml?=\"\r\n\r\nx",
			wantFile: "filnamn-med-åäö.xml", wantData: "x"},
		{name: "file name only in Content-Type, raw UTF-8", part: "Content-Type: text/xml; charset=UTF-8; name=beslut-åäö.xml\r\n\r\nx",
			wantFile: "beslut-åäö.xml", wantData: "x"},
		{name: "file name only in Content-Type", part: "Content-Type: text/xml; name=signal.xml\r\n\r\nx", wantFile: "signal.xml", wantData: "x"},
		{name: "file name with directory", part: "Content-Disposition: attachment; filename=\"../../etc/signal.xml\"\r\n\r\nx",
			wantFile: "signal.xml", wantData: "x"},
		{name: "file name from the label", label: testLabel("från-etiketten.xml"), part: "Content-Disposition: attachment\r\n\r\nx",
			wantFile: "från-etiketten.xml", wantData: "x"},
		{name: "no file name anywhere", part: "Content-Type: text/xml\r\n\r\nx", wantData: "x"},
		{name: "empty part", part: "Content-Type: text/xml\r\n\r\n", wantData: ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			label := c.label
			if label == "" {
				label = testLabel("")
			}
			m, err := Parse(testMessage(label, c.part), "", labelSchema(t), Limits{})
			if code := parseErrorCode(t, err); code != c.wantCode {
				t.Fatalf("code %q, want %q (%v)", code, c.wantCode, err)
			}
			if err != nil {
				t.Logf("refused: %v", err)
				return
			}
			p := m.Parts[0]
			if p.FileName != c.wantFile || string(p.Data) != c.wantData {
				t.Errorf("file %q, data %q; want %q, %q", p.FileName, p.Data, c.wantFile, c.wantData)
			}
		})
	}
}

func TestParseLabelCharsets(t *testing.T) {
	latin1 := func(s string) string {
		b := make([]byte, 0, len(s))
		for _, r := range s {
			b = append(b, byte(r))
		}
		return string(b)
	}
	utf8Label := testLabel("")
	isoDecl := strings.Replace(utf8Label, `encoding="UTF-8"`, `encoding="ISO-8859-1"`, 1)
	noDecl := strings.Replace(utf8Label, `<?xml version="1.0" encoding="UTF-8"?>`, "", 1)
	for _, c := range []struct {
		name, label, charset string
		wantCode             ErrorCode
	}{
		{name: "UTF-8 bytes, UTF-8 declared", label: utf8Label, charset: "UTF-8"},
		{name: "UTF-8 bytes, ISO-8859-1 declared (Axel)", label: isoDecl, charset: "UTF-8"},
		{name: "Latin-1 bytes, ISO-8859-1 declared, charset=UTF-8", label: latin1(isoDecl), charset: "UTF-8"},
		{name: "Latin-1 bytes, no declaration, charset=iso-8859-1", label: latin1(noDecl), charset: "iso-8859-1"},
		{name: "Latin-1 bytes, windows-1252 declared", label: latin1(strings.Replace(utf8Label, "UTF-8", "windows-1252", 1)), charset: "UTF-8"},
		{name: "UTF-8 with a byte order mark", label: "\ufeff" + utf8Label, charset: "UTF-8"},
		{name: "empty lines before the declaration", label: "\r\n\r\n" + latin1(isoDecl), charset: "UTF-8"},
		{name: "Latin-1 bytes, nothing declared", label: latin1(noDecl), charset: "UTF-8", wantCode: IllegalMessageStructure},
	} {
		t.Run(c.name, func(t *testing.T) {
			msg := strings.Replace(string(testMessage(c.label, "Content-Type: text/xml\r\n\r\nx")),
				"charset=UTF-8", "charset="+c.charset, 1)
			m, err := Parse([]byte(msg), "", labelSchema(t), Limits{})
			if code := parseErrorCode(t, err); code != c.wantCode {
				t.Fatalf("code %q, want %q (%v)", code, c.wantCode, err)
			}
			if err == nil && m.Label.From.CommonName != "Malmö stad" {
				t.Errorf("commonName %q, want Malmö stad", m.Label.From.CommonName)
			}
		})
	}
}

func TestParseStructure(t *testing.T) {
	valid := testMessage(testLabel("a.xml"), "Content-Type: text/xml\r\n\r\nx")
	_, totallyBrokenLabel, _ := strings.Cut(string(readAxel(t, "shsTextMessageTotallyBroken.mime")), "<?xml")
	totallyBrokenLabel = "<?xml" + totallyBrokenLabel
	for _, c := range []struct {
		name        string
		body        []byte
		contentType string
		limits      Limits
		wantCode    ErrorCode
		wantText    string // part of the error text
	}{
		{name: "valid", body: valid},
		{name: "empty", body: nil, wantCode: IllegalMessageStructure, wantText: "empty"},
		{name: "not multipart", body: []byte("Content-Type: text/plain\r\n\r\nhello"), wantCode: IllegalMessageStructure, wantText: "multipart/mixed"},
		{name: "no content type anywhere", body: []byte("--x\r\n\r\nhello\r\n--x--"), wantCode: IllegalMessageStructure, wantText: "Content-Type"},
		{name: "no boundary", body: []byte("Content-Type: multipart/mixed\r\n\r\n--x--"), wantCode: IllegalMessageStructure, wantText: "boundary"},
		{name: "boundary never used", body: []byte("Content-Type: multipart/mixed; boundary=nope\r\n\r\nhello"), wantCode: IllegalMessageStructure},
		{name: "headers never end", body: []byte("Content-Type: multipart/mixed; boundary=x"), wantCode: IllegalMessageStructure, wantText: "empty line"},
		{name: "only a closing boundary", body: []byte("Content-Type: multipart/mixed; boundary=x\r\n\r\n--x--\r\n"), wantCode: IllegalMessageStructure, wantText: "label"},
		{name: "first part is not XML", body: testMessage(testLabel(), "Content-Type: text/xml\r\n\r\nx"), wantCode: IllegalMessageStructure},
		{name: "first part is text/plain", body: []byte(strings.Replace(string(valid), "text/xml; charset=UTF-8", "text/plain", 1)),
			wantCode: IllegalMessageStructure, wantText: "text/plain"},
		{name: "label not well-formed", body: testMessage(totallyBrokenLabel), wantCode: IllegalMessageStructure, wantText: "shs-label-1.2.xsd"},
		{name: "label invalid", body: testMessage(strings.Replace(testLabel(), "<product>urn:X-shs:8f1c2d3e-0000-4000-8000-000000000001</product>", "", 1)),
			wantCode: IllegalMessageStructure, wantText: "product"},
		{name: "label is another document", body: testMessage("<signal/>"), wantCode: IllegalMessageStructure},
		{name: "more parts than data elements", body: testMessage(testLabel("a.xml"), "\r\nx", "\r\ny"), wantCode: IllegalMessageStructure, wantText: "lists 1 data part (content/data) but the message carries 2"},
		{name: "fewer parts than data elements", body: testMessage(testLabel("a.xml", "b.xml")), wantCode: IllegalMessageStructure, wantText: "carries 0"},
		{name: "no data elements, no parts", body: testMessage(testLabel())},
		{name: "compound matches", body: testMessage(strings.Replace(testLabel(), "</content>", `<compound no-of-parts="2"/></content>`, 1), "\r\nx", "\r\ny")},
		{name: "compound does not match", body: testMessage(strings.Replace(testLabel(), "</content>", `<compound no-of-parts="3"/></content>`, 1), "\r\nx"),
			wantCode: IllegalMessageStructure, wantText: "compound"},
		{name: "too many parts", body: testMessage(testLabel("a", "b", "c"), "\r\nx", "\r\ny", "\r\nz"), limits: Limits{MaxParts: 2},
			wantCode: IllegalMessageStructure, wantText: "more than 2 data parts"},
		{name: "parts at the limit", body: testMessage(testLabel("a", "b"), "\r\nx", "\r\ny"), limits: Limits{MaxParts: 2}},
		{name: "part over the size limit", body: testMessage(testLabel("a"), "Content-Transfer-Encoding: base64\r\n\r\n"+strings.Repeat("QUFB", 400)),
			limits: Limits{MaxPartBytes: 1199}, wantCode: IllegalMessageStructure, wantText: "data part 1 (MIME part 2) is 1200 bytes, more than ME's limit of 1199"},
		{name: "part at the size limit", body: testMessage(testLabel("a"), "Content-Transfer-Encoding: base64\r\n\r\n"+strings.Repeat("QUFB", 400)),
			limits: Limits{MaxPartBytes: 1200}},
		{name: "label over the size limit", body: valid, limits: Limits{MaxPartBytes: 100}, wantCode: IllegalMessageStructure, wantText: "label part"},
		{name: "rfc822 nested too deep", body: []byte(strings.Repeat("Content-Type: message/rfc822\r\n\r\n", 5) + string(valid)),
			wantCode: IllegalMessageStructure, wantText: "nested"},
		{name: "rfc822 nested twice", body: []byte(strings.Repeat("Content-Type: message/rfc822\r\n\r\n", 2) + string(valid))},
		{name: "rfc822 without inner headers", body: []byte("\r\n--x--"), contentType: "message/rfc822", wantCode: IllegalMessageStructure},
		{name: "preamble, boundary in HTTP header", body: []byte("This is a multi-part message in MIME format.\r\n" + strings.SplitN(string(valid), "\r\n\r\n", 2)[1]),
			contentType: `multipart/mixed; boundary="` + testBoundary + `"`},
		{name: "adm error without management part", body: testMessage(strings.NewReplacer(`sequence-type="event"`, `sequence-type="adm"`,
			"urn:X-shs:8f1c2d3e-0000-4000-8000-000000000001", "urn:X-shs:error").Replace(testLabel())),
			wantCode: IllegalMessageStructure, wantText: "shs.management"},
		{name: "adm error with a bad management part", body: testMessage(strings.NewReplacer(`sequence-type="event"`, `sequence-type="adm"`,
			"urn:X-shs:8f1c2d3e-0000-4000-8000-000000000001", "urn:X-shs:error").Replace(testLabel("error.xml")), "Content-Type: text/xml\r\n\r\n<shs.management/>"),
			wantCode: IllegalDatapartContent, wantText: "shs.management"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := Parse(c.body, c.contentType, labelSchema(t), c.limits)
			if code := parseErrorCode(t, err); code != c.wantCode {
				t.Fatalf("code %q, want %q (%v)", code, c.wantCode, err)
			}
			if err != nil {
				if m != nil {
					t.Error("a message along with an error")
				}
				if !strings.Contains(err.Error(), c.wantText) {
					t.Errorf("error %q does not mention %q", err, c.wantText)
				}
				t.Logf("refused: %v", err)
			}
		})
	}
}

// A label without a schema is still read (for tools), and still refused
// when it is not a label.
func TestParseWithoutSchema(t *testing.T) {
	m, err := Parse(readAxel(t, "shsTextMessage.mime"), "", nil, Limits{})
	if err != nil || m.Label.TxID != "4c9fd3e8-b4c4-49aa-926a-52a68864a7b8" {
		t.Fatalf("%v, %+v", err, m)
	}
	if _, err := Parse(testMessage("<signal/>"), "", nil, Limits{}); parseErrorCode(t, err) != IllegalMessageStructure {
		t.Errorf("another document as label: %v", err)
	}
}

func TestOrgNumber(t *testing.T) {
	for in, want := range map[string]string{
		"urn:X-shs:2120000829":   "2120000829",
		"urn:x-shs:2120000829":   "2120000829",
		"URN:X-SHS:2120000829":   "2120000829",
		" urn:X-shs:2120000829 ": "2120000829",
		"2120000829":             "2120000829",
		"urn:other:2120000829":   "urn:other:2120000829",
		"":                       "",
	} {
		if got := (&Party{Value: in}).OrgNumber(); got != want {
			t.Errorf("OrgNumber(%q) = %q, want %q", in, got, want)
		}
		if got := (Product{Value: in}).ID(); got != want {
			t.Errorf("ID(%q) = %q, want %q", in, got, want)
		}
	}
	if got := (*Party)(nil).OrgNumber(); got != "" {
		t.Errorf("nil party: %q", got)
	}
}
