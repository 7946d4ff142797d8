package soap

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// names reads a document as a list of what it means: element names with
// their namespaces, attributes other than declarations, and text.
func meaning(t *testing.T, doc []byte) []string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	var out []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("%v in %s", err, doc)
		}
		switch tt := tok.(type) {
		case xml.StartElement:
			out = append(out, "<{"+tt.Name.Space+"}"+tt.Name.Local)
			for _, a := range tt.Attr {
				if a.Name.Space != "xmlns" && !(a.Name.Space == "" && a.Name.Local == "xmlns") {
					out = append(out, "@{"+a.Name.Space+"}"+a.Name.Local+"="+a.Value)
				}
			}
		case xml.EndElement:
			out = append(out, ">{"+tt.Name.Space+"}"+tt.Name.Local)
		case xml.CharData:
			out = append(out, string(tt))
		}
	}
}

func TestCompactNamespaces(t *testing.T) {
	const p, c = "http://minaengagemang.se/portal/v1", "http://minaengagemang.se/schema/common/v1"
	tests := []struct {
		name, in string
		smaller  bool
	}{
		{"shared types", `<GetEServiceResponse xmlns="` + p + `"><eService xmlns="` + p + `"><id xmlns="` + c + `">bygglov</id>` +
			`<name xmlns="` + c + `"><sv xmlns="` + c + `">Ansökan &amp; bygglov</sv><en xmlns="` + c + `">Permit</en></name><empty xmlns="` + c + `"/></eService></GetEServiceResponse>`, true},
		{"completion data as written", `<R xmlns="urn:e"><data xmlns="urn:e"><k:plan xmlns:k="urn:k" k:v="1 &gt; 0"><k:x>1</k:x><y>inherits urn:e</y></k:plan>` +
			`<z xmlns="urn:z"><w>2</w></z><!-- a comment --><![CDATA[<not a tag>]]><?pi data?></data></R>`, false},
		{"one namespace (a fault's detail)", `<a xmlns="urn:a"><b xmlns="urn:a">x</b><c xmlns="urn:a">y</c></a>`, true},
		{"a prefix already taken", `<a xmlns="urn:a"><n1:b xmlns:n1="urn:n"><c xmlns="urn:c"/></n1:b></a>`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := compactNamespaces([]byte(tt.in))
			want, got := meaning(t, []byte(tt.in)), meaning(t, out)
			if strings.Join(want, "\n") != strings.Join(got, "\n") {
				t.Errorf("the meaning changed:\n%s\nfrom\n%s", out, tt.in)
			}
			if tt.smaller && (len(out) >= len(tt.in) || bytes.Count(out, []byte("xmlns=")) != 1) {
				t.Errorf("not compacted (%d → %d bytes): %s", len(tt.in), len(out), out)
			}
		})
	}
}
