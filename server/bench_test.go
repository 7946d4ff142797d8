package server

import (
	"net/http"
	"strings"
	"testing"
)

// BenchmarkSOAP measures a whole SOAP call through the handler (Basic
// authentication from the cache, envelope parsing, XSD validation of the
// request, the store, marshalling) against a floor: GET /healthz through
// the same handler and logging. Report the ratio, not the absolute figure.
func BenchmarkSOAP(b *testing.B) {
	ts, _ := testServer(b, "sqlite")
	client := ts.Client()
	get := func(b *testing.B, req func() *http.Request) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				resp, err := client.Do(req())
				if err != nil || resp.StatusCode >= 400 {
					b.Errorf("%v %v", err, resp.Status)
					return
				}
				resp.Body.Close()
			}
		})
	}
	b.Run("floor-healthz", func(b *testing.B) {
		get(b, func() *http.Request { r, _ := http.NewRequest("GET", ts.URL+"/healthz", nil); return r })
	})
	body := strings.Replace(envelope, "%s", `<p:ListEServices><p:area>bygga-bo</p:area></p:ListEServices>`, 1)
	b.Run("portal-ListEServices", func(b *testing.B) {
		get(b, func() *http.Request {
			r, _ := http.NewRequest("POST", ts.URL+"/soap/portal", strings.NewReader(body))
			r.Header.Set("Content-Type", "text/xml; charset=utf-8")
			r.SetBasicAuth("portal-a", pw)
			return r
		})
	})
}
