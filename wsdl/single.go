package wsdl

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"strings"
)

const xsdNS = "http://www.w3.org/2001/XMLSchema"

// schemaFile is one schema a WSDL reaches through xs:import: its file, its
// target namespace and its text from the root element on.
type schemaFile struct {
	name      string
	namespace string
	text      []byte // from <xs:schema to the end, the XML declaration and leading comments left out
}

// Single returns the WSDL doc with every schema it imports, directly or
// through other schemas, inlined into wsdl:types: what WCF calls
// ?singleWsdl, for the client generators (Mono's svcutil among them) that
// do not follow xs:import. Each inlined schema keeps its target namespace,
// one xs:schema per namespace as WS-I Basic Profile asks; the imports
// between them keep their namespace and lose their schemaLocation. Schemas
// are found by file name in schemas.
func Single(doc []byte, schemas fs.FS) ([]byte, error) {
	const open, end = "<wsdl:types>", "</wsdl:types>"
	i, j := bytes.Index(doc, []byte(open)), bytes.Index(doc, []byte(end))
	if i < 0 || j < i {
		return nil, errors.New("wsdl: no <wsdl:types> element to inline the schemas into")
	}
	set, err := importedSchemas(doc, schemas)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Write(doc[:i+len(open)])
	b.WriteByte('\n')
	for _, s := range set {
		text := importLocation.ReplaceAll(s.text, []byte("$1"))
		for line := range strings.Lines(string(text)) {
			if strings.TrimSpace(line) != "" {
				b.WriteString("    ")
			}
			b.WriteString(line)
		}
		b.WriteByte('\n')
	}
	b.WriteString("  ")
	b.Write(doc[j:])
	return b.Bytes(), nil
}

// importLocation is an xs:import's schemaLocation attribute; $1 is the tag
// before it.
var importLocation = regexp.MustCompile(`(<[A-Za-z_][\w.-]*:import\b[^>]*?)\s+schemaLocation="[^"]*"`)

// importedSchemas follows the xs:import elements of doc (a WSDL or a
// schema) and of every schema they reach, and returns each schema once,
// every schema after the schemas it imports.
func importedSchemas(doc []byte, schemas fs.FS) ([]schemaFile, error) {
	var out []schemaFile
	byNamespace := map[string]string{} // namespace -> file
	var follow func(from string, doc []byte) error
	follow = func(from string, doc []byte) error {
		imports, err := schemaImports(doc)
		if err != nil {
			return fmt.Errorf("wsdl: %s: %w", from, err)
		}
		for _, imp := range imports {
			if imp.location == "" {
				continue // a namespace already inlined beside it
			}
			name := path.Base(imp.location)
			if seen, ok := byNamespace[imp.namespace]; ok {
				if seen != name {
					return fmt.Errorf("wsdl: %s: namespace %s is in both %s and %s; one schema per namespace can be inlined", from, imp.namespace, seen, name)
				}
				continue
			}
			raw, err := fs.ReadFile(schemas, name)
			if err != nil {
				return fmt.Errorf("wsdl: %s imports %s: %w", from, imp.location, err)
			}
			s, err := readSchema(name, raw)
			if err != nil {
				return err
			}
			if s.namespace != imp.namespace {
				return fmt.Errorf("wsdl: %s imports %s for namespace %q, but its targetNamespace is %q", from, name, imp.namespace, s.namespace)
			}
			byNamespace[s.namespace] = name
			if err := follow(name, raw); err != nil {
				return err
			}
			// After what it imports: some generators (JAX-WS) resolve the
			// types of an inlined schema only from schemas before it.
			out = append(out, s)
		}
		return nil
	}
	if err := follow("the WSDL", doc); err != nil {
		return nil, err
	}
	return out, nil
}

type schemaImport struct{ namespace, location string }

// schemaImports lists the xs:import elements of doc, wherever they are, and
// refuses xs:include, which Single does not resolve.
func schemaImports(doc []byte) ([]schemaImport, error) {
	d := xml.NewDecoder(bytes.NewReader(doc))
	var out []schemaImport
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		el, ok := tok.(xml.StartElement)
		if !ok || el.Name.Space != xsdNS {
			continue
		}
		switch el.Name.Local {
		case "include", "redefine", "override":
			return nil, fmt.Errorf("xs:%s is not supported: import a schema of its own namespace instead", el.Name.Local)
		case "import":
			out = append(out, schemaImport{namespace: attr(el, "namespace"), location: attr(el, "schemaLocation")})
		}
	}
}

// readSchema returns the schema file's target namespace and its text from
// the root element on.
func readSchema(name string, raw []byte) (schemaFile, error) {
	d := xml.NewDecoder(bytes.NewReader(raw))
	for {
		off := d.InputOffset()
		tok, err := d.Token()
		if err != nil {
			return schemaFile{}, fmt.Errorf("wsdl: schema %s: %v", name, err)
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if el.Name.Space != xsdNS || el.Name.Local != "schema" {
			return schemaFile{}, fmt.Errorf("wsdl: %s is not an XML Schema: its root is {%s}%s", name, el.Name.Space, el.Name.Local)
		}
		return schemaFile{name: name, namespace: attr(el, "targetNamespace"), text: bytes.TrimSpace(raw[off:])}, nil
	}
}

func attr(el xml.StartElement, local string) string {
	for _, a := range el.Attr {
		if a.Name.Space == "" && a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}
