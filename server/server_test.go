package server

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hooklift/gowsdl/soap"
	"github.com/sirupsen/logrus"
	"golang.org/x/crypto/bcrypt"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/config"
	"github.com/minaengagemang/me/generated/catalog"
	"github.com/minaengagemang/me/generated/portal"
	"github.com/minaengagemang/me/server/notify"
	"github.com/minaengagemang/me/server/notify/mail"
	"github.com/minaengagemang/me/server/notify/sms"
	"github.com/minaengagemang/me/server/signal"
	"github.com/minaengagemang/me/store"
	"github.com/minaengagemang/me/store/storetest"
	"github.com/minaengagemang/me/xsd"
)

const (
	orgA = "2120009994" // Demo kommun
	orgB = "2220001016" // another organisation
	pw   = "s3cret"
)

// testEnv is ME's handler on a real listener with its store on one
// driver, two organisations and a client of every role, the notifier
// running beside it, a clock the test can move, and the log it writes.
type testEnv struct {
	ts    *httptest.Server
	st    *store.Store
	dsn   string // the store's database, for reaching it beside the store
	logs  *syncBuffer
	clock *testClock
}

// testSetup is what a test may change before the server starts: the
// server's configuration and the notifier's, and its transports (none by
// default: what they would send waits in the store).
type testSetup struct {
	server Config
	notify notify.Config
	email  *mail.Sender
	sms    sms.Gateway
}

// testServer is newTestEnv for tests that need only the server and store.
func testServer(t testing.TB, driver string, configure ...func(*testSetup)) (*httptest.Server, *store.Store) {
	env := newTestEnv(t, driver, configure...)
	return env.ts, env.st
}

func newTestEnv(t testing.TB, driver string, configure ...func(*testSetup)) *testEnv {
	t.Helper()
	ctx := context.Background()
	hash, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	defaults := config.Default()
	env := &testEnv{logs: &syncBuffer{}, clock: &testClock{}}
	setup := &testSetup{
		server: Config{
			Organisations: []me.Organisation{
				{Number: orgA, Name: "Demo kommun", PortalURL: "https://demo.example/"},
				{Number: orgB, Name: "Grannkommunen", PortalURL: "https://granne.example/"},
			},
			MaxBodyBytes: defaults.HTTP.MaxBodyBytes,
			SHS: SHSConfig{Product: defaults.SHS.Product, NodeID: defaults.SHS.NodeID, MaxMessageBytes: defaults.SHS.MaxMessageBytes,
				MaxAttachments: defaults.SHS.MaxAttachments, MaxAttachmentBytes: defaults.SHS.MaxAttachmentBytes},
			TicketLife:        defaults.Tickets.Lifetime,
			ValidateResponses: true,
			Now:               env.clock.Now,
		},
		notify: notifyConfig(t, defaults.Notifications),
	}
	for _, c := range []me.Client{
		{Name: "portal-a", OrganisationNumber: orgA, Role: me.RolePortal},
		{Name: "portal-b", OrganisationNumber: orgB, Role: me.RolePortal},
		{Name: "catalog-a", OrganisationNumber: orgA, Role: me.RoleCatalog},
		{Name: "catalog-b", OrganisationNumber: orgB, Role: me.RoleCatalog},
		{Name: "etjanst-a", OrganisationNumber: orgA, Role: me.RoleEService, EServiceIDs: []string{"bygglov", "bygglov-kontrollplan"}},
		{Name: "etjanst-a-other", OrganisationNumber: orgA, Role: me.RoleEService, EServiceIDs: []string{"another-eservice"}},
		{Name: "etjanst-b", OrganisationNumber: orgB, Role: me.RoleEService, EServiceIDs: []string{"bygglov", "bygglov-kontrollplan"}},
		{Name: "cases-a", OrganisationNumber: orgA, Role: me.RoleCaseSystem},
		{Name: "cases-b", OrganisationNumber: orgB, Role: me.RoleCaseSystem},
	} {
		c.SecretHash = string(hash)
		setup.server.Clients = append(setup.server.Clients, c)
	}
	for _, f := range configure {
		f(setup)
	}
	env.dsn = storetest.DSN(t, driver)
	env.st = storetest.OpenAt(t, driver, env.dsn)
	if err := env.st.SyncOrganisations(ctx, setup.server.Organisations); err != nil {
		t.Fatal(err)
	}
	log := logrus.New()
	log.SetOutput(env.logs)
	log.SetLevel(logrus.DebugLevel)
	setup.server.Metrics = append(setup.server.Metrics, notify.NewQueueCollector(env.st, env.clock.Now))
	srv, err := New(setup.server, env.st, log)
	if err != nil {
		t.Fatal(err)
	}
	env.ts = httptest.NewServer(srv.Handler())
	n := notify.New(setup.notify, env.st, setup.server.Organisations, setup.email, setup.sms, log, env.clock.Now)
	bg, stop := context.WithCancel(context.Background())
	go n.Run(bg)
	t.Cleanup(func() { stop(); env.ts.Close(); srv.Close() })
	return env
}

// notifyConfig is the notifier's configuration from the configuration
// file's section, as `me serve` makes it.
func notifyConfig(t testing.TB, c config.Notifications) notify.Config {
	t.Helper()
	loc, start, end, err := c.QuietHours()
	if err != nil {
		t.Fatal(err)
	}
	templates, err := c.Templates.Parse()
	if err != nil {
		t.Fatal(err)
	}
	return notify.Config{Window: c.Window, Lease: c.Lease, ReminderAfter: c.ReminderAfter, Concurrency: c.Concurrency,
		Quiet: notify.QuietHours{Start: start, End: end, Location: loc}, Texts: notify.NewTexts(templates, logrus.New())}
}

// signalSchema is parsed once for the tests: libxml2 leaks a little on
// every parse.
var signalSchema = sync.OnceValues(func() (map[string]*xsd.Schema, error) { return xsd.Load(xsd.Signal) })

// decodeSignal decodes a signal as the receiver does.
func decodeSignal(t testing.TB, doc []byte) me.Signal {
	t.Helper()
	schemas, err := signalSchema()
	if err != nil {
		t.Fatal(err)
	}
	sig, err := signal.NewDecoder(schemas[xsd.Signal]).Decode(doc)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// testClock is real time moved on by the test.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Set moves the clock to t (and on from there in real time).
func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset = time.Until(t)
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// syncBuffer collects the server's log.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func forEachDriver(t *testing.T, f func(t *testing.T, driver string)) {
	for _, d := range storetest.Drivers() {
		t.Run(d, func(t *testing.T) { f(t, d) })
	}
}

func TestEServiceCatalogThroughGeneratedClients(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		ts, _ := testServer(t, driver)
		ctx := context.Background()
		cat := catalog.NewCatalogPortType(soap.NewClient(ts.URL+"/soap/catalog", soap.WithBasicAuth("catalog-a", pw)))
		por := portal.NewPortalPortType(soap.NewClient(ts.URL+"/soap/portal", soap.WithBasicAuth("portal-a", pw)))

		en := catalog.LongText("Apply for a permit to fell trees in a protected area.")
		email := catalog.EmailAddress("miljö@demo.example")
		param := catalog.TicketParameter("biljett")
		published, err := cat.PublishEServiceContext(ctx, &catalog.PublishEService{EService: catalog.EServiceDescription{
			Id:                  "tradfallning",
			Name:                catalog.LocalizedText{Sv: "Ansökan om trädfällning", En: ptr(catalog.LongText("Tree felling permit"))},
			Description:         catalog.LocalizedText{Sv: "Ansök om tillstånd att fälla träd inom strandskyddat område. Återplantering kan krävas.", En: &en},
			Area:                []catalog.Area{"miljö-natur", "bygga-bo"},
			StartUrl:            "https://etjanst.demo.example/tradfallning",
			TicketParameter:     &param,
			AuthenticationLevel: 3,
			Contact:             &catalog.Contact{Name: ptr(catalog.ShortText("Miljöförvaltningen")), Email: &email},
		}})
		if err != nil {
			t.Fatalf("PublishEService: %v", err)
		}
		if published.PublishedEService.OrganisationNumber != orgA || published.PublishedEService.Withdrawn != nil {
			t.Fatalf("published = %+v; want organisation %s, not withdrawn", published.PublishedEService, orgA)
		}

		for _, q := range []portal.ListEServices{
			{Area: ptr(portal.Area("miljö-natur"))},
			{Text: ptr(portal.ShortText("STRANDSKYDDAT"))},
			{Text: ptr(portal.ShortText("återplantering träd"))},
		} {
			list, err := por.ListEServicesContext(ctx, &q)
			if err != nil {
				t.Fatalf("ListEServices: %v", err)
			}
			if len(list.EService) != 1 || list.EService[0].Id != "tradfallning" {
				t.Errorf("ListEServices(area %v, text %v) = %d e-services; want tradfallning", deref(q.Area), deref(q.Text), len(list.EService))
			}
		}

		got, err := por.GetEServiceContext(ctx, &portal.GetEService{EServiceId: "tradfallning"})
		if err != nil {
			t.Fatalf("GetEService: %v", err)
		}
		e := got.EService
		checks := map[string][2]string{
			"name.sv":         {string(e.Name.Sv), "Ansökan om trädfällning"},
			"name.en":         {string(deref(e.Name.En)), "Tree felling permit"},
			"description.sv":  {string(e.Description.Sv), "Ansök om tillstånd att fälla träd inom strandskyddat område. Återplantering kan krävas."},
			"description.en":  {string(deref(e.Description.En)), string(en)},
			"areas":           {strings.Join(areas(e.Area), ","), "bygga-bo,miljö-natur"},
			"startUrl":        {string(e.StartUrl), "https://etjanst.demo.example/tradfallning"},
			"ticketParameter": {string(e.TicketParameter), "biljett"},
			"contact.name":    {string(deref(e.Contact.Name)), "Miljöförvaltningen"},
			"contact.email":   {string(deref(e.Contact.Email)), "miljö@demo.example"},
			"organisation":    {string(e.OrganisationNumber) + " " + string(e.OrganisationName), orgA + " Demo kommun"},
		}
		for field, c := range checks {
			if c[0] != c[1] {
				t.Errorf("GetEService %s = %q; want %q", field, c[0], c[1])
			}
		}
		if e.AuthenticationLevel != 3 {
			t.Errorf("authenticationLevel = %d; want 3", e.AuthenticationLevel)
		}
		if p := e.Published.ToGoTime(); time.Since(p) > time.Minute || time.Since(p) < 0 {
			t.Errorf("published = %v; want about now", p)
		}

		if _, err := cat.WithdrawEServiceContext(ctx, &catalog.WithdrawEService{EServiceId: "tradfallning"}); err != nil {
			t.Fatalf("WithdrawEService: %v", err)
		}
		list, err := por.ListEServicesContext(ctx, &portal.ListEServices{Area: ptr(portal.Area("miljö-natur"))})
		if err != nil || len(list.EService) != 0 {
			t.Errorf("after withdrawal ListEServices = %v, %v; want none", list, err)
		}
		_, err = por.GetEServiceContext(ctx, &portal.GetEService{EServiceId: "tradfallning"})
		if f, ok := portal.AsMEFault(err); !ok || f.Code != portal.FaultCodeNotFound {
			t.Errorf("GetEService after withdrawal: %v; want NotFound fault", err)
		}
		own, err := cat.ListOwnEServicesContext(ctx, &catalog.ListOwnEServices{IncludeWithdrawn: ptr(true)})
		if err != nil || len(own.EService) != 1 || own.EService[0].Withdrawn == nil {
			t.Errorf("ListOwnEServices(includeWithdrawn) = %v, %v; want the withdrawn e-service", own, err)
		}

		// Another organisation's catalog client cannot withdraw it.
		other := catalog.NewCatalogPortType(soap.NewClient(ts.URL+"/soap/catalog", soap.WithBasicAuth("catalog-b", pw)))
		_, err = other.WithdrawEServiceContext(ctx, &catalog.WithdrawEService{EServiceId: "tradfallning"})
		if f, ok := catalog.AsMEFault(err); !ok || f.Code != catalog.FaultCodeNotFound {
			t.Errorf("another organisation's WithdrawEService: %v; want NotFound", err)
		}
	})
}

func areas(in []portal.Area) []string {
	out := make([]string, len(in))
	for i, a := range in {
		out[i] = string(a)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

const envelope = `<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:p="http://minaengagemang.se/portal/v1"><soap:Body>%s</soap:Body></soap:Envelope>`

type fault struct {
	Detail struct {
		Inner   []byte `xml:",innerxml"`
		MEFault struct {
			Code    string `xml:"code"`
			Message string `xml:"message"`
			Element string `xml:"element"`
		}
	} `xml:"Body>Fault>detail"`
}

func TestRequestsAreValidatedAndAuthorised(t *testing.T) {
	ts, _ := testServer(t, "sqlite")
	schemas, err := xsd.Load(xsd.Fault)
	if err != nil {
		t.Fatal(err)
	}
	defer schemas[xsd.Fault].Close()

	tests := []struct {
		name        string
		path, user  string
		contentType string
		soapAction  string
		body        string
		wantStatus  int
		wantCode    string
		wantInFault string // in the message or element
	}{
		{name: "personnummer with a wrong control digit", path: "portal", user: "portal-a",
			body: `<p:ListCases><p:citizen>191212121213</p:citizen></p:ListCases>`, wantStatus: 500, wantCode: "ValidationFailed", wantInFault: "personnummer"},
		{name: "wrong namespace", path: "portal", user: "portal-a",
			body: `<GetEService xmlns="urn:wrong"><eServiceId>x</eServiceId></GetEService>`, wantStatus: 500, wantCode: "ValidationFailed", wantInFault: "{urn:wrong}GetEService"},
		{name: "missing required element", path: "portal", user: "portal-a",
			body: `<p:GetEService></p:GetEService>`, wantStatus: 500, wantCode: "ValidationFailed", wantInFault: "eServiceId"},
		{name: "bad type", path: "portal", user: "portal-a",
			body: `<p:ListCases><p:citizen>191212121212</p:citizen><p:pageSize>many</p:pageSize></p:ListCases>`, wantStatus: 500, wantCode: "ValidationFailed", wantInFault: "pageSize"},
		{name: "bad pattern", path: "portal", user: "portal-a",
			body: `<p:GetCitizenProfile><p:citizen>19121212-1212</p:citizen></p:GetCitizenProfile>`, wantStatus: 500, wantCode: "ValidationFailed", wantInFault: "citizen"},
		{name: "SOAPAction of another operation", path: "portal", user: "portal-a", soapAction: `"http://minaengagemang.se/portal/v1/ListCases"`,
			body: `<p:GetEService><p:eServiceId>x</p:eServiceId></p:GetEService>`, wantStatus: 500, wantCode: "ValidationFailed", wantInFault: "SOAPAction"},
		{name: "SOAPAction of another operation, SOAP::Lite's form", path: "portal", user: "portal-a", soapAction: `"http://minaengagemang.se/portal/v1#ListCases"`,
			body: `<p:GetEService><p:eServiceId>x</p:eServiceId></p:GetEService>`, wantStatus: 500, wantCode: "ValidationFailed", wantInFault: "SOAPAction"},
		{name: "client of the wrong role", path: "portal", user: "catalog-a",
			body: `<p:GetEService><p:eServiceId>x</p:eServiceId></p:GetEService>`, wantStatus: 500, wantCode: "Forbidden", wantInFault: "role catalog"},
		{name: "DOCTYPE", path: "portal", user: "portal-a",
			body: `<p:GetEService><p:eServiceId>x</p:eServiceId></p:GetEService>`, wantStatus: 500, wantCode: "ValidationFailed", wantInFault: "DOCTYPE"},
		{name: "SOAP 1.2", path: "portal", user: "portal-a", contentType: "application/soap+xml",
			body: `<p:GetEService><p:eServiceId>x</p:eServiceId></p:GetEService>`, wantStatus: 415, wantCode: "ValidationFailed", wantInFault: "SOAP 1.2"},
		{name: "oversized body", path: "portal", user: "portal-a",
			body: `<p:GetEService><p:eServiceId>x</p:eServiceId></p:GetEService>` + strings.Repeat(" ", 11<<20), wantStatus: 413, wantCode: "ValidationFailed", wantInFault: "exceeds"},
		{name: "no credentials", path: "portal", body: `<p:GetEService><p:eServiceId>x</p:eServiceId></p:GetEService>`, wantStatus: 401},
		{name: "wrong secret", path: "portal", user: "portal-a:wrong", body: `<p:GetEService><p:eServiceId>x</p:eServiceId></p:GetEService>`, wantStatus: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := strings.Replace(envelope, "%s", tt.body, 1)
			if tt.name == "DOCTYPE" {
				msg = strings.Replace(msg, "?>", "?>\n<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>", 1)
			}
			req, _ := http.NewRequest("POST", ts.URL+"/soap/"+tt.path, strings.NewReader(msg))
			ct := tt.contentType
			if ct == "" {
				ct = "text/xml; charset=utf-8"
			}
			req.Header.Set("Content-Type", ct)
			if tt.soapAction != "" {
				req.Header.Set("SOAPAction", tt.soapAction)
			}
			if tt.user != "" {
				user, pass, found := strings.Cut(tt.user, ":")
				if !found {
					pass = pw
				}
				req.SetBasicAuth(user, pass)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d; want %d\n%s", resp.StatusCode, tt.wantStatus, body)
			}
			if tt.wantCode == "" {
				if resp.Header.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
				return
			}
			var f fault
			if err := xml.Unmarshal(body, &f); err != nil {
				t.Fatalf("fault does not parse: %v\n%s", err, body)
			}
			d := f.Detail.MEFault
			if d.Code != tt.wantCode || !strings.Contains(d.Message+" "+d.Element, tt.wantInFault) {
				t.Errorf("fault %s %q (element %q); want %s mentioning %q", d.Code, d.Message, d.Element, tt.wantCode, tt.wantInFault)
			}
			if err := schemas[xsd.Fault].Validate(detailDoc(f.Detail.Inner)); err != nil {
				t.Errorf("fault detail does not validate against fault.xsd: %v\n%s", err, f.Detail.Inner)
			}
		})
	}
}

// detailDoc is the MEFault element of a fault detail as its own document.
func detailDoc(inner []byte) []byte { return []byte(strings.TrimSpace(string(inner))) }

func TestWSDLIsServedWithItsAddressAndSchemas(t *testing.T) {
	ts, _ := testServer(t, "sqlite")
	for _, name := range []string{"portal", "catalog", "etjanst"} {
		resp, err := http.Get(ts.URL + "/soap/" + name + "?wsdl")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), `<soap:address location="`+ts.URL+`/soap/`+name+`"/>`) {
			t.Errorf("%s?wsdl: status %d, soap:address not %s/soap/%s", name, resp.StatusCode, ts.URL, name)
		}
		var defs struct {
			Imports []struct {
				Location string `xml:"schemaLocation,attr"`
			} `xml:"types>schema>import"`
		}
		if err := xml.Unmarshal(body, &defs); err != nil || len(defs.Imports) == 0 {
			t.Fatalf("%s?wsdl: %v, %d imports", name, err, len(defs.Imports))
		}
		for _, imp := range defs.Imports {
			r, err := http.Get(imp.Location)
			if err != nil || r.StatusCode != 200 {
				t.Errorf("%s imports %s: %v %v", name, imp.Location, err, r.Status)
			}
			r.Body.Close()
		}
	}
}

// TestSingleWSDLIsServed: ?singleWsdl is the contract with its schemas
// inlined (wsdl.Single, tested there) and its address set.
func TestSingleWSDLIsServed(t *testing.T) {
	ts, _ := testServer(t, "sqlite")
	for _, name := range []string{"portal", "catalog", "etjanst"} {
		for _, query := range []string{"singleWsdl", "singlewsdl"} {
			resp, err := http.Get(ts.URL + "/soap/" + name + "?" + query)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(body), `<soap:address location="`+ts.URL+`/soap/`+name+`"/>`) {
				t.Errorf("%s?%s: status %d, soap:address not %s/soap/%s", name, query, resp.StatusCode, ts.URL, name)
			}
			var defs struct {
				Schemas []struct {
					TargetNamespace string `xml:"targetNamespace,attr"`
				} `xml:"types>schema"`
			}
			if err := xml.Unmarshal(body, &defs); err != nil || len(defs.Schemas) != 3 {
				t.Errorf("%s?%s: %v, %d schemas inlined; want 3 (the service's, common, fault)", name, query, err, len(defs.Schemas))
			}
			if strings.Contains(string(body), "schemaLocation") {
				t.Errorf("%s?%s: a schemaLocation is left", name, query)
			}
		}
	}
}
