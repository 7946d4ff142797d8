// Package smstest is an in-process HTTP server standing in for an SMS
// gateway in tests: it records every request, can require Basic auth, fail
// the next requests with a given status and go down (connection refused)
// and up again on the same address.
package smstest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Request is one request the Gateway received.
type Request struct {
	Method string
	Path   string
	// Form is the parsed body of an application/x-www-form-urlencoded
	// request (nil otherwise).
	Form url.Values
	// JSON is the parsed body of an application/json request whose body
	// is a JSON object (nil otherwise).
	JSON   map[string]any
	Header http.Header
	Body   []byte
	At     time.Time
	// Status is the status the Gateway answered with.
	Status int
}

// Field returns the form or JSON field name as a string ("" if absent; a
// non-string JSON value is formatted with %v).
func (r Request) Field(name string) string {
	if r.Form != nil {
		return r.Form.Get(name)
	}
	if v, ok := r.JSON[name]; ok && v != nil {
		if s, ok := v.(string); ok {
			return s
		}
		return fmt.Sprint(v)
	}
	return ""
}

// Gateway is a fake SMS gateway. Its methods are safe for concurrent use.
type Gateway struct {
	addr string

	mu       sync.Mutex
	srv      *http.Server
	received []Request
	changed  chan struct{} // closed and replaced on each request
	failN    int
	failCode int
	user     string
	pass     string
	auth     bool
	seq      int
}

// Start starts a Gateway on 127.0.0.1 and closes it when the test ends.
func Start(t testing.TB) *Gateway {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smstest: listen: %v", err)
	}
	g := &Gateway{addr: ln.Addr().String(), changed: make(chan struct{})}
	g.serve(ln)
	t.Cleanup(g.Close)
	return g
}

func (g *Gateway) serve(ln net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(g.handle), ReadHeaderTimeout: 10 * time.Second}
	g.srv = srv
	go func() { _ = srv.Serve(ln) }()
}

// URL is the gateway's base URL (http://127.0.0.1:port); any path is
// accepted.
func (g *Gateway) URL() string { return "http://" + g.addr }

// Received returns a copy of the requests received so far, in order,
// including those answered with an error status.
func (g *Gateway) Received() []Request {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]Request(nil), g.received...)
}

// ByReference returns the requests whose "reference" form or JSON field is
// ref, as the http provider's default bodies send it: more than one
// successful request means the message was sent twice.
func (g *Gateway) ByReference(ref string) []Request {
	var out []Request
	for _, r := range g.Received() {
		if r.Field("reference") == ref {
			out = append(out, r)
		}
	}
	return out
}

// WaitFor waits until at least n requests have been received (whatever
// their status) and returns them; it fails the test after timeout.
func (g *Gateway) WaitFor(t testing.TB, n int, timeout time.Duration) []Request {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		g.mu.Lock()
		got, changed := len(g.received), g.changed
		if got >= n {
			out := append([]Request(nil), g.received...)
			g.mu.Unlock()
			return out
		}
		g.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("smstest: received %d requests within %s, want %d", got, timeout, n)
			return nil
		}
	}
}

// FailNext answers the next n requests with status (and a short plain
// text body) instead of accepting them.
func (g *Gateway) FailNext(n int, status int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.failN, g.failCode = n, status
}

// RequireBasicAuth answers requests without these Basic auth credentials
// with 401.
func (g *Gateway) RequireBasicAuth(user, pass string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.auth, g.user, g.pass = true, user, pass
}

// Down closes the listener and all connections: until Up, connecting is
// refused.
func (g *Gateway) Down() {
	g.mu.Lock()
	srv := g.srv
	g.srv = nil
	g.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// Up listens again on the same address after Down. It panics if the port
// cannot be reopened.
func (g *Gateway) Up() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.srv != nil {
		return
	}
	var ln net.Listener
	var err error
	for range 50 { // the port may linger briefly
		if ln, err = net.Listen("tcp", g.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		panic(fmt.Sprintf("smstest: reopening %s: %v", g.addr, err))
	}
	g.serve(ln)
}

// Close shuts the gateway down for good.
func (g *Gateway) Close() {
	g.mu.Lock()
	srv := g.srv
	g.srv = nil
	g.mu.Unlock()
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if srv.Shutdown(ctx) != nil {
			_ = srv.Close()
		}
	}
}

func (g *Gateway) handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	req := Request{
		Method: r.Method,
		Path:   r.URL.Path,
		Header: r.Header.Clone(),
		Body:   body,
		At:     time.Now(),
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case mt == "application/x-www-form-urlencoded":
		req.Form, _ = url.ParseQuery(string(body))
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		var m map[string]any
		if json.Unmarshal(body, &m) == nil {
			req.JSON = m
		}
	}

	g.mu.Lock()
	status := http.StatusOK
	reply := ""
	user, pass, ok := r.BasicAuth()
	switch {
	case g.auth && (!ok || user != g.user || pass != g.pass):
		status, reply = http.StatusUnauthorized, "Unauthorized"
	case g.failN > 0:
		g.failN--
		status, reply = g.failCode, fmt.Sprintf("smstest: failing with %d", g.failCode)
	}
	g.seq++
	id := fmt.Sprintf("s%06d", g.seq)
	req.Status = status
	g.received = append(g.received, req)
	close(g.changed)
	g.changed = make(chan struct{})
	g.mu.Unlock()

	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="smstest"`)
	}
	if status >= 200 && status < 300 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"id": id, "status": "created", "to": req.Field("to"), "from": req.Field("from"),
		})
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, reply)
}
