package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path"
	"slices"
	"strconv"
	"strings"
)

// gowsdlHelpers are the types gowsdl's header template writes into every
// file it generates. common.xsd's HTTPURL is built on AnyURI, so they move
// to generated/common with the shared types.
var gowsdlHelpers = []string{"AnyType", "AnyURI", "NCName"}

// chunk is one top-level declaration of a generated file, as source text
// with the comments above it. Moving text rather than AST nodes keeps
// gowsdl's free-floating documentation comments with their types.
type chunk struct {
	key     string   // kind and first name: chunks with one key must be alike
	names   []string // the identifiers it declares
	kind    token.Token
	typ     string // the type a type declares, or the type of a const block
	text    string
	imports []string // the package names it refers to, e.g. "soap"
	start   int      // byte range in the file it came from
	end     int
}

// splitDecls cuts a formatted Go file into its top-level declarations.
func splitDecls(src []byte) (*ast.File, []chunk, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "", src, parser.ParseComments)
	if err != nil {
		return nil, nil, err
	}
	lineEnd := func(pos token.Pos) int {
		off := fset.Position(pos).Offset
		if i := bytes.IndexByte(src[off:], '\n'); i >= 0 {
			return off + i + 1
		}
		return len(src)
	}
	var chunks []chunk
	start := lineEnd(file.Name.End())
	for _, decl := range file.Decls {
		end := lineEnd(decl.End())
		c := chunk{text: strings.TrimSpace(string(src[start:end])), start: start, end: end, imports: packagesUsed(decl)}
		if gen, ok := decl.(*ast.GenDecl); ok {
			c.kind = gen.Tok
			c.names = declaredNames(gen)
			c.typ = declaredType(gen)
		} else {
			c.kind = token.FUNC
			c.names = []string{decl.(*ast.FuncDecl).Name.Name}
		}
		if len(c.names) > 0 && c.names[0] != "_" {
			c.key = c.kind.String() + " " + c.names[0]
		} else {
			c.key = c.text // `var _ time.Time` has no name of its own
		}
		chunks = append(chunks, c)
		start = end
	}
	return file, chunks, nil
}

func declaredNames(gen *ast.GenDecl) []string {
	var names []string
	for _, spec := range gen.Specs {
		switch s := spec.(type) {
		case *ast.TypeSpec:
			names = append(names, s.Name.Name)
		case *ast.ValueSpec:
			for _, n := range s.Names {
				names = append(names, n.Name)
			}
		}
	}
	return names
}

// declaredType is the type a type declaration declares, or the type of the
// constants gowsdl writes for an enumeration; "" for anything else.
func declaredType(gen *ast.GenDecl) string {
	if len(gen.Specs) == 0 {
		return ""
	}
	switch s := gen.Specs[0].(type) {
	case *ast.TypeSpec:
		return s.Name.Name
	case *ast.ValueSpec:
		if id, ok := s.Type.(*ast.Ident); ok && gen.Tok == token.CONST {
			return id.Name
		}
	}
	return ""
}

// packagesUsed lists the package names decl qualifies identifiers with.
func packagesUsed(decl ast.Decl) []string {
	seen := map[string]bool{}
	var names []string
	ast.Inspect(decl, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && !seen[id.Name] {
				seen[id.Name] = true
				names = append(names, id.Name)
			}
		}
		return true
	})
	return names
}

// isHeader reports whether c is part of gowsdl's header that both the
// service file and the common file keep: `var _ time.Time` and the like
// (the import block is rewritten for the common file).
func (c chunk) isHeader() bool {
	if c.kind != token.VAR {
		return false
	}
	for _, n := range c.names {
		if n != "_" {
			return false
		}
	}
	return true
}

// isShared reports whether c declares a type of the shared schemas, or the
// enumeration values of one.
func (c chunk) isShared(shared map[string]bool) bool {
	return (c.kind == token.TYPE && len(c.names) == 1 || c.kind == token.CONST) && shared[c.typ]
}

// commonPackage collects the shared declarations of every service package.
type commonPackage struct {
	chunks  []chunk
	from    map[string]string // chunk key -> the package it was first seen in
	texts   map[string]string // chunk key -> text
	imports []string          // import specs, as written ("time", soap "…")
	inUse   map[string]bool   // package names the chunks refer to
}

func newCommonPackage() *commonPackage {
	return &commonPackage{from: map[string]string{}, texts: map[string]string{}, inUse: map[string]bool{}}
}

// add takes the shared declarations of one service package. Every package
// gowsdl wrote declares the shared types alike; a difference means the
// shared schemas were read differently, and one copy would silently win.
func (p *commonPackage) add(pkg string, file *ast.File, chunks []chunk) error {
	for _, c := range chunks {
		if first, ok := p.from[c.key]; ok {
			if p.texts[c.key] != c.text {
				return fmt.Errorf("%s differs between generated/%s and generated/%s", c.key, first, pkg)
			}
			continue
		}
		p.from[c.key], p.texts[c.key] = pkg, c.text
		p.chunks = append(p.chunks, c)
		for _, name := range c.imports {
			p.inUse[name] = true
		}
	}
	for _, imp := range file.Imports {
		spec := imp.Path.Value
		name, _ := strconv.Unquote(imp.Path.Value)
		name = path.Base(name)
		if imp.Name != nil {
			name, spec = imp.Name.Name, imp.Name.Name+" "+spec
		}
		if p.inUse[name] && !slices.Contains(p.imports, spec) {
			p.imports = append(p.imports, spec)
		}
	}
	return nil
}

// source is the common package's file of shared types.
func (p *commonPackage) source(schemas string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by megen from gowsdl's output for %s. DO NOT EDIT.\n\n", schemas)
	fmt.Fprintf(&b, "// Package common holds the types of the schemas several contracts share\n")
	fmt.Fprintf(&b, "// (%s), declared once. The service packages alias them.\n", schemas)
	b.WriteString("package common\n\nimport (\n")
	for _, imp := range p.imports {
		b.WriteString("\t" + imp + "\n")
	}
	b.WriteString(")\n")
	for i, c := range p.chunks {
		if i == 0 || !c.isHeader() || !p.chunks[i-1].isHeader() {
			b.WriteString("\n") // gowsdl writes its header's lines together
		}
		b.WriteString(c.text + "\n")
	}
	return b.Bytes()
}

// cut removes the byte ranges of chunks from src.
func cut(src []byte, chunks []chunk) []byte {
	var out []byte
	last := 0
	for _, c := range chunks {
		out = append(out, src[last:c.start]...)
		last = c.end
	}
	return append(out, src[last:]...)
}
