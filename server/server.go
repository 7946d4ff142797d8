// Package server is ME's HTTP side: the routes, authentication of system
// clients, the SOAP services of the three WSDLs (portal, catalog, etjanst)
// on the generic engine in server/soap, the SHS receiver of case-system
// signals, the contracts served for client generators, and health checks.
// It is handed parsed values and built parts (store, metrics, demo) by
// cmd/me; it does not read the configuration file, send notifications or
// listen on a socket.
package server

import (
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/sirupsen/logrus"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/generated/catalog"
	"github.com/minaengagemang/me/generated/etjanst"
	"github.com/minaengagemang/me/generated/portal"
	"github.com/minaengagemang/me/server/notify"
	"github.com/minaengagemang/me/server/requestlog"
	"github.com/minaengagemang/me/server/signal"
	"github.com/minaengagemang/me/server/soap"
	"github.com/minaengagemang/me/store"
	"github.com/minaengagemang/me/wsdl"
	"github.com/minaengagemang/me/xsd"
)

// Config is what the HTTP side needs, parsed.
type Config struct {
	Organisations []me.Organisation
	Clients       []me.Client
	PublicURL     string // the externally visible base URL; empty: the one asked
	MaxBodyBytes  int64  // of a SOAP request
	SHS           SHSConfig
	TicketLife    time.Duration
	Addressing    notify.Addressing // for the mail to case handlers
	// Metrics are the collectors /metrics reports besides Go's and the
	// process's; it answers loopback and MetricsFrom only.
	Metrics     []prometheus.Collector
	MetricsFrom []string
	// Demo serves the demo pages under /demo/, and / leads there; nil:
	// off, and / lists the contracts.
	Demo http.Handler
	// ValidateResponses checks every SOAP response against the contract
	// before it is sent. Tests turn it on.
	ValidateResponses bool
	Now               func() time.Time
}

// SHSConfig is how the SHS receiver takes signals.
type SHSConfig struct {
	Product            string // ME's signal product type id, with or without urn:X-shs:
	NodeID             string // sent as X-shs-nodeid
	MaxMessageBytes    int64
	MaxInflightBytes   int64 // of all messages being received at once; 0: MaxMessageBytes × 4
	MaxAttachments     int
	MaxAttachmentBytes int64
}

func (c SHSConfig) inflight() int64 {
	if c.MaxInflightBytes > 0 {
		return max(c.MaxInflightBytes, c.MaxMessageBytes)
	}
	return 4 * c.MaxMessageBytes
}

// Server is ME's HTTP handler.
type Server struct {
	store   *store.Store
	schemas map[string]*xsd.Schema
	handler http.Handler
}

// New builds the handler. Close releases the parsed schemas.
func New(cfg Config, st *store.Store, log *logrus.Logger) (*Server, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	auth, err := newAuthenticator(cfg.Clients, cfg.Now)
	if err != nil {
		return nil, err
	}
	schemas, err := xsd.Load(xsd.Portal, xsd.Catalog, xsd.Etjanst, xsd.SHSLabel, xsd.Signal)
	if err != nil {
		return nil, err
	}
	s := &Server{store: st, schemas: schemas}
	orgs := organisations{}
	for _, o := range cfg.Organisations {
		orgs[o.Number] = o
	}
	cat := &catalogue{store: st, organisations: orgs, now: cfg.Now}
	tickets := &tickets{store: st, lifetime: cfg.TicketLife, now: cfg.Now}
	portalSrv := portalService{catalogue: cat, store: st, tickets: tickets, mail: cfg.Addressing, now: cfg.Now}
	endpoints := []struct {
		name   string
		role   me.Role
		schema string
		ops    []soap.Operation
	}{
		{"portal", me.RolePortal, xsd.Portal, portal.Operations(portalSrv)},
		{"catalog", me.RoleCatalog, xsd.Catalog, catalog.Operations(catalogService{cat})},
		{"etjanst", me.RoleEService, xsd.Etjanst, etjanst.Operations(etjanstService{store: st, tickets: tickets, now: cfg.Now})},
	}
	mux := http.NewServeMux()
	for _, e := range endpoints {
		endpoint := soap.NewEndpoint(e.name, schemas[e.schema], e.ops, cfg.MaxBodyBytes, cfg.ValidateResponses)
		mux.Handle("POST /soap/"+e.name, auth.requireClient(requireRole(e.role, e.name, endpoint)))
		mux.Handle("GET /soap/"+e.name, serveWSDL(e.name, cfg.PublicURL))
	}
	mux.Handle("POST /shs/rs", auth.requireSender(&shsReceiver{
		cfg: cfg.SHS, store: st, log: log, labelSchema: schemas[xsd.SHSLabel], signals: signal.NewDecoder(schemas[xsd.Signal]),
		organisations: orgs, caseSystems: caseSystems(cfg.Clients), now: cfg.Now, inflight: newByteBudget(cfg.SHS.inflight()),
	}))
	replies := handlerReplies{store: st}
	mux.Handle("GET /casesystem/replies", auth.requireClient(http.HandlerFunc(replies.list)))
	mux.Handle("GET /casesystem/replies/{id}/original", auth.requireClient(http.HandlerFunc(replies.original)))
	mux.Handle("GET /wsdl/", http.StripPrefix("/wsdl/", http.FileServerFS(wsdl.Files())))
	mux.Handle("GET /xsd/", http.StripPrefix("/xsd/", http.FileServerFS(xsd.Files())))
	if cfg.Demo != nil {
		mux.Handle(demoPath, cfg.Demo)
	}
	mux.Handle("GET /{$}", serveIndex(cfg.PublicURL, cfg.Demo != nil))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	node, err := os.Hostname()
	if err != nil {
		node = "unknown"
	}
	mux.Handle("GET /readyz", &readiness{store: st, node: node, now: cfg.Now})
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(cfg.Metrics...)
	mux.Handle("GET /metrics", onlyFrom(cfg.MetricsFrom, promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
	s.handler = requestlog.Handler(log, mux)
	return s, nil
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Close frees the parsed schemas.
func (s *Server) Close() {
	for _, sc := range s.schemas {
		sc.Close()
	}
}

// organisations are the organisations ME serves, by number.
type organisations map[string]me.Organisation

// name is the organisation's name, or its number when ME does not serve it.
func (o organisations) name(number string) string {
	if org, ok := o[number]; ok {
		return org.Name
	}
	return number
}

// caseSystems are the case-system clients by organisation number.
func caseSystems(clients []me.Client) map[string][]me.Client {
	out := map[string][]me.Client{}
	for _, c := range clients {
		if c.Role == me.RoleCaseSystem {
			out[c.OrganisationNumber] = append(out[c.OrganisationNumber], c)
		}
	}
	return out
}
