package xmlfrag_test

import (
	"bytes"
	"encoding/xml"
	"testing"

	"github.com/minaengagemang/me/server/xmlfrag"
)

func TestWithDecls(t *testing.T) {
	tests := []struct {
		name, raw string
		inherited xmlfrag.Decls
		want      string
	}{
		{"inherits both", `<p:a>x</p:a>`, xmlfrag.Decls{"p": "urn:p", "": "urn:d"}, `<p:a xmlns="urn:d" xmlns:p="urn:p">x</p:a>`},
		{"own declaration wins", `<p:a xmlns:p="urn:own"/>`, xmlfrag.Decls{"p": "urn:p"}, `<p:a xmlns:p="urn:own"/>`},
		{"escaped", `<a/>`, xmlfrag.Decls{"q": `urn:"q"&`}, `<a xmlns:q="urn:&#34;q&#34;&amp;"/>`},
		{"nothing to add", "<a\n/>", xmlfrag.Decls{}, "<a\n/>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := xml.NewDecoder(bytes.NewReader([]byte(tt.raw))).RawToken()
			if err != nil {
				t.Fatal(err)
			}
			got := string(xmlfrag.WithDecls([]byte(tt.raw), tok.(xml.StartElement), tt.inherited))
			if got != tt.want {
				t.Errorf("WithDecls(%s) = %s; want %s", tt.raw, got, tt.want)
			}
		})
	}
}
