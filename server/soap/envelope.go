package soap

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/server/xmlfrag"
)

const (
	soap11NS = "http://schemas.xmlsoap.org/soap/envelope/"
	soap12NS = "http://www.w3.org/2003/05/soap-envelope"
)

// writeEnvelope wraps a marshalled body element in a SOAP 1.1 envelope.
func writeEnvelope(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", `text/xml; charset=utf-8`)
	w.WriteHeader(status)
	io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<soap:Envelope xmlns:soap="`+soap11NS+`"><soap:Body>`)
	w.Write(body)
	io.WriteString(w, `</soap:Body></soap:Envelope>`)
}

// payload is the one element inside a SOAP Body, as a standalone document.
type payload struct {
	name xml.Name
	doc  []byte
}

// bodyPayload finds the single element in the SOAP 1.1 Body and returns it
// as a document of its own: its bytes as sent, with the namespace
// declarations it inherits from Envelope and Body copied onto it, so that
// it validates and decodes exactly as the client wrote it.
func bodyPayload(msg []byte) (payload, error) {
	d := xml.NewDecoder(bytes.NewReader(msg))
	d.Strict = true
	var (
		depth     int
		inherited = xmlfrag.Decls{}
		sawBody   bool
		found     payload
		start     int64
	)
	for {
		offset := d.InputOffset()
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return payload{}, me.Errorf(me.CodeValidationFailed, "the request is not well-formed XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return payload{}, me.Errorf(me.CodeValidationFailed, "DTDs and DOCTYPE declarations are not allowed in SOAP messages")
		case xml.ProcInst:
			if t.Target != "xml" {
				return payload{}, me.Errorf(me.CodeValidationFailed, "processing instructions are not allowed in SOAP messages")
			}
		case xml.StartElement:
			depth++
			ns := t.Name.Space
			switch depth {
			case 1:
				if t.Name.Local != "Envelope" || ns != soap11NS {
					if ns == soap12NS {
						return payload{}, me.Errorf(me.CodeValidationFailed, "SOAP 1.2 is not served; use the SOAP 1.1 binding in the WSDL")
					}
					return payload{}, &me.Error{Code: me.CodeValidationFailed, Element: clark(xml.Name{Space: ns, Local: t.Name.Local}),
						Message: fmt.Sprintf("the root element must be {%s}Envelope", soap11NS)}
				}
				inherited.Add(t.Attr)
			case 2:
				if ns != soap11NS || (t.Name.Local != "Header" && t.Name.Local != "Body") {
					return payload{}, me.Errorf(me.CodeValidationFailed, "unexpected element %s in the Envelope; want Header and Body", t.Name.Local)
				}
				if t.Name.Local == "Body" {
					sawBody = true
					inherited.Add(t.Attr)
				} else if err := d.Skip(); err != nil {
					return payload{}, me.Errorf(me.CodeValidationFailed, "the request is not well-formed XML: %v", err)
				} else {
					depth--
				}
			case 3:
				if found.doc != nil {
					return payload{}, me.Errorf(me.CodeValidationFailed, "the Body holds more than one element; document/literal wrapped wants exactly one")
				}
				found.name = xml.Name{Space: ns, Local: t.Name.Local}
				start = offset
				if err := d.Skip(); err != nil {
					return payload{}, me.Errorf(me.CodeValidationFailed, "the request is not well-formed XML: %v", err)
				}
				depth--
				found.doc = xmlfrag.WithDecls(msg[start:d.InputOffset()], t, inherited)
			}
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 2 && sawBody && len(bytes.TrimSpace(t)) > 0 {
				return payload{}, me.Errorf(me.CodeValidationFailed, "the Body holds text; it must hold exactly one element")
			}
		}
	}
	if !sawBody {
		return payload{}, me.Errorf(me.CodeValidationFailed, "the Envelope has no Body")
	}
	if found.doc == nil {
		return payload{}, me.Errorf(me.CodeValidationFailed, "the Body is empty; it must hold the operation's request element")
	}
	return found, nil
}
