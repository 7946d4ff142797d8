package demo_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/minaengagemang/me/config"
	"github.com/minaengagemang/me/server"
	"github.com/minaengagemang/me/server/demo"
	"github.com/minaengagemang/me/store/storetest"
)

// newDemoYAMLEnv starts ME and the demo as `make run` does with
// config/demo.yaml: its organisations, clients and e-services, the demo's
// clients and passwords, with the e-services' start URLs moved from
// 127.0.0.1:8080 to the test's demo server.
func newDemoYAMLEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.Load("../../config/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	st := storetest.Open(t, "sqlite")
	if err := st.SyncOrganisations(ctx, cfg.Organisations()); err != nil {
		t.Fatal(err)
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	srv, err := server.New(server.Config{Organisations: cfg.Organisations(), Clients: cfg.Clients(), MaxBodyBytes: cfg.HTTP.MaxBodyBytes,
		TicketLife: cfg.Tickets.Lifetime, ValidateResponses: true}, st, log)
	if err != nil {
		t.Fatal(err)
	}
	meTS := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { meTS.Close(); srv.Close() })
	d := cfg.Demo
	demoTS := startDemo(t, demo.Config{SOAPBase: meTS.URL, PortalUser: d.PortalClient, PortalPassword: d.PortalPassword.Reveal(),
		EServiceUser: d.EServiceClient, EServicePassword: d.EServicePassword.Reveal(), Organisation: cfg.Organisations()[0].Number,
		Clients: cfg.Clients()})
	for _, e := range cfg.EServices() {
		if !strings.HasPrefix(e.StartURL, "http://127.0.0.1:8080/demo/etjanst/") {
			t.Fatalf("demo.yaml: e-service %s starts at %s, not on the demo e-service", e.ID, e.StartURL)
		}
		e.StartURL = demoTS.URL + strings.TrimPrefix(e.StartURL, "http://127.0.0.1:8080")
		if _, err := st.PublishEService(ctx, e, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return &env{me: meTS, demo: demoTS, st: st}
}

func (b *browser) login(pnr string) {
	b.t.Helper()
	b.post("/demo/logga-in", url.Values{"pnr": {pnr}, "csrf": {csrf(b.t, b.get("/demo/"))}})
}

// casePath is the path of the citizen's case titled title, from Mina ärenden.
func (b *browser) casePath(title string) string {
	b.t.Helper()
	m := regexp.MustCompile(`href="(/demo/arenden/[^"?]+)">` + regexp.QuoteMeta(title) + `<`).FindStringSubmatch(b.get("/demo/arenden"))
	if m == nil {
		b.t.Fatalf("Mina ärenden has no case %q", title)
	}
	return m[1]
}

// eventBlock is the <li> of the event titled title on a case page.
func eventBlock(t *testing.T, page, title string) string {
	t.Helper()
	i := strings.Index(page, "<h3>"+title)
	if i < 0 {
		t.Fatalf("the case page has no event %q", title)
	}
	block := page[i:]
	if j := strings.Index(block, "</li>\n\n<li"); j >= 0 {
		block = block[:j]
	}
	return block
}

// complete follows a complete action of the event titled title through
// the demo e-service: the ticket, the prefilled form (returned), and the
// receipt after sending it (returned).
func (b *browser) complete(casePath, title, eservice string) (form, receipt string) {
	t := b.t
	t.Helper()
	page := b.get(casePath)
	block := eventBlock(t, page, title)
	ev := regexp.MustCompile(`name="event" value="([^"]+)"`).FindStringSubmatch(block)
	action := regexp.MustCompile(`name="action" value="([^"]+)"`).FindStringSubmatch(block)
	if ev == nil || action == nil {
		t.Fatalf("event %q has no complete action form\n%s", title, block)
	}
	loc := b.post(casePath+"/komplettera", url.Values{"csrf": {csrf(t, page)}, "event": {ev[1]}, "action": {action[1]}})
	if !strings.HasPrefix(loc, b.base+"/demo/etjanst/"+eservice+"?ticket=") {
		t.Fatalf("complete redirects to %q; want the demo e-service %s", loc, eservice)
	}
	resp, body := b.do("GET", loc, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("redeeming the ticket for %s: %d\n%s", eservice, resp.StatusCode, body)
	}
	form = b.get(resp.Header.Get("Location"))
	resp, receipt = b.do("POST", "/demo/etjanst/"+eservice, url.Values{"csrf": {csrf(t, form)}, "ovrigt": {"Se bifogat."}})
	if resp.StatusCode != 200 || !strings.Contains(receipt, "Tack! Din komplettering har skickats") {
		t.Fatalf("sending the completion to %s: %d\n%s", eservice, resp.StatusCode, receipt)
	}
	return form, receipt
}

// TestExampleSignals: with config/demo.yaml as it ships, every action of
// every docs/examples signal works through the demo's pages: download,
// message, complete (ticket → prefilled form → send → receipt → the case
// shows it) and archive, including the complete action whose e-service
// belongs to the other organisation.
func TestExampleSignals(t *testing.T) {
	const (
		asa      = "198112289874"
		bygglov  = "Bygglov för tillbyggnad av enbostadshus, Solrosen 4"
		skolsk   = "Skolskjuts läsåret 2026/27 för Märta Öström"
		bistand  = "Ansökan om ekonomiskt bistånd, april 2026"
		decision = "Beslut om bygglov – kontrollplan behövs"
	)
	e := newDemoYAMLEnv(t)
	for i, name := range []string{"signal-download.xml", "signal-all-actions.xml", "signal-message.xml", "signal-complete.xml"} {
		e.exampleSignal(t, "tx-"+string(rune('1'+i)), name)
	}

	tolvan := newBrowser(t, e.demo.URL)
	tolvan.login("191212121212")
	casePath := tolvan.casePath(bygglov)
	page := tolvan.get(casePath)
	// The case system's dates only: not when ME received the case.
	mustContain(t, "the bygglov case", page, "<dt>Senaste händelse</dt><dd>12 mars 2026 kl. 14:05</dd>")
	if strings.Contains(page, "Inkommet") {
		t.Error("the case page shows \"Inkommet\" (when ME received the case)")
	}

	// Download: each attachment once, as its action's button.
	block := eventBlock(t, page, decision)
	if n := strings.Count(block, "förslag till kontrollplan.txt"); n != 1 {
		t.Errorf("the decision event names its text attachment %d times; want once\n%s", n, block)
	}
	links := regexp.MustCompile(`href="(/demo/bilaga/[^"]+)"`).FindAllStringSubmatch(block, -1)
	if len(links) != 2 {
		t.Fatalf("the decision event has %d attachment links; want 2 (one per attachment)\n%s", len(links), block)
	}
	types := map[string]string{}
	for _, l := range links {
		resp, body := tolvan.do("GET", l[1], nil)
		if resp.StatusCode != 200 || body == "" {
			t.Fatalf("GET %s: %d", l[1], resp.StatusCode)
		}
		types[resp.Header.Get("Content-Type")] = body
	}
	if !strings.HasPrefix(types["application/pdf"], "%PDF-") {
		t.Errorf("no PDF among the downloads: %v", types)
	}
	if !strings.Contains(types["text/plain; charset=utf-8"], "Kontrollplan för tillbyggnad") {
		t.Errorf("the text attachment is not text/plain; charset=utf-8 with its å ä ö: %v", types)
	}

	// Message: Tolvan's own message is not new to Tolvan.
	ev := regexp.MustCompile(`name="event" value="([^"]+)"`).FindStringSubmatch(block)
	tolvan.post(casePath+"/meddelande", url.Values{"csrf": {csrf(t, page)}, "event": {ev[1]}, "text": {"Hej! Måste vi vänta på startbeskedet?"}})
	page = tolvan.get(casePath)
	if own := eventBlock(t, page, "Meddelande till handläggaren"); strings.Contains(own, `class="badge"`) || !strings.Contains(own, "från dig") {
		t.Errorf("Tolvan's own message: %s", own)
	}

	// Complete through the neighbouring municipality's e-service.
	form, receipt := tolvan.complete(casePath, decision, "bygglov-kontrollplan")
	mustContain(t, "the control plan e-service", form, "<h1>Inlämning av kontrollplan</h1>", "Demo grannkommun · e-tjänst",
		`<dt class="group">Begäran om kontrollplan</dt>`, "<dt>Fastighet</dt><dd>Solrosen 4</dd>", "<dt>Åtgärd</dt><dd>Tillbyggnad av enbostadshus</dd>",
		"<dd>15 april 2026</dd>", `value="Tolvan"`, `value="Solrosvägen 4"`)
	if strings.Contains(form, "&lt;bl:") || strings.Contains(form, "<pre") {
		t.Error("the control plan e-service shows the completion data as XML")
	}
	mustContain(t, "the control plan receipt", receipt, "<title>Kvittens: Inlämning av kontrollplan – Demo-e-tjänst</title>")
	page = tolvan.get(casePath)
	if got := eventBlock(t, page, "Komplettering mottagen"); strings.Contains(got, `class="badge"`) || !strings.Contains(got, "från dig") {
		t.Errorf("Tolvan's own completion: %s", got)
	}
	mustContain(t, "the bygglov case after completing", page, "Kompletteringen är skickad.")
	if m := regexp.MustCompile(`>` + bygglov + `</a>[^\n]*`).FindString(tolvan.get("/demo/arenden")); m == "" || strings.Contains(m, `class="badge"`) {
		t.Errorf("after reading the case, Mina ärenden still counts new events in it: %s", m)
	}

	// Archive: refused in Swedish while the case is open, done once closed.
	resp, body := tolvan.do("POST", casePath+"/arkivera", url.Values{"csrf": {csrf(t, page)}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Något gick fel") || strings.Contains(body, " the ") {
		t.Errorf("archiving an open case: %d\n%s", resp.StatusCode, body)
	}
	e.exampleSignal(t, "tx-9", "signal-archive.xml")
	page = tolvan.get(casePath)
	if loc := tolvan.post(casePath+"/arkivera", url.Values{"csrf": {csrf(t, page)}}); loc != "/demo/arenden?arkiverat=1" {
		t.Errorf("archive redirects to %q", loc)
	}
	if strings.Contains(tolvan.get("/demo/arenden"), bygglov) {
		t.Error("the archived case is still listed")
	}

	// Åsa completes the school transport case and writes to her handler.
	asaB := newBrowser(t, e.demo.URL)
	asaB.login(asa)
	skj := asaB.casePath(skolsk)
	form, receipt = asaB.complete(skj, "Komplettera din ansökan om skolskjuts", "skolskjuts-komplettering")
	mustContain(t, "the school transport e-service", form, "<h1>Komplettering av ansökan om skolskjuts</h1>", "<dd>30 april 2026</dd>",
		`value="Åsa"`, `value="Öström"`, `value="Ängsvägen 7"`, `<dt class="group">Elev</dt>`, "<dt>Förnamn</dt><dd>Märta</dd>",
		`<dt class="group">Adress (växelvis)</dt>`, "<dd>Björkgården 12 B</dd>", "Intyg om växelvis boende")
	if strings.Contains(form, "skj:") || strings.Contains(form, "VECKODAGAR") {
		t.Error("the school transport e-service shows XML names or codes")
	}
	mustContain(t, "the school transport receipt", receipt, "Komplettering av ansökan om skolskjuts")
	if got := eventBlock(t, asaB.get(skj), "Komplettering mottagen"); strings.Contains(got, `class="badge"`) || !strings.Contains(got, "från dig") {
		t.Errorf("Åsa's own completion: %s", got)
	}
	soc := asaB.casePath(bistand)
	page = asaB.get(soc)
	ev = regexp.MustCompile(`name="event" value="([^"]+)"`).FindStringSubmatch(page)
	asaB.post(soc+"/meddelande", url.Values{"csrf": {csrf(t, page)}, "event": {ev[1]}, "text": {"Hej! Jag har fått ett nytt jobb."}})
	mustContain(t, "the bistånd case after writing", asaB.get(soc+"?skickat=1"), "Ditt meddelande har skickats", "Hej! Jag har fått ett nytt jobb.")

	// Tolvan, the co-guardian, sees Åsa's completion as new and hers.
	if got := eventBlock(t, tolvan.get(tolvan.casePath(skolsk)), "Komplettering mottagen"); !strings.Contains(got, `class="badge"`) || !strings.Contains(got, "från medsökande") {
		t.Errorf("Åsa's completion on Tolvan's page: %s", got)
	}
}

// TestLoginKeepsOtherPnr: after a wrong personnummer the form keeps
// "Annat personnummer" chosen and what was typed, with the error beside
// the field, so the next click does not log in as the first test person.
func TestLoginKeepsOtherPnr(t *testing.T) {
	h, err := demo.New(demo.Config{SOAPBase: "http://127.0.0.1:9", Organisation: org})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	defer ts.Close()
	b := newBrowser(t, ts.URL)
	resp, body := b.do("POST", "/demo/logga-in", url.Values{"pnr": {"annat"}, "annat": {"19121212-1213"}, "csrf": {csrf(t, b.get("/demo/"))}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a wrong personnummer: %d", resp.StatusCode)
	}
	mustContain(t, "the login page after a wrong personnummer", body, `value="annat" checked`, `value="19121212-1213"`,
		`id="annat-fel"`, `aria-describedby="annat-fel"`, `aria-invalid="true"`, "kontrollsiffra")
	if strings.Contains(body, `value="191212121212" checked`) {
		t.Error("Tolvan is chosen again after a wrong personnummer")
	}
	// The fresh page has the first test person chosen.
	mustContain(t, "the login page", newBrowser(t, ts.URL).get("/demo/"), `value="191212121212" checked`)
}

// TestProfileMobile: the profile takes a mobile number as Swedes write it
// and saves it in E.164; a wrong one gets a Swedish error beside the field
// and never ME's or the schema's English.
func TestProfileMobile(t *testing.T) {
	e := newEnv(t)
	b := newBrowser(t, e.demo.URL)
	b.login(tolvan)
	for _, in := range []string{"0701234567", "070-123 45 67", "+46 70 123 45 67"} {
		prof := b.get("/demo/profil")
		loc := b.post("/demo/profil", url.Values{"csrf": {csrf(t, prof)}, "mobil": {in}, "sprak": {"sv"}, "avisering": {"sms"}})
		mustContain(t, "the profile after saving "+in, b.get(loc), "Dina uppgifter är sparade", `value="&#43;46701234567"`)
	}
	for _, in := range []string{"12345", "070-ABC", "+46 70 123 45 67 89 01 23"} {
		prof := b.get("/demo/profil")
		resp, body := b.do("POST", "/demo/profil", url.Values{"csrf": {csrf(t, prof)}, "mobil": {in}, "email": {"tolvan@demo.example"}, "sprak": {"sv"}, "avisering": {"sms"}})
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("mobile %q: %d; want 400", in, resp.StatusCode)
		}
		mustContain(t, "the profile with mobile "+in, body, "sparades inte", `<span class="field-error" id="mobil-fel">Skriv ett mobilnummer`,
			`aria-describedby="mobil-fel mobil-hint"`, `aria-invalid="true"`, `value="tolvan@demo.example"`)
		for _, en := range []string{"facet", "pattern", "Element", "mobile", "schema"} {
			if strings.Contains(body, en) {
				t.Errorf("mobile %q: the page says %q", in, en)
			}
		}
	}
}
