package main

import (
	"bytes"
	"fmt"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/template"
)

// commonImport is the import path of generated/common, which the service
// packages' aliases name. It is this module's, wherever megen writes the
// files (TestGeneratedIsUpToDate writes them to a temporary directory).
const commonImport = "github.com/minaengagemang/me/generated/common"

// run finishes the packages gowsdl wrote in dir, one per WSDL and named
// after it. gowsdl writes the types of every schema a WSDL imports into
// that WSDL's package, so the types of the schemas several contracts share
// would be declared once per contract, and every conversion to them
// written once per contract. run moves them to dir/common and leaves
// aliases behind, so that portal.LocalizedText and catalog.LocalizedText
// are one type.
func run(dir string, wsdlPaths []string) error {
	var contracts []*contract
	for _, p := range wsdlPaths {
		c, err := loadContract(p)
		if err != nil {
			return err
		}
		contracts = append(contracts, c)
	}
	shared, schemas := sharedTypes(contracts)
	common := newCommonPackage()

	var xsdTypes bytes.Buffer
	if err := xsdTypesTmpl.Execute(&xsdTypes, struct{ Package string }{"common"}); err != nil {
		return err
	}
	_, xsdChunks, err := splitDecls(xsdTypes.Bytes())
	if err != nil {
		return fmt.Errorf("xsdtypes.go: %w", err)
	}
	for i, c := range contracts {
		if err := writeService(dir, wsdlPaths[i], c, shared, common, xsdChunks, schemas); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "common"), 0o755); err != nil {
		return err
	}
	if err := writeSource(filepath.Join(dir, "common", "common.go"), common.source(schemas)); err != nil {
		return err
	}
	if err := writeSource(filepath.Join(dir, "common", "xsdtypes.go"), xsdTypes.Bytes()); err != nil {
		return err
	}
	return writeSource(filepath.Join(dir, "common", "soap.go"), []byte(commonSOAP))
}

// writeService fixes the types gowsdl wrote for one WSDL, hands the shared
// ones to common, and writes the package's own files: <service>.go,
// aliases.go and server.go. xsdTypes are the declarations of
// common/xsdtypes.go, which every package's fixed types name as their own
// (Base64Binary), so every package aliases them too.
func writeService(dir, wsdlPath string, c *contract, shared map[string]bool, common *commonPackage, xsdTypes []chunk, schemas string) error {
	pkg := strings.TrimSuffix(filepath.Base(wsdlPath), ".wsdl")
	typesFile := filepath.Join(dir, pkg, pkg+".go")
	src, err := fixFile(typesFile, wsdlPath, c)
	if err != nil {
		return err
	}
	file, chunks, err := splitDecls(src)
	if err != nil {
		return fmt.Errorf("%s: %w", typesFile, err)
	}
	var toCommon, moved []chunk
	for _, ch := range chunks {
		switch {
		case ch.isHeader():
			toCommon = append(toCommon, ch)
		case ch.isShared(shared):
			toCommon = append(toCommon, ch)
			moved = append(moved, ch)
		}
	}
	if err := common.add(pkg, file, toCommon); err != nil {
		return err
	}
	if err := writeSource(typesFile, cut(src, moved)); err != nil {
		return err
	}

	var buf bytes.Buffer
	if err := aliasesTmpl.Execute(&buf, newAliases(pkg, schemas, slices.Concat(xsdTypes, moved))); err != nil {
		return err
	}
	if err := writeSource(filepath.Join(dir, pkg, "aliases.go"), buf.Bytes()); err != nil {
		return err
	}

	ops, err := c.operations()
	if err != nil {
		return err
	}
	data := struct {
		Package, Source, Server, PortType string
		Operations                        []operation
	}{pkg, "wsdl/" + filepath.Base(wsdlPath), serverName(c.wsdl.PortTypes[0].Name), c.wsdl.PortTypes[0].Name, ops}
	buf.Reset()
	if err := serverTmpl.Execute(&buf, data); err != nil {
		return err
	}
	return writeSource(filepath.Join(dir, pkg, "server.go"), buf.Bytes())
}

// fixFile reads the types gowsdl wrote for wsdlPath and returns them fixed
// and formatted.
func fixFile(typesFile, wsdlPath string, c *contract) ([]byte, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, typesFile, nil, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("parse gowsdl's output: %w", err)
	}
	if err := fixTypes(file, c); err != nil {
		return nil, fmt.Errorf("%s:\n%w", wsdlPath, err)
	}
	var buf bytes.Buffer
	if err := format.Node(&buf, fset, file); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeSource(path string, src []byte) error {
	out, err := format.Source(src)
	if err != nil {
		return fmt.Errorf("format %s: %w", path, err)
	}
	return os.WriteFile(path, out, 0o644)
}

// serverName turns "PortalPortType" into "PortalServer".
func serverName(portType string) string {
	return strings.TrimSuffix(portType, "PortType") + "Server"
}

// operation is one operation of the contract's (single) port type.
type operation struct {
	Name, Doc, SOAPAction     string
	RequestNS, RequestElem    string
	ResponseNS, ResponseElem  string
	RequestType, ResponseType string
}

func (c *contract) operations() ([]operation, error) {
	if len(c.wsdl.PortTypes) != 1 || len(c.wsdl.Binding) != 1 {
		return nil, fmt.Errorf("want exactly one portType and one binding, have %d and %d", len(c.wsdl.PortTypes), len(c.wsdl.Binding))
	}
	messages := map[string]string{} // message name -> element QName
	for _, m := range c.wsdl.Messages {
		if len(m.Parts) != 1 || m.Parts[0].Element == "" {
			return nil, fmt.Errorf("message %s: document/literal wrapped wants one part with an element", m.Name)
		}
		messages[m.Name] = m.Parts[0].Element
	}
	actions := map[string]string{}
	for _, op := range c.wsdl.Binding[0].Operations {
		actions[op.Name] = op.SOAPOperation.SOAPAction
	}
	resolve := func(message string) (ns, local string, err error) {
		_, name, _ := strings.Cut(message, ":")
		qname, ok := messages[name]
		if !ok {
			return "", "", fmt.Errorf("message %s not defined", message)
		}
		prefix, local, _ := strings.Cut(qname, ":")
		ns, ok = c.wsdl.Xmlns[prefix]
		if !ok {
			return "", "", fmt.Errorf("prefix %s of %s not declared", prefix, qname)
		}
		return ns, local, nil
	}
	var ops []operation
	for _, op := range c.wsdl.PortTypes[0].Operations {
		o := operation{Name: op.Name, Doc: strings.Join(strings.Fields(op.Doc), " "), SOAPAction: actions[op.Name]}
		var err error
		if o.RequestNS, o.RequestElem, err = resolve(op.Input.Message); err != nil {
			return nil, fmt.Errorf("operation %s: %w", op.Name, err)
		}
		if o.ResponseNS, o.ResponseElem, err = resolve(op.Output.Message); err != nil {
			return nil, fmt.Errorf("operation %s: %w", op.Name, err)
		}
		o.RequestType, o.ResponseType = makePublic(o.RequestElem), makePublic(o.ResponseElem)
		ops = append(ops, o)
	}
	return ops, nil
}

var serverTmpl = template.Must(template.New("server").Parse(`// Code generated by megen from {{.Source}}. DO NOT EDIT.

package {{.Package}}

import (
	"context"
	"encoding/xml"

	"github.com/minaengagemang/me/generated/common"
)

// {{.Server}} serves {{.PortType}}: one method per operation of
// {{.Source}}. An operation added to the contract is a compile error until
// the service implementing this interface serves it.
type {{.Server}} interface {
{{- range .Operations}}
	// {{.Name}}: {{.Doc}}
	{{.Name}}(ctx context.Context, request *{{.RequestType}}) (*{{.ResponseType}}, error)
{{- end}}
}

// Operations lists the contract's operations in WSDL order, bound to srv.
func Operations(srv {{.Server}}) []common.Operation {
	return []common.Operation{
{{- range .Operations}}
		{
			Name:       "{{.Name}}",
			SOAPAction: "{{.SOAPAction}}",
			Request:    xml.Name{Space: "{{.RequestNS}}", Local: "{{.RequestElem}}"},
			Response:   xml.Name{Space: "{{.ResponseNS}}", Local: "{{.ResponseElem}}"},
			NewRequest: func() any { return new({{.RequestType}}) },
			Invoke: func(ctx context.Context, request any) (any, error) {
				return srv.{{.Name}}(ctx, request.(*{{.RequestType}}))
			},
		},
{{- end}}
	}
}

// AsMEFault returns the typed detail of a SOAP fault returned by a call
// through the generated client (see common.AsMEFault).
func AsMEFault(err error) (*MEFault, bool) { return common.AsMEFault(err) }
`))

// commonSOAP is generated/common/soap.go: what every contract's operations
// and clients share, written once.
const commonSOAP = `// Code generated by megen. DO NOT EDIT.

package common

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"

	"github.com/hooklift/gowsdl/soap"
)

// Operation is one operation of a contract bound to the service that
// serves it, as a SOAP dispatcher needs it.
type Operation struct {
	Name       string
	SOAPAction string
	Request    xml.Name // the body element that selects the operation
	Response   xml.Name
	NewRequest func() any
	Invoke     func(ctx context.Context, request any) (any, error)
}

// AsMEFault returns the typed detail of a SOAP fault returned by a call
// through a generated client. gowsdl's client reports a fault sent with
// HTTP 500, as SOAP 1.1 requires, as a *soap.HTTPError holding the body;
// this reads the detail out of it.
func AsMEFault(err error) (*MEFault, bool) {
	var httpErr *soap.HTTPError
	if !errors.As(err, &httpErr) {
		return nil, false
	}
	var env struct {
		Body struct {
			Fault struct {
				Detail struct {
					MEFault *MEFault
				} ` + "`xml:\"detail\"`" + `
			} ` + "`xml:\"http://schemas.xmlsoap.org/soap/envelope/ Fault\"`" + `
		} ` + "`xml:\"http://schemas.xmlsoap.org/soap/envelope/ Body\"`" + `
	}
	if xml.NewDecoder(bytes.NewReader(httpErr.ResponseBody)).Decode(&env) != nil || env.Body.Fault.Detail.MEFault == nil {
		return nil, false
	}
	return env.Body.Fault.Detail.MEFault, true
}
`

var xsdTypesTmpl = template.Must(template.New("xsdtypes").Parse(`// Code generated by megen. DO NOT EDIT.

package {{.Package}}

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
)

// Base64Binary is xs:base64Binary: bytes sent base64-encoded. gowsdl maps
// the type to []byte, which encoding/xml would send as raw text.
type Base64Binary []byte

// MarshalText encodes b in standard base64.
func (b Base64Binary) MarshalText() ([]byte, error) {
	return base64.StdEncoding.AppendEncode(nil, b), nil
}

// UnmarshalText decodes base64, ignoring the whitespace XML senders may
// wrap it with.
func (b *Base64Binary) UnmarshalText(text []byte) error {
	clean := strings.Join(strings.Fields(string(text)), "")
	out, err := base64.StdEncoding.DecodeString(clean)
	if err != nil {
		return fmt.Errorf("xs:base64Binary: %w", err)
	}
	*b = out
	return nil
}

// Decimal is xs:decimal kept in its exact lexical form. gowsdl maps it to
// float64, which loses digits (0.1 + 0.2) that amounts must keep.
type Decimal string

var decimalPattern = regexp.MustCompile(` + "`^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)$`" + `)

// MarshalText refuses a value that is not an xs:decimal.
func (d Decimal) MarshalText() ([]byte, error) {
	if !decimalPattern.MatchString(string(d)) {
		return nil, fmt.Errorf("xs:decimal: %q is not a decimal number", string(d))
	}
	return []byte(d), nil
}

// UnmarshalText accepts an xs:decimal with surrounding whitespace.
func (d *Decimal) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	if !decimalPattern.MatchString(s) {
		return fmt.Errorf("xs:decimal: %q is not a decimal number", s)
	}
	*d = Decimal(s)
	return nil
}
`))

// aliases is what aliases.go of a service package declares.
type aliases struct {
	Package, Import, Schemas string
	Types, Consts            []string
}

func newAliases(pkg, schemas string, chunks []chunk) aliases {
	a := aliases{Package: pkg, Import: commonImport, Schemas: schemas}
	for _, c := range chunks {
		switch c.kind {
		case token.TYPE:
			a.Types = append(a.Types, c.names...)
		case token.CONST:
			a.Consts = append(a.Consts, c.names...)
		}
	}
	return a
}

var aliasesTmpl = template.Must(template.New("aliases").Parse(`// Code generated by megen. DO NOT EDIT.

package {{.Package}}

import "{{.Import}}"

// The types of the schemas several contracts share ({{.Schemas}})
// and those of common/xsdtypes.go are declared once, in package common, so
// that each conversion to them is written once. These aliases keep their
// names here: {{.Package}}.LocalizedText is common.LocalizedText.
type (
{{- range .Types}}
	{{.}} = common.{{.}}
{{- end}}
)
{{- if .Consts}}

// The values of the shared enumerations.
const (
{{- range .Consts}}
	{{.}} = common.{{.}}
{{- end}}
)
{{- end}}
`))
