// Package demo is the demo portal of Mina Engagemang: a tiny citizen-facing
// web site, in Swedish, that shows the seed's flows working. It is a real
// client of ME's SOAP services: it calls /soap/portal as a municipal portal
// would (as Config.PortalUser) and plays the demo e-service that redeems
// tickets on /soap/etjanst (as Config.EServiceUser). It never touches ME's
// store.
//
// The handler returned by New expects the full request path: mount it at
// /demo/ without stripping the prefix, e.g. mux.Handle("/demo/", h).
//
// The login is NOT authentication: the visitor picks or types a
// personnummer, which is kept in a cookie. It is a demo only.
package demo

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // Swedish times without the host's zoneinfo

	"github.com/hooklift/gowsdl/soap"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/generated/etjanst"
	"github.com/minaengagemang/me/generated/portal"
)

// Prefix is the path the handler serves.
const Prefix = "/demo/"

// ticketParam is the query parameter the demo e-services receive their
// ticket under (their ticketParameter in config/demo.yaml, ME's default).
const ticketParam = "ticket"

// Config says where ME's SOAP services are and how the demo calls them.
type Config struct {
	// SOAPBase is ME's base URL, e.g. http://127.0.0.1:8080; the services
	// are SOAPBase+"/soap/portal" and SOAPBase+"/soap/etjanst".
	SOAPBase string
	// PortalUser and PortalPassword: a client with role portal.
	PortalUser, PortalPassword string
	// EServiceUser and EServicePassword: a client with role etjanst whose
	// eservices include the demo e-services.
	EServiceUser, EServicePassword string
	// Organisation is the portal's organisationsnummer (10 digits), shown
	// on the pages; ME takes the organisation from the portal client.
	Organisation string
	// Clients are ME's configured clients (config.Clients()), so that the
	// demo e-service can play e-services of several organisations: ME lets
	// only an etjanst client of the e-service's own organisation redeem its
	// tickets, so the demo redeems as the client that serves the e-service
	// (EServiceUser when it does), with EServicePassword. Without them it
	// redeems as EServiceUser only.
	Clients []me.Client
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/demo.css
var staticFS embed.FS

type demo struct {
	cfg      Config
	portal   portal.PortalPortType
	etjanst  map[string]etjanst.EServicePortType // by client name
	pages    map[string]*template.Template
	sessions *eserviceSessions
	log      *slog.Logger
	loc      *time.Location
}

// New returns the demo portal's handler; mount it at /demo/ (see Prefix)
// with the full path.
func New(cfg Config) (http.Handler, error) {
	if cfg.SOAPBase == "" {
		return nil, errors.New("demo: SOAPBase is required")
	}
	base := strings.TrimRight(cfg.SOAPBase, "/")
	d := &demo{
		cfg: cfg,
		portal: portal.NewPortalPortType(soap.NewClient(base+"/soap/portal",
			soap.WithBasicAuth(cfg.PortalUser, cfg.PortalPassword), soap.WithTimeout(15*time.Second))),
		etjanst:  map[string]etjanst.EServicePortType{},
		sessions: &eserviceSessions{m: map[string]*eserviceSession{}},
		log:      slog.Default().With("component", "demo"),
	}
	if loc, err := time.LoadLocation("Europe/Stockholm"); err == nil {
		d.loc = loc
	} else {
		d.loc = time.Local
	}
	users := []string{cfg.EServiceUser}
	for _, c := range cfg.Clients {
		if c.Role == me.RoleEService {
			users = append(users, c.Name)
		}
	}
	for _, u := range users {
		d.etjanst[u] = etjanst.NewEServicePortType(soap.NewClient(base+"/soap/etjanst",
			soap.WithBasicAuth(u, cfg.EServicePassword), soap.WithTimeout(15*time.Second)))
	}
	if err := d.parseTemplates(); err != nil {
		return nil, err
	}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}

	mux := http.NewServeMux()
	mux.Handle("GET /demo/static/", http.StripPrefix("/demo/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /demo/{$}", d.loginPage)
	mux.HandleFunc("POST /demo/logga-in", d.login)
	mux.HandleFunc("POST /demo/logga-ut", d.logout)
	mux.HandleFunc("GET /demo/arenden", d.citizen(d.casesPage))
	mux.HandleFunc("GET /demo/arenden/{caseId}", d.citizen(d.casePage))
	mux.HandleFunc("POST /demo/arenden/{caseId}/meddelande", d.citizenPost(d.sendMessage))
	mux.HandleFunc("POST /demo/arenden/{caseId}/komplettera", d.citizenPost(d.complete))
	mux.HandleFunc("POST /demo/arenden/{caseId}/arkivera", d.citizenPost(d.archive))
	mux.HandleFunc("GET /demo/bilaga/{id}", d.citizen(d.attachment))
	mux.HandleFunc("GET /demo/etjanster", d.citizen(d.eservicesPage))
	mux.HandleFunc("GET /demo/etjanster/{id}", d.citizen(d.eservicePage))
	mux.HandleFunc("POST /demo/etjanster/{id}/starta", d.citizenPost(d.startEService))
	mux.HandleFunc("GET /demo/profil", d.citizen(d.profilePage))
	mux.HandleFunc("POST /demo/profil", d.citizenPost(d.saveProfile))
	mux.HandleFunc("GET /demo/etjanst/{id}", d.eserviceStart)
	mux.HandleFunc("POST /demo/etjanst/{id}", d.eserviceSubmit)
	mux.HandleFunc("/demo/", func(w http.ResponseWriter, r *http.Request) {
		d.notFound(w, r)
	})
	return securityHeaders(mux), nil
}

// securityHeaders sets headers every page of the demo gets.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		if !strings.HasPrefix(r.URL.Path, "/demo/static/") {
			hd.Set("Cache-Control", "no-store")
		}
		h.ServeHTTP(w, r)
	})
}

// eserviceClient says which etjanst client the demo e-service id is
// played as, and that client's organisation: EServiceUser when it serves
// id, else another configured etjanst client that does.
func (d *demo) eserviceClient(id string) (user, org string) {
	var other *me.Client
	for i, c := range d.cfg.Clients {
		if c.Role != me.RoleEService || !slices.Contains(c.EServiceIDs, id) {
			continue
		}
		if c.Name == d.cfg.EServiceUser {
			return c.Name, c.OrganisationNumber
		}
		if other == nil {
			other = &d.cfg.Clients[i]
		}
	}
	if other != nil {
		return other.Name, other.OrganisationNumber
	}
	return d.cfg.EServiceUser, d.cfg.Organisation
}

// eserviceSession is what the demo e-service keeps after redeeming a
// ticket, so that the ticket can leave the address bar.
type eserviceSession struct {
	eserviceID string
	name       string // the e-service's Swedish name, from the catalog
	org        string // its organisation
	orgName    string // and that organisation's name
	client     string // the etjanst client that redeemed the ticket
	csrf       string
	res        *etjanst.RedeemTicketResponse
	expires    time.Time
}

type eserviceSessions struct {
	mu sync.Mutex
	m  map[string]*eserviceSession
}

const eserviceSessionLifetime = 30 * time.Minute

func (s *eserviceSessions) put(sess *eserviceSession) string {
	id := randomToken()
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for k, v := range s.m {
		if now.After(v.expires) {
			delete(s.m, k)
		}
	}
	sess.expires = now.Add(eserviceSessionLifetime)
	s.m[id] = sess
	return id
}

func (s *eserviceSessions) get(id string) *eserviceSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.m[id]
	if sess == nil || time.Now().After(sess.expires) {
		delete(s.m, id)
		return nil
	}
	return sess
}

func (s *eserviceSessions) delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
}

func formatOrgNumber(n string) string {
	if len(n) == 10 {
		return n[:6] + "-" + n[6:]
	}
	return n
}

func formatPnr(p string) string {
	if len(p) == 12 {
		return p[:8] + "-" + p[8:]
	}
	return p
}

var months = [...]string{"januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober", "november", "december"}

// The demo's one date format, in Swedish: "12 mars 2026" for a day,
// "12 mars 2026 kl. 14:05" for a moment (Swedish time).
func (d *demo) formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(d.loc)
	return fmt.Sprintf("%s kl. %02d:%02d", formatDate(t), t.Hour(), t.Minute())
}

// formatDate writes a calendar day (an xs:date, without a zone) as is.
func formatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d %s %d", t.Day(), months[t.Month()-1], t.Year())
}
