package server

import (
	"encoding/xml"
	"fmt"
	"io/fs"
	"net/http"
	"regexp"
	"strings"

	"github.com/minaengagemang/me/server/requestlog"
	"github.com/minaengagemang/me/wsdl"
	"github.com/minaengagemang/me/xsd"
)

// serveWSDL answers GET /soap/NAME?wsdl with the contract, its
// soap:address set to the URL it was asked on and its schema imports made
// absolute, so that every client generator resolves them the same way; and
// GET /soap/NAME?singleWsdl with the same contract and every schema inlined
// (wsdl.Single), for generators that do not follow imports (WCF's svcutil).
func serveWSDL(name, publicURL string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query := r.URL.RawQuery
		if !strings.EqualFold(query, "wsdl") && !strings.EqualFold(query, "singleWsdl") {
			http.Error(w, "this is a SOAP endpoint: POST SOAP 1.1 requests here, or GET ?wsdl (?singleWsdl: schemas inlined) for its contract", http.StatusMethodNotAllowed)
			return
		}
		raw, err := fs.ReadFile(wsdl.Files(), name+".wsdl")
		if err == nil && strings.EqualFold(query, "singleWsdl") {
			raw, err = wsdl.Single(raw, xsd.Files())
		}
		if err != nil {
			requestlog.From(r.Context()).Err = err
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		base := baseURL(r, publicURL)
		doc := strings.ReplaceAll(string(raw), `schemaLocation="../xsd/`, `schemaLocation="`+base+`/xsd/`)
		doc = addressPattern.ReplaceAllString(doc, `<soap:address location="`+xmlAttr(base+"/soap/"+name)+`"/>`)
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		fmt.Fprint(w, doc)
	})
}

// baseURL is the configured public URL, or the scheme and host the request
// came to.
func baseURL(r *http.Request, publicURL string) string {
	if publicURL != "" {
		return strings.TrimRight(publicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

var addressPattern = regexp.MustCompile(`<soap:address location="[^"]*"\s*/>`)

func xmlAttr(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
