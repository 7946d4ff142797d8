package server

import (
	"io"
	"io/fs"
	"net/http"
	"strings"
	"testing"

	"github.com/minaengagemang/me/xsd"
)

// TestIndexNeverNotFound: GET / leads to the demo when it is on, and is a
// page linking every WSDL (imported and inlined) and schema when it is off.
func TestIndexNeverNotFound(t *testing.T) {
	demo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "demo") })
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	schemas, err := fs.Glob(xsd.Files(), "*.xsd")
	if err != nil || len(schemas) == 0 {
		t.Fatalf("schemas: %v %v", schemas, err)
	}
	var links []string
	for _, s := range []string{"portal", "catalog", "etjanst"} {
		links = append(links, `href="/soap/`+s+`?wsdl"`, `href="/soap/`+s+`?singleWsdl"`)
	}
	for _, s := range schemas {
		links = append(links, `href="/xsd/`+s+`"`)
	}
	for _, tc := range []struct {
		name      string
		demo      http.Handler
		status    int
		location  string
		bodyHolds []string
	}{
		{name: "demo on", demo: demo, status: http.StatusFound, location: "/demo/"},
		{name: "demo off", status: http.StatusOK, bodyHolds: append(links, "docs/README.md")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts, _ := testServer(t, "sqlite", func(s *testSetup) { s.server.Demo = tc.demo })
			for _, method := range []string{http.MethodGet, http.MethodHead} {
				req, _ := http.NewRequest(method, ts.URL+"/", nil)
				resp, err := noRedirect.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tc.status || resp.Header.Get("Location") != tc.location {
					t.Fatalf("%s /: %d Location %q, want %d %q", method, resp.StatusCode, resp.Header.Get("Location"), tc.status, tc.location)
				}
				if method == http.MethodHead {
					continue
				}
				if tc.status == http.StatusOK && !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
					t.Errorf("Content-Type %q", resp.Header.Get("Content-Type"))
				}
				for _, want := range tc.bodyHolds {
					if !strings.Contains(string(body), want) {
						t.Errorf("GET / lacks %s:\n%s", want, body)
					}
				}
			}
			// Every link on the page answers.
			if tc.status == http.StatusOK {
				for _, l := range links {
					href := strings.TrimSuffix(strings.TrimPrefix(l, `href="`), `"`)
					resp, err := http.Get(ts.URL + href)
					if err != nil {
						t.Fatal(err)
					}
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						t.Errorf("GET %s: %d", href, resp.StatusCode)
					}
				}
			}
		})
	}
}
