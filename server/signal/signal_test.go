package signal_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/server/signal"
	"github.com/minaengagemang/me/xsd"
)

func decoder(t *testing.T) *signal.Decoder {
	t.Helper()
	schemas, err := xsd.Load(xsd.Signal)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { schemas[xsd.Signal].Close() })
	return signal.NewDecoder(schemas[xsd.Signal])
}

func example(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../docs/examples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeExample(t *testing.T) {
	sig, err := decoder(t).Decode(example(t, "signal-all-actions.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if sig.Case.OrganisationNumber != "2120009994" || len(sig.Citizens) != 2 || sig.Citizens[0].PersonalIdentityNumber != "191212121212" {
		t.Errorf("case %+v, citizens %+v", sig.Case, sig.Citizens)
	}
	types := map[me.ActionType]int{}
	for _, a := range sig.Event.Actions {
		types[a.Type]++
		if a.Type == me.ActionComplete && (a.EServiceOrganisation != "2220001016" || !strings.Contains(a.CompletionData, "<")) {
			t.Errorf("complete action %+v: want the other organisation's e-service with its completion data", a)
		}
	}
	if types[me.ActionDownload] == 0 || types[me.ActionMessage] == 0 || types[me.ActionComplete] == 0 {
		t.Errorf("action types %v; want download, message and complete", types)
	}
	if len(sig.Event.Attachments) == 0 || sig.Event.Attachments[0].Size != int64(len(sig.Event.Attachments[0].Content)) {
		t.Errorf("attachments %+v", sig.Event.Attachments)
	}
}

// TestDecodeRefuses: what the receiver refuses as IllegalDatapartContent is
// refused here, so `me validate` and ME agree; each error says what to fix.
func TestDecodeRefuses(t *testing.T) {
	good := example(t, "signal-message.xml")
	tests := []struct {
		name   string
		doc    []byte
		schema bool
		want   string
	}{
		{"personnummer control digit", bytes.Replace(good, []byte("198112289874"), []byte("198112289875"), 1), false, "not a valid personnummer"},
		{"complete action's organisation number", bytes.Replace(example(t, "signal-all-actions.xml"), []byte("<organisationNumber>2220001016</organisationNumber>"),
			[]byte("<organisationNumber>2220001017</organisationNumber>"), 1), false, "fails the organisationsnummer check"},
		{"UTF-16 byte order mark", append([]byte{0xFF, 0xFE}, good...), false, "not UTF-8"},
		{"Latin-1 declared", bytes.Replace(good, []byte(`encoding="UTF-8"`), []byte(`encoding="ISO-8859-1"`), 1), false, "declares encoding"},
		{"DOCTYPE", bytes.Replace(good, []byte("?>"), []byte("?>\n<!DOCTYPE signal [<!ENTITY x \"y\">]>"), 1), false, "DOCTYPE"},
		{"another root", []byte(`<receipt xmlns="` + signal.NS + `"/>`), false, "a signal's root is"},
		{"schema", bytes.Replace(good, []byte("<status>"), []byte("<state>"), 1), true, "does not validate against signal.xsd"},
	}
	d := decoder(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := d.Decode(tt.doc)
			var invalid *signal.Error
			if !errors.As(err, &invalid) {
				t.Fatalf("Decode: %v; want a *signal.Error", err)
			}
			if invalid.Schema != tt.schema || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Decode: schema %v, %q; want schema %v and %q", invalid.Schema, err, tt.schema, tt.want)
			}
		})
	}
}

func TestReceiptValidates(t *testing.T) {
	schemas, err := xsd.Load(xsd.Signal)
	if err != nil {
		t.Fatal(err)
	}
	defer schemas[xsd.Signal].Close()
	doc, err := signal.Receipt(me.SignalReceipt{TxID: "tx-1", CaseID: "c1", EventID: "e1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := schemas[xsd.Signal].Validate(doc); err != nil {
		t.Errorf("the receipt does not validate: %v\n%s", err, doc)
	}
}

// TestCompletionDataAsWritten: the content of complete/data reaches the
// action byte for byte, white space, comments and processing instructions
// between its elements included; only the declarations each top-level
// element inherited from the signal's root are added to its start tag.
// Each complete action gets its own data, none when it has no data element.
func TestCompletionDataAsWritten(t *testing.T) {
	const inherited = ` xmlns="http://minaengagemang.se/signal/v1" xmlns:c="http://minaengagemang.se/schema/common/v1"`
	base := example(t, "signal-complete.xml")
	start, end := bytes.Index(base, []byte("<data>")), bytes.Index(base, []byte("</data>"))+len("</data>")
	if start < 0 || end < start {
		t.Fatal("signal-complete.xml has no complete/data")
	}
	// withData puts data (a whole data element, or nothing) in the
	// example's place and adds the complete actions of more before the
	// example's action.
	withData := func(data, more string) []byte {
		doc := append(append(append([]byte{}, base[:start]...), data...), base[end:]...)
		return bytes.Replace(doc, []byte("<action>"), []byte(more+"<action>"), 1)
	}
	const other = `<action><complete><eServiceId>annan</eServiceId></complete></action>`
	tests := []struct {
		name string
		doc  []byte
		want []string // per complete action, in order
	}{
		{"comments, processing instructions and white space between elements",
			withData("<data>\n  <!-- före -->\n  <k:a xmlns:k=\"urn:k\">1</k:a>\n\t<?kommun version=\"2\"?>\r\n  <b>två<!-- inne --></b>  <!--efter-->\n</data>", ""),
			[]string{"\n  <!-- före -->\n  <k:a" + inherited + " xmlns:k=\"urn:k\">1</k:a>\n\t<?kommun version=\"2\"?>\r\n  <b" + inherited + ">två<!-- inne --></b>  <!--efter-->\n"}},
		{"elements only", withData(`<data><b/><c:sv>x</c:sv></data>`, ""), []string{`<b` + inherited + `/><c:sv` + inherited + `>x</c:sv>`}},
		{"an empty data element", withData(`<data/>`, ""), []string{""}},
		{"no data element", withData("", ""), []string{""}},
		{"a complete action without data before one with data",
			withData(`<data><b/></data>`, other), []string{"", `<b` + inherited + `/>`}},
	}
	d := decoder(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig, err := d.Decode(tt.doc)
			if err != nil {
				t.Fatalf("Decode: %v\n%s", err, tt.doc)
			}
			var got []string
			for _, a := range sig.Event.Actions {
				if a.Type == me.ActionComplete {
					got = append(got, a.CompletionData)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%d complete actions; want %d", len(got), len(tt.want))
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("complete action %d's data:\n%q\nwant\n%q", i+1, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestDecodeLargeAttachment: an attachment of 10.4 MB (13.9 MB of base64, one
// text node over libxml2's default limit of 10 MB) is read whole, within
// shs.max_attachment_bytes' default of 10 MiB.
func TestDecodeLargeAttachment(t *testing.T) {
	content := bytes.Repeat([]byte("ME bilaga "), 1_040_000)
	doc := regexp.MustCompile(`<content>[^<]*</content>`).ReplaceAll(example(t, "signal-all-actions.xml"),
		[]byte("<content>"+base64.StdEncoding.EncodeToString(content)+"</content>"))
	sig, err := decoder(t).Decode(doc)
	if err != nil {
		t.Fatalf("a 10.4 MB attachment: %.300v", err)
	}
	if !bytes.Equal(sig.Event.Attachments[0].Content, content) {
		t.Errorf("the attachment came back as %d bytes, want the %d sent", len(sig.Event.Attachments[0].Content), len(content))
	}
}
