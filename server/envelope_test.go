package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/xml"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"unicode/utf16"

	gowsdl "github.com/hooklift/gowsdl/soap"
	"golang.org/x/text/encoding/charmap"

	"github.com/minaengagemang/me/generated/portal"
	"github.com/minaengagemang/me/xsd"
)

// soapAnswer is what a test reads of a SOAP response.
type soapAnswer struct {
	Fault *struct {
		Code   string `xml:"faultcode"`
		String string `xml:"faultstring"`
		Detail *struct {
			Inner   []byte  `xml:",innerxml"`
			MEFault meFault `xml:"http://minaengagemang.se/schema/fault/v1 MEFault"`
		} `xml:"detail"`
	} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body>Fault"`
}

type meFault struct {
	Code      string `xml:"code"`
	Message   string `xml:"message"`
	Element   string `xml:"element"`
	Reference string `xml:"reference"`
}

// postSOAP posts a request body as it is, with the given Content-Type.
func postSOAP(t *testing.T, url, client, contentType string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.SetBasicAuth(client, pw)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// TestMustUnderstandHeaders: a header block addressed to ME with
// mustUnderstand="1" gets a MustUnderstand fault (SOAP 1.1 §4.2.3) with
// ME's MEFault naming the block; blocks ME may ignore, or that are for
// another actor, are ignored.
func TestMustUnderstandHeaders(t *testing.T) {
	ts, _ := testServer(t, "sqlite")
	schemas, err := xsd.Load(xsd.Fault)
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll(schemas)
	const (
		wsse     = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
		security = `<wsse:Security xmlns:wsse="` + wsse + `" %s><wsse:UsernameToken><wsse:Username>u</wsse:Username></wsse:UsernameToken></wsse:Security>`
	)
	tests := []struct {
		name   string
		header string // the Header element, or none
		// wantBlocks: a MustUnderstand fault naming these; wantCode: a
		// Client fault with this code; neither: 200.
		wantBlocks []string
		wantCode   string
	}{
		{name: "no Header"},
		{name: "empty Header", header: `<soapenv:Header/>`},
		{name: "mustUnderstand 1", header: `<soapenv:Header>` + strings.Replace(security, "%s", `soapenv:mustUnderstand="1"`, 1) + `</soapenv:Header>`,
			wantBlocks: []string{"{" + wsse + "}Security"}},
		{name: "mustUnderstand true", header: `<soapenv:Header>` + strings.Replace(security, "%s", `soapenv:mustUnderstand="true"`, 1) + `</soapenv:Header>`,
			wantBlocks: []string{"{" + wsse + "}Security"}},
		{name: "mustUnderstand 1 for the next actor", header: `<soapenv:Header>` + strings.Replace(security, "%s",
			`soapenv:actor="http://schemas.xmlsoap.org/soap/actor/next" soapenv:mustUnderstand="1"`, 1) + `</soapenv:Header>`,
			wantBlocks: []string{"{" + wsse + "}Security"}},
		{name: "two blocks to understand", header: `<soapenv:Header><a:Trace xmlns:a="urn:trace" soapenv:mustUnderstand="1">x</a:Trace>` +
			`<b:Info xmlns:b="urn:info"/>` + strings.Replace(security, "%s", `soapenv:mustUnderstand="1"`, 1) + `</soapenv:Header>`,
			wantBlocks: []string{"{urn:trace}Trace", "{" + wsse + "}Security"}},
		{name: "mustUnderstand 0", header: `<soapenv:Header>` + strings.Replace(security, "%s", `soapenv:mustUnderstand="0"`, 1) + `</soapenv:Header>`},
		{name: "no mustUnderstand", header: `<soapenv:Header>` + strings.Replace(security, "%s", ``, 1) + `</soapenv:Header>`},
		{name: "mustUnderstand 1 for another actor", header: `<soapenv:Header>` + strings.Replace(security, "%s",
			`soapenv:actor="http://gateway.example/" soapenv:mustUnderstand="1"`, 1) + `</soapenv:Header>`},
		{name: "an unqualified mustUnderstand is not SOAP's", header: `<soapenv:Header>` + strings.Replace(security, "%s", `mustUnderstand="1"`, 1) + `</soapenv:Header>`},
		{name: "mustUnderstand neither 0 nor 1", header: `<soapenv:Header>` + strings.Replace(security, "%s", `soapenv:mustUnderstand="yes"`, 1) + `</soapenv:Header>`,
			wantCode: "ValidationFailed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">` + tt.header +
				`<soapenv:Body><ListEServices xmlns="http://minaengagemang.se/portal/v1"/></soapenv:Body></soapenv:Envelope>`
			resp, b := postSOAP(t, ts.URL+"/soap/portal", "portal-a", "text/xml; charset=utf-8", []byte(body))
			var a soapAnswer
			if err := xml.Unmarshal(b, &a); err != nil {
				t.Fatalf("answer does not parse: %v\n%s", err, b)
			}
			switch {
			case tt.wantBlocks != nil:
				if resp.StatusCode != 500 || a.Fault == nil || a.Fault.Code != "soap:MustUnderstand" {
					t.Fatalf("status %d; want 500 with faultcode soap:MustUnderstand\n%s", resp.StatusCode, b)
				}
				if a.Fault.Detail == nil {
					t.Fatalf("the MustUnderstand fault has no detail\n%s", b)
				}
				f := a.Fault.Detail.MEFault
				if f.Code != "ValidationFailed" || f.Element != tt.wantBlocks[0] || f.Reference != resp.Header.Get("X-Request-Id") {
					t.Errorf("MEFault = %+v; want ValidationFailed, element %s, reference %s", f, tt.wantBlocks[0], resp.Header.Get("X-Request-Id"))
				}
				for _, block := range tt.wantBlocks {
					if !strings.Contains(a.Fault.String, block) || !strings.Contains(f.Message, block) {
						t.Errorf("the fault does not name %s: %q", block, a.Fault.String)
					}
				}
				if err := schemas[xsd.Fault].Validate(detailDoc(a.Fault.Detail.Inner)); err != nil {
					t.Errorf("the MEFault does not validate against fault.xsd: %v\n%s", err, a.Fault.Detail.Inner)
				}
			case tt.wantCode != "":
				if resp.StatusCode != 500 || a.Fault == nil || a.Fault.Code != "soap:Client" || a.Fault.Detail == nil || a.Fault.Detail.MEFault.Code != tt.wantCode {
					t.Fatalf("status %d; want 500 with a Client fault %s\n%s", resp.StatusCode, tt.wantCode, b)
				}
				if !strings.Contains(a.Fault.Detail.MEFault.Message, "mustUnderstand") {
					t.Errorf("the fault does not say what is wrong: %q", a.Fault.Detail.MEFault.Message)
				}
			default:
				if resp.StatusCode != 200 || a.Fault != nil {
					t.Fatalf("status %d; want 200\n%s", resp.StatusCode, b)
				}
			}
		})
	}
}

// TestRequestEncodings: a request in UTF-8 (with or without a byte order
// mark), UTF-16 (either byte order; by its byte order mark or the
// Content-Type charset) or Latin-1 (ISO-8859-1, windows-1252) arrives with
// its å, ä and ö intact; any other encoding gets a Client fault that says
// which encodings ME reads.
func TestRequestEncodings(t *testing.T) {
	example, err := os.ReadFile("../docs/examples/soap/catalog-PublishEService.xml")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(example)
	const (
		name = "Ansökan om parkeringstillstånd för rörelsehindrade"
		area = "stöd-omsorg"
	)
	if !strings.Contains(doc, name) || !strings.Contains(doc, area) || !strings.Contains(doc, "läkarintyg") {
		t.Fatal("the example no longer has the text this test reads back")
	}
	declared := func(doc, enc string) string {
		return strings.Replace(doc, `encoding="UTF-8"`, `encoding="`+enc+`"`, 1)
	}
	latin1 := func(doc string) []byte {
		b, err := charmap.ISO8859_1.NewEncoder().Bytes([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	withEuro := strings.Replace(doc, "Bifoga läkarintyg", "Avgift 100 €. Bifoga läkarintyg", 1)
	cp1252, err := charmap.Windows1252.NewEncoder().Bytes([]byte(declared(withEuro, "windows-1252")))
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name        string
		contentType string
		body        []byte
		wantDesc    string // in the stored description; the name and area are always checked
		wantFault   string // instead: a fault with this in its message
	}{
		{name: "UTF-8", contentType: "text/xml; charset=utf-8", body: []byte(doc)},
		{name: "UTF-8 without a charset", contentType: "text/xml", body: []byte(doc)},
		{name: "UTF-8 with a byte order mark", contentType: "text/xml; charset=utf-8", body: append([]byte{0xEF, 0xBB, 0xBF}, doc...)},
		{name: "UTF-16LE with a byte order mark", contentType: "text/xml; charset=utf-16", body: utf16Bytes(declared(doc, "UTF-16"), binary.LittleEndian, true)},
		{name: "UTF-16BE with a byte order mark", contentType: "text/xml", body: utf16Bytes(declared(doc, "UTF-16"), binary.BigEndian, true)},
		{name: "UTF-16LE by the charset", contentType: "text/xml; charset=UTF-16LE", body: utf16Bytes(declared(doc, "UTF-16"), binary.LittleEndian, false)},
		{name: "UTF-16BE by the charset", contentType: `text/xml; charset="utf-16be"`, body: utf16Bytes(doc, binary.BigEndian, false)},
		{name: "UTF-16 by the charset, LE by its first character", contentType: "text/xml; charset=utf-16", body: utf16Bytes(declared(doc, "UTF-16"), binary.LittleEndian, false)},
		{name: "ISO-8859-1", contentType: "text/xml; charset=ISO-8859-1", body: latin1(declared(doc, "ISO-8859-1"))},
		{name: "ISO-8859-1 sent as charset=utf-8", contentType: "text/xml; charset=utf-8", body: latin1(declared(doc, "ISO-8859-1"))},
		{name: "latin1 by the charset alone", contentType: "text/xml; charset=latin1", body: latin1(doc)},
		{name: "windows-1252", contentType: "text/xml", body: cp1252, wantDesc: "Avgift 100 €. Bifoga läkarintyg"},

		{name: "an encoding ME does not read", contentType: "text/xml", body: []byte(declared(doc, "Shift_JIS")), wantFault: `"Shift_JIS"`},
		{name: "a charset ME does not read", contentType: "text/xml; charset=koi8-r", body: []byte(doc), wantFault: `"koi8-r"`},
		{name: "UTF-32", contentType: "text/xml", body: append([]byte{0xFF, 0xFE, 0, 0}, utf16Bytes(doc, binary.LittleEndian, false)...), wantFault: "UTF-32"},
		{name: "Latin-1 that says nothing", contentType: "text/xml", body: latin1(doc), wantFault: "not valid UTF-8"},
		{name: "declared UTF-16 in single bytes", contentType: "text/xml", body: []byte(declared(doc, "UTF-16")), wantFault: "not UTF-16"},
	}
	ts, _ := testServer(t, "sqlite")
	por := portal.NewPortalPortType(gowsdl.NewClient(ts.URL+"/soap/portal", gowsdl.WithBasicAuth("portal-a", pw)))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := postSOAP(t, ts.URL+"/soap/catalog", "catalog-a", tt.contentType, tt.body)
			var a soapAnswer
			if err := xml.Unmarshal(b, &a); err != nil {
				t.Fatalf("answer does not parse: %v\n%s", err, b)
			}
			if tt.wantFault != "" {
				if resp.StatusCode != 500 || a.Fault == nil || a.Fault.Code != "soap:Client" || a.Fault.Detail == nil {
					t.Fatalf("status %d; want 500 with a Client fault\n%s", resp.StatusCode, b)
				}
				f := a.Fault.Detail.MEFault
				if f.Code != "ValidationFailed" || !strings.Contains(f.Message, tt.wantFault) ||
					!strings.Contains(f.Message, "ME reads UTF-8") || !strings.Contains(f.Message, "ISO-8859-1") {
					t.Errorf("fault %s %q; want ValidationFailed naming %s and the encodings ME reads", f.Code, f.Message, tt.wantFault)
				}
				return
			}
			if resp.StatusCode != 200 || a.Fault != nil {
				t.Fatalf("status %d; want 200\n%s", resp.StatusCode, b)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "text/xml; charset=utf-8" {
				t.Errorf("answered in %q; want UTF-8", ct)
			}
			got, err := por.GetEServiceContext(context.Background(), &portal.GetEService{EServiceId: "parkeringstillstand"})
			if err != nil {
				t.Fatal(err)
			}
			want := tt.wantDesc
			if want == "" {
				want = "Bifoga läkarintyg"
			}
			if e := got.EService; string(e.Name.Sv) != name || !strings.Contains(strings.Join(areas(e.Area), ","), area) ||
				!strings.Contains(string(e.Description.Sv), want) {
				t.Errorf("stored: name %q, areas %v, description %q; want %q, %q and %q", e.Name.Sv, areas(e.Area), e.Description.Sv, name, area, want)
			}
		})
	}
}

// utf16Bytes encodes s as UTF-16 in the given byte order, with or without
// a byte order mark.
func utf16Bytes(s string, order binary.AppendByteOrder, bom bool) []byte {
	var out []byte
	units := utf16.Encode([]rune(s))
	if bom {
		units = append([]uint16{0xFEFF}, units...)
	}
	for _, u := range units {
		out = order.AppendUint16(out, u)
	}
	return out
}
