package docs_test

// The examples in docs/examples are published for integrators to copy, so
// they must stay valid as the contracts change:
//
//   - every examples/signal-*.xml validates against xsd/signal.xsd;
//   - examples/invalid/signal-broken.xml does not, with errors on exactly
//     the lines its comment names;
//   - every examples/soap/<service>-<Operation>.xml is a SOAP 1.1 envelope
//     whose single Body child is the operation's request element and
//     validates against xsd/<service>.xsd;
//   - every operation of the three WSDLs has an example, and
//     examples/soap/curl.sh sends each example with its WSDL SOAPAction.

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/minaengagemang/me/wsdl"
	"github.com/minaengagemang/me/xsd"
)

const soap11NS = "http://schemas.xmlsoap.org/soap/envelope/"

// services maps the prefix of an example's file name to its contract.
var services = map[string]struct{ wsdl, schema string }{
	"portal":  {"portal.wsdl", xsd.Portal},
	"catalog": {"catalog.wsdl", xsd.Catalog},
	"etjanst": {"etjanst.wsdl", xsd.Etjanst},
}

func loadSchemas(t *testing.T) map[string]*xsd.Schema {
	t.Helper()
	schemas, err := xsd.Load(xsd.Portal, xsd.Catalog, xsd.Etjanst, xsd.Signal)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, s := range schemas {
			s.Close()
		}
	})
	return schemas
}

func glob(t *testing.T, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no files match %s", pattern)
	}
	return files
}

func TestSignalExamples(t *testing.T) {
	schema := loadSchemas(t)[xsd.Signal]
	tests := []struct {
		file      string
		wantLines []int // nil: valid; else the lines of the expected errors
	}{
		{file: "examples/invalid/signal-broken.xml", wantLines: []int{27, 52, 100}},
	}
	for _, f := range glob(t, "examples/signal-*.xml") {
		tests = append(tests, struct {
			file      string
			wantLines []int
		}{file: f})
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			doc, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			err = schema.Validate(doc)
			if tt.wantLines == nil {
				if err != nil {
					t.Fatalf("%s does not validate against %s:\n%v", tt.file, xsd.Signal, err)
				}
				return
			}
			var errs xsd.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("%s: want xsd.Errors, got %v", tt.file, err)
			}
			var lines []int
			for _, e := range errs {
				if !slices.Contains(lines, e.Line) {
					lines = append(lines, e.Line)
				}
			}
			slices.Sort(lines)
			if !slices.Equal(lines, tt.wantLines) {
				t.Errorf("%s: errors on lines %v, want %v:\n%v", tt.file, lines, tt.wantLines, err)
			}
		})
	}
}

// contractOperations reads the SOAP binding of a WSDL: its target namespace
// and each operation's SOAPAction.
func contractOperations(t *testing.T, file string) (string, map[string]string) {
	t.Helper()
	data, err := fs.ReadFile(wsdl.Files(), file)
	if err != nil {
		t.Fatal(err)
	}
	var defs struct {
		TargetNamespace string `xml:"targetNamespace,attr"`
		Binding         struct {
			Operations []struct {
				Name string `xml:"name,attr"`
				SOAP struct {
					Action string `xml:"soapAction,attr"`
				} `xml:"http://schemas.xmlsoap.org/wsdl/soap/ operation"`
			} `xml:"http://schemas.xmlsoap.org/wsdl/ operation"`
		} `xml:"http://schemas.xmlsoap.org/wsdl/ binding"`
	}
	if err := xml.Unmarshal(data, &defs); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	ops := map[string]string{}
	for _, op := range defs.Binding.Operations {
		ops[op.Name] = op.SOAP.Action
	}
	if len(ops) == 0 {
		t.Fatalf("%s: no operations found in its binding", file)
	}
	return defs.TargetNamespace, ops
}

// bodyChild returns the single element in a SOAP 1.1 envelope's Body, as a
// document of its own, and its name.
func bodyChild(doc []byte) (xml.Name, []byte, error) {
	var env struct {
		XMLName xml.Name
		Body    *struct {
			Inner []byte `xml:",innerxml"`
		} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
	}
	if err := xml.Unmarshal(doc, &env); err != nil {
		return xml.Name{}, nil, err
	}
	if env.XMLName != (xml.Name{Space: soap11NS, Local: "Envelope"}) {
		return xml.Name{}, nil, errors.New("the root element is " + env.XMLName.Space + " " + env.XMLName.Local + ", not a SOAP 1.1 Envelope")
	}
	if env.Body == nil {
		return xml.Name{}, nil, errors.New("the Envelope has no SOAP 1.1 Body")
	}
	inner := bytes.TrimSpace(env.Body.Inner)
	d := xml.NewDecoder(bytes.NewReader(inner))
	var name xml.Name
	elements := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return xml.Name{}, nil, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			elements++
			name = tok.Name
			if err := d.Skip(); err != nil {
				return xml.Name{}, nil, err
			}
		case xml.CharData:
			if len(bytes.TrimSpace(tok)) > 0 {
				return xml.Name{}, nil, errors.New("the Body holds text besides its element")
			}
		}
	}
	if elements != 1 {
		return xml.Name{}, nil, errors.New("the Body must hold exactly one element")
	}
	return name, inner, nil
}

func TestSOAPExamples(t *testing.T) {
	schemas := loadSchemas(t)
	curl, err := os.ReadFile("examples/soap/curl.sh")
	if err != nil {
		t.Fatal(err)
	}
	type contract struct {
		namespace string
		actions   map[string]string // operation -> SOAPAction
	}
	contracts := map[string]contract{}
	missing := map[string]bool{} // "service-Operation" without an example
	for service, c := range services {
		ns, ops := contractOperations(t, c.wsdl)
		contracts[service] = contract{ns, ops}
		for op := range ops {
			missing[service+"-"+op] = true
		}
	}

	for _, file := range glob(t, "examples/soap/*.xml") {
		base := strings.TrimSuffix(filepath.Base(file), ".xml")
		delete(missing, base)
		t.Run(base, func(t *testing.T) {
			service, op, _ := strings.Cut(base, "-")
			c, ok := contracts[service]
			if !ok {
				t.Fatalf("%s: name it <service>-<Operation>.xml with service portal, catalog or etjanst", file)
			}
			action, ok := c.actions[op]
			if !ok {
				t.Fatalf("%s: %s.wsdl has no operation %s", file, service, op)
			}
			doc, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			name, body, err := bodyChild(doc)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if want := (xml.Name{Space: c.namespace, Local: op}); name != want {
				t.Fatalf("%s: the Body holds {%s}%s, want {%s}%s", file, name.Space, name.Local, want.Space, want.Local)
			}
			schema := services[service].schema
			if err := schemas[schema].Validate(body); err != nil {
				t.Errorf("%s: the Body's element does not validate against %s (lines count from the element's start tag):\n%v", file, schema, err)
			}
			if !bytes.Contains(curl, []byte(filepath.Base(file))) || !bytes.Contains(curl, []byte(action)) {
				t.Errorf("examples/soap/curl.sh does not send %s with SOAPAction %q", filepath.Base(file), action)
			}
		})
	}
	for name := range missing {
		t.Errorf("operation %s has no example examples/soap/%s.xml", name, name)
	}
}

// TestArchitectureWalks: every step of the walks in architecture.md names
// a file that exists and a function declared in it, so the map follows the
// code when files move.
func TestArchitectureWalks(t *testing.T) {
	doc, err := os.ReadFile("architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	step := regexp.MustCompile("(?m)^[0-9]+\\. `([^`]+\\.go)` — `(?:[A-Za-z]+\\.)?([A-Za-z]+)`")
	steps := step.FindAllStringSubmatch(string(doc), -1)
	if len(steps) < 15 {
		t.Fatalf("found %d walk steps in architecture.md; want both walks", len(steps))
	}
	for _, s := range steps {
		src, err := os.ReadFile(filepath.Join("..", s[1]))
		if err != nil {
			t.Errorf("architecture.md names %s: %v", s[1], err)
			continue
		}
		if !regexp.MustCompile(`(?m)^func (\([^)]*\) )?` + s[2] + `[\[(]`).Match(src) {
			t.Errorf("architecture.md says %s is in %s; it is not declared there", s[2], s[1])
		}
	}
}
