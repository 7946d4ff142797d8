package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/store"
	"github.com/minaengagemang/me/store/storetest"
)

// oldCases opens an empty store of driver with the organisations, each
// with a closed and an open case (by their status as external id) whose
// last change was three months ago.
func oldCases(t *testing.T, driver string, orgs ...string) (st *store.Store, dsn string) {
	t.Helper()
	ctx := context.Background()
	dsn = storetest.DSN(t, driver)
	st = storetest.OpenAt(t, driver, dsn)
	var list []me.Organisation
	for _, org := range orgs {
		list = append(list, me.Organisation{Number: org, Name: "Kommun " + org})
	}
	if err := st.SyncOrganisations(ctx, list); err != nil {
		t.Fatal(err)
	}
	old := time.Now().AddDate(0, -3, 0)
	for _, org := range orgs {
		for _, status := range []me.CaseStatus{me.CaseClosed, me.CaseInProgress} {
			msg := me.SHSMessage{TxID: fmt.Sprintf("tx-%s-%s", org, status), From: org, To: org, Raw: []byte("message")}
			sig := me.Signal{
				Case:     me.Case{OrganisationNumber: org, ExternalID: string(status), Title: me.LocalizedText{SV: "Ärende"}, Status: status},
				Citizens: []me.Citizen{{PersonalIdentityNumber: "191212121212"}},
				Event:    me.Event{ExternalID: "1", Time: old, Title: me.LocalizedText{SV: "Händelse"}},
			}
			if _, err := st.RecordSignal(ctx, msg, sig, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	return st, dsn
}

// TestPurgeCommand: on both stores, `me purge --dry-run` reports per
// organisation and table what is past its time by the configuration's
// retention and removes nothing; `me purge` removes it and reports the
// same; the other organisation's rows, under a longer rule, stay.
func TestPurgeCommand(t *testing.T) {
	for _, driver := range storetest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			short, long := "2120009994", "2120009986"
			st, dsn := oldCases(t, driver, short, long)
			file := filepath.Join(t.TempDir(), "me.yaml")
			os.WriteFile(file, fmt.Appendf(nil, `database: {driver: %s, dsn: %q}
retention: {cases_after_closing: 0, shs_messages: 0, shs_tx_ids: 0}
organisations:
  - {number: %q, name: Kort, retention: {cases_after_closing: 1, shs_messages: 30, shs_tx_ids: 120}}
  - {number: %q, name: Lång}
`, driver, dsn, short, long), 0o600)

			want := []string{short + " cases 1", short + " case_citizens 1", short + " events 1", short + " shs_messages.raw 2"}
			check := func(out string, dry bool) {
				t.Helper()
				out = strings.Join(strings.Fields(out), " ")
				for _, w := range want {
					if !strings.Contains(out, w) {
						t.Errorf("want %q in:\n%s", w, out)
					}
				}
				if strings.Contains(out, long) || strings.Contains(out, "shs_messages ") {
					t.Errorf("reports rows that are not past their time:\n%s", out)
				}
				if dry != strings.Contains(out, "nothing was removed") {
					t.Errorf("dry run %v, output:\n%s", dry, out)
				}
			}
			stdout, stderr, code := runMe(t, "", "purge", "--dry-run", "--config", file)
			if code != 0 {
				t.Fatalf("me purge --dry-run: exit %d: %s", code, stderr)
			}
			check(stdout, true)
			if n, _ := st.CountSHSMessages(ctx); n != 4 {
				t.Fatalf("%d SHS messages after the dry run, want 4", n)
			}
			if _, err := st.CaseByExternalID(ctx, short, string(me.CaseClosed)); err != nil {
				t.Fatalf("the dry run removed a case: %v", err)
			}
			stdout, stderr, code = runMe(t, "", "purge", "--config", file)
			if code != 0 {
				t.Fatalf("me purge: exit %d: %s", code, stderr)
			}
			check(stdout, false)
			for _, c := range []struct {
				org    string
				status me.CaseStatus
				kept   bool
			}{{short, me.CaseClosed, false}, {short, me.CaseInProgress, true}, {long, me.CaseClosed, true}, {long, me.CaseInProgress, true}} {
				if _, err := st.CaseByExternalID(ctx, c.org, string(c.status)); (err == nil) != c.kept {
					t.Errorf("case %s/%s: %v, want kept %v", c.org, c.status, err, c.kept)
				}
			}
			stdout, _, _ = runMe(t, "", "purge", "--config", file)
			if !strings.Contains(stdout, "Nothing is past its time.") {
				t.Errorf("a second purge:\n%s", stdout)
			}
		})
	}
}

// TestServePurgesByRule: `me serve` purges by the configured retention, at
// start and every retention.interval, on both stores.
func TestServePurgesByRule(t *testing.T) {
	for _, driver := range storetest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			const org = "2120009994" // demo.yaml's
			st, dsn := oldCases(t, driver, org)
			addr := freeAddr(t)
			logs := startME(t, "../../config/demo.yaml", addr, "ME_HTTP_ADDR="+addr, "ME_DATABASE_DRIVER="+driver, "ME_DATABASE_DSN="+dsn,
				"ME_LOG_FORMAT=json", "ME_RETENTION_CASES_AFTER_CLOSING=1", "ME_RETENTION_INTERVAL=100ms")
			for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				if _, err := st.CaseByExternalID(ctx, org, string(me.CaseClosed)); err != nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("me serve did not purge the closed case:\n%s", logs)
				}
			}
			if _, err := st.CaseByExternalID(ctx, org, string(me.CaseInProgress)); err != nil {
				t.Errorf("the open case: %v", err)
			}
		})
	}
}
