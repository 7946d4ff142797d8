package signal

import (
	"bytes"
	"encoding/xml"
	"io"

	"github.com/minaengagemang/me/server/xmlfrag"
)

// completionData returns, for every complete action in document order, the
// content of its data element exactly as the case system wrote it, "" when
// it has none: the elements and the white space, comments and processing
// instructions around them, byte for byte. The one change: each top-level
// element carries the namespace declarations it inherited, so that the
// e-service receives XML equivalent to what was sent however the signal
// declared its prefixes.
func completionData(doc []byte) ([]string, error) {
	type frame struct {
		local string
		decls xmlfrag.Decls
	}
	var (
		out   []string
		stack []frame
		data  []byte // the content of the data element being read
		in    = -1   // the depth of that data element on stack; -1: none
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
		if in >= 0 && len(stack) == in+1 {
			// Directly inside complete/data.
			switch t := tok.(type) {
			case xml.StartElement:
				// A top-level element: take it whole, as written.
				inherited := inScope()
				if err := skipRaw(d); err != nil {
					return nil, err
				}
				data = append(data, xmlfrag.WithDecls(doc[offset:d.InputOffset()], t, inherited)...)
			case xml.EndElement:
				out[len(out)-1] = string(data)
				stack, data, in = stack[:in], nil, -1
			default:
				// White space, a comment, a processing instruction.
				data = append(data, doc[offset:d.InputOffset()]...)
			}
			continue
		}
		switch t := tok.(type) {
		case xml.StartElement:
			parent := ""
			if len(stack) > 0 {
				parent = stack[len(stack)-1].local
			}
			decls := xmlfrag.Decls{}
			decls.Add(t.Attr)
			stack = append(stack, frame{local: t.Name.Local, decls: decls})
			switch {
			case t.Name.Local == "complete" && parent == "action":
				out = append(out, "") // one per complete action, with data or not
			case t.Name.Local == "data" && parent == "complete" && len(out) > 0:
				in, data = len(stack)-1, []byte{}
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
