package wsdl

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	lxsd "github.com/lestrrat-go/libxml2/xsd"
)

// contract is one WSDL and every schema it reaches.
type contract struct {
	wsdl    string
	doc     []byte
	schemas []schemaFile
}

func contracts(t *testing.T) []contract {
	t.Helper()
	var out []contract
	for _, name := range []string{"portal.wsdl", "catalog.wsdl", "etjanst.wsdl"} {
		doc, err := fs.ReadFile(Files(), name)
		if err != nil {
			t.Fatal(err)
		}
		schemas, err := importedSchemas(doc, os.DirFS("../xsd"))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, contract{wsdl: name, doc: doc, schemas: schemas})
	}
	return out
}

// The parts of a WSDL that say which wrapper elements an operation has.
type wsdlDefinitions struct {
	Namespaces []xml.Attr `xml:",any,attr"` // xmlns:prefix declarations among them
	Messages   []struct {
		Name  string `xml:"name,attr"`
		Parts []struct {
			Element string `xml:"element,attr"`
		} `xml:"part"`
	} `xml:"message"`
	Operations []struct {
		Name  string `xml:"name,attr"`
		Input struct {
			Message string `xml:"message,attr"`
		} `xml:"input"`
		Output struct {
			Message string `xml:"message,attr"`
		} `xml:"output"`
	} `xml:"portType>operation"`
}

// The parts of a schema that say which elements a wrapper holds.
type (
	xsSchema struct {
		TargetNamespace string          `xml:"targetNamespace,attr"`
		Elements        []xsElement     `xml:"element"`
		ComplexTypes    []xsComplexType `xml:"complexType"`
	}
	xsElement struct {
		Name        string         `xml:"name,attr"`
		Type        string         `xml:"type,attr"`
		ComplexType *xsComplexType `xml:"complexType"`
	}
	xsComplexType struct {
		Name     string      `xml:"name,attr"`
		Children []xsElement `xml:"sequence>element"`
		All      []xsElement `xml:"all>element"`
	}
)

// inlinedSchemas cuts the xs:schema elements out of a single WSDL's
// wsdl:types, each as its own document, by target namespace.
func inlinedSchemas(t *testing.T, doc []byte) (map[string][]byte, []string) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	out := map[string][]byte{}
	var order []string
	for {
		off := d.InputOffset()
		tok, err := d.Token()
		if err == io.EOF {
			return out, order
		}
		if err != nil {
			t.Fatal(err)
		}
		el, ok := tok.(xml.StartElement)
		if !ok || el.Name.Space != xsdNS || el.Name.Local != "schema" {
			continue
		}
		if err := d.Skip(); err != nil {
			t.Fatal(err)
		}
		ns := attr(el, "targetNamespace")
		if _, dup := out[ns]; dup {
			t.Errorf("two xs:schema elements for namespace %q; WS-I Basic Profile allows one", ns)
		}
		out[ns] = doc[off:d.InputOffset()]
		order = append(order, ns)
	}
}

var importNamespace = regexp.MustCompile(`<xs:import namespace="([^"]*)"`)

// TestSingleInlinesEverySchema: the single WSDL holds every schema the WSDL
// reaches, one per namespace, with no schemaLocation left; the inlined
// schemas compile together in libxml2; and every message of all seventeen
// operations names an element they define.
func TestSingleInlinesEverySchema(t *testing.T) {
	// Every schema after those it imports (JAX-WS resolves an inlined
	// schema's types only from schemas before it).
	wantNamespaces := map[string][]string{
		"portal.wsdl":  {"http://minaengagemang.se/schema/common/v1", "http://minaengagemang.se/portal/v1", "http://minaengagemang.se/schema/fault/v1"},
		"catalog.wsdl": {"http://minaengagemang.se/schema/common/v1", "http://minaengagemang.se/catalog/v1", "http://minaengagemang.se/schema/fault/v1"},
		"etjanst.wsdl": {"http://minaengagemang.se/schema/common/v1", "http://minaengagemang.se/etjanst/v1", "http://minaengagemang.se/schema/fault/v1"},
	}
	operations := 0
	for _, c := range contracts(t) {
		t.Run(c.wsdl, func(t *testing.T) {
			single, err := Single(c.doc, os.DirFS("../xsd"))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(single, []byte("schemaLocation")) {
				t.Errorf("a schemaLocation is left:\n%s", single)
			}
			schemas, order := inlinedSchemas(t, single)
			if got, want := strings.Join(order, " "), strings.Join(wantNamespaces[c.wsdl], " "); got != want {
				t.Errorf("inlined namespaces %s; want %s", got, want)
			}

			// libxml2 resolves imports only by schemaLocation: give each
			// inlined schema a file and point the imports at them.
			dir := t.TempDir()
			file := map[string]string{}
			for i, ns := range order {
				file[ns] = filepath.Join(dir, fmt.Sprintf("s%d.xsd", i))
			}
			for ns, text := range schemas {
				located := importNamespace.ReplaceAllFunc(text, func(m []byte) []byte {
					imported := string(importNamespace.FindSubmatch(m)[1])
					if file[imported] == "" {
						t.Errorf("schema %s imports %s, which is not inlined", ns, imported)
					}
					return fmt.Appendf(nil, `%s schemaLocation="%s"`, m, file[imported])
				})
				if err := os.WriteFile(file[ns], located, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			elements := map[string]bool{} // "{ns}local"
			for _, ns := range order {
				buf, _ := os.ReadFile(file[ns])
				s, err := lxsd.Parse(buf, lxsd.WithPath(file[ns]))
				if err != nil {
					t.Errorf("inlined schema %s does not compile: %v", ns, err)
					continue
				}
				s.Free()
				var head xsSchema
				if err := xml.Unmarshal(buf, &head); err != nil {
					t.Fatal(err)
				}
				for _, el := range head.Elements {
					elements["{"+ns+"}"+el.Name] = true
				}
			}

			var defs wsdlDefinitions
			if err := xml.Unmarshal(single, &defs); err != nil {
				t.Fatal(err)
			}
			prefixes := map[string]string{}
			for _, a := range defs.Namespaces {
				if a.Name.Space == "xmlns" {
					prefixes[a.Name.Local] = a.Value
				}
			}
			for _, m := range defs.Messages {
				for _, p := range m.Parts {
					prefix, local, _ := strings.Cut(p.Element, ":")
					if !elements["{"+prefixes[prefix]+"}"+local] {
						t.Errorf("message %s names element %s, which no inlined schema defines", m.Name, p.Element)
					}
				}
			}
			operations += len(defs.Operations)
		})
	}
	if operations != 17 {
		t.Errorf("%d operations in the single WSDLs; want 17", operations)
	}
}

func TestSingleRefuses(t *testing.T) {
	const wsdlDoc = `<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:xs="http://www.w3.org/2001/XMLSchema"><wsdl:types><xs:schema><xs:import namespace="urn:a" schemaLocation="../xsd/a.xsd"/></xs:schema></wsdl:types></wsdl:definitions>`
	schema := func(ns, body string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte(`<?xml version="1.0"?><xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="` + ns + `">` + body + `</xs:schema>`)}
	}
	tests := []struct {
		name    string
		doc     string
		schemas fstest.MapFS
		want    string
	}{
		{"no types", `<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"/>`, nil, "no <wsdl:types>"},
		{"missing schema", wsdlDoc, fstest.MapFS{}, "imports ../xsd/a.xsd"},
		{"wrong namespace", wsdlDoc, fstest.MapFS{"a.xsd": schema("urn:b", "")}, `targetNamespace is "urn:b"`},
		{"include", wsdlDoc, fstest.MapFS{"a.xsd": schema("urn:a", `<xs:include schemaLocation="b.xsd"/>`)}, "xs:include is not supported"},
		{"one namespace in two files", wsdlDoc, fstest.MapFS{
			"a.xsd": schema("urn:a", `<xs:import namespace="urn:b" schemaLocation="b.xsd"/><xs:import namespace="urn:b" schemaLocation="c.xsd"/>`),
			"b.xsd": schema("urn:b", ""), "c.xsd": schema("urn:b", ""),
		}, "namespace urn:b is in both b.xsd and c.xsd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Single([]byte(tt.doc), tt.schemas)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Single: %v; want an error saying %q", err, tt.want)
			}
		})
	}
}
