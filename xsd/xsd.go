// Package xsd holds ME's published XML Schemas and validates documents
// against them with libxml2.
//
// The schemas are embedded in the binary and served to clients as they are.
// libxml2 resolves xs:import only relative to a file path, so Load writes
// them to a private temporary directory, parses there once (parsing is slow
// and leaks a little in libxml2) and removes the directory again.
package xsd

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	lxsd "github.com/lestrrat-go/libxml2/xsd"
)

//go:embed *.xsd
var files embed.FS

// Files returns the published schemas, by file name.
func Files() fs.FS { return files }

// The schema files, as clients and the WSDLs name them.
const (
	Common   = "common.xsd"
	Fault    = "fault.xsd"
	Portal   = "portal.xsd"
	Catalog  = "catalog.xsd"
	Etjanst  = "etjanst.xsd"
	Signal   = "signal.xsd"
	SHSLabel = "shs-label-1.2.xsd"
	// CitizenExport is the register extract (me citizen export), not a
	// SOAP contract: no WSDL imports it.
	CitizenExport = "citizen-export.xsd"
)

// Schema is one parsed schema with everything it imports. It is safe for
// concurrent use.
type Schema struct {
	name   string
	schema *lxsd.Schema
}

// Load parses the named schemas. Close the returned schemas when done.
func Load(names ...string) (map[string]*Schema, error) {
	dir, err := os.MkdirTemp("", "me-xsd-")
	if err != nil {
		return nil, fmt.Errorf("xsd: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := os.CopyFS(dir, files); err != nil {
		return nil, fmt.Errorf("xsd: unpack schemas: %w", err)
	}
	out := make(map[string]*Schema, len(names))
	for _, name := range names {
		path := filepath.Join(dir, name)
		buf, err := os.ReadFile(path)
		if err != nil {
			closeAll(out)
			return nil, fmt.Errorf("xsd: %s: %w", name, err)
		}
		s, err := lxsd.Parse(buf, lxsd.WithPath(path))
		if err != nil {
			closeAll(out)
			return nil, fmt.Errorf("xsd: parse %s: %w", name, err)
		}
		out[name] = &Schema{name: name, schema: s}
	}
	return out, nil
}

func closeAll(m map[string]*Schema) {
	for _, s := range m {
		s.Close()
	}
}

// Name is the schema's file name.
func (s *Schema) Name() string { return s.name }

// Close frees the parsed schema.
func (s *Schema) Close() { s.schema.Free() }

// Error is one problem found in a document: where, and what.
type Error struct {
	Line    int // 1-based; 0 when libxml2 did not say
	Message string
}

func (e Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Message)
	}
	return e.Message
}

// Errors is every problem found in one document.
type Errors []Error

func (es Errors) Error() string {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return errors.Join(errs...).Error()
}

// Validate checks doc (a whole XML document) against the schema. It returns
// nil or Errors. The document is parsed without network access, without
// loading a DTD and without substituting entities.
func (s *Schema) Validate(doc []byte) error {
	errs := validate(s.schema.Pointer(), doc)
	if len(errs) == 0 {
		return nil
	}
	return errs
}
