package shs

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/xsd"
)

// withDoctype puts a DOCTYPE (and optionally a subject) into the test label.
func withDoctype(doctype, subject string) string {
	l := testLabel()
	l = strings.Replace(l, "?>\n", "?>\n"+doctype+"\n", 1)
	if subject != "" {
		l = strings.Replace(l, "<datetime>", "<subject>"+subject+"</subject><datetime>", 1)
	}
	return l
}

// Labels must never make ME fetch anything or expand entities: a DOCTYPE
// with an internal subset is refused outright, an external one is dropped
// unread.
func TestParseLabelEntities(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte(`<!ENTITY leak "fetched">`))
	}))
	defer srv.Close()

	const lol = `<!DOCTYPE shs.label [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>`
	for _, c := range []struct {
		name, label string
		refused     bool
	}{
		{"XXE file", withDoctype(`<!DOCTYPE shs.label [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>`, "&xxe;"), true},
		{"XXE http", withDoctype(`<!DOCTYPE shs.label [<!ENTITY xxe SYSTEM "`+srv.URL+`/xxe">]>`, "&xxe;"), true},
		{"parameter entity", withDoctype(`<!DOCTYPE shs.label [<!ENTITY % p SYSTEM "`+srv.URL+`/p"> %p;]>`, "&leak;"), true},
		{"billion laughs", withDoctype(lol, "&lol9;"), true},
		{"internal subset without entities", withDoctype(`<!DOCTYPE shs.label [<!ELEMENT shs.label ANY>]>`, ""), true},
		{"internal subset after a system id", withDoctype(`<!DOCTYPE shs.label SYSTEM "shs-label-1.2.dtd" [<!ENTITY x "y">]>`, "&x;"), true},
		{"entity without a DTD", withDoctype("", "&xxe;"), true},
		{"entity declaration in a comment", withDoctype("", "") + "<!-- <!ENTITY x 'y'> -->", true},
		{"second DOCTYPE", withDoctype(`<!DOCTYPE shs.label SYSTEM "a.dtd">`+"\n"+`<!DOCTYPE shs.label [<!ENTITY x "y">]>`, ""), true},
		{"DOCTYPE not closed", withDoctype(`<!DOCTYPE shs.label SYSTEM "a.dtd"`, ""), true},
		{"external DTD on a server", withDoctype(`<!DOCTYPE shs.label SYSTEM "`+srv.URL+`/shs-label-1.2.dtd">`, ""), false},
		{"public DTD", withDoctype(`<!DOCTYPE shs.label PUBLIC "-//SHS//label" "`+srv.URL+`/label.dtd">`, ""), false},
		{"bracket inside the system id", withDoctype(`<!DOCTYPE shs.label SYSTEM "odd[name].dtd">`, ""), false},
		{"comment before the DOCTYPE", withDoctype(`<!-- a > comment --><!DOCTYPE shs.label SYSTEM 'x.dtd'>`, ""), false},
		{"character references", withDoctype("", "&#229;&#xE4;&amp;&lt;"), false},
	} {
		for _, schema := range []*xsd.Schema{labelSchema(t), nil} {
			name := c.name
			if schema == nil {
				name += "/without schema"
			}
			t.Run(name, func(t *testing.T) {
				m, err := Parse(testMessage(c.label), "", schema, Limits{})
				if !c.refused {
					if err != nil {
						t.Fatal(err)
					}
					if strings.Contains(m.Label.Subject, "fetched") {
						t.Error("an entity was fetched")
					}
					return
				}
				if code := parseErrorCode(t, err); code != IllegalMessageStructure {
					t.Fatalf("code %q, want IllegalMessageStructure; label %+v", code, m)
				}
				t.Logf("refused: %v", err)
			})
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("parsing labels made %d requests", n)
	}
	m, err := Parse(testMessage(withDoctype("", "&#229;&#xE4;&amp;&lt;")), "", labelSchema(t), Limits{})
	if err != nil || m.Label.Subject != "åä&<" {
		t.Errorf("subject %q, %v", m.Label.Subject, err)
	}
}

// Line numbers in schema errors must point into the label as it was sent,
// DOCTYPE and all.
func TestParseLabelErrorLines(t *testing.T) {
	label := withDoctype(`<!DOCTYPE shs.label
  SYSTEM "shs-label-1.2.dtd">`, "")
	label = strings.Replace(label, `sequence-type="event"`, `sequence-type="eventually"`, 1)
	_, err := Parse(testMessage(label), "", labelSchema(t), Limits{})
	if err == nil || !strings.Contains(err.Error(), "line 4:") {
		t.Errorf("want an error on line 4 (the shs.label start tag), got %v", err)
	}
}

// Every real label must survive MarshalLabel: valid against the schema, and
// read back the same.
func TestMarshalLabelAxel(t *testing.T) {
	schema := labelSchema(t)
	for name, want := range axelMessages {
		if want.code != "" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			m, err := Parse(readAxel(t, name), "", schema, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			out, err := MarshalLabel(m.Label)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(out, []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) || bytes.Contains(out, []byte("DOCTYPE")) {
				t.Errorf("want a UTF-8 declaration and no DOCTYPE:\n%s", out)
			}
			if err := schema.Validate(out); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			back, err := decodeLabel(out, "UTF-8", schema)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, m.Label) {
				t.Errorf("read back\n%+v\nwant\n%+v", back, m.Label)
			}
		})
	}
}

func fullLabel() Label {
	return Label{
		TxID: NewID(), CorrID: NewID(), Agreement: "agreement-1", TransferType: "synch",
		MessageType: "simple", DocumentType: "compound", SequenceType: "reply", Status: "test",
		Originator:   &Party{Value: "urn:X-shs:2120000829", Name: "Malmö stad", LabeledURI: "https://malmo.se Malmö"},
		From:         &Party{Value: "urn:X-shs:2021005489", CommonName: "Mina Engagemang", EMail: "me@example.se", LabeledURI: "https://me.example"},
		To:           &Party{Value: "urn:X-shs:2120000829", CommonName: "Malmö <stad> & \"co\"\nrad två"},
		EndRecipient: &Party{Value: "urn:X-shs:2120000829.1", Name: "Bygglov", LabeledURI: "x"},
		Product:      Product{Value: "urn:X-shs:8f1c2d3e-0000-4000-8000-000000000001", CommonName: "signal", LabeledURI: "y"},
		Meta:         []Meta{{Name: "ärende", Value: "BN 2026-000123"}, {Name: "empty"}},
		Subject:      "Beslut om bygglov",
		Datetime:     "2026-03-12T14:05:00",
		Content: Content{ID: NewID(), Comment: "två delar", Data: []DataInfo{
			{DatapartType: "xml", Filename: "signal.xml", NoOfBytes: "12", NoOfRecords: "1"},
			{DatapartType: "pdf", Filename: "beslut åäö.pdf"},
		}},
		History: []History{{NodeID: "me", TxID: NewID(), ContentID: NewID(), LocalID: NewID(), Agreement: "a",
			From: "urn:X-shs:1", To: "urn:X-shs:2", Datetime: "2026-03-12T14:05:01", Comment: "Received"}},
	}
}

func TestMarshalLabel(t *testing.T) {
	schema := labelSchema(t)
	full := fullLabel()
	compound := fullLabel()
	compound.Content.Data, compound.Content.Compound = nil, &Compound{NoOfParts: "3"}
	minimal := Label{TxID: "t", CorrID: "c", SequenceType: "event", From: &Party{Value: "urn:X-shs:1", CommonName: "x"},
		Product: Product{Value: "p"}, Datetime: "d", Content: Content{ID: "i"}}
	for name, l := range map[string]Label{"full": full, "compound": compound, "minimal": minimal} {
		t.Run(name, func(t *testing.T) {
			out, err := MarshalLabel(l)
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(out); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			back, err := decodeLabel(out, "", schema)
			if err != nil {
				t.Fatal(err)
			}
			want := l
			for _, d := range []struct {
				p   *string
				def string
			}{{&want.Version, "1.2"}, {&want.MessageType, "simple"}, {&want.DocumentType, "simple"}, {&want.Status, "production"}} {
				if *d.p == "" {
					*d.p = d.def
				}
			}
			if want.TransferType == "" {
				want.TransferType = me.Asynch
			}
			if want.To != nil { // line breaks in attributes are spaces
				to := *want.To
				to.CommonName = strings.ReplaceAll(to.CommonName, "\n", " ")
				want.To = &to
			}
			if !reflect.DeepEqual(back, want) {
				t.Errorf("read back\n%+v\nwant\n%+v", back, want)
			}
		})
	}

	for _, c := range []struct {
		name   string
		change func(*Label)
		want   string
	}{
		{"no tx.id", func(l *Label) { l.TxID = "" }, "TxID is required"},
		{"tx.id with a space", func(l *Label) { l.TxID = "a b" }, "TxID"},
		{"version", func(l *Label) { l.Version = "1.3" }, "Version"},
		{"sequence type", func(l *Label) { l.SequenceType = "" }, "SequenceType is required"},
		{"bad sequence type", func(l *Label) { l.SequenceType = "signal" }, "SequenceType"},
		{"bad status", func(l *Label) { l.Status = "prod" }, "Status"},
		{"no sender", func(l *Label) { l.From, l.Originator = nil, nil }, "From"},
		{"from without commonName", func(l *Label) { l.From.CommonName = "" }, "From.CommonName"},
		{"to with a name", func(l *Label) { l.To.Name = "x" }, "To.Name"},
		{"empty address", func(l *Label) { l.To.Value = " " }, "To.Value"},
		{"no product", func(l *Label) { l.Product.Value = "" }, "Product"},
		{"no datetime", func(l *Label) { l.Datetime = "" }, "Datetime"},
		{"no content.id", func(l *Label) { l.Content.ID = "" }, "Content.ID"},
		{"data and compound", func(l *Label) { l.Content.Compound = &Compound{NoOfParts: "1"} }, "both"},
		{"data without type", func(l *Label) { l.Content.Data[1].DatapartType = "" }, "Content.Data[1].DatapartType"},
		{"meta without name", func(l *Label) { l.Meta[0].Name = "" }, "Meta[0].Name"},
		{"history without node", func(l *Label) { l.History[0].NodeID = "" }, "History[0].NodeID"},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := fullLabel()
			c.change(&l)
			_, err := MarshalLabel(l)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one about %s", err, c.want)
			}
		})
	}
}
