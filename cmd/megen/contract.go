package main

import (
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/hooklift/gowsdl"
)

const xsdNS = "http://www.w3.org/2001/XMLSchema"

// contract is a WSDL with every schema it reaches through xs:import.
type contract struct {
	wsdl    gowsdl.WSDL
	schemas []*schema
}

// schema is one parsed XSD file.
type schema struct {
	*gowsdl.XSDSchema
	path string
}

// qualified reports the namespace local elements of s are in.
func (s *schema) localNS() string {
	if s.ElementFormDefault == "qualified" {
		return s.TargetNamespace
	}
	return ""
}

func loadContract(wsdlPath string) (*contract, error) {
	data, err := os.ReadFile(wsdlPath)
	if err != nil {
		return nil, err
	}
	c := &contract{}
	if err := xml.Unmarshal(data, &c.wsdl); err != nil {
		return nil, fmt.Errorf("parse %s: %w", wsdlPath, err)
	}
	seen := map[string]bool{}
	var load func(base string, imports []*gowsdl.XSDImport) error
	load = func(base string, imports []*gowsdl.XSDImport) error {
		for _, imp := range imports {
			if imp.SchemaLocation == "" {
				continue
			}
			p := filepath.Join(filepath.Dir(base), filepath.FromSlash(imp.SchemaLocation))
			if seen[p] {
				continue
			}
			seen[p] = true
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			s := &schema{XSDSchema: new(gowsdl.XSDSchema), path: p}
			if err := xml.Unmarshal(data, s.XSDSchema); err != nil {
				return fmt.Errorf("parse %s: %w", p, err)
			}
			c.schemas = append(c.schemas, s)
			if err := load(p, s.Imports); err != nil {
				return err
			}
		}
		return nil
	}
	for _, s := range c.wsdl.Types.Schemas {
		if err := load(wsdlPath, s.Imports); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// complexType is a named complex type or a global element's anonymous one,
// under the Go type name gowsdl gives it.
type complexType struct {
	goName string
	schema *schema
	def    *gowsdl.XSDComplexType
}

func (c *contract) complexTypes() map[string]complexType {
	m := map[string]complexType{}
	for _, s := range c.schemas {
		for _, ct := range s.ComplexTypes {
			m[makePublic(ct.Name)] = complexType{makePublic(ct.Name), s, ct}
		}
		for _, el := range s.Elements {
			if el.ComplexType != nil && el.Type == "" {
				m[makePublic(el.Name)] = complexType{makePublic(el.Name), s, el.ComplexType}
			}
		}
	}
	return m
}

// element finds a child element of ct by local name.
func (ct complexType) element(name string) *gowsdl.XSDElement {
	for _, list := range [][]*gowsdl.XSDElement{ct.def.Sequence, ct.def.Choice, ct.def.SequenceChoice, ct.def.All} {
		for _, el := range list {
			if el.Name == name {
				return el
			}
		}
	}
	return nil
}

// builtin returns the local name of an XML Schema built-in type that typ
// (a QName as written in the schema) names, following named simple types
// down their restriction bases; "" when it is none.
func (c *contract) builtin(s *schema, typ string) string {
	for depth := 0; depth < 16 && typ != ""; depth++ {
		prefix, local, ok := strings.Cut(typ, ":")
		if !ok {
			prefix, local = "", typ
		}
		ns := s.Xmlns[prefix]
		if ns == xsdNS {
			return local
		}
		var next string
		for _, other := range c.schemas {
			if other.TargetNamespace != ns {
				continue
			}
			for _, st := range other.SimpleType {
				if st.Name == local {
					next, s = st.Restriction.Base, other
				}
			}
		}
		typ = next
	}
	return ""
}

// makePublic matches gowsdl's naming of types.
func makePublic(name string) string {
	if name == "" {
		return ""
	}
	return strings.ToUpper(name[:1]) + name[1:]
}

// sharedTypes names the Go types of the schemas more than one contract
// imports (common.xsd and fault.xsd), which megen declares once in
// generated/common, and lists those schemas' files for comments. A schema
// is told by its target namespace, as XML tells types apart.
func sharedTypes(contracts []*contract) (map[string]bool, string) {
	reached := map[string]int{}
	for _, c := range contracts {
		seen := map[string]bool{}
		for _, s := range c.schemas {
			if !seen[s.TargetNamespace] {
				seen[s.TargetNamespace] = true
				reached[s.TargetNamespace]++
			}
		}
	}
	names := map[string]bool{}
	for _, h := range gowsdlHelpers {
		names[h] = true
	}
	var files []string
	for _, c := range contracts {
		for _, s := range c.schemas {
			file := filepath.Base(s.path)
			if reached[s.TargetNamespace] < 2 || slices.Contains(files, file) {
				continue
			}
			files = append(files, file)
			addTypeNames(names, s)
		}
	}
	sort.Strings(files)
	return names, strings.Join(files, ", ")
}

// addTypeNames adds the names of the Go types gowsdl writes for s.
func addTypeNames(names map[string]bool, s *schema) {
	for _, st := range s.SimpleType {
		names[makePublic(st.Name)] = true
	}
	for _, ct := range s.ComplexTypes {
		names[makePublic(ct.Name)] = true
	}
	for _, el := range s.Elements {
		names[makePublic(el.Name)] = true
	}
}
