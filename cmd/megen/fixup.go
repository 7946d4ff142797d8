package main

import (
	"fmt"
	"go/ast"
	"go/token"
	"reflect"
	"strconv"
	"strings"
)

// fixTypes rewrites the struct types gowsdl generated so that they marshal
// to, and unmarshal from, documents valid against the contract's schemas.
func fixTypes(file *ast.File, c *contract) error {
	types := c.complexTypes()
	var errs []string
	ast.Inspect(file, func(n ast.Node) bool {
		spec, ok := n.(*ast.TypeSpec)
		if !ok {
			return true
		}
		st, ok := spec.Type.(*ast.StructType)
		if !ok {
			return false
		}
		ct, ok := types[spec.Name.Name]
		if !ok {
			return false // a helper type of gowsdl's, not from our schemas
		}
		for _, field := range st.Fields.List {
			if err := fixField(field, ct, c); err != nil {
				errs = append(errs, fmt.Sprintf("%s: %v", spec.Name.Name, err))
			}
		}
		return false
	})
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return nil
}

func fixField(field *ast.Field, ct complexType, c *contract) error {
	if field.Tag == nil || (len(field.Names) == 1 && field.Names[0].Name == "XMLName") {
		return nil
	}
	raw, err := strconv.Unquote(field.Tag.Value)
	if err != nil {
		return err
	}
	xmlTag := reflect.StructTag(raw).Get("xml")
	if xmlTag == ",any" {
		// gowsdl keeps only the text of xs:any content; keep the XML itself.
		field.Names = []*ast.Ident{ast.NewIdent("InnerXML")}
		field.Type = ast.NewIdent("string")
		field.Tag = tagLit(`xml:",innerxml" json:"-"`)
		return nil
	}
	name, opts, _ := strings.Cut(xmlTag, ",")
	if name == "" || strings.Contains(opts, "attr") || strings.Contains(opts, "chardata") {
		return nil
	}
	el := ct.element(name)
	if el == nil {
		return fmt.Errorf("field for element %q not found in the schema", name)
	}
	if el.Nillable {
		return fmt.Errorf("element %q is nillable: ME's contracts express absence with minOccurs=\"0\" instead (gowsdl cannot send xsi:nil)", name)
	}
	minOccurs, maxOccurs := 1, 1
	if el.MinOccurs != "" {
		if minOccurs, err = strconv.Atoi(el.MinOccurs); err != nil {
			return fmt.Errorf("element %q: minOccurs %q", name, el.MinOccurs)
		}
	}
	switch el.MaxOccurs {
	case "", "1":
	case "unbounded":
		maxOccurs = -1
	default:
		if maxOccurs, err = strconv.Atoi(el.MaxOccurs); err != nil {
			return fmt.Errorf("element %q: maxOccurs %q", name, el.MaxOccurs)
		}
	}

	// The element's own type, under gowsdl's pointers and slices.
	base := field.Type
	for {
		if star, ok := base.(*ast.StarExpr); ok {
			base = star.X
			continue
		}
		if arr, ok := base.(*ast.ArrayType); ok && maxOccurs != 1 {
			base = arr.Elt
			continue
		}
		break
	}
	typ := el.Type
	if typ == "" && el.SimpleType != nil {
		typ = el.SimpleType.Restriction.Base
	}
	switch c.builtin(ct.schema, typ) {
	case "base64Binary":
		base = ast.NewIdent("Base64Binary")
	case "decimal":
		base = ast.NewIdent("Decimal")
	case "hexBinary":
		return fmt.Errorf("element %q: xs:hexBinary is not supported; use xs:base64Binary", name)
	}

	tag := fmt.Sprintf(`xml:"%s"`, strings.TrimSpace(ct.schema.localNS()+" "+name))
	switch {
	case maxOccurs != 1:
		field.Type = &ast.ArrayType{Elt: base}
		tag = tag[:len(tag)-1] + `,omitempty"`
	case minOccurs == 0:
		field.Type = &ast.StarExpr{X: base}
		tag = tag[:len(tag)-1] + `,omitempty"`
	default:
		field.Type = base
	}
	field.Tag = tagLit(tag + fmt.Sprintf(` json:"%s,omitempty"`, name))
	return nil
}

func tagLit(s string) *ast.BasicLit {
	return &ast.BasicLit{Kind: token.STRING, Value: "`" + s + "`"}
}
