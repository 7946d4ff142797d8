package server

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/minaengagemang/me/generated/portal"
	"github.com/minaengagemang/me/store/storetest"
)

// TestReadinessFollowsWrites: /readyz answers 503 with the reason while
// the database refuses writes, or right after a signal or an audit entry
// could not be stored, and 200 again once writes work.
func TestReadinessFollowsWrites(t *testing.T) {
	signal := func(t *testing.T, env *testEnv) int {
		resp := postSHS(t, env.ts, shsMessage{signal: exampleSignal(t)})
		readBody(resp)
		return resp.StatusCode
	}
	listCases := func(t *testing.T, env *testEnv) error {
		_, err := env.portal("portal-a").ListCasesContext(context.Background(), &portal.ListCases{Citizen: tolvan})
		return err
	}
	tests := []struct {
		name       string
		refuse     []string // the tables that refuse inserts
		act        func(t *testing.T, env *testEnv)
		wantReason string
		// recover makes ME ready again once writes work; nil: the next
		// readiness write does.
		recover func(t *testing.T, env *testEnv)
	}{
		{name: "the database refuses writes", refuse: []string{"readiness", "shs_messages", "audit_log"},
			wantReason: "the database refuses writes"},
		{name: "a signal cannot be stored; the next one is", refuse: []string{"shs_messages"},
			act: func(t *testing.T, env *testEnv) {
				if status := signal(t, env); status != http.StatusInternalServerError {
					t.Fatalf("signal while it cannot be stored: %d; want 500", status)
				}
			},
			wantReason: "storing a signal or an audit entry failed",
			recover: func(t *testing.T, env *testEnv) {
				if status := signal(t, env); status != http.StatusAccepted {
					t.Fatalf("signal after: %d; want 202", status)
				}
			}},
		{name: "a signal cannot be stored; none comes after", refuse: []string{"shs_messages"},
			act: func(t *testing.T, env *testEnv) {
				if status := signal(t, env); status != http.StatusInternalServerError {
					t.Fatalf("signal while it cannot be stored: %d; want 500", status)
				}
			},
			wantReason: "storing a signal or an audit entry failed",
			recover:    func(t *testing.T, env *testEnv) { env.clock.Advance(writeFailureHold) }},
		{name: "an audit entry cannot be stored", refuse: []string{"audit_log"},
			act: func(t *testing.T, env *testEnv) {
				if err := listCases(t, env); faultCode(err) != "Internal" {
					t.Fatalf("ListCases while its audit entry cannot be stored: %v; want Internal", err)
				}
			},
			wantReason: "storing a signal or an audit entry failed",
			recover: func(t *testing.T, env *testEnv) {
				if err := listCases(t, env); err != nil {
					t.Fatalf("ListCases after: %v", err)
				}
			}},
	}
	forEachDriver(t, func(t *testing.T, driver string) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				env := newTestEnv(t, driver)
				env.wantReady(t, "before")
				allow := storetest.RefuseInserts(t, driver, env.dsn, tt.refuse...)
				env.clock.Advance(probeEvery) // the last readiness write is stale
				if tt.act != nil {
					tt.act(t, env)
				}
				env.wantNotReady(t, tt.wantReason)
				env.clock.Advance(probeEvery)
				env.wantNotReady(t, tt.wantReason) // asked again: still
				allow()
				env.clock.Advance(probeEvery)
				if tt.recover != nil {
					env.wantNotReady(t, tt.wantReason) // writes work, but none has shown it yet
					tt.recover(t, env)
				}
				env.wantReady(t, "after")
			})
		}
	})
}

func (env *testEnv) readyz(t *testing.T) (int, string) {
	t.Helper()
	resp, err := http.Get(env.ts.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, readBody(resp)
}

func (env *testEnv) wantReady(t *testing.T, when string) {
	t.Helper()
	if status, body := env.readyz(t); status != http.StatusOK || body != "ready\n" {
		t.Fatalf("/readyz %s: %d %q; want 200 ready", when, status, body)
	}
}

func (env *testEnv) wantNotReady(t *testing.T, reason string) {
	t.Helper()
	status, body := env.readyz(t)
	if status != http.StatusServiceUnavailable || !strings.Contains(body, reason) {
		t.Fatalf("/readyz: %d %q; want 503 saying %q", status, body, reason)
	}
	if strings.Contains(body, "storetest") {
		t.Errorf("/readyz shows the database's own error: %q", body)
	}
}
