package shs

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/minaengagemang/me/xsd"
)

// The label schema is slow to parse, so the tests share one.
var loadSchemas = sync.OnceValues(func() (map[string]*xsd.Schema, error) { return xsd.Load(xsd.SHSLabel) })

func labelSchema(t testing.TB) *xsd.Schema {
	t.Helper()
	schemas, err := loadSchemas()
	if err != nil {
		t.Fatal(err)
	}
	return schemas[xsd.SHSLabel]
}

func readAxel(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "axel", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const lorem = "Lorem ipsum dolor sit amet, consectetur adipisicing elit,\n" +
	"sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.\n" +
	"Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.\n" +
	"Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur.\n" +
	"Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum.\n"

// wantMessage is what a real message must parse to.
type wantMessage struct {
	code            ErrorCode // set for messages that must be refused
	txID, contentID string
	from, to        string
	product         string
	sequenceType    string
	history         int
	fileNames       []string // one per data part
	data            string   // the first part's exact bytes, when set
	dataPrefix      string   // or its start and end
	dataSuffix      string
	base64          bool // the data part is base64: line ends inside do not change it
	mgmtCode        ErrorCode
}

var axelMessages = map[string]wantMessage{
	"981ead58-b2b1-4373-b3b8-d93e1594f359.mime": {
		txID: "981ead58-b2b1-4373-b3b8-d93e1594f359", contentID: "06c81c88-aa19-4f16-a2cf-a852de37f8d8",
		from: "0000000000", to: "1111111111", product: "00000000-0000-0000-0000-000000000000",
		sequenceType: "request", history: 2, fileNames: []string{"98config.properties"},
		dataPrefix: "#####", dataSuffix: "obr.repository.url = \n\n", base64: true,
	},
	"e41a8be7-5e81-46cd-8418-11a250348c29.mime": {
		txID: "e41a8be7-5e81-46cd-8418-11a250348c29", contentID: "3bbdcb0b-bef4-4945-963d-e979abb09456",
		from: "0000000000", to: "1111111111", product: "00000000-0000-0000-0000-000000000000",
		sequenceType: "request", history: 2, fileNames: []string{"e4config.properties"},
		dataPrefix: "#####", dataSuffix: "obr.repository.url = \n\n", base64: true,
	},
	"no-filename.mime": {
		txID: "9212a1dd-77bc-4727-ace0-76f13ae5c4bf", contentID: "3bbdcb0b-bef4-4945-963d-e979abb09456",
		from: "0000000000", to: "1111111111", product: "00000000-0000-0000-0000-000000000000",
		sequenceType: "request", history: 2, fileNames: []string{""},
		dataPrefix: "#####", dataSuffix: "obr.repository.url = \n\n", base64: true,
	},
	"shsErrorMessage.mime": {
		txID: "4c9fd3e8-b4c4-49aa-926a-52a68864a7b8", contentID: "82b9c7e7-59ab-4d5d-b430-d5101c8b690b",
		from: "5565317129", to: "0000000000", product: "error",
		sequenceType: "adm", history: 1, fileNames: []string{"error.xml"},
		dataPrefix: `<?xml version="1.0" encoding="ISO-8859-1" standalone="yes"?>`, dataSuffix: "</shs.management>\n",
		mgmtCode: MissingAgreement,
	},
	"shsTextMessage.mime": {
		txID: "4c9fd3e8-b4c4-49aa-926a-52a68864a7b8", contentID: "82b9c7e7-59ab-4d5d-b430-d5101c8b690b",
		from: "5565317129", to: "0000000000", product: "error",
		sequenceType: "event", history: 1, fileNames: []string{"text.txt"}, data: lorem,
	},
	"shsTextMessageNoFileName.mime": {
		txID: "4c9fd3e8-b4c4-49aa-926a-52a68864a7b8", contentID: "82b9c7e7-59ab-4d5d-b430-d5101c8b690b",
		from: "5565317129", to: "0000000000", product: "error",
		sequenceType: "event", history: 1, fileNames: []string{""}, data: lorem,
	},
	"shsTextMessageSwedishFileName.mime": {
		txID: "4c9fd3e8-b4c4-49aa-926a-52a68864a7b8", contentID: "82b9c7e7-59ab-4d5d-b430-d5101c8b690b",
		from: "5565317129", to: "0000000000", product: "error",
		sequenceType: "event", history: 1, fileNames: []string{"filnamn-med-åäö.xml"}, data: lorem,
	},
	"shsTextMessageBroken.mime":        {code: IllegalMessageStructure},
	"shsTextMessageTotallyBroken.mime": {code: IllegalMessageStructure},
}

// framings are the ways the same message can reach /shs/rs. Each returns
// the HTTP body and Content-Type.
var framings = map[string]func(t *testing.T, msg []byte) ([]byte, string){
	"as is": func(t *testing.T, msg []byte) ([]byte, string) { return msg, "" },
	"as is, http message/rfc822": func(t *testing.T, msg []byte) ([]byte, string) {
		return msg, "message/rfc822"
	},
	"CRLF": func(t *testing.T, msg []byte) ([]byte, string) {
		return bytes.ReplaceAll(msg, []byte("\n"), []byte("\r\n")), "multipart/mixed; boundary=wrong"
	},
	"wrapped in message/rfc822": func(t *testing.T, msg []byte) ([]byte, string) {
		return append([]byte("MIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\n"), msg...), "message/rfc822"
	},
	"boundary only in HTTP header": func(t *testing.T, msg []byte) ([]byte, string) {
		h, body, _ := bytes.Cut(msg, []byte("\n\n"))
		_, ct, _ := strings.Cut(string(h), "Content-Type: ")
		return body, strings.ReplaceAll(ct, "\n\t", " ")
	},
}

func TestParseAxel(t *testing.T) {
	files, _ := filepath.Glob("testdata/axel/*.mime")
	if len(files) != len(axelMessages) {
		t.Fatalf("testdata/axel has %d messages, the table %d", len(files), len(axelMessages))
	}
	schema := labelSchema(t)
	for name, want := range axelMessages {
		for framing, frame := range framings {
			t.Run(name+"/"+framing, func(t *testing.T) {
				raw := readAxel(t, name)
				body, ct := frame(t, raw)
				m, err := Parse(body, ct, schema, Limits{})
				if want.code != "" {
					var e *Error
					if !errors.As(err, &e) || e.Code != want.code {
						t.Fatalf("want an *Error %s, got %v", want.code, err)
					}
					t.Logf("refused as it should be: %v", err)
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				checkMessage(t, m, want, framing == "CRLF")
			})
		}
	}
}

func checkMessage(t *testing.T, m *Message, want wantMessage, crlf bool) {
	t.Helper()
	l := m.Label
	for _, c := range []struct{ field, got, want string }{
		{"tx.id", l.TxID, want.txID},
		{"content.id", l.Content.ID, want.contentID},
		{"from", l.From.OrgNumber(), want.from},
		{"to", l.To.OrgNumber(), want.to},
		{"product", l.Product.ID(), want.product},
		{"sequence-type", string(l.SequenceType), want.sequenceType},
		{"version", l.Version, "1.2"},
		{"document-type", l.DocumentType, "simple"}, // wrapped over two lines in some
		{"transfer-type", string(l.TransferType), "asynch"},
		{"status", l.Status, "production"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if len(l.History) != want.history {
		t.Fatalf("%d history entries, want %d", len(l.History), want.history)
	}
	for _, h := range l.History {
		if strings.ContainsAny(h.LocalID, " \n") || len(h.LocalID) != 36 {
			t.Errorf("history local.id %q is not joined to one UUID", h.LocalID)
		}
	}
	if len(m.Parts) != len(want.fileNames) {
		t.Fatalf("%d parts, want %d", len(m.Parts), len(want.fileNames))
	}
	for i, p := range m.Parts {
		if p.FileName != want.fileNames[i] {
			t.Errorf("part %d file name %q, want %q", i+1, p.FileName, want.fileNames[i])
		}
		if p.Info.Filename != want.fileNames[i] {
			t.Errorf("part %d label filename %q, want %q", i+1, p.Info.Filename, want.fileNames[i])
		}
	}
	nl := func(s string) string {
		if crlf && !want.base64 {
			return strings.ReplaceAll(s, "\n", "\r\n")
		}
		return s
	}
	data := string(m.Parts[0].Data)
	if want.data != "" && data != nl(want.data) {
		t.Errorf("part 1 data:\n%q\nwant\n%q", data, nl(want.data))
	}
	if !strings.HasPrefix(data, nl(want.dataPrefix)) || !strings.HasSuffix(data, nl(want.dataSuffix)) {
		t.Errorf("part 1 data does not run from %q to %q:\n%.200q", want.dataPrefix, want.dataSuffix, data)
	}
	if want.mgmtCode == "" {
		if m.Management != nil {
			t.Errorf("management %+v in a message without one", m.Management)
		}
		return
	}
	mg := m.Management
	if mg == nil || mg.Error == nil {
		t.Fatalf("management %+v, want an error", mg)
	}
	if mg.Error.Code != want.mgmtCode || mg.Error.Info != "No valid agreement found for the message" ||
		mg.CorrID != "5a01ff87-e641-486e-8521-8e82d1ee1052" || mg.ContentID != "ad0bc04c-a56c-4117-bec5-19f0d4437fdf" ||
		mg.Datetime != "2013-06-17" {
		t.Errorf("management %+v, error %+v", mg, mg.Error)
	}
}

// The wrapped local.id of the Axel labels must come out as the one token it
// was.
func TestParseAxelWrappedValues(t *testing.T) {
	m, err := Parse(readAxel(t, "shsTextMessage.mime"), "", labelSchema(t), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	h := m.Label.History[0]
	if h.LocalID != "5a01ff87-e641-486e-8521-8e82d1ee1052" || h.NodeID != "axel" || h.Comment != "Received" {
		t.Errorf("history %+v", h)
	}
	if m.Label.CorrID != "5a01ff87-e641-486e-8521-8e82d1ee1052" || m.Label.From.CommonName != "R2M" {
		t.Errorf("label %+v", m.Label)
	}
}

// The broken messages must say what is wrong, not just fail.
func TestParseAxelBrokenTexts(t *testing.T) {
	for name, want := range map[string]string{
		"shsTextMessageBroken.mime":        "truncated",
		"shsTextMessageTotallyBroken.mime": "label",
	} {
		_, err := Parse(readAxel(t, name), "", labelSchema(t), Limits{})
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(e.Text, want) {
			t.Errorf("%s: %v, want a text about %q", name, err, want)
		}
	}
}
