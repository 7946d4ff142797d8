package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestMetricsOnlyFromAllowedNetworks(t *testing.T) {
	h := onlyFrom([]string{"10.1.2.0/24"}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for addr, want := range map[string]int{"127.0.0.1:5000": 200, "[::1]:5000": 200, "10.1.2.7:5000": 200, "192.0.2.1:5000": 403} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/metrics", nil)
		req.RemoteAddr = addr
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("/metrics from %s: %d; want %d", addr, rec.Code, want)
		}
	}
}
