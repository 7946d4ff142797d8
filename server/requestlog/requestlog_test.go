package requestlog_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/minaengagemang/me/server/requestlog"
)

// TestOneLinePerRequest: what handlers learn reaches the one line; an
// internal error makes it an error line; the query string never appears.
func TestOneLinePerRequest(t *testing.T) {
	var out bytes.Buffer
	log := logrus.New()
	log.SetOutput(&out)
	log.SetFormatter(&logrus.JSONFormatter{})
	h := requestlog.Handler(log, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := requestlog.From(r.Context())
		info.Client, info.Operation, info.Fault = "portal-a", "GetCase", "Internal"
		info.Err = errors.New("disk full")
		w.WriteHeader(http.StatusInternalServerError)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/soap/portal?ticket=secret", nil))
	var line map[string]any
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatalf("not one JSON line: %v\n%s", err, out.String())
	}
	want := map[string]any{"level": "error", "client": "portal-a", "operation": "GetCase", "fault": "Internal",
		"error": "disk full", "path": "/soap/portal", "status": float64(500), "request_id": rec.Header().Get("X-Request-Id")}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("%s = %v; want %v", k, line[k], v)
		}
	}
	if bytes.Contains(out.Bytes(), []byte("secret")) {
		t.Errorf("the query string was logged: %s", out.String())
	}
}
