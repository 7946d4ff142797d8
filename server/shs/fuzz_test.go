package shs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds Parse hostile bodies. Whatever arrives, Parse must not
// panic, and must answer either a message or an *Error for the sender.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/axel/*.mime")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "")
	}
	l := fullLabel()
	l.Content.Data = nil
	built, ct, err := Build(l, []Part{{Info: DataInfo{DatapartType: "xml"}, FileName: "åäö.xml", Data: []byte("<x/>")}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(built, ct)
	f.Add(testMessage(withDoctype(`<!DOCTYPE shs.label [<!ENTITY x "y">]>`, "&x;")), "")
	f.Add(testMessage(testLabel("a"), "Content-Transfer-Encoding: quoted-printable\r\n\r\n=C3=A5"), "message/rfc822")

	schema := labelSchema(f)
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		m, err := Parse(body, contentType, schema, Limits{MaxParts: 10, MaxPartBytes: 1 << 20})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code == "" || e.Text == "" {
				t.Fatalf("error %v (%T) is not an *Error with a code and a text", err, err)
			}
			if m != nil {
				t.Fatal("a message along with an error")
			}
			return
		}
		if m == nil {
			t.Fatal("neither a message nor an error")
		}
		if c := m.Label.Content; c.Compound == nil && len(c.Data) != len(m.Parts) {
			t.Fatalf("%d data elements for %d parts", len(c.Data), len(m.Parts))
		}
	})
}
