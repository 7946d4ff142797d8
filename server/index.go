package server

import (
	"html/template"
	"io/fs"
	"net/http"
	"path"

	"github.com/minaengagemang/me/server/requestlog"
	"github.com/minaengagemang/me/wsdl"
	"github.com/minaengagemang/me/xsd"
)

// demoPath is where cmd/me mounts the demo pages (server/demo.Prefix).
const demoPath = "/demo/"

// services are ME's SOAP services, by the name in their path and WSDL.
var services = []struct{ Name, Does string }{
	{"portal", "for portals (Mina sidor): e-services, tickets, the citizen's cases and profile"},
	{"catalog", "for publishing e-services to the catalog (eTjänstekatalog)"},
	{"etjanst", "for e-services (eTjänster): redeeming tickets, reporting completions"},
}

// documents are the documentation's entry points, in ME's source tree:
// ME does not serve them, so the page names where they are.
var documents = []struct{ Path, For string }{
	{"README.md", "start here: the two commands, the demo, the me command"},
	{"docs/README.md", "which document is yours"},
	{"docs/portals.md", "portal and web teams"},
	{"docs/catalog.md", "publishing e-services"},
	{"docs/eservices.md", "e-service developers"},
	{"docs/case-systems.md", "case-management system vendors (signals over SHS)"},
	{"docs/administrators.md", "administrators: commands, configuration, TLS, monitoring"},
}

// serveIndex answers GET / so that a first visitor never meets a 404: with
// the demo on it leads to the demo portal, otherwise it is a small page
// listing what a client generator and an integrator need.
func serveIndex(publicURL string, demoOn bool) http.Handler {
	schemas, err := fs.Glob(xsd.Files(), "*.xsd")
	if err != nil {
		panic(err) // fs.Glob fails only on a malformed pattern
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if demoOn {
			http.Redirect(w, r, demoPath, http.StatusFound)
			return
		}
		data := indexData{Base: baseURL(r, publicURL), Services: services, Documents: documents, Version: wsdl.Version}
		for _, s := range schemas {
			data.Schemas = append(data.Schemas, path.Base(s))
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := indexPage.Execute(w, data); err != nil {
			requestlog.From(r.Context()).Err = err
		}
	})
}

type indexData struct {
	Base      string
	Version   string
	Services  []struct{ Name, Does string }
	Schemas   []string
	Documents []struct{ Path, For string }
}

var indexPage = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mina Engagemang</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; }
code { font-size: 0.95em; }
td, th { text-align: left; padding: 0.2rem 0.8rem 0.2rem 0; vertical-align: top; }
</style>
</head>
<body>
<h1>Mina Engagemang</h1>
<p>ME's SOAP services (SOAP 1.1, document/literal; contracts release {{.Version}}). Send requests with
<code>POST</code> to each endpoint; generate a client from its WSDL.</p>

<h2>WSDLs</h2>
<table>
<tr><th>service</th><th>WSDL (schemas imported)</th><th>WSDL (schemas inlined)</th><th></th></tr>
{{range .Services}}<tr><td><code>{{$.Base}}/soap/{{.Name}}</code></td>
<td><a href="/soap/{{.Name}}?wsdl">?wsdl</a></td>
<td><a href="/soap/{{.Name}}?singleWsdl">?singleWsdl</a></td>
<td>{{.Does}}</td></tr>
{{end}}</table>

<h2>Schemas</h2>
<ul>
{{range .Schemas}}<li><a href="/xsd/{{.}}">{{.}}</a></li>
{{end}}</ul>

<h2>Documentation</h2>
<p>The documentation is in ME's source tree, beside the contracts:</p>
<ul>
{{range .Documents}}<li><code>{{.Path}}</code>: {{.For}}</li>
{{end}}</ul>

<p>Health: <a href="/healthz">/healthz</a>, <a href="/readyz">/readyz</a>.</p>
</body>
</html>
`))
