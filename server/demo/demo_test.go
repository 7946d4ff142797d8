// The flow tests run the demo against ME's real server (package server on
// an httptest listener with a SQLite store): the demo calls its SOAP
// services over HTTP exactly as it does under `make run`. They are an
// external test package so that package server may itself import demo.
package demo_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/crypto/bcrypt"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/config"
	"github.com/minaengagemang/me/server"
	"github.com/minaengagemang/me/server/demo"
	"github.com/minaengagemang/me/server/signal"
	"github.com/minaengagemang/me/store"
	"github.com/minaengagemang/me/store/storetest"
	"github.com/minaengagemang/me/xsd"
)

const (
	org    = "2120009994"
	pw     = "demo"
	tolvan = "191212121212"
)

type env struct {
	me, demo *httptest.Server
	st       *store.Store
}

// newEnv starts ME's handler as server_test.go does, the demo against it,
// and publishes the demo e-services with start URLs on the demo.
func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	hash, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	defaults := config.Default()
	orgs := []me.Organisation{{Number: org, Name: "Demo kommun", PortalURL: "http://127.0.0.1:8080/demo/"}}
	clients := []me.Client{
		{Name: "demo-portal", OrganisationNumber: org, Role: me.RolePortal, SecretHash: string(hash)},
		{Name: "demo-etjanst", OrganisationNumber: org, Role: me.RoleEService, SecretHash: string(hash), EServiceIDs: []string{"bygglov", "skolskjuts", "kontrollplan"}},
	}
	st := storetest.Open(t, "sqlite")
	if err := st.SyncOrganisations(ctx, orgs); err != nil {
		t.Fatal(err)
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	srv, err := server.New(server.Config{Organisations: orgs, Clients: clients, MaxBodyBytes: defaults.HTTP.MaxBodyBytes,
		TicketLife: defaults.Tickets.Lifetime, ValidateResponses: true}, st, log)
	if err != nil {
		t.Fatal(err)
	}
	meTS := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { meTS.Close(); srv.Close() })

	demoTS := startDemo(t, demo.Config{SOAPBase: meTS.URL, PortalUser: "demo-portal", PortalPassword: pw,
		EServiceUser: "demo-etjanst", EServicePassword: pw, Organisation: org})

	for _, e := range []me.EService{
		{ID: "bygglov", Name: me.LocalizedText{SV: "Ansökan om bygglov", EN: "Building permit application"},
			Description: me.LocalizedText{SV: "Ansök om bygglov för nybyggnad eller tillbyggnad."}, Areas: []string{"bygga-bo"},
			AuthenticationLevel: 3, Contact: me.Contact{Name: "Bygglovsenheten", Email: "bygglov@demo.example"}},
		{ID: "skolskjuts", Name: me.LocalizedText{SV: "Anmälan om skolskjuts"},
			Description: me.LocalizedText{SV: "Anmäl behov av skolskjuts."}, Areas: []string{"utbildning"}, AuthenticationLevel: 2},
		{ID: "kontrollplan", Name: me.LocalizedText{SV: "Inlämning av kontrollplan"},
			Description: me.LocalizedText{SV: "Skicka in kontrollplanen för ditt bygglov."}, Areas: []string{"bygga-bo"}, AuthenticationLevel: 3},
	} {
		e.OrganisationNumber = org
		e.StartURL = demoTS.URL + "/demo/etjanst/" + e.ID
		e.TicketParameter = "ticket"
		if _, err := st.PublishEService(ctx, e, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return &env{me: meTS, demo: demoTS, st: st}
}

// startDemo serves the demo at /demo/ as ME's server mounts it.
func startDemo(t *testing.T, cfg demo.Config) *httptest.Server {
	t.Helper()
	h, err := demo.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(demo.Prefix, h)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts
}

var attachmentBytes = []byte("%PDF-1.4 demo\nBeslut: åäö\x00\x01\x02")

func (e *env) signal(t *testing.T, tx string, status me.CaseStatus, ev me.Event) {
	t.Helper()
	sig := me.Signal{
		Case: me.Case{OrganisationNumber: org, ExternalID: "BN-2026-000123", CaseNumber: "BN 2026-000123",
			Title:   me.LocalizedText{SV: "Bygglov för tillbyggnad, Solrosen 4"},
			Status:  status,
			Handler: me.Handler{Name: "Anna Lindqvist, Bygglovsenheten", Email: "anna.lindqvist@kommun.example"}},
		Citizens: []me.Citizen{{PersonalIdentityNumber: tolvan, GivenName: "Tolvan", Surname: "Tolvansson",
			Address: &me.PostalAddress{Street: "Solrosvägen 4", PostalCode: "123 45", City: "Ekby"}}},
		Event: ev,
	}
	if _, err := e.st.RecordSignal(context.Background(), me.SHSMessage{TxID: tx, From: org, To: org, Client: "demo-casesystem"}, sig, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	t    *testing.T
	c    *http.Client
	base string
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	u := path
	if !strings.HasPrefix(u, "http") {
		u = b.base + path
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, string(data)
}

// get fetches path and wants 200.
func (b *browser) get(path string) string {
	b.t.Helper()
	resp, body := b.do("GET", path, nil)
	if resp.StatusCode != 200 {
		b.t.Fatalf("GET %s: %d\n%s", path, resp.StatusCode, body)
	}
	return body
}

// post submits a form and wants a 303; it returns the Location.
func (b *browser) post(path string, form url.Values) string {
	b.t.Helper()
	resp, body := b.do("POST", path, form)
	if resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("POST %s: %d; want 303\n%s", path, resp.StatusCode, body)
	}
	return resp.Header.Get("Location")
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrf(t *testing.T, page string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token in\n%s", page)
	}
	return m[1]
}

func mustContain(t *testing.T, what, page string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(page, w) {
			t.Errorf("%s does not contain %q", what, w)
		}
	}
}

func TestDemoFlows(t *testing.T) {
	e := newEnv(t)
	e.signal(t, "tx-1", me.CaseAwaitingCitizen, me.Event{
		ExternalID: "H1", Time: time.Now(),
		Title:       me.LocalizedText{SV: "Beslut om bygglov – kontrollplan behövs"},
		Text:        me.LocalizedText{SV: "Bygg- och miljönämnden har beviljat bygglov.\nSkicka in din kontrollplan."},
		Attachments: []me.Attachment{{SignalID: "beslut", FileName: "beslut bygglov åäö.pdf", MediaType: "application/pdf", Content: attachmentBytes}},
		Actions: []me.Action{
			{Type: me.ActionDownload, Label: me.LocalizedText{SV: "Hämta beslutet"}, AttachmentSignalID: "beslut"},
			{Type: me.ActionMessage},
			{Type: me.ActionComplete, Label: me.LocalizedText{SV: "Skicka in kontrollplan"}, EServiceID: "kontrollplan", EServiceOrganisation: org,
				DueDate: "2026-04-15", CompletionData: `<k:kontrollplan xmlns:k="urn:demo:kontrollplan"><k:fastighet>Solrosen 4</k:fastighet><k:krav>Intyg &amp; ritning</k:krav></k:kontrollplan>`},
		},
	})
	b := newBrowser(t, e.demo.URL)

	// Not logged in: back to the login page.
	if resp, _ := b.do("GET", "/demo/arenden", nil); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/demo/") {
		t.Fatalf("GET /demo/arenden before login: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}

	// Log in.
	login := b.get("/demo/")
	mustContain(t, "login page", login, `lang="sv"`, "<h1>Logga in</h1>", "Tolvan Tolvansson", "demo")
	if resp, _ := b.do("POST", "/demo/logga-in", url.Values{"pnr": {tolvan}, "csrf": {"fel"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("login with a wrong CSRF token: %d; want 403", resp.StatusCode)
	}
	if loc := b.post("/demo/logga-in", url.Values{"pnr": {tolvan}, "csrf": {csrf(t, login)}}); loc != "/demo/arenden" {
		t.Fatalf("login redirects to %q", loc)
	}
	var cookie *http.Cookie
	u, _ := url.Parse(e.demo.URL + "/demo/")
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "me_demo" {
			cookie = c
		}
	}
	if cookie == nil || !strings.HasSuffix(cookie.Value, "."+tolvan) {
		t.Fatalf("session cookie after login: %+v", cookie)
	}

	// Mina ärenden: the case with one unread event.
	cases := b.get("/demo/arenden")
	mustContain(t, "Mina ärenden", cases, "Mina ärenden", "Bygglov för tillbyggnad, Solrosen 4", "1 ny", "Väntar på dig", "BN 2026-000123")
	m := regexp.MustCompile(`href="/demo/arenden/([^"?]+)"`).FindStringSubmatch(cases)
	if m == nil {
		t.Fatal("no link to the case")
	}
	casePath := "/demo/arenden/" + m[1]

	// The case page shows the event and marks it read.
	page := b.get(casePath)
	mustContain(t, "case page", page, "Beslut om bygglov – kontrollplan behövs", "Skicka in din kontrollplan.", "Ny", "Anna Lindqvist, Bygglovsenheten",
		"Hämta beslutet", "Skicka meddelande till handläggaren", "Skicka in kontrollplan", "Senast 15 april 2026")
	if strings.Contains(page, "anna.lindqvist@") {
		t.Error("the case page shows the handler's e-mail address")
	}
	if cases := b.get("/demo/arenden"); strings.Contains(cases, "1 ny") {
		t.Error("after the case page the event is still unread")
	}

	// Download the attachment.
	am := regexp.MustCompile(`href="(/demo/bilaga/[^"]+)"`).FindStringSubmatch(page)
	if am == nil {
		t.Fatal("no attachment link")
	}
	resp, body := b.do("GET", am[1], nil)
	if resp.StatusCode != 200 || body != string(attachmentBytes) {
		t.Fatalf("attachment: %d, %q", resp.StatusCode, body)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || !strings.Contains(cd, "filename") {
		t.Errorf("Content-Disposition %q", cd)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/pdf" {
		t.Errorf("Content-Type %q", ct)
	}
	if resp, _ := b.do("GET", "/demo/bilaga/finns-inte", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown attachment: %d; want 404", resp.StatusCode)
	}
	if resp, body := b.do("GET", "/demo/arenden/finns-inte", nil); resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "Sidan finns inte") {
		t.Errorf("unknown case: %d; want 404", resp.StatusCode)
	}

	// Send a message to the handler.
	ev := regexp.MustCompile(`name="event" value="([^"]+)"`).FindStringSubmatch(page)
	if ev == nil {
		t.Fatal("no event id in a form")
	}
	token := csrf(t, page)
	if resp, _ := b.do("POST", casePath+"/meddelande", url.Values{"csrf": {"fel"}, "event": {ev[1]}, "text": {"Hej"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("message with a wrong CSRF token: %d; want 403", resp.StatusCode)
	}
	loc := b.post(casePath+"/meddelande", url.Values{"csrf": {token}, "event": {ev[1]}, "text": {"Hej! När kommer <besked>?"}})
	if loc != casePath+"?skickat=1" {
		t.Errorf("message redirects to %q", loc)
	}
	page = b.get(loc)
	mustContain(t, "case page after the message", page, "Ditt meddelande har skickats", "Meddelande till handläggaren", "När kommer &lt;besked&gt;?")

	// Complete the case: a ticket for the completion e-service.
	am = regexp.MustCompile(`name="action" value="([^"]+)"`).FindStringSubmatch(page)
	if am == nil {
		t.Fatal("no complete action form")
	}
	loc = b.post(casePath+"/komplettera", url.Values{"csrf": {token}, "event": {ev[1]}, "action": {am[1]}})
	if !strings.HasPrefix(loc, e.demo.URL+"/demo/etjanst/kontrollplan?ticket=") {
		t.Fatalf("complete redirects to %q", loc)
	}
	resp, _ = b.do("GET", loc, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/demo/etjanst/kontrollplan" {
		t.Fatalf("redeem: %d, Location %q; want 303 without the ticket", resp.StatusCode, resp.Header.Get("Location"))
	}
	form := b.get("/demo/etjanst/kontrollplan")
	mustContain(t, "completion e-service", form, "Förifyllt från Mina Engagemang", `value="Tolvan"`, `value="Tolvansson"`, `value="Solrosvägen 4"`,
		"<title>Komplettering: Inlämning av kontrollplan – Demo-e-tjänst</title>", "<h1>Inlämning av kontrollplan</h1>",
		"BN 2026-000123", "<dd>15 april 2026</dd>", "Skicka komplettering",
		"<dt>Fastighet</dt><dd>Solrosen 4</dd>", "<dt>Krav</dt><dd>Intyg &amp; ritning</dd>")
	for _, raw := range []string{"&lt;k:", "kontrollplan&gt;", "2026-04-15", "E-tjänst: kontrollplan"} {
		if strings.Contains(form, raw) {
			t.Errorf("the completion e-service shows %q (raw XML, an ISO date or the e-service's id)", raw)
		}
	}
	// The ticket is one-time: the old link no longer works.
	b2 := newBrowser(t, e.demo.URL)
	if resp, body := b2.do("GET", loc, nil); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Länken gäller inte längre") {
		t.Errorf("a used ticket: %d", resp.StatusCode)
	}
	resp, body = b.do("POST", "/demo/etjanst/kontrollplan", url.Values{"csrf": {csrf(t, form)}, "ovrigt": {"Bifogad"}})
	if resp.StatusCode != 200 || !strings.Contains(body, "Tack! Din komplettering har skickats") || !strings.Contains(body, "DEMO-") {
		t.Fatalf("submit completion: %d\n%s", resp.StatusCode, body)
	}
	page = b.get(casePath)
	mustContain(t, "case page after the completion", page, "Komplettering mottagen", "Kompletteringen är skickad.")

	// E-tjänster: the list, the area filter, the detail and the start.
	list := b.get("/demo/etjanster")
	mustContain(t, "e-services", list, "Ansökan om bygglov", "Anmälan om skolskjuts", "Bygga och bo")
	list = b.get("/demo/etjanster?omrade=utbildning")
	mustContain(t, "e-services in utbildning", list, "Anmälan om skolskjuts")
	if strings.Contains(list, "Ansökan om bygglov") {
		t.Error("the area filter shows bygglov under utbildning")
	}
	detail := b.get("/demo/etjanster/bygglov")
	mustContain(t, "e-service page", detail, "Ansökan om bygglov", "Building permit application", "Tillitsnivå 3", "Bygglovsenheten", "Starta e-tjänst")
	loc = b.post("/demo/etjanster/bygglov/starta", url.Values{"csrf": {csrf(t, detail)}})
	if !strings.HasPrefix(loc, e.demo.URL+"/demo/etjanst/bygglov?ticket=") {
		t.Fatalf("Starta e-tjänst redirects to %q", loc)
	}
	resp, _ = b.do("GET", loc, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("redeem: %d", resp.StatusCode)
	}
	form = b.get(resp.Header.Get("Location"))
	mustContain(t, "bygglov e-service", form, "Förifyllt från Mina Engagemang", `value="Tolvan"`, `value="Tolvansson"`, "Skicka ansökan")
	if resp, body := b.do("POST", "/demo/etjanst/bygglov", url.Values{"csrf": {csrf(t, form)}}); resp.StatusCode != 200 || !strings.Contains(body, "Din ansökan är mottagen") {
		t.Errorf("submit bygglov: %d", resp.StatusCode)
	}
	if resp, _ := b.do("GET", "/demo/etjanster/finns-inte", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown e-service: %d; want 404", resp.StatusCode)
	}

	// Min profil.
	prof := b.get("/demo/profil")
	mustContain(t, "profile", prof, "Min profil", "19121212-1212", "Tolvan Tolvansson", "Solrosvägen 4")
	loc = b.post("/demo/profil", url.Values{"csrf": {csrf(t, prof)}, "email": {"tolvan@demo.example"}, "mobil": {"+46701234567"}, "sprak": {"en"}, "avisering": {"both"}})
	prof = b.get(loc)
	mustContain(t, "saved profile", prof, "Dina uppgifter är sparade", `value="tolvan@demo.example"`, `value="&#43;46701234567"`, `value="en" checked`, `value="both" checked`)
	resp, body = b.do("POST", "/demo/profil", url.Values{"csrf": {csrf(t, prof)}, "email": {"inte en adress"}, "sprak": {"sv"}, "avisering": {"email"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "sparades inte") || !strings.Contains(body, `aria-describedby="email-fel"`) {
		t.Errorf("invalid e-mail: %d\n%s", resp.StatusCode, body)
	}

	// The case is closed: archive it.
	e.signal(t, "tx-2", me.CaseClosed, me.Event{ExternalID: "H2", Time: time.Now(), Title: me.LocalizedText{SV: "Ärendet är avslutat"},
		Actions: []me.Action{{Type: me.ActionArchive}}})
	page = b.get(casePath)
	mustContain(t, "closed case", page, "Avslutat", "Arkivera ärendet")
	if loc := b.post(casePath+"/arkivera", url.Values{"csrf": {csrf(t, page)}}); loc != "/demo/arenden?arkiverat=1" {
		t.Errorf("archive redirects to %q", loc)
	}
	if cases := b.get("/demo/arenden"); strings.Contains(cases, "Solrosen 4") {
		t.Error("the archived case is still listed")
	}
	mustContain(t, "cases with archived", b.get("/demo/arenden?arkiverade=1"), "Solrosen 4", "Arkiverat")

	// Log out.
	if loc := b.post("/demo/logga-ut", url.Values{"csrf": {csrf(t, page)}}); loc != "/demo/" {
		t.Errorf("logout redirects to %q", loc)
	}
	if resp, _ := b.do("GET", "/demo/arenden", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after logout: %d", resp.StatusCode)
	}
}

// TestMEDown: a fault-free failure (ME not answering) is a Swedish error
// page, not a stack.
func TestMEDown(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	base := dead.URL
	dead.Close()
	h, err := demo.New(demo.Config{SOAPBase: base, PortalUser: "x", PortalPassword: "y", Organisation: org})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	defer ts.Close()
	b := newBrowser(t, ts.URL)
	login := b.get("/demo/")
	b.post("/demo/logga-in", url.Values{"pnr": {"annat"}, "annat": {"19811228-9874"}, "csrf": {csrf(t, login)}})
	resp, body := b.do("GET", "/demo/arenden", nil)
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, "Något gick fel") || strings.Contains(body, "goroutine") {
		t.Errorf("ME down: %d\n%s", resp.StatusCode, body)
	}
	login = b.get("/demo/")
	if resp, body := b.do("POST", "/demo/logga-in", url.Values{"pnr": {"annat"}, "annat": {"191212121213"}, "csrf": {csrf(t, login)}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "kontrollsiffra") {
		t.Errorf("a wrong control digit: %d", resp.StatusCode)
	}
}

// TestChromiumLoginPage renders the login page in headless Chromium.
func TestChromiumLoginPage(t *testing.T) {
	bin := "/usr/bin/chromium"
	if _, err := os.Stat(bin); err != nil {
		if bin, err = exec.LookPath("chromium"); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatal("chromium is not installed; .ci/run installs Debian's chromium")
			}
			t.Skip("chromium is not installed (apt-get install chromium)")
		}
	}
	h, err := demo.New(demo.Config{SOAPBase: "http://127.0.0.1:9", Organisation: org})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	defer ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir="+t.TempDir(),
		"--dump-dom", ts.URL+"/demo/").Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	mustContain(t, "Chromium's DOM", string(out), "<h1>Logga in</h1>", "Tolvan Tolvansson", `lang="sv"`)
}

// exampleSignal records one of docs/examples' signals as the receiver
// would.
func (e *env) exampleSignal(t *testing.T, tx, name string) {
	t.Helper()
	doc, err := os.ReadFile("../../docs/examples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	schemas, err := xsd.Load(xsd.Signal)
	if err != nil {
		t.Fatal(err)
	}
	defer schemas[xsd.Signal].Close()
	sig, err := signal.NewDecoder(schemas[xsd.Signal]).Decode(doc)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if _, err := e.st.RecordSignal(context.Background(), me.SHSMessage{TxID: tx, From: org, To: org, Client: "demo-casesystem"}, sig, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// TestREADMEExampleSequence: the README's example signals in order, the
// decision, the citizen's message to the handler through the demo, and the
// closing (dated before the message), end with the case archived through
// the demo's one archive button.
func TestREADMEExampleSequence(t *testing.T) {
	e := newEnv(t)
	e.exampleSignal(t, "tx-1", "signal-all-actions.xml")
	b := newBrowser(t, e.demo.URL)
	login := b.get("/demo/")
	b.post("/demo/logga-in", url.Values{"pnr": {tolvan}, "csrf": {csrf(t, login)}})
	m := regexp.MustCompile(`href="/demo/arenden/([^"?]+)"`).FindStringSubmatch(b.get("/demo/arenden"))
	if m == nil {
		t.Fatal("no link to the case")
	}
	casePath := "/demo/arenden/" + m[1]
	page := b.get(casePath)
	ev := regexp.MustCompile(`name="event" value="([^"]+)"`).FindStringSubmatch(page)
	if ev == nil {
		t.Fatal("no event id in a form")
	}
	b.post(casePath+"/meddelande", url.Values{"csrf": {csrf(t, page)}, "event": {ev[1]}, "text": {"Hej! Måste vi vänta på startbeskedet?"}})

	e.exampleSignal(t, "tx-2", "signal-archive.xml")
	page = b.get(casePath)
	if n := strings.Count(page, `action="/demo/arenden/`+m[1]+`/arkivera"`); n != 1 {
		t.Fatalf("the closed case's page has %d archive buttons; want 1 (the closing event's)\n%s", n, page)
	}
	if loc := b.post(casePath+"/arkivera", url.Values{"csrf": {csrf(t, page)}}); loc != "/demo/arenden?arkiverat=1" {
		t.Errorf("archive redirects to %q", loc)
	}
	if cases := b.get("/demo/arenden"); strings.Contains(cases, m[1]) {
		t.Error("the archived case is still listed")
	}
}

// TestCoApplicants: on a case of two citizens, each sees their own message
// or completion as "från dig" and the other's as "från medsökande".
func TestCoApplicants(t *testing.T) {
	const asa = "198112289874"
	e := newEnv(t)
	sig := me.Signal{
		Case: me.Case{OrganisationNumber: org, ExternalID: "BN-2026-000200", Title: me.LocalizedText{SV: "Bygglov, Solrosen 5"},
			Status: me.CaseAwaitingCitizen, Handler: me.Handler{Name: "Anna Lindqvist", Email: "anna.lindqvist@kommun.example"}},
		Citizens: []me.Citizen{{PersonalIdentityNumber: tolvan, GivenName: "Tolvan"}, {PersonalIdentityNumber: asa, GivenName: "Åsa"}},
		Event: me.Event{ExternalID: "H1", Time: time.Now(), Title: me.LocalizedText{SV: "Komplettera ansökan"},
			Actions: []me.Action{{Type: me.ActionMessage}, {Type: me.ActionComplete, EServiceID: "kontrollplan", EServiceOrganisation: org}}},
	}
	if _, err := e.st.RecordSignal(context.Background(), me.SHSMessage{TxID: "tx-1", From: org, To: org, Client: "demo-casesystem"}, sig, time.Now()); err != nil {
		t.Fatal(err)
	}
	login := func(pnr string) (*browser, string) {
		b := newBrowser(t, e.demo.URL)
		b.post("/demo/logga-in", url.Values{"pnr": {pnr}, "csrf": {csrf(t, b.get("/demo/"))}})
		m := regexp.MustCompile(`href="(/demo/arenden/[^"?]+)"`).FindStringSubmatch(b.get("/demo/arenden"))
		if m == nil {
			t.Fatal("no link to the case")
		}
		return b, m[1]
	}
	event := regexp.MustCompile(`name="event" value="([^"]+)"`)

	// Tolvan writes to the handler.
	bt, casePath := login(tolvan)
	page := bt.get(casePath)
	bt.post(casePath+"/meddelande", url.Values{"csrf": {csrf(t, page)}, "event": {event.FindStringSubmatch(page)[1]}, "text": {"Hej från Tolvan"}})

	// Åsa completes the case through the e-service.
	ba, _ := login(asa)
	page = ba.get(casePath)
	action := regexp.MustCompile(`name="action" value="([^"]+)"`).FindStringSubmatch(page)
	if action == nil {
		t.Fatal("no complete action form")
	}
	loc := ba.post(casePath+"/komplettera", url.Values{"csrf": {csrf(t, page)}, "event": {event.FindStringSubmatch(page)[1]}, "action": {action[1]}})
	resp, _ := ba.do("GET", loc, nil)
	form := ba.get(resp.Header.Get("Location"))
	if resp, body := ba.do("POST", "/demo/etjanst/kontrollplan", url.Values{"csrf": {csrf(t, form)}}); resp.StatusCode != 200 || !strings.Contains(body, "Tack!") {
		t.Fatalf("submit completion: %d\n%s", resp.StatusCode, body)
	}

	for _, tt := range []struct {
		who    string
		b      *browser
		yours  string // the title of the event that is "från dig"
		coAppl string // the title of the event that is "från medsökande"
	}{
		{"Tolvan", bt, "Meddelande till handläggaren", "Komplettering mottagen"},
		{"Åsa", ba, "Komplettering mottagen", "Meddelande till handläggaren"},
	} {
		page := tt.b.get(casePath)
		for title, from := range map[string]string{tt.yours: "från dig", tt.coAppl: "från medsökande"} {
			re := regexp.MustCompile(`<h3>` + title + `[^\n]*</h3>\n<p class="muted">[^<]* · ` + from + `</p>`)
			if !re.MatchString(page) {
				t.Errorf("%s's case page does not show %q as %q", tt.who, title, from)
			}
		}
		if n := strings.Count(page, "från dig"); n != 1 {
			t.Errorf("%s's case page says \"från dig\" %d times; want once", tt.who, n)
		}
	}
}
