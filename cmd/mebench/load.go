// The bulk loader: fills a migrated ME database with cases, events and
// citizens directly, not through SHS, so that the benchmark can measure
// portal reads against a realistic amount of data (DESIGN §9 names 1M cases
// and 10M events).
//
// The rows are those ME's store writes for a signal (store/citizens.go
// upsertCitizen, store/cases.go insertCase and saveCase, store/events.go
// insertEvent), column for column, with ME's ids (newID in store/tx.go) and
// ME's timestamp text (store/time.go). What a signal also writes and the
// loader does not: the SHS message (shs_messages; events.tx_id stays empty,
// as for an event the citizen made) and the outbox (every event has notify
// false, so a signal would have written no outbox row either).

package main

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/lib/pq"           // registers "postgres"
	_ "github.com/mattn/go-sqlite3" // registers "sqlite3"
	"github.com/personnummer/go/v3"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/store"
)

// loadPlan says what bulkLoad loads.
type loadPlan struct {
	Org           string // organisationsnummer; inserted when missing (see loadOrgSQL)
	Cases         int    // cases to load
	EventsPerCase int    // events on each case, at least 1
	Citizens      int    // citizens the cases are spread over, Focus included
	CasesForFocus int    // of Cases, how many are Focus's
	Focus         string // the citizen with CasesForFocus cases; empty for loadPersonnummer(0)
}

// How the data is shaped.
const (
	loadSpan          = 2 * 365 * 24 * time.Hour // case activity over the past two years
	loadMaxGap        = 20 * 24 * time.Hour      // at most between two events of a case
	loadMaxDelay      = 10 * time.Minute         // from an event's time to its arrival at ME
	loadSeed          = 0x6d6562656e6368         // "mebench": the data's shape is the same on every load
	loadDownloadEvery = 5                        // every 5th event has a download action and an attachment
	loadClosedAfter   = 90 * 24 * time.Hour      // cases quiet this long are decided or closed
	loadBatchCases    = 2000                     // cases per batch handed from the generator to the writer
	loadSQLiteRows    = 500                      // rows per multi-row INSERT on SQLite
	loadMaxCitizens   = 18000 * 999              // distinct loadPersonnummer
)

// loadTimeFormat is store/time.go's timeFormat: RFC 3339 with a fixed
// nine-digit fraction.
const loadTimeFormat = "2006-01-02T15:04:05.000000000Z07:00"

// loadTime is t as store/time.go's timestamp writes it: in UTC, to the
// microsecond.
func loadTime(t time.Time) string { return t.UTC().Truncate(time.Microsecond).Format(loadTimeFormat) }

// loadID is store/tx.go's newID: prefix and 20 characters of lower-case
// base32 of random bytes.
func loadID(prefix string) string { return prefix + me.NewToken(13)[:20] }

// loadPersonnummer returns the i-th generated personnummer (12 digits,
// valid date and control digit, as ME's personnummer.Valid checks them):
// born on one of 18,000 days from 1950-01-01, serial number 1 + i / 18,000
// (000 is not one). Distinct for i below loadMaxCitizens.
func loadPersonnummer(i int) string {
	const days = 18000
	born := time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%days)
	s := born.Format("20060102") + fmt.Sprintf("%03d", 1+(i/days)%999)
	for c := byte('0'); c <= '9'; c++ {
		if me.Luhn(s[2:] + string(c)) {
			return s + string(c)
		}
	}
	panic("unreachable: one control digit always fits")
}

// bulkLoad fills an already migrated ME database with p.Cases cases of
// organisation p.Org, each with p.EventsPerCase events (title, text, one
// download action with a small attachment on every 5th event, a message
// action on the others), spread over p.Citizens citizens; p.Focus is the
// first and gets p.CasesForFocus of the cases, spread evenly through them.
// It writes the citizens rows (those that exist already are kept as they
// are) and the case_citizens links too, and returns the ids of Focus's
// cases newest first, as ListCases orders them.
//
// Cases' last activity is spread over the past two years, and each case's
// events lie before it, up to 20 days apart. Cases quiet for 90 days are
// decided or closed, the others received, in progress or awaiting the
// citizen. No event is read, archived or notified.
//
// Both drivers load in one transaction: a load that fails leaves nothing,
// and the tables are locked while it runs. The indexes are dropped at the
// start and made again at the end, which is far faster than keeping them
// up to date row by row with random ids ("Populating a Database" in
// PostgreSQL's manual); on PostgreSQL the keys and foreign keys too. SQLite
// gets multi-row INSERTs of 500 rows, prepared once, and a checkpoint at
// the end; PostgreSQL gets COPY, and a VACUUM ANALYZE at the end (what
// autovacuum would soon do). Memory stays bounded whatever the number of
// cases, but for Focus's case ids and the citizens' personnummer: about
// 100 MB on PostgreSQL; on SQLite the 1 GB page cache and the index sorts
// take it to about 1.8 GB at a million cases. The organisation is inserted
// when it is missing (loadOrgSQL).
func bulkLoad(ctx context.Context, driver, dsn string, p loadPlan) (focusCases []string, err error) {
	if p.Focus == "" {
		p.Focus = loadPersonnummer(0)
	}
	if err := p.check(); err != nil {
		return nil, fmt.Errorf("bulk load: %w", err)
	}
	var w loadWriter
	switch driver {
	case store.DriverSQLite:
		w, err = openLoadSQLite(ctx, dsn, p.Org)
	case store.DriverPostgres:
		w, err = openLoadPostgres(ctx, dsn, p.Org)
	default:
		err = fmt.Errorf("unknown database driver %q (want %q or %q)", driver, store.DriverSQLite, store.DriverPostgres)
	}
	if err != nil {
		return nil, fmt.Errorf("bulk load %s: %w", driver, err)
	}
	defer w.close()
	focusCases, err = loadAll(ctx, w, p)
	if err != nil {
		return nil, fmt.Errorf("bulk load %s: %w", driver, err)
	}
	return focusCases, nil
}

func (p loadPlan) check() error {
	switch {
	case !me.ValidOrganisationNumber(p.Org):
		return fmt.Errorf("organisation %q is not a valid organisationsnummer", p.Org)
	case p.Cases < 0 || p.CasesForFocus < 0 || p.CasesForFocus > p.Cases:
		return fmt.Errorf("want 0 <= CasesForFocus (%d) <= Cases (%d)", p.CasesForFocus, p.Cases)
	case p.EventsPerCase < 1:
		return errors.New("every case has an event: EventsPerCase must be at least 1")
	case p.Citizens < 1 || p.Citizens > loadMaxCitizens:
		return fmt.Errorf("the number of citizens (%d) must be 1 to %d", p.Citizens, loadMaxCitizens)
	case p.Citizens == 1 && p.CasesForFocus != p.Cases:
		return errors.New("with one citizen every case is Focus's: CasesForFocus must be Cases")
	case len(p.Focus) != 12 || strings.Trim(p.Focus, "0123456789") != "" || !personnummer.Valid(p.Focus):
		return errors.New("the focus citizen is not a valid 12-digit personnummer")
	}
	return nil
}

// The rows of a batch of cases. Columns not here are what ME writes too:
// cases.archived_at and case_citizens.archived_at NULL; events' notify and
// from_citizen false, tx_id empty; attachments at position 0; actions at
// position 0, available, with no external id, e-service, due date or
// completion data. Times are loadTimeFormat text.
type loadBatch struct {
	cases       []loadCaseRow
	events      []loadEventRow
	attachments []loadAttachmentRow
	actions     []loadActionRow
}

type loadCaseRow struct {
	id, externalID, caseNumber, titleSV, titleEN, status string
	handlerName, handlerEmail, created, updated, pnr     string
	events                                               int // all unread by the citizen
}

type loadEventRow struct {
	id, caseID, externalID, time, titleSV, titleEN, textSV, textEN, created string
}

type loadAttachmentRow struct{ id, eventID, fileName string }

type loadActionRow struct {
	id, eventID, typ, labelSV, labelEN string
	attachmentID                       sql.NullString
}

func (b *loadBatch) reset() {
	b.cases, b.events, b.attachments, b.actions = b.cases[:0], b.events[:0], b.attachments[:0], b.actions[:0]
}

// loadCitizenRow is a citizens row as upsertCitizen writes it; the profile
// columns keep their defaults (no e-mail or mobile, Swedish, no
// notifications).
type loadCitizenRow struct {
	pnr, givenName, surname, created, updated string
}

// loadWriter writes to one database.
type loadWriter interface {
	// citizens inserts the citizens that do not exist yet.
	citizens(ctx context.Context, rows []loadCitizenRow) error
	// batch writes one batch.
	batch(ctx context.Context, b *loadBatch) error
	// finish runs once everything is written.
	finish(ctx context.Context) error
	close() error
}

// loadCaseShape is what the deterministic generator decides about case i: its
// citizen, its status and its events' times and arrivals, oldest first.
type loadCaseShape struct {
	citizen         int // index into the citizens; 0 is Focus
	status          me.CaseStatus
	times, arrivals []time.Time
}

// shape fills s for case i of p, as of now. The same i gives the same
// shape; the random source depends on i alone.
func (p loadPlan) shape(i int, now time.Time, s *loadCaseShape) {
	// Focus's cases: case i is Focus's when ⌊(i+1)F/N⌋ > ⌊iF/N⌋.
	f, n := int64(p.CasesForFocus), int64(p.Cases)
	before := int64(i) * f / n
	if (int64(i)+1)*f/n > before {
		s.citizen = 0
	} else {
		s.citizen = 1 + int((int64(i)-before)%int64(p.Citizens-1))
	}

	r := rand.New(rand.NewPCG(loadSeed, uint64(i)))
	// The last event arrives by now, its time at most loadMaxDelay before.
	last := now.Add(-loadMaxDelay - time.Duration(r.Int64N(int64(loadSpan-loadMaxDelay))))
	gap := loadMaxGap
	if p.EventsPerCase > 1 {
		// The first event no earlier than two years ago.
		gap = min(gap, last.Sub(now.Add(-loadSpan))/time.Duration(p.EventsPerCase-1))
	}
	s.times, s.arrivals = s.times[:0], s.arrivals[:0]
	t := last
	for range p.EventsPerCase {
		s.times = append(s.times, t)
		if gap > 0 {
			t = t.Add(-time.Duration(r.Int64N(int64(gap))))
		}
	}
	slices.Reverse(s.times)
	for _, t := range s.times {
		a := t.Add(time.Duration(r.Int64N(int64(loadMaxDelay))))
		// A later event arrives later: arrivals are in order.
		if k := len(s.arrivals); k > 0 && !a.After(s.arrivals[k-1]) {
			a = s.arrivals[k-1].Add(time.Microsecond)
		}
		s.arrivals = append(s.arrivals, a)
	}
	if now.Sub(s.arrivals[len(s.arrivals)-1]) > loadClosedAfter {
		s.status = [...]me.CaseStatus{me.CaseDecided, me.CaseClosed, me.CaseClosed}[r.IntN(3)]
	} else {
		s.status = [...]me.CaseStatus{me.CaseReceived, me.CaseInProgress, me.CaseInProgress, me.CaseAwaitingCitizen}[r.IntN(4)]
	}
}

// loadAll generates the rows and hands batches to the writer: the citizens
// first, then the cases with their links, events, attachments and actions.
func loadAll(ctx context.Context, w loadWriter, p loadPlan) ([]string, error) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	run := strings.ToUpper(me.NewToken(5)[:6]) // keeps external ids unique across loads

	// The citizens, with the first and last arrival of their cases as a
	// signal's upsert would have left created_at and updated_at.
	pnrs := make([]string, p.Citizens)
	pnrs[0] = p.Focus
	for i, k := 1, 0; i < p.Citizens; k++ {
		if pnr := loadPersonnummer(k); pnr != p.Focus {
			pnrs[i] = pnr
			i++
		}
	}
	first := make([]time.Time, p.Citizens)
	lastSeen := make([]time.Time, p.Citizens)
	var s loadCaseShape
	for i := range p.Cases {
		p.shape(i, now, &s)
		c, a, b := s.citizen, s.arrivals[0], s.arrivals[len(s.arrivals)-1]
		if first[c].IsZero() || a.Before(first[c]) {
			first[c] = a
		}
		if b.After(lastSeen[c]) {
			lastSeen[c] = b
		}
	}
	citizens := make([]loadCitizenRow, 0, min(p.Citizens, 10000))
	for i, pnr := range pnrs {
		if first[i].IsZero() { // no case: known from the portal's profile alone
			first[i], lastSeen[i] = now, now
		}
		citizens = append(citizens, loadCitizenRow{
			pnr:       pnr,
			givenName: loadGivenNames[i%len(loadGivenNames)],
			surname:   loadSurnames[(i/len(loadGivenNames))%len(loadSurnames)],
			created:   loadTime(first[i]),
			updated:   loadTime(lastSeen[i]),
		})
		if len(citizens) == cap(citizens) || i == len(pnrs)-1 {
			if err := w.citizens(ctx, citizens); err != nil {
				return nil, fmt.Errorf("citizens: %w", err)
			}
			citizens = citizens[:0]
		}
	}
	first, lastSeen = nil, nil

	// Batches flow from the generator (this goroutine) to the writer
	// through todo, and back through free for reuse: one is written while
	// the next is made.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	todo := make(chan *loadBatch)
	free := make(chan *loadBatch, 2)
	free <- &loadBatch{}
	free <- &loadBatch{}
	var wg sync.WaitGroup
	wg.Go(func() {
		for b := range todo {
			if err := w.batch(ctx, b); err != nil {
				cancel(err)
			}
			free <- b
		}
	})

	type focusCase struct {
		updated time.Time
		id      string
	}
	focus := make([]focusCase, 0, p.CasesForFocus)
	var b *loadBatch
	for i := 0; i < p.Cases && ctx.Err() == nil; i++ {
		if b == nil {
			select {
			case b = <-free:
				b.reset()
			case <-ctx.Done():
				continue
			}
		}
		p.shape(i, now, &s)
		id := loadID("c")
		if s.citizen == 0 {
			focus = append(focus, focusCase{s.arrivals[len(s.arrivals)-1], id})
		}
		b.addCase(i, id, run, pnrs[s.citizen], &s)
		if len(b.cases) == loadBatchCases || i == p.Cases-1 {
			select {
			case todo <- b:
				b = nil
			case <-ctx.Done():
			}
		}
	}
	close(todo)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	if err := w.finish(ctx); err != nil {
		return nil, err
	}

	// Newest activity first, then id, as ListCases orders them.
	slices.SortFunc(focus, func(a, b focusCase) int {
		if c := b.updated.Compare(a.updated); c != 0 {
			return c
		}
		return cmp.Compare(b.id, a.id)
	})
	ids := make([]string, len(focus))
	for i, f := range focus {
		ids[i] = f.id
	}
	return ids, nil
}

// addCase adds case i (ME id id) of citizen pnr with its events to the
// batch.
func (b *loadBatch) addCase(i int, id, run, pnr string, s *loadCaseShape) {
	kind := loadCaseKinds[i%len(loadCaseKinds)]
	handler := loadHandlers[(i/len(loadCaseKinds))%len(loadHandlers)]
	created := s.arrivals[0]
	b.cases = append(b.cases, loadCaseRow{
		id:           id,
		externalID:   "BENCH-" + run + "-" + strconv.Itoa(i+1),
		caseNumber:   kind.prefix + "-" + strconv.Itoa(created.Year()) + "-" + fmt.Sprintf("%06d", i+1),
		titleSV:      kind.sv,
		titleEN:      kind.en,
		status:       string(s.status),
		handlerName:  handler.name,
		handlerEmail: handler.email,
		created:      loadTime(created),
		updated:      loadTime(s.arrivals[len(s.arrivals)-1]),
		pnr:          pnr,
		events:       len(s.times),
	})
	for k, t := range s.times {
		eid := loadID("e")
		var title, text [2]string // sv, en
		switch {
		case k == 0:
			title = [2]string{"Vi har tagit emot ditt ärende", "We have received your case"}
			text = [2]string{"Ditt ärende " + kind.sv + " har kommit in och registrerats.", "Your case " + kind.en + " has been received and registered."}
		case (k+1)%loadDownloadEvery == 0:
			title = [2]string{"Nytt dokument i ärendet", "A new document on the case"}
			text = [2]string{"Handläggaren har lagt till ett dokument som du kan ladda ned.", "The case handler has added a document for you to download."}
		default:
			m := loadEventTexts[(i+k)%len(loadEventTexts)]
			title, text = m.title, m.text
		}
		b.events = append(b.events, loadEventRow{
			id:         eid,
			caseID:     id,
			externalID: "H" + strconv.Itoa(k+1),
			time:       loadTime(t),
			titleSV:    title[0], titleEN: title[1],
			textSV: text[0], textEN: text[1],
			created: loadTime(s.arrivals[k]),
		})
		if (k+1)%loadDownloadEvery == 0 {
			aid := loadID("a")
			b.attachments = append(b.attachments, loadAttachmentRow{
				id: aid, eventID: eid, fileName: "dokument-" + strconv.Itoa(k+1) + ".pdf",
			})
			b.actions = append(b.actions, loadActionRow{
				id: loadID("x"), eventID: eid, typ: string(me.ActionDownload),
				labelSV: "Ladda ned dokumentet", labelEN: "Download the document",
				attachmentID: sql.NullString{String: aid, Valid: true},
			})
		} else {
			b.actions = append(b.actions, loadActionRow{
				id: loadID("x"), eventID: eid, typ: string(me.ActionMessage),
				labelSV: "Skriv till handläggaren", labelEN: "Write to the case handler",
			})
		}
	}
}

// Every attachment: the signal's id, the media type and the content (a
// minimal one-page PDF).
const loadAttachmentSignalID, loadAttachmentMediaType = "dok1", "application/pdf"

var loadAttachmentContent = []byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n" +
	"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
	"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n" +
	"trailer<</Root 1 0 R>>\n%%EOF\n")

// The columns written, in ME's order (store/cases.go insertCase and
// saveCase, store/events.go insertEvent).
var (
	loadCaseColumns        = []string{"id", "organisation_number", "external_id", "case_number", "title_sv", "title_en", "status", "handler_name", "handler_email", "created_at", "updated_at"}
	loadCaseCitizenColumns = []string{"case_id", "personal_identity_number", "updated_at", "unread"}
	loadEventColumns       = []string{"id", "case_id", "external_id", "time", "title_sv", "title_en", "text_sv", "text_en", "notify", "from_citizen", "created_at", "tx_id"}
	loadAttachmentColumns  = []string{"id", "event_id", "position", "signal_id", "file_name", "media_type", "size", "content"}
	loadActionColumns      = []string{"id", "event_id", "position", "external_id", "type", "label_sv", "label_en", "state", "attachment_id", "eservice_id", "eservice_organisation", "due_date", "completion_data"}
	loadCitizenColumns     = []string{"personal_identity_number", "name", "given_name", "surname", "care_of", "street", "postal_code", "city", "country", "created_at", "updated_at"}
)

// The tables of a batch in the order their foreign keys need, each with
// its columns and a function appending row j's values.
type loadTable struct {
	name    string
	columns []string
	suffix  string // after an INSERT's values
	rows    func(b *loadBatch) int
	values  func(dst []any, b *loadBatch, org string, j int) []any
}

func loadTables() []loadTable {
	return []loadTable{
		{"cases", loadCaseColumns, "", func(b *loadBatch) int { return len(b.cases) },
			func(dst []any, b *loadBatch, org string, j int) []any {
				c := &b.cases[j]
				return append(dst, c.id, org, c.externalID, c.caseNumber, c.titleSV, c.titleEN,
					c.status, c.handlerName, c.handlerEmail, c.created, c.updated)
			}},
		{"case_citizens", loadCaseCitizenColumns, "", func(b *loadBatch) int { return len(b.cases) },
			func(dst []any, b *loadBatch, org string, j int) []any {
				c := &b.cases[j]
				return append(dst, c.id, c.pnr, c.updated, c.events)
			}},
		{"events", loadEventColumns, "", func(b *loadBatch) int { return len(b.events) },
			func(dst []any, b *loadBatch, org string, j int) []any {
				e := &b.events[j]
				return append(dst, e.id, e.caseID, e.externalID, e.time, e.titleSV, e.titleEN, e.textSV, e.textEN,
					false, false, e.created, "")
			}},
		{"attachments", loadAttachmentColumns, "", func(b *loadBatch) int { return len(b.attachments) },
			func(dst []any, b *loadBatch, org string, j int) []any {
				a := &b.attachments[j]
				return append(dst, a.id, a.eventID, 0, loadAttachmentSignalID, a.fileName, loadAttachmentMediaType,
					int64(len(loadAttachmentContent)), loadAttachmentContent)
			}},
		{"actions", loadActionColumns, "", func(b *loadBatch) int { return len(b.actions) },
			func(dst []any, b *loadBatch, org string, j int) []any {
				x := &b.actions[j]
				return append(dst, x.id, x.eventID, 0, "", x.typ, x.labelSV, x.labelEN, string(me.ActionAvailable),
					x.attachmentID, "", "", "", "")
			}},
	}
}

// loadCitizenConflict keeps the citizens that exist.
const loadCitizenConflict = " ON CONFLICT DO NOTHING"

func loadCitizenValues(dst []any, c *loadCitizenRow) []any {
	return append(dst, c.pnr, c.givenName+" "+c.surname, c.givenName, c.surname, "", "", "", "", "", c.created, c.updated)
}

// loadInsertSQL returns an INSERT (verb) of rows rows into table, with ?
// placeholders.
func loadInsertSQL(verb, table string, columns []string, rows int, suffix string) string {
	var sb strings.Builder
	sb.WriteString(verb + " " + table + " (" + strings.Join(columns, ", ") + ") VALUES ")
	row := "(" + strings.Repeat("?, ", len(columns)-1) + "?)"
	for i := range rows {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(row)
	}
	sb.WriteString(suffix)
	return sb.String()
}

// loadOrgSQL inserts the organisation when the database does not have it
// yet, named by its number: `me migrate` does not write the configured
// organisations, and `me serve` upserts them when it starts
// (SyncOrganisations), setting the configured name and portal address.
// Its placeholders are SQLite's; loadPostgres numbers them.
const loadOrgSQL = `INSERT INTO organisations (number, name) VALUES (?, ?) ON CONFLICT DO NOTHING`

func loadOrgName(org string) string { return "mebench " + org }

// SQLite

// loadSQLite loads in one transaction on one connection. It drops the
// indexes of the tables it writes that CREATE INDEX made at the start and
// makes them again at the end, by sorting (the keys and unique constraints
// that CREATE TABLE declared cannot be dropped). DDL is transactional: a
// load that fails leaves the schema as it was, and no row.
type loadSQLite struct {
	db      *sql.DB
	conn    *sql.Conn
	tx      *sql.Tx
	org     string
	stmts   map[string]*sql.Stmt // table → INSERT of loadSQLiteRows rows, on tx
	args    []any
	restore []string // CREATE INDEX statements of the dropped indexes
}

// loadSQLitePragmas are set on the loader's connection, and change how
// fast rows are written, not what is written. A multi-row INSERT that can
// fail halfway keeps a statement journal, a copy of every page it changes,
// so as to undo the statement alone: INSERT OR FAIL (loadSQLiteVerb) needs
// none, but a foreign key checked by the statement brings it back, so the
// loader, whose rows refer to rows it wrote before, does not check them
// (TestBulkLoad runs foreign_key_check on what it loaded). Synchronous OFF
// and a 1 GB page cache, for the random ids' indexes, suit a database that
// a crash would have to be loaded again anyway.
const loadSQLitePragmas = `PRAGMA foreign_keys = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -1048576`

func openLoadSQLite(ctx context.Context, dsn, org string) (_ *loadSQLite, err error) {
	if dsn == "" {
		return nil, errors.New("empty SQLite database path")
	}
	// store.Open's parameters, then loadSQLitePragmas.
	db, err := sql.Open("sqlite3", dsn+"?_journal_mode=WAL&_synchronous=NORMAL&_foreign_keys=on&_busy_timeout=5000&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	w := &loadSQLite{db: db, org: org, stmts: map[string]*sql.Stmt{}}
	defer func() {
		if err != nil {
			w.close()
		}
	}()
	if w.conn, err = db.Conn(ctx); err != nil {
		return nil, err
	}
	if _, err := w.conn.ExecContext(ctx, loadSQLitePragmas); err != nil {
		return nil, err
	}
	if w.tx, err = w.conn.BeginTx(ctx, nil); err != nil {
		return nil, err
	}
	if _, err := w.tx.ExecContext(ctx, loadOrgSQL, org, loadOrgName(org)); err != nil {
		return nil, fmt.Errorf("insert organisation %s: %w", org, err)
	}

	// The indexes CREATE INDEX made have their statement in sqlite_master.
	query, args := `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (?`+
		strings.Repeat(", ?", len(loadTables())-1)+`) ORDER BY name`, []any{}
	for _, t := range loadTables() {
		args = append(args, t.name)
	}
	rows, err := w.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list indexes: %w", err)
	}
	var drop []string
	for rows.Next() {
		var name, create string
		if err := rows.Scan(&name, &create); err != nil {
			rows.Close()
			return nil, err
		}
		drop = append(drop, `DROP INDEX "`+name+`"`)
		w.restore = append(w.restore, create)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, q := range drop {
		if _, err := w.tx.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
	}

	tables := append(loadTables(), loadTable{name: "citizens", columns: loadCitizenColumns, suffix: loadCitizenConflict})
	for _, t := range tables {
		s, err := w.tx.PrepareContext(ctx, loadInsertSQL(loadSQLiteVerb(t), t.name, t.columns, loadSQLiteRows, t.suffix))
		if err != nil {
			return nil, fmt.Errorf("prepare %s: %w", t.name, err)
		}
		w.stmts[t.name] = s
	}
	return w, nil
}

// loadSQLiteVerb is INSERT OR FAIL, which stops at a row that fails a
// constraint and keeps the rows before it rather than undo the whole
// statement (INSERT's ABORT), and so needs no statement journal: the load
// fails and its transaction is rolled back either way. An upsert keeps
// INSERT.
func loadSQLiteVerb(t loadTable) string {
	if t.suffix != "" {
		return "INSERT INTO"
	}
	return "INSERT OR FAIL INTO"
}

func (w *loadSQLite) close() error {
	if w.tx != nil {
		w.tx.Rollback()
	}
	if w.conn != nil {
		w.conn.Close()
	}
	return w.db.Close()
}

// insert writes n rows into a table through multi-row INSERTs: the
// statement prepared at the start, and for the last rows a smaller one.
func (w *loadSQLite) insert(ctx context.Context, t loadTable, n int, values func(dst []any, j int) []any) error {
	for j := 0; j < n; j += loadSQLiteRows {
		rows := min(loadSQLiteRows, n-j)
		w.args = w.args[:0]
		for k := j; k < j+rows; k++ {
			w.args = values(w.args, k)
		}
		var err error
		if rows == loadSQLiteRows {
			_, err = w.stmts[t.name].ExecContext(ctx, w.args...)
		} else {
			_, err = w.tx.ExecContext(ctx, loadInsertSQL(loadSQLiteVerb(t), t.name, t.columns, rows, t.suffix), w.args...)
		}
		if err != nil {
			return fmt.Errorf("insert %s: %w", t.name, err)
		}
	}
	clear(w.args[:cap(w.args)]) // let the batch's strings go
	return nil
}

func (w *loadSQLite) citizens(ctx context.Context, rows []loadCitizenRow) error {
	t := loadTable{name: "citizens", columns: loadCitizenColumns, suffix: loadCitizenConflict}
	return w.insert(ctx, t, len(rows), func(dst []any, j int) []any { return loadCitizenValues(dst, &rows[j]) })
}

func (w *loadSQLite) batch(ctx context.Context, b *loadBatch) error {
	for _, t := range loadTables() {
		if err := w.insert(ctx, t, t.rows(b), func(dst []any, j int) []any { return t.values(dst, b, w.org, j) }); err != nil {
			return err
		}
	}
	return nil
}

// finish makes the indexes again and commits, then folds the WAL into the
// database and truncates it, so that ME does not start with a checkpoint
// of the whole load.
func (w *loadSQLite) finish(ctx context.Context) error {
	if err := restoreAndCommit(ctx, w.tx, w.restore); err != nil {
		return err
	}
	w.tx = nil
	var busy, frames, done int
	if err := w.conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &done); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// PostgreSQL

// loadPostgres loads in one transaction on one connection. It drops the
// constraints and indexes of the tables it writes at the start and makes
// them again at the end, which PostgreSQL does by sorting, far faster than
// keeping them up to date row by row ("Populating a Database" in its
// manual). DDL is transactional: a load that fails leaves the schema as it
// was, and no row.
type loadPostgres struct {
	db      *sql.DB
	tx      *sql.Tx
	org     string
	restore []string // the statements that make the dropped constraints and indexes again, in order
}

// loadPGTables are the tables loadPostgres writes, but citizens, which
// keeps its primary key for ON CONFLICT.
var loadPGTables = []string{"cases", "case_citizens", "events", "attachments", "actions"}

func openLoadPostgres(ctx context.Context, dsn, org string) (_ *loadPostgres, err error) {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return nil, err
	}
	w := &loadPostgres{db: db, org: org}
	defer func() {
		if err != nil {
			w.close()
		}
	}()
	// Not cancelled with ctx: database/sql would roll the transaction back
	// from a goroutine of its own while the connection is in a COPY, and
	// lib/pq then reads the COPY's stream as a reply and hangs. The load
	// stops between rows instead (loadCopyIn), and is rolled back here.
	if w.tx, err = db.BeginTx(context.WithoutCancel(ctx), nil); err != nil {
		return nil, err
	}
	// Memory for the index builds; the commit need not wait for the disk
	// (a crash before the WAL is written loses the load, not consistency).
	for _, q := range []string{`SET LOCAL maintenance_work_mem = '256MB'`, `SET LOCAL synchronous_commit = off`} {
		if _, err := w.tx.ExecContext(ctx, q); err != nil {
			return nil, err
		}
	}
	if _, err := w.tx.ExecContext(ctx, strings.Replace(loadOrgSQL, "(?, ?)", "($1, $2)", 1), org, loadOrgName(org)); err != nil {
		return nil, fmt.Errorf("insert organisation %s: %w", org, err)
	}
	if err := w.dropConstraints(ctx); err != nil {
		return nil, err
	}
	return w, nil
}

// dropConstraints drops the foreign keys from and to the loaded tables,
// then their other constraints and indexes, and keeps the statements that
// make them again: constraints by pg_get_constraintdef under their names,
// indexes by pg_get_indexdef.
func (w *loadPostgres) dropConstraints(ctx context.Context) error {
	var drops []string
	var fks, others []string
	rows, err := w.tx.QueryContext(ctx, `
		SELECT c.contype = 'f', format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname),
			format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid))
		FROM pg_constraint c
		WHERE (c.conrelid = ANY($1::regclass[]) OR c.confrelid = ANY($1::regclass[]))
			AND c.contype IN ('p', 'u', 'f')
		ORDER BY c.contype <> 'f', c.conrelid::regclass::text, c.conname`, loadPGArray(loadPGTables))
	if err != nil {
		return fmt.Errorf("list constraints: %w", err)
	}
	for rows.Next() {
		var fk bool
		var drop, add string
		if err := rows.Scan(&fk, &drop, &add); err != nil {
			rows.Close()
			return err
		}
		drops = append(drops, drop)
		if fk {
			fks = append(fks, add)
		} else {
			others = append(others, add)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// Indexes that back no constraint.
	rows, err = w.tx.QueryContext(ctx, `
		SELECT format('DROP INDEX %s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid)
		FROM pg_index i
		WHERE i.indrelid = ANY($1::regclass[])
			AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
		ORDER BY i.indexrelid::regclass::text`, loadPGArray(loadPGTables))
	if err != nil {
		return fmt.Errorf("list indexes: %w", err)
	}
	for rows.Next() {
		var drop, create string
		if err := rows.Scan(&drop, &create); err != nil {
			rows.Close()
			return err
		}
		drops = append(drops, drop)
		others = append(others, create)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, q := range drops {
		if _, err := w.tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	// Keys and indexes first, then the foreign keys that need them.
	w.restore = append(others, fks...)
	return nil
}

// loadPGArray is a text[] literal of names without quotes or commas.
func loadPGArray(names []string) string { return "{" + strings.Join(names, ",") + "}" }

func (w *loadPostgres) close() error {
	if w.tx != nil {
		w.tx.Rollback()
	}
	return w.db.Close()
}

// loadCopyIn streams n rows into table with COPY FROM STDIN, on tx. (pq.CopyIn
// only builds this statement, and is deprecated for writing it directly.)
func loadCopyIn(ctx context.Context, tx *sql.Tx, table string, columns []string, n int, values func(dst []any, j int) []any) error {
	s, err := tx.PrepareContext(ctx, "COPY "+table+" ("+strings.Join(columns, ", ")+") FROM STDIN")
	if err != nil {
		return fmt.Errorf("copy %s: %w", table, err)
	}
	defer s.Close()
	args := make([]any, 0, len(columns))
	for j := range n {
		args = values(args[:0], j)
		if _, err := s.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("copy %s: %w", table, err)
		}
	}
	if _, err := s.ExecContext(ctx); err != nil { // flushes, and reports the server's errors
		return fmt.Errorf("copy %s: %w", table, err)
	}
	return nil
}

func (w *loadPostgres) citizens(ctx context.Context, rows []loadCitizenRow) error {
	// COPY cannot skip the citizens that exist: through a temporary table.
	if _, err := w.tx.ExecContext(ctx, `CREATE TEMPORARY TABLE IF NOT EXISTS load_citizens
		(LIKE citizens INCLUDING DEFAULTS) ON COMMIT DROP`); err != nil {
		return err
	}
	if err := loadCopyIn(ctx, w.tx, "load_citizens", loadCitizenColumns, len(rows),
		func(dst []any, j int) []any { return loadCitizenValues(dst, &rows[j]) }); err != nil {
		return err
	}
	cols := strings.Join(loadCitizenColumns, ", ")
	if _, err := w.tx.ExecContext(ctx, `INSERT INTO citizens (`+cols+`)
		SELECT `+cols+` FROM load_citizens ON CONFLICT DO NOTHING`); err != nil {
		return err
	}
	_, err := w.tx.ExecContext(ctx, `TRUNCATE load_citizens`)
	return err
}

func (w *loadPostgres) batch(ctx context.Context, b *loadBatch) error {
	for _, t := range loadTables() {
		if err := loadCopyIn(ctx, w.tx, t.name, t.columns, t.rows(b),
			func(dst []any, j int) []any { return t.values(dst, b, w.org, j) }); err != nil {
			return err
		}
	}
	return nil
}

// finish makes the constraints and indexes again, commits, and brings the
// statistics and the visibility map up to date, as autovacuum would within
// minutes, so that the first queries are planned and run as on a database
// that has settled.
func (w *loadPostgres) finish(ctx context.Context) error {
	if err := restoreAndCommit(ctx, w.tx, w.restore); err != nil {
		return err
	}
	w.tx = nil
	for _, t := range append([]string{"citizens"}, loadPGTables...) {
		if _, err := w.db.ExecContext(ctx, "VACUUM (ANALYZE) "+t); err != nil {
			return fmt.Errorf("vacuum %s: %w", t, err)
		}
	}
	return nil
}

// Texts the cases and events are made of.

var loadCaseKinds = []struct{ prefix, sv, en string }{
	{"BN", "Bygglov för tillbyggnad av enbostadshus", "Building permit for an extension of a house"},
	{"BUN", "Ansökan om plats i förskola", "Application for a place in preschool"},
	{"SN", "Ansökan om ekonomiskt bistånd", "Application for financial assistance"},
	{"TN", "Parkeringstillstånd för rörelsehindrade", "Parking permit for people with disabilities"},
	{"MHN", "Anmälan om installation av värmepump", "Notification of a heat pump installation"},
	{"KS", "Begäran om allmän handling", "Request for an official document"},
	{"SN", "Ansökan om färdtjänst", "Application for mobility service"},
	{"BN", "Strandskyddsdispens för brygga", "Shore protection exemption for a jetty"},
}

var loadHandlers = []struct{ name, email string }{
	{"Anna Lindqvist", "anna.lindqvist@example.se"},
	{"Erik Johansson", "erik.johansson@example.se"},
	{"Maria Karlsson", "maria.karlsson@example.se"},
	{"Johan Nilsson", "johan.nilsson@example.se"},
	{"Sara Öberg", "sara.oberg@example.se"},
}

var loadEventTexts = []struct{ title, text [2]string }{
	{[2]string{"Handläggningen har påbörjats", "Processing has started"},
		[2]string{"En handläggare har börjat arbeta med ditt ärende.", "A case handler has started working on your case."}},
	{[2]string{"Vi har fått in en handling", "We have received a document"},
		[2]string{"En ny handling har kommit in och lagts till i ärendet.", "A new document has been received and added to the case."}},
	{[2]string{"Ärendet har skickats på remiss", "The case has been referred for consultation"},
		[2]string{"Vi väntar på svar från en annan förvaltning innan vi går vidare.", "We are waiting for another department to reply before we continue."}},
	{[2]string{"Meddelande från handläggaren", "A message from the case handler"},
		[2]string{"Hör gärna av dig om du har frågor om ditt ärende.", "Please get in touch if you have questions about your case."}},
	{[2]string{"Handläggningstiden har förlängts", "The processing time has been extended"},
		[2]string{"Ditt ärende tar längre tid än beräknat. Vi återkommer så snart vi kan.", "Your case is taking longer than expected. We will get back to you as soon as we can."}},
}

var (
	loadGivenNames = []string{"Alice", "Elsa", "Maja", "Wilma", "Ebba", "Noah", "William", "Hugo", "Liam", "Oscar", "Åsa", "Björn"}
	loadSurnames   = []string{"Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson", "Svensson", "Gustafsson", "Pettersson", "Jönsson", "Öhman"}
)

// restoreAndCommit makes again, in the load's transaction, what the load
// dropped, and commits: the load and its indexes land together or not at all.
func restoreAndCommit(ctx context.Context, tx *sql.Tx, restore []string) error {
	for _, q := range restore {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return tx.Commit()
}
