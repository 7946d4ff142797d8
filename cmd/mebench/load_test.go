package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/personnummer/go/v3"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/store"
	"github.com/minaengagemang/me/store/storetest"
)

const loadTestOrg = "2120009994"

// TestBulkLoad loads 300 cases × 10 events over 20 citizens and reads them
// back through ME's own store: what the loader writes must be what ME
// would have written.
func TestBulkLoad(t *testing.T) {
	for _, driver := range storetest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st, dsn := openLoadStore(t, driver)

			schema := loadTestSchema(t, driver, dsn)
			focus := loadPersonnummer(0)
			plan := loadPlan{Org: loadTestOrg, Cases: 300, EventsPerCase: 10, Citizens: 20, CasesForFocus: 40, Focus: focus}
			start := time.Now()
			ids, err := bulkLoad(ctx, driver, dsn, plan)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("loaded in %v", time.Since(start))
			if after := loadTestSchema(t, driver, dsn); after != schema {
				t.Errorf("the load changed the schema from\n%s\nto\n%s", schema, after)
			}
			if len(ids) != plan.CasesForFocus {
				t.Fatalf("%d focus cases, want %d", len(ids), plan.CasesForFocus)
			}
			// The organisation was missing: the loader made it, and the
			// configuration's sync takes it over as `me serve` does.
			if err := st.SyncOrganisations(ctx, []me.Organisation{{Number: loadTestOrg, Name: "Exempelkommun"}}); err != nil {
				t.Fatal(err)
			}
			orgs := []string{loadTestOrg}

			// ListCases, 20 a page: focus's cases, newest first, as returned.
			var listed []me.CaseSummary
			token := ""
			for page := 0; ; page++ {
				cases, next, err := st.ListCases(ctx, me.CaseFilter{PersonalIdentityNumber: focus, Organisations: orgs, PageSize: 20, PageToken: token})
				if err != nil {
					t.Fatal(err)
				}
				if len(cases) != 20 {
					t.Fatalf("page %d has %d cases, want 20", page, len(cases))
				}
				listed = append(listed, cases...)
				if token = next; token == "" {
					break
				}
			}
			got := make([]string, len(listed))
			for i, c := range listed {
				got[i] = c.ID
			}
			if !slices.Equal(got, ids) {
				t.Fatalf("ListCases gives\n%v\nbulkLoad returned\n%v", got, ids)
			}
			now := time.Now()
			for i, c := range listed {
				switch {
				case !slices.Equal(c.Citizens, []string{focus}):
					t.Errorf("case %s: citizens %v", c.ID, c.Citizens)
				case c.UnreadEvents != 10 || c.Archived:
					t.Errorf("case %s: %d unread, archived %v; want 10 unread, not archived", c.ID, c.UnreadEvents, c.Archived)
				case c.LatestEventTitle.SV == "" || c.LatestEventTitle.EN == "":
					t.Errorf("case %s: no latest event title", c.ID)
				case c.OrganisationNumber != loadTestOrg || c.ExternalID == "" || c.CaseNumber == "" || c.Title.SV == "" || c.Handler.Name == "" || c.Handler.Email != "":
					t.Errorf("case %s: %+v", c.ID, c.Case)
				case c.Updated.After(now) || c.Updated.Before(now.Add(-loadSpan)) || c.Created.After(c.Updated):
					t.Errorf("case %s: created %v, updated %v", c.ID, c.Created, c.Updated)
				case i > 0 && c.Updated.After(listed[i-1].Updated):
					t.Errorf("case %s is newer than the one before it", c.ID)
				}
			}
			// Spread over the two years, not bunched.
			if span := listed[0].Updated.Sub(listed[len(listed)-1].Updated); span < loadSpan/2 {
				t.Errorf("focus's cases span only %v", span)
			}

			// CaseView: the 10 events newest first, with their actions and
			// the attachment of every 5th.
			v, err := st.CaseView(ctx, focus, orgs, ids[0])
			if err != nil {
				t.Fatal(err)
			}
			if len(v.Events) != 10 || v.UnreadEvents != 10 || v.LatestEventTitle != v.Events[0].Title {
				t.Fatalf("CaseView: %d events, %d unread", len(v.Events), v.UnreadEvents)
			}
			if !v.Events[0].Created.Equal(v.Updated) || !v.Events[9].Created.Equal(v.Created) {
				t.Errorf("case created %v, updated %v; events arrived %v to %v", v.Created, v.Updated, v.Events[9].Created, v.Events[0].Created)
			}
			var downloads []me.Attachment
			for i, e := range v.Events {
				k := 10 - i // the k-th event of the case
				if e.ExternalID != "H"+strconv.Itoa(k) || e.CaseID != ids[0] || e.Notify || e.FromCitizen || e.ReadAt != nil || e.Text.SV == "" {
					t.Errorf("event %d: %+v", k, e)
				}
				if i > 0 && (e.Time.After(v.Events[i-1].Time) || e.Created.After(v.Events[i-1].Created)) {
					t.Errorf("event %d is after event %d", k, k+1)
				}
				if len(e.Actions) != 1 || e.Actions[0].State != me.ActionAvailable || e.Actions[0].Label.SV == "" {
					t.Fatalf("event %d: actions %+v", k, e.Actions)
				}
				a := e.Actions[0]
				if k%5 == 0 {
					if len(e.Attachments) != 1 || a.Type != me.ActionDownload ||
						a.AttachmentID != e.Attachments[0].ID || a.AttachmentSignalID != e.Attachments[0].SignalID ||
						e.Attachments[0].Size != int64(len(loadAttachmentContent)) || e.Attachments[0].MediaType != "application/pdf" {
						t.Errorf("event %d: attachments %+v, action %+v", k, e.Attachments, a)
					}
					downloads = append(downloads, e.Attachments...)
				} else if len(e.Attachments) != 0 || a.Type != me.ActionMessage || a.AttachmentID != "" {
					t.Errorf("event %d: attachments %+v, action %+v", k, e.Attachments, a)
				}
			}
			if len(downloads) != 2 {
				t.Fatalf("%d attachments on the case, want 2", len(downloads))
			}
			att, err := st.Attachment(ctx, focus, orgs, downloads[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(att.Content, loadAttachmentContent) {
				t.Errorf("attachment content %q", att.Content)
			}
			c, err := st.CaseByID(ctx, ids[0])
			if err != nil {
				t.Fatal(err)
			}
			if c.Handler.Email == "" {
				t.Error("the case has no handler e-mail: its message actions could not be used")
			}

			// Every citizen: a valid personnummer, the names a signal would
			// have given, the default profile, and the cases all told.
			total := 0
			for i := range plan.Citizens {
				pnr := focus
				if i > 0 {
					pnr = loadPersonnummer(i)
				}
				if !personnummer.Valid(pnr) {
					t.Errorf("citizen %d: %s is not a valid personnummer", i, pnr)
				}
				p, err := st.CitizenProfile(ctx, pnr)
				if err != nil {
					t.Fatalf("citizen %d: %v", i, err)
				}
				if p.GivenName == "" || p.Surname == "" || p.Address != nil || p.Language != me.Swedish || p.Channel != me.NotifyNone || p.Email != "" {
					t.Errorf("citizen %d: %+v", i, p)
				}
				cases, next, err := st.ListCases(ctx, me.CaseFilter{PersonalIdentityNumber: pnr, Organisations: orgs, PageSize: store.MaxPageSize})
				if err != nil || next != "" {
					t.Fatal(err, next)
				}
				if i > 0 && (len(cases) < 13 || len(cases) > 14) { // 260 over 19
					t.Errorf("citizen %d has %d cases", i, len(cases))
				}
				if i > 0 && !p.Updated.Equal(cases[0].Updated) {
					t.Errorf("citizen %d: updated %v, their newest case %v", i, p.Updated, cases[0].Updated)
				}
				total += len(cases)
			}
			if total != plan.Cases {
				t.Errorf("the citizens have %d cases, want %d", total, plan.Cases)
			}

			if driver == store.DriverSQLite {
				checkSQLite(t, dsn)
			}

			// ME can go on from here: a citizen's message through a message
			// action (which needs the handler's e-mail address).
			var msgEvent string
			for _, e := range v.Events {
				if e.Actions[0].Type == me.ActionMessage {
					msgEvent = e.ID
					break
				}
			}
			if _, err := st.AddCitizenMessage(ctx, focus, orgs, ids[0], msgEvent, "Hej!",
				me.Mail{Subject: "Fråga", Text: "Hej!", MessageID: "<load-test@example.se>"}, time.Now()); err != nil {
				t.Fatal(err)
			}

			// A second load into the same database adds to it.
			more, err := bulkLoad(ctx, driver, dsn, loadPlan{Org: loadTestOrg, Cases: 10, EventsPerCase: 1, Citizens: 3, CasesForFocus: 5, Focus: focus})
			if err != nil {
				t.Fatal(err)
			}
			cases, _, err := st.ListCases(ctx, me.CaseFilter{PersonalIdentityNumber: focus, Organisations: orgs, PageSize: store.MaxPageSize})
			if err != nil {
				t.Fatal(err)
			}
			if len(more) != 5 || len(cases) != 45 {
				t.Errorf("after a second load: %d new focus cases, %d in all; want 5 and 45", len(more), len(cases))
			}
		})
	}
}

// checkSQLite checks what SQLite does not while the loader writes: the
// foreign keys. And that every timestamp loaded is ME's text, which SQLite
// compares as text. (PostgreSQL checks the foreign keys when the loader
// makes them again, and stores timestamptz.)
func checkSQLite(t *testing.T, dsn string) {
	t.Helper()
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`PRAGMA foreign_key_check`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var table, parent string
		var rowid, fk sql.NullInt64
		if err := rows.Scan(&table, &rowid, &parent, &fk); err != nil {
			t.Fatal(err)
		}
		t.Errorf("foreign key %d of %s row %d: no such row in %s", fk.Int64, table, rowid.Int64, parent)
	}
	rows.Close()
	format := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}000Z$`)
	for _, q := range []string{
		`SELECT created_at FROM cases`, `SELECT updated_at FROM cases`,
		`SELECT time FROM events`, `SELECT created_at FROM events`,
		`SELECT created_at FROM citizens`, `SELECT updated_at FROM citizens`,
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			if !format.MatchString(s) {
				t.Fatalf("%s: %q is not ME's timestamp text", q, s)
			}
		}
		rows.Close()
	}
}

// TestBulkLoadCancelled stops a load halfway: nothing of it stays, and the
// keys and indexes it dropped are back.
func TestBulkLoadCancelled(t *testing.T) {
	for _, driver := range storetest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st, dsn := openLoadStore(t, driver)
			before := loadTestSchema(t, driver, dsn)

			cctx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			_, err := bulkLoad(cctx, driver, dsn, loadPlan{Org: loadTestOrg, Cases: 200000, EventsPerCase: 10, Citizens: 100, CasesForFocus: 50})
			if err == nil {
				t.Fatal("a load of 200,000 cases took less than a second")
			}
			t.Log(err)
			if after := loadTestSchema(t, driver, dsn); after != before {
				t.Errorf("the schema was\n%s\nand is\n%s", before, after)
			}
			cases, _, err := st.ListCases(ctx, me.CaseFilter{PersonalIdentityNumber: loadPersonnummer(0), Organisations: []string{loadTestOrg}, PageSize: 20})
			if err != nil {
				t.Fatal(err)
			}
			if len(cases) != 0 {
				t.Errorf("%d cases left after a load that failed", len(cases))
			}
		})
	}
}

// loadTestSchema describes the database's keys, constraints and indexes.
func loadTestSchema(t *testing.T, driver, dsn string) string {
	t.Helper()
	db, err := sql.Open(map[string]string{store.DriverSQLite: "sqlite3", store.DriverPostgres: "postgres"}[driver], dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q := `SELECT group_concat(name || ' ' || coalesce(sql, ''), char(10)) FROM (SELECT name, sql FROM sqlite_master ORDER BY name)`
	if driver == store.DriverPostgres {
		q = `SELECT string_agg(d, E'\n' ORDER BY d) FROM (
			SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) AS d
			FROM pg_constraint WHERE connamespace = current_schema()::regnamespace
			UNION ALL
			SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema()) t`
	}
	var s string
	if err := db.QueryRow(q).Scan(&s); err != nil {
		t.Fatal(err)
	}
	if len(s) < 1000 {
		t.Fatalf("the schema is only\n%s", s)
	}
	return s
}

func TestLoadPlanCheck(t *testing.T) {
	good := loadPlan{Org: loadTestOrg, Cases: 10, EventsPerCase: 1, Citizens: 2, CasesForFocus: 5, Focus: loadPersonnummer(0)}
	if err := good.check(); err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(p *loadPlan){
		"bad organisation":        func(p *loadPlan) { p.Org = "2120009995" },
		"too many for focus":      func(p *loadPlan) { p.CasesForFocus = 11 },
		"no events":               func(p *loadPlan) { p.EventsPerCase = 0 },
		"no citizens":             func(p *loadPlan) { p.Citizens = 0 },
		"one citizen, not all":    func(p *loadPlan) { p.Citizens = 1 },
		"bad control digit":       func(p *loadPlan) { p.Focus = p.Focus[:11] + strconv.Itoa((int(p.Focus[11]-'0')+1)%10) },
		"not a personnummer":      func(p *loadPlan) { p.Focus = "19800101-1234" },
		"negative number of case": func(p *loadPlan) { p.Cases = -1 },
	} {
		p := good
		change(&p)
		if err := p.check(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	seen := map[string]bool{}
	for i := range 40000 {
		pnr := loadPersonnummer(i)
		if seen[pnr] || !personnummer.Valid(pnr) {
			t.Fatalf("loadPersonnummer(%d) = %s: repeated or invalid", i, pnr)
		}
		seen[pnr] = true
	}
}

// TestBulkLoadScale times a large load on each driver, e.g.
// ME_BENCH_LOAD=100000 go test ./cmd/mebench/ -run TestBulkLoadScale -v
// (10 events a case, a citizen per 20 cases, 200 cases for the focus).
func TestBulkLoadScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("ME_BENCH_LOAD"))
	if n <= 0 {
		t.Skip("set ME_BENCH_LOAD to a number of cases")
	}
	for _, driver := range storetest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			st, dsn := openLoadStore(t, driver)
			start := time.Now()
			ids, err := bulkLoad(ctx, driver, dsn, loadPlan{Org: loadTestOrg, Cases: n, EventsPerCase: 10,
				Citizens: max(n/20, 10), CasesForFocus: min(200, n), Focus: loadPersonnummer(0)})
			if err != nil {
				t.Fatal(err)
			}
			took := time.Since(start)
			t.Logf("%s: %d cases × 10 events in %v (%.0f events/s)", driver, n, took.Round(time.Millisecond), float64(n*10)/took.Seconds())

			start = time.Now()
			cases, _, err := st.ListCases(ctx, me.CaseFilter{PersonalIdentityNumber: loadPersonnummer(0), Organisations: []string{loadTestOrg}, PageSize: 20})
			if err != nil || len(cases) != min(20, n) || cases[0].ID != ids[0] {
				t.Fatalf("ListCases: %v, %d cases", err, len(cases))
			}
			t.Logf("%s: first ListCases page in %v", driver, time.Since(start))
			start = time.Now()
			if v, err := st.CaseView(ctx, loadPersonnummer(0), []string{loadTestOrg}, ids[0]); err != nil || len(v.Events) != 10 {
				t.Fatalf("CaseView: %v", err)
			}
			t.Logf("%s: first CaseView in %v", driver, time.Since(start))
		})
	}
}

// openLoadStore opens ME's store, migrated, on an empty database of driver,
// and returns it with the database's DSN for the loader.
func openLoadStore(t *testing.T, driver string) (*store.Store, string) {
	t.Helper()
	dsn := storetest.DSN(t, driver)
	st, err := store.Open(context.Background(), driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st, dsn
}
