package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/minaengagemang/me/server/requestlog"
	"github.com/minaengagemang/me/store"
)

const (
	// probeEvery bounds the readiness writes: /readyz asked more often
	// answers from the last one.
	probeEvery = time.Second
	// writeFailureHold keeps ME not ready this long after the signal or
	// audit writer's commit failed, unless one of theirs succeeds first.
	// The readiness write is one small row, which may still fit where a
	// signal does not (a nearly full disk); and a node out of the load
	// balancer gets no signals that would show it recovered, so after the
	// hold the readiness write alone decides again.
	writeFailureHold = 30 * time.Second
)

// readiness answers GET /readyz: whether ME can store what it is sent. It
// is ready when the database answers, takes a write (the readiness row,
// at most once per probeEvery), and the writers of received data did not
// just fail to commit.
type readiness struct {
	store *store.Store
	node  string // written into the readiness row
	now   func() time.Time

	mu       sync.Mutex // one readiness write at a time
	probedAt time.Time
	probeErr error
	failed   uint64    // the writers' failure count last seen
	failedAt time.Time // when it was seen to change
}

func (rd *readiness) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if reason, err := rd.check(ctx); err != nil {
		// The reason says what is wrong; the database's own words, which
		// may name its internals, go to the log under the request id.
		requestlog.From(ctx).Err = fmt.Errorf("readiness: %s: %w", reason, err)
		http.Error(w, "not ready: "+reason, http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ready")
}

// check returns why ME is not ready and the error behind it, or a nil
// error when it is ready.
func (rd *readiness) check(ctx context.Context) (string, error) {
	if err := rd.store.Ping(ctx); err != nil {
		return "the database does not answer", err
	}
	rd.mu.Lock()
	defer rd.mu.Unlock()
	now := rd.now()
	probeErr := rd.probeErr
	if rd.probedAt.IsZero() || now.Sub(rd.probedAt) >= probeEvery || now.Before(rd.probedAt) {
		probeErr = rd.store.ProbeWrite(ctx, rd.node, now)
		if !errors.Is(ctx.Err(), context.Canceled) { // else the asker left: no outcome to keep
			rd.probedAt, rd.probeErr = now, probeErr
		}
	}
	if probeErr != nil {
		return "the database refuses writes (the readiness write failed)", probeErr
	}
	ws := rd.store.WriteStatus()
	if ws.Err == nil {
		return "", nil
	}
	if ws.Failed != rd.failed { // a new failure: the hold starts when it is first seen
		rd.failed, rd.failedAt = ws.Failed, now
	}
	if now.Sub(rd.failedAt) < writeFailureHold {
		return fmt.Sprintf("storing a signal or an audit entry failed; ready again once one is stored, or %s after the failure if the readiness write succeeds", writeFailureHold), ws.Err
	}
	return "", nil
}
