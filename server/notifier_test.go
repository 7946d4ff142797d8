package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/minaengagemang/me/config"
)

func TestQuietHours(t *testing.T) {
	c := config.Default().Notifications // 21:00-08:00 Europe/Stockholm
	q, err := newQuietHours(c)
	if err != nil {
		t.Fatal(err)
	}
	sthlm, _ := time.LoadLocation("Europe/Stockholm")
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, sthlm) }
	tests := []struct {
		name string
		in   time.Time
		want time.Time
	}{
		{"day", at(2026, 11, 26, 14, 0), at(2026, 11, 26, 14, 0)},
		{"just before", at(2026, 11, 26, 20, 59), at(2026, 11, 26, 20, 59)},
		{"evening", at(2026, 11, 26, 21, 0), at(2026, 11, 27, 8, 0)},
		{"night", at(2026, 11, 27, 3, 30), at(2026, 11, 27, 8, 0)},
		{"end", at(2026, 11, 27, 8, 0), at(2026, 11, 27, 8, 0)},
		{"the night summer time starts", at(2026, 3, 28, 23, 0), at(2026, 3, 29, 8, 0)},
		{"the night summer time ends", at(2026, 10, 24, 22, 0), at(2026, 10, 25, 8, 0)},
	}
	for _, tt := range tests {
		if got := q.next(tt.in); !got.Equal(tt.want) {
			t.Errorf("%s: next(%v) = %v; want %v", tt.name, tt.in, got.In(sthlm), tt.want)
		}
	}
}

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
