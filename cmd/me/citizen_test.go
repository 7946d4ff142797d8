package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/server/extract"
	"github.com/minaengagemang/me/store"
	"github.com/minaengagemang/me/store/storetest"
)

// citizenStore is a migrated store of driver with Tolvan's profile and a
// case of theirs, and a configuration file naming it.
func citizenStore(t *testing.T, driver string) (*store.Store, string) {
	t.Helper()
	ctx := context.Background()
	dsn := storetest.DSN(t, driver)
	st := storetest.OpenAt(t, driver, dsn)
	org := me.Organisation{Number: "2120009994", Name: "Demo kommun"}
	if err := st.SyncOrganisations(ctx, []me.Organisation{org}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	sig := me.Signal{
		Case:     me.Case{OrganisationNumber: org.Number, ExternalID: "BN-1", Title: me.LocalizedText{SV: "Bygglov"}, Status: me.CaseInProgress},
		Citizens: []me.Citizen{{PersonalIdentityNumber: "191212121212", GivenName: "Tolvan"}},
		Event:    me.Event{ExternalID: "H1", Time: now, Title: me.LocalizedText{SV: "Mottaget"}, Notify: true},
	}
	msg := me.SHSMessage{TxID: "tx-1", From: org.Number, Arrival: now, Raw: []byte("signal")}
	if _, err := st.RecordSignal(ctx, msg, sig, now); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutCitizenProfile(ctx, me.CitizenProfile{PersonalIdentityNumber: "191212121212", GivenName: "Tolvan",
		Email: "tolvan@exempel.se", Mobile: "+46701234567", Channel: me.NotifyBoth}, now); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "me.yaml")
	conf := fmt.Sprintf("organisations: [{number: %q, name: Demo kommun}]\ndatabase: {driver: %s, dsn: %q}\n", org.Number, driver, dsn)
	if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return st, file
}

// TestCitizenExportCommand: `me citizen export` writes the extract, valid
// XML to a private file or JSON to standard output, records each export
// in the audit log (the extract shows its own), and refuses bad arguments
// saying what to fix.
func TestCitizenExportCommand(t *testing.T) {
	for _, driver := range storetest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			st, conf := citizenStore(t, driver)
			out := filepath.Join(t.TempDir(), "tolvan.xml")
			stdout, stderr, code := runMe(t, "", "citizen", "export", "191212121212", "--config", conf, "--out", out, "--by", "dpo")
			if code != 0 || !strings.Contains(stdout, "1 cases with 1 events") {
				t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o600 {
				t.Errorf("the extract is mode %v; want 0600", fi.Mode().Perm())
			}
			var doc extract.Document
			if err := xml.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			if doc.Profile == nil || doc.Profile.Email != "tolvan@exempel.se" || len(doc.Cases) != 1 || doc.GeneratedBy != "admin:dpo" ||
				len(doc.Audit) != 1 || doc.Audit[0].Client != "admin:dpo" || doc.Audit[0].Operation != "CitizenExport" {
				t.Errorf("the extract: %s", b)
			}

			stdout, stderr, code = runMe(t, "", "citizen", "export", "--config", conf, "--format", "json", "--by", "dpo", "191212121212")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if err := json.Unmarshal([]byte(stdout), &doc); err != nil || doc.PersonalIdentityNumber != "191212121212" {
				t.Errorf("the JSON extract: %v\n%s", err, stdout)
			}
			audit, err := st.AuditLog(context.Background(), "191212121212", 0)
			if err != nil || len(audit) != 2 || audit[0].Object != "json" || audit[1].Object != "xml" {
				t.Errorf("audit log after two exports: %+v, %v", audit, err)
			}

			for _, tt := range []struct {
				args []string
				want string
			}{
				{[]string{"191212121213"}, "not a valid personnummer"},
				{nil, "say whose data"},
				{[]string{"191212121212", "198112289874"}, "say whose data, once"},
				{[]string{"191212121212", "--format", "pdf"}, `--format "pdf"`},
			} {
				_, stderr, code := runMe(t, "", append([]string{"citizen", "export", "--config", conf}, tt.args...)...)
				if code == 0 || !strings.Contains(stderr, tt.want) {
					t.Errorf("me citizen export %v: exit %d, %q; want a refusal saying %q", tt.args, code, stderr, tt.want)
				}
			}
		})
	}
}

// TestCitizenEraseCommand: `me citizen erase --dry-run` lists what would go
// and changes nothing; `me citizen erase` erases the profile, says that
// the case records stay, and records who erased.
func TestCitizenEraseCommand(t *testing.T) {
	for _, driver := range storetest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			st, conf := citizenStore(t, driver)
			stdout, stderr, code := runMe(t, "", "citizen", "erase", "191212121212", "--dry-run", "--config", conf)
			if code != 0 || !strings.Contains(stdout, "Dry run: nothing was changed") || !strings.Contains(stdout, "Not erased: the case records") {
				t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
			}
			if p, _ := st.CitizenProfile(ctx, "191212121212"); p.Email == "" {
				t.Fatal("a dry run erased the profile")
			}
			stdout, stderr, code = runMe(t, "", "citizen", "erase", "191212121212", "--by", "dpo", "--config", conf)
			if code != 0 || !strings.Contains(stdout, "recorded as erased by dpo") || !strings.Contains(stdout, "on 1 cases") {
				t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
			}
			for _, table := range store.ErasedTables() {
				if !strings.Contains(stdout, "  "+table+" ") {
					t.Errorf("the output does not name %s:\n%s", table, stdout)
				}
			}
			if p, _ := st.CitizenProfile(ctx, "191212121212"); p.Email != "" || p.Mobile != "" || p.GivenName != "" {
				t.Errorf("profile after erasure: %+v", p)
			}
			if e, err := st.Erasures(ctx, "191212121212"); err != nil || len(e) != 1 || e[0].By != "dpo" || e[0].Rows["citizens"] != 1 {
				t.Errorf("erasures: %+v, %v", e, err)
			}
		})
	}
}
