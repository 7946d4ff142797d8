package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestWrkCountsOnlyGoodAnswers drives wrk against a server that refuses
// every other request and checks the result counts the refusals as
// errors, sends every body of the set, and reports latencies.
func TestWrkCountsOnlyGoodAnswers(t *testing.T) {
	if !haveWrk() {
		t.Skip("wrk is not installed (.ci/run installs it)")
	}
	var (
		mu     sync.Mutex
		n      int
		bodies = map[string]int{}
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		n++
		bad := n%2 == 0
		bodies[string(b)]++
		mu.Unlock()
		if r.Header.Get("Authorization") == "" || r.Method != http.MethodPost {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if bad {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	read := portalRead{"<a/>", "<b/>", "<c/>"}
	r, err := wrk(context.Background(), t.TempDir(), srv.URL, 2, time.Second, read.requests())
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if r.n == 0 || r.errors == 0 || r.loadgen != "wrk" || r.p99 == 0 {
		t.Fatalf("result %+v: want answers, errors, latencies", r)
	}
	// Half were refused: the good ones are about half of what arrived.
	if r.n > n*3/4 {
		t.Errorf("%d good answers of %d requests: the refused ones were counted as good", r.n, n)
	}
	for _, b := range read {
		found := false
		for body := range bodies {
			found = found || strings.Contains(body, b)
		}
		if !found {
			t.Errorf("body %s was never sent", b)
		}
	}
}
