package signal

import (
	"bytes"
	"encoding/xml"
	"io"

	"github.com/minaengagemang/me/server/xmlfrag"
)

// completionData returns, for every complete action in document order, the
// content of its data element as self-contained XML: the child elements'
// bytes exactly as the case system wrote them, each carrying the namespace
// declarations it inherited, so that the e-service receives XML equivalent
// to what was sent however the signal declared its prefixes.
func completionData(doc []byte) ([]string, error) {
	type frame struct {
		local string
		decls xmlfrag.Decls
	}
	var (
		out   []string
		stack []frame
		d     = xml.NewDecoder(bytes.NewReader(doc))
	)
	inScope := func() xmlfrag.Decls {
		m := xmlfrag.Decls{}
		for _, f := range stack {
			for p, ns := range f.decls {
				m[p] = ns
			}
		}
		return m
	}
	for {
		offset := d.InputOffset()
		tok, err := d.RawToken()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			parent := ""
			if len(stack) > 0 {
				parent = stack[len(stack)-1].local
			}
			if parent == "data" && len(stack) >= 2 && stack[len(stack)-2].local == "complete" {
				// A child of complete/data: take it whole, as written.
				inherited := inScope()
				if err := skipRaw(d); err != nil {
					return nil, err
				}
				out[len(out)-1] += string(xmlfrag.WithDecls(doc[offset:d.InputOffset()], t, inherited))
				continue
			}
			decls := xmlfrag.Decls{}
			decls.Add(t.Attr)
			stack = append(stack, frame{local: t.Name.Local, decls: decls})
			if t.Name.Local == "data" && parent == "complete" {
				out = append(out, "")
			}
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		}
	}
}

// skipRaw reads raw tokens up to the end of the element just started.
func skipRaw(d *xml.Decoder) error {
	for depth := 1; depth > 0; {
		tok, err := d.RawToken()
		if err != nil {
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
	return nil
}
