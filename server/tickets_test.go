package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hooklift/gowsdl/soap"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/generated/etjanst"
	"github.com/minaengagemang/me/generated/portal"
)

func (env *testEnv) portal(client string) portal.PortalPortType {
	return portal.NewPortalPortType(soap.NewClient(env.ts.URL+"/soap/portal", soap.WithBasicAuth(client, pw)))
}

func (env *testEnv) eService(client string) etjanst.EServicePortType {
	return etjanst.NewEServicePortType(soap.NewClient(env.ts.URL+"/soap/etjanst", soap.WithBasicAuth(client, pw)))
}

func (env *testEnv) publish(t testing.TB, org, id string) me.EService {
	t.Helper()
	e, err := env.st.PublishEService(context.Background(), me.EService{ID: id, OrganisationNumber: org,
		Name: me.LocalizedText{SV: "Kontrollplan för bygglov"}, Description: me.LocalizedText{SV: "Skicka in kontrollplan"},
		StartURL: "https://etjanst.demo.example/" + id + "?lang=sv", TicketParameter: "biljett", AuthenticationLevel: 3}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

const tolvan = "191212121212"

func faultCode(err error) string {
	if f, ok := portal.AsMEFault(err); ok {
		return string(f.Code)
	}
	if err == nil {
		return "no fault"
	}
	return err.Error()
}

func TestStartFlow(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		env := newTestEnv(t, driver)
		ctx := context.Background()
		env.publish(t, orgA, "bygglov")
		por, ets := env.portal("portal-a"), env.eService("etjanst-a")

		email := portal.EmailAddress("tolvan@exempel.se")
		mobile := portal.PhoneNumber("+46701234567")
		_, err := por.UpdateCitizenProfileContext(ctx, &portal.UpdateCitizenProfile{Profile: portal.CitizenProfile{
			PersonalIdentityNumber: tolvan, GivenName: ptr(portal.ShortText("Tolvan")), Surname: ptr(portal.ShortText("Tolvansson Åström")),
			Address: &portal.PostalAddress{Street: "Solrosvägen 4", PostalCode: "123 45", City: "Ekby"},
			Email:   &email, Mobile: &mobile, Language: portal.LanguageEn, NotificationChannel: portal.NotificationChannelBoth,
		}})
		if err != nil {
			t.Fatalf("UpdateCitizenProfile: %v", err)
		}
		issued, err := por.CreateStartTicketContext(ctx, &portal.CreateStartTicket{Citizen: tolvan, EServiceId: "bygglov"})
		if err != nil {
			t.Fatalf("CreateStartTicket: %v", err)
		}
		tk := issued.Ticket
		u, err := url.Parse(string(tk.Url))
		if err != nil || u.Query().Get("biljett") != string(tk.Ticket) || u.Query().Get("lang") != "sv" || u.Host != "etjanst.demo.example" {
			t.Errorf("ticket URL %s; want the start URL with biljett=<ticket> appended", tk.Url)
		}
		if life := time.Until(tk.Expires.ToGoTime()); life <= 0 || life > 121*time.Second {
			t.Errorf("ticket expires in %v; want the configured 120s", life)
		}

		got, err := ets.RedeemTicketContext(ctx, &etjanst.RedeemTicket{Ticket: etjanst.Ticket(tk.Ticket)})
		if err != nil {
			t.Fatalf("RedeemTicket: %v", err)
		}
		p := got.Citizen
		if got.Purpose != etjanst.TicketPurposeStart || got.EServiceId != "bygglov" || got.Completion != nil {
			t.Errorf("redeemed %+v; want a start ticket for bygglov", got)
		}
		if p.PersonalIdentityNumber != tolvan || *p.Surname != "Tolvansson Åström" || p.Address.City != "Ekby" || *p.Email != "tolvan@exempel.se" ||
			*p.Mobile != "+46701234567" || p.Language != etjanst.LanguageEn || p.NotificationChannel != etjanst.NotificationChannelBoth {
			t.Errorf("prefill profile = %+v", p)
		}
		_, err = ets.RedeemTicketContext(ctx, &etjanst.RedeemTicket{Ticket: etjanst.Ticket(tk.Ticket)})
		if faultCode(err) != "TicketUsed" {
			t.Errorf("replay: %s; want TicketUsed", faultCode(err))
		}
		if log, _ := env.st.AuditLog(ctx, tolvan, 10); len(log) != 1 || log[0].Client != "etjanst-a" || log[0].Operation != "RedeemTicket" {
			t.Errorf("audit log after one redemption: %+v; want the e-service's read of the profile only", log)
		}
		if strings.Contains(env.logs.String(), string(tk.Ticket)) {
			t.Error("the ticket value appears in the log")
		}
	})
}

func TestTicketRules(t *testing.T) {
	env := newTestEnv(t, "sqlite")
	ctx := context.Background()
	env.publish(t, orgA, "bygglov")
	por := env.portal("portal-a")
	issue := func() string {
		t.Helper()
		r, err := por.CreateStartTicketContext(ctx, &portal.CreateStartTicket{Citizen: tolvan, EServiceId: "bygglov"})
		if err != nil {
			t.Fatal(err)
		}
		return string(r.Ticket.Ticket)
	}
	redeem := func(client, ticket string) string {
		_, err := env.eService(client).RedeemTicketContext(ctx, &etjanst.RedeemTicket{Ticket: etjanst.Ticket(ticket)})
		return faultCode(err)
	}

	expired := issue()
	env.clock.Advance(121 * time.Second)
	if got := redeem("etjanst-a", expired); got != "TicketExpired" {
		t.Errorf("past its lifetime: %s; want TicketExpired", got)
	}
	if got := redeem("etjanst-a", expired); got != "TicketUsed" {
		t.Errorf("an expired ticket tried again: %s; want TicketUsed", got)
	}

	for _, other := range []string{"etjanst-b", "etjanst-a-other"} {
		tk := issue()
		if got := redeem(other, tk); got != "Forbidden" {
			t.Errorf("redeemed by %s: %s; want Forbidden", other, got)
		}
		if got := redeem("etjanst-a", tk); got != "TicketUsed" {
			t.Errorf("after %s's attempt the right e-service got %s; want TicketUsed (burnt)", other, got)
		}
	}
	if got := redeem("etjanst-a", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"); got != "InvalidTicket" {
		t.Errorf("a ticket ME never issued: %s; want InvalidTicket", got)
	}
	_, err := por.CreateStartTicketContext(ctx, &portal.CreateStartTicket{Citizen: tolvan, EServiceId: "finns-inte"})
	if faultCode(err) != "NotFound" {
		t.Errorf("a start ticket for an unknown e-service: %s; want NotFound", faultCode(err))
	}
	_, err = por.CreateStartTicketContext(ctx, &portal.CreateStartTicket{Citizen: "191212121213", EServiceId: "bygglov"})
	if faultCode(err) != "ValidationFailed" {
		t.Errorf("a start ticket for a bad personnummer: %s; want ValidationFailed", faultCode(err))
	}

	// The ticket values are nowhere in the database files.
	live := issue()
	// The test's temporary directories hold the SQLite database, its WAL
	// and shared-memory files.
	var files []string
	filepath.WalkDir(filepath.Dir(t.TempDir()), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return nil
	})
	if len(files) == 0 {
		t.Fatal("found no database files to inspect")
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, v := range []string{expired, live} {
			if bytes.Contains(b, []byte(v)) {
				t.Errorf("%s holds a ticket in plain text", filepath.Base(f))
			}
		}
	}
	if strings.Contains(env.logs.String(), live) || strings.Contains(env.logs.String(), expired) {
		t.Error("a ticket value appears in the log")
	}
}

func TestTenThousandTicketsAreDistinct(t *testing.T) {
	env := newTestEnv(t, "sqlite")
	ctx := context.Background()
	e := env.publish(t, orgA, "bygglov")
	tk := &tickets{store: env.st, lifetime: time.Minute, now: time.Now}
	seen := make(map[string]bool, 10000)
	for i := 0; i < 10000; i++ {
		issued, expires := tk.times()
		v, link, err := tk.issue(ctx, me.Ticket{Purpose: me.TicketStart, PersonalIdentityNumber: tolvan, EServiceOrganisation: orgA,
			EServiceID: "bygglov", IssuedBy: "portal-a", Issued: issued, Expires: expires}, e)
		if err != nil {
			t.Fatalf("ticket %d: %v", i, err)
		}
		raw, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil || len(raw) != 32 || seen[v] || !strings.Contains(link, v) {
			t.Fatalf("ticket %d: %q is not 256 fresh random bits in the link (%v)", i, v, err)
		}
		seen[v] = true
	}
	if n, err := env.st.CountTickets(ctx); err != nil || n != 10000 {
		t.Errorf("%d tickets stored, %v; want 10000", n, err)
	}
}

// testCompletionData holds nested elements in two namespaces, non-ASCII text,
// an attribute, and a prefix declared on the signal's root element.
const testCompletionData = `<bl:kontrollplanBegäran xmlns:bl="urn:example:kommun:bygglov:1" xmlns:adr="urn:example:adress:2">
            <bl:fastighet>Solrosen 4</bl:fastighet>
            <adr:adress typ="besök"><adr:gata>Solrosvägen 4</adr:gata><adr:ort>Ekby Å</adr:ort></adr:adress>
            <bl:åtgärd>Tillbyggnad av enbostadshus</bl:åtgärd>
          </bl:kontrollplanBegäran>
          <x:bilaga xmlns:x="urn:example:x">Ärende &amp; bilaga</x:bilaga>
          <root:notering>Från roten</root:notering>`

func completionSignal(t testing.TB) []byte {
	s := withCompletionData(t, testCompletionData)
	return bytes.Replace(s, []byte(`version="1.0">`), []byte(`xmlns:root="urn:example:root" version="1.0">`), 1)
}

// completionCase sends msg, a signal of case BN-2026-000123 at org with a
// complete action, and returns the case, its events (oldest first) and
// that action.
func (env *testEnv) completionCase(t testing.TB, msg shsMessage, org string) (me.Case, []me.Event, me.Action) {
	t.Helper()
	if resp := postSHS(t, env.ts, msg); resp.StatusCode != 202 {
		t.Fatalf("signal: %d %s", resp.StatusCode, readBody(resp))
	}
	ctx := context.Background()
	c, err := env.st.CaseByExternalID(ctx, org, "BN-2026-000123")
	if err != nil {
		t.Fatal(err)
	}
	events, err := env.st.CaseEvents(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range events[0].Actions {
		if a.Type == me.ActionComplete {
			return c, events, a
		}
	}
	t.Fatal("the signal has no complete action")
	return me.Case{}, nil, me.Action{}
}

// newCompletionEnv is a test server with the e-service
// bygglov-kontrollplan published at eserviceOrg and sig, a signal of
// organisation A's case BN-2026-000123 with a complete action for it,
// recorded; it returns what completionCase does.
func newCompletionEnv(t testing.TB, driver, eserviceOrg string, sig []byte) (*testEnv, me.Case, []me.Event, me.Action) {
	t.Helper()
	env := newTestEnv(t, driver)
	env.publish(t, eserviceOrg, "bygglov-kontrollplan")
	c, events, action := env.completionCase(t, shsMessage{signal: sig}, orgA)
	return env, c, events, action
}

// withCompletionData is the example signal with data as its complete
// action's data and the e-service at the signal's own organisation.
func withCompletionData(t testing.TB, data string) []byte {
	s := exampleSignal(t)
	i, j := bytes.Index(s, []byte("<data>")), bytes.Index(s, []byte("</data>"))
	s = append(append(append([]byte{}, s[:i+len("<data>")]...), data...), s[j:]...)
	return bytes.Replace(s, []byte("<organisationNumber>2220001016</organisationNumber>"), nil, 1)
}

func TestCompletionFlow(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		env, c, events, action := newCompletionEnv(t, driver, orgA, completionSignal(t))
		ctx := context.Background()
		por, ets := env.portal("portal-a"), env.eService("etjanst-a")
		req := &portal.CreateCompletionTicket{Citizen: tolvan, EventId: portal.Identifier(events[0].ID), ActionId: portal.Identifier(action.ID)}

		for _, tt := range []struct {
			name   string
			client string
			req    portal.CreateCompletionTicket
			want   string
		}{
			{"another organisation's portal", "portal-b", *req, "NotFound"},
			{"another citizen", "portal-a", portal.CreateCompletionTicket{Citizen: "198112289874", EventId: req.EventId, ActionId: req.ActionId}, "no fault"},
			{"a citizen not on the case", "portal-a", portal.CreateCompletionTicket{Citizen: "199001010108", EventId: req.EventId, ActionId: req.ActionId}, "NotFound"},
			{"a download action", "portal-a", portal.CreateCompletionTicket{Citizen: tolvan, EventId: req.EventId, ActionId: portal.Identifier(events[0].Actions[0].ID)}, "Conflict"},
			{"an unknown event", "portal-a", portal.CreateCompletionTicket{Citizen: tolvan, EventId: "e-unknown", ActionId: req.ActionId}, "NotFound"},
		} {
			_, err := env.portal(tt.client).CreateCompletionTicketContext(ctx, &tt.req)
			if got := faultCode(err); got != tt.want {
				t.Errorf("CreateCompletionTicket, %s: %s; want %s", tt.name, got, tt.want)
			}
		}

		issued, err := por.CreateCompletionTicketContext(ctx, req)
		if err != nil {
			t.Fatalf("CreateCompletionTicket: %v", err)
		}
		got, err := ets.RedeemTicketContext(ctx, &etjanst.RedeemTicket{Ticket: etjanst.Ticket(issued.Ticket.Ticket)})
		if err != nil {
			t.Fatalf("RedeemTicket: %v", err)
		}
		comp := got.Completion
		if got.Purpose != etjanst.TicketPurposeCompletion || comp == nil || string(comp.CaseId) != c.ID || string(comp.EventId) != events[0].ID ||
			string(comp.ActionId) != action.ID || string(comp.ExternalCaseId) != "BN-2026-000123" || comp.DueDate == nil || comp.Data == nil {
			t.Fatalf("completion = %+v", comp)
		}
		if due := comp.DueDate.ToGoTime(); due.Format(time.DateOnly) != "2026-04-15" {
			t.Errorf("dueDate = %v", due)
		}
		want := canonical(t, `<w xmlns:root="urn:example:root">`+testCompletionData+`</w>`)
		if have := canonical(t, `<w>`+comp.Data.InnerXML+`</w>`); have != want {
			t.Errorf("completion data is not what the signal carried:\nhave %s\nwant %s", have, want)
		}

		// A second ticket issued before the completion is reported...
		late, err := por.CreateCompletionTicketContext(ctx, req)
		if err != nil {
			t.Fatalf("second CreateCompletionTicket: %v", err)
		}
		reported, err := ets.ReportCompletionContext(ctx, &etjanst.ReportCompletion{CaseId: comp.CaseId, ActionId: comp.ActionId, Reference: ptr(etjanst.ShortText("KP-77"))})
		if err != nil {
			t.Fatalf("ReportCompletion: %v", err)
		}
		events, _ = env.st.CaseEvents(ctx, c.ID)
		last := events[len(events)-1]
		// Reported without citizen: a citizen's event, whose is not known.
		if len(events) != 2 || string(reported.EventId) != last.ID || !last.FromCitizen || last.Author != "" || !strings.Contains(last.Text.SV, "KP-77") {
			t.Errorf("after ReportCompletion: %d events, last %+v", len(events), last)
		}
		for _, a := range events[0].Actions {
			if a.ID == action.ID && a.State != me.ActionDone {
				t.Errorf("the complete action is %s; want done", a.State)
			}
		}
		_, err = ets.ReportCompletionContext(ctx, &etjanst.ReportCompletion{CaseId: comp.CaseId, ActionId: comp.ActionId})
		if faultCode(err) != "Conflict" {
			t.Errorf("a second ReportCompletion: %s; want Conflict", faultCode(err))
		}
		// ...is refused once the completion is done.
		_, err = ets.RedeemTicketContext(ctx, &etjanst.RedeemTicket{Ticket: etjanst.Ticket(late.Ticket.Ticket)})
		if faultCode(err) != "Conflict" {
			t.Errorf("redeeming a completion ticket after the completion was reported: %s; want Conflict", faultCode(err))
		}
		_, err = por.CreateCompletionTicketContext(ctx, req)
		if faultCode(err) != "Conflict" {
			t.Errorf("a completion ticket for a done action: %s; want Conflict", faultCode(err))
		}
		_, err = env.eService("etjanst-b").ReportCompletionContext(ctx, &etjanst.ReportCompletion{CaseId: comp.CaseId, ActionId: comp.ActionId})
		if faultCode(err) != "NotFound" {
			t.Errorf("ReportCompletion by another organisation's e-service: %s; want NotFound", faultCode(err))
		}
	})
}

// canonical renders XML with namespaces resolved, attributes sorted and
// whitespace between elements dropped: two documents that are the same
// XML under any choice of prefixes render the same.
func canonical(t *testing.T, doc string) string {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(doc))
	var b strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return b.String()
		}
		if err != nil {
			t.Fatalf("%v in %s", err, doc)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			var attrs []string
			for _, a := range x.Attr {
				if a.Name.Space != "xmlns" && !(a.Name.Space == "" && a.Name.Local == "xmlns") {
					attrs = append(attrs, fmt.Sprintf("{%s}%s=%q", a.Name.Space, a.Name.Local, a.Value))
				}
			}
			sort.Strings(attrs)
			fmt.Fprintf(&b, "<{%s}%s %s>", x.Name.Space, x.Name.Local, strings.Join(attrs, " "))
		case xml.EndElement:
			fmt.Fprintf(&b, "</{%s}%s>", x.Name.Space, x.Name.Local)
		case xml.CharData:
			if s := strings.TrimSpace(string(x)); s != "" {
				b.WriteString(s)
			}
		}
	}
}

// TestCompletionDataByteForByte: RedeemTicket answers the content of the
// signal's complete/data as the case system wrote it (white space,
// comments and processing instructions between the elements included),
// with only the declarations each top-level element inherited from the
// signal's root added.
func TestCompletionDataByteForByte(t *testing.T) {
	const data = "\n  <!-- Begärda uppgifter -->\n  <bl:begäran xmlns:bl=\"urn:example:kommun:bygglov:1\" nr=\"1\">\n" +
		"    <bl:fastighet>Solrosen 4</bl:fastighet> <!-- inne -->\n  </bl:begäran>\r\n\t<?kommun version=\"2\"?>\n" +
		"  <x:bilaga xmlns:x=\"urn:example:x\">Ärende &amp; bilaga</x:bilaga>  <!--sist-->\n        "
	const inherited = ` xmlns="http://minaengagemang.se/signal/v1" xmlns:c="http://minaengagemang.se/schema/common/v1"`
	want := strings.Replace(strings.Replace(data, "<bl:begäran", "<bl:begäran"+inherited, 1), "<x:bilaga", "<x:bilaga"+inherited, 1)

	env, _, events, action := newCompletionEnv(t, "sqlite", orgA, withCompletionData(t, data))
	ctx := context.Background()
	issued, err := env.portal("portal-a").CreateCompletionTicketContext(ctx, &portal.CreateCompletionTicket{Citizen: tolvan,
		EventId: portal.Identifier(events[0].ID), ActionId: portal.Identifier(action.ID)})
	if err != nil {
		t.Fatalf("CreateCompletionTicket: %v", err)
	}
	out := env.rawSOAP(t, "etjanst", "etjanst-a", `<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>`+
		`<RedeemTicket xmlns="http://minaengagemang.se/etjanst/v1"><ticket>`+string(issued.Ticket.Ticket)+`</ticket></RedeemTicket></soap:Body></soap:Envelope>`)
	start, end := strings.Index(out, "<data>"), strings.LastIndex(out, "</data>")
	if start < 0 || end < start {
		t.Fatalf("no data in the answer:\n%s", out)
	}
	if got := out[start+len("<data>") : end]; got != want {
		t.Errorf("RedeemTicket's data:\n%q\nwant\n%q", got, want)
	}
}

// TestCompletionTicketsOfGrantedOrganisations: a portal reaches the cases
// of the organisations granted to its client (clients[].organisations) as
// it reaches its own, CreateCompletionTicket included, as GetCase does; a
// portal not granted the organisation gets NotFound from both.
func TestCompletionTicketsOfGrantedOrganisations(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		env := newTestEnv(t, driver, func(s *testSetup) {
			granted := me.Client{Name: "portal-a-granted-b", OrganisationNumber: orgA, Role: me.RolePortal,
				ExtraOrganisations: []string{orgB}, SecretHash: s.server.Clients[0].SecretHash}
			s.server.Clients = append(s.server.Clients, granted)
		})
		ctx := context.Background()
		env.publish(t, orgB, "bygglov-kontrollplan")
		sig := bytes.Replace(exampleSignal(t), []byte("<organisationNumber>"+orgA+"</organisationNumber>"), []byte("<organisationNumber>"+orgB+"</organisationNumber>"), 1)
		c, events, action := env.completionCase(t, shsMessage{signal: sig, from: orgB, to: orgB, client: "cases-b"}, orgB)

		for _, tt := range []struct {
			client string
			want   string // the fault of GetCase and CreateCompletionTicket
		}{
			{"portal-b", "no fault"},           // the case's own organisation
			{"portal-a-granted-b", "no fault"}, // granted the case's organisation
			{"portal-a", "NotFound"},           // not granted it
		} {
			por := env.portal(tt.client)
			_, err := por.GetCaseContext(ctx, &portal.GetCase{Citizen: tolvan, CaseId: portal.Identifier(c.ID)})
			if got := faultCode(err); got != tt.want {
				t.Errorf("GetCase by %s: %s; want %s", tt.client, got, tt.want)
			}
			issued, err := por.CreateCompletionTicketContext(ctx, &portal.CreateCompletionTicket{Citizen: tolvan,
				EventId: portal.Identifier(events[0].ID), ActionId: portal.Identifier(action.ID)})
			if got := faultCode(err); got != tt.want {
				t.Fatalf("CreateCompletionTicket by %s: %s; want %s", tt.client, got, tt.want)
			}
			if err != nil {
				continue
			}
			// The ticket is good: the case's e-service redeems it.
			got, err := env.eService("etjanst-b").RedeemTicketContext(ctx, &etjanst.RedeemTicket{Ticket: etjanst.Ticket(issued.Ticket.Ticket)})
			if err != nil || got.Completion == nil || string(got.Completion.CaseId) != c.ID {
				t.Errorf("redeeming %s's ticket: %v, %+v", tt.client, err, got)
			}
		}
	})
}
