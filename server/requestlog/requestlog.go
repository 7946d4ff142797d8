// Package requestlog writes one log line per HTTP request and carries, in
// the request's context, what the handlers learn for that line: the
// authenticated client, the operation, the fault code and an internal error.
// It logs the path, never the query string or a body, which may carry
// tickets or personal data. It knows nothing of SOAP, SHS or ME's services.
package requestlog

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/sirupsen/logrus"
)

// Info is what the log line reports about a request, filled in as the
// request is handled.
type Info struct {
	ID        string // sent back as X-Request-Id, and the reference in faults
	Client    string
	Operation string
	Fault     string // the fault or SHS error code answered
	// Err is a failure inside ME: the line is then logged as an error, with
	// Err in full, while the client is told only the reference.
	Err error
}

type infoKey struct{}

// From returns the Info of the request ctx belongs to; outside Handler, a
// fresh one that nobody reads.
func From(ctx context.Context) *Info {
	if info, ok := ctx.Value(infoKey{}).(*Info); ok {
		return info
	}
	return &Info{}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// Handler gives every request an id and an Info, and logs one line when
// next is done with it.
func Handler(log *logrus.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &Info{ID: newID()}
		w.Header().Set("X-Request-Id", info.ID)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), infoKey{}, info)))
		entry := log.WithFields(logrus.Fields{
			"request_id":  info.ID,
			"method":      r.Method,
			"path":        r.URL.Path,
			"status":      rec.status,
			"duration_ms": float64(time.Since(start).Microseconds()) / 1000,
			"remote":      r.RemoteAddr,
		})
		for key, value := range map[string]string{"client": info.Client, "operation": info.Operation, "fault": info.Fault} {
			if value != "" {
				entry = entry.WithField(key, value)
			}
		}
		if info.Err != nil {
			entry.WithError(info.Err).Error("request failed")
			return
		}
		entry.Info("request")
	})
}

// newID is 64 random bits in hex: enough to find one request in a day's log.
func newID() string {
	var b [8]byte
	rand.Read(b[:]) // never fails since Go 1.24
	return hex.EncodeToString(b[:])
}
