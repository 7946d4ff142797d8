// Package server is ME's HTTP side: the SOAP endpoints of the three WSDLs,
// their contracts served for client generators, authentication of system
// clients, health checks and the listener with its TLS rules.
package server

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/config"
	"github.com/minaengagemang/me/server/demo"
	memail "github.com/minaengagemang/me/server/mail"
	"github.com/minaengagemang/me/store"
	"github.com/minaengagemang/me/wsdl"
	"github.com/minaengagemang/me/xsd"
)

// Options are what the server takes besides its configuration.
type Options struct {
	// ValidateResponses checks every SOAP response against the contract
	// before it is sent; a response that does not validate becomes an
	// Internal fault. Tests turn it on.
	ValidateResponses bool
	Now               func() time.Time
	// SMTPTLS overrides the TLS configuration for the SMTP server (tests
	// trusting a self-signed certificate).
	SMTPTLS *tls.Config
}

// Server is ME's HTTP server.
type Server struct {
	cfg      *config.Config
	store    *store.Store
	log      *logrus.Logger
	schemas  map[string]*xsd.Schema
	tickets  *tickets
	notifier *notifier
	handler  http.Handler
}

// New builds the server. Close releases the parsed schemas.
func New(cfg *config.Config, st *store.Store, log *logrus.Logger, opts Options) (*Server, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	schemas, err := xsd.Load(xsd.Portal, xsd.Catalog, xsd.EService, xsd.SHSLabel, xsd.Signal)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, store: st, log: log, schemas: schemas}

	orgs := map[string]me.Organisation{}
	for _, o := range cfg.Organisations() {
		orgs[o.Number] = o
	}
	catalogue := &eServices{store: st, organisations: orgs, now: opts.Now}
	fw := &faultWriter{logError: s.logError}
	maxBody := cfg.HTTP.MaxBodyBytes
	soapEndpoint := func(name string, role me.Role, schema string, ops []operation) http.Handler {
		return newEndpoint(name, role, schemas[schema], ops, maxBody, opts.ValidateResponses, fw)
	}
	auth := newAuthenticator(cfg.Clients(), opts.Now)
	s.tickets = &tickets{store: st, lifetime: cfg.Tickets.Lifetime, now: opts.Now}
	var email *memail.Sender // nil when no SMTP server is configured
	if cfg.SMTP.Host != "" {
		email, err = memail.NewSender(memail.SMTPConfig{Host: cfg.SMTP.Host, Port: cfg.SMTP.Port, Username: cfg.SMTP.Username,
			Password: cfg.SMTP.Password.Reveal(), TLS: cfg.SMTP.TLS, From: cfg.SMTP.From, TLSConfig: opts.SMTPTLS})
		if err != nil {
			closeSchemas(schemas)
			return nil, fmt.Errorf("smtp: %w", err)
		}
	} else {
		log.Warn("smtp.host is not set: e-mail (messages to case handlers, notifications) is queued but not sent")
	}
	mailAddr := newMailSettings(cfg.SMTP.From, cfg.SMTP.ReplyTo)
	if s.notifier, err = newNotifier(cfg, st, log, opts.Now, orgs, email, mailAddr); err != nil {
		closeSchemas(schemas)
		return nil, err
	}

	mux := http.NewServeMux()
	services := map[string]http.Handler{
		"portal":  soapEndpoint("portal", me.RolePortal, xsd.Portal, portalOperations(portalService{eServices: catalogue, store: st, tickets: s.tickets, mail: mailAddr})),
		"catalog": soapEndpoint("catalog", me.RoleCatalog, xsd.Catalog, catalogOperations(catalogService{catalogue})),
		"etjanst": soapEndpoint("etjanst", me.RoleEService, xsd.EService, eServiceOperations(eServiceService{store: st, tickets: s.tickets})),
	}
	for name, h := range services {
		mux.Handle("POST /soap/"+name, auth.requireClient(h))
		mux.Handle("GET /soap/"+name, s.serveWSDL(name))
	}
	caseSystems := map[string][]me.Client{}
	for _, c := range cfg.Clients() {
		if c.Role == me.RoleCaseSystem {
			caseSystems[c.OrganisationNumber] = append(caseSystems[c.OrganisationNumber], c)
		}
	}
	mux.Handle("POST /shs/rs", auth.requireClient(&shsReceiver{
		cfg: cfg.SHS, store: st, log: log, labelSchema: schemas[xsd.SHSLabel], signalSchema: schemas[xsd.Signal],
		organisations: orgs, caseSystems: caseSystems, now: opts.Now,
	}))
	mux.Handle("GET /wsdl/", http.StripPrefix("/wsdl/", http.FileServerFS(wsdl.Files())))
	mux.Handle("GET /xsd/", http.StripPrefix("/xsd/", http.FileServerFS(xsd.Files())))
	if d := cfg.Demo; d.Enabled {
		h, err := demo.New(demo.Config{SOAPBase: "http://" + cfg.HTTP.Addr, PortalUser: d.PortalClient, PortalPassword: d.PortalPassword.Reveal(),
			EServiceUser: d.EServiceClient, EServicePassword: d.EServicePassword.Reveal(), Organisation: cfg.Organisations()[0].Number})
		if err != nil {
			closeSchemas(schemas)
			return nil, fmt.Errorf("demo: %w", err)
		}
		mux.Handle(demo.Prefix, h)
		log.Warn("demo pages are on at /demo/: their login is fake; never enable demo outside a loopback test machine")
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", s.ready)
	mux.Handle("GET /metrics", onlyFrom(cfg.HTTP.MetricsFrom, metricsHandler(st, opts.Now)))
	s.handler = s.logRequests(mux)
	return s, nil
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Close frees the parsed schemas.
func (s *Server) Close() { closeSchemas(s.schemas) }

func closeSchemas(m map[string]*xsd.Schema) {
	for _, sc := range m {
		sc.Close()
	}
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.WithError(err).Warn("readiness: store unreachable")
		http.Error(w, "store unreachable", http.StatusServiceUnavailable)
		return
	}
	if len(s.schemas) == 0 {
		http.Error(w, "schemas not loaded", http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ready")
}

// serveWSDL answers GET /soap/NAME?wsdl with the contract, its
// soap:address set to the URL it was asked on and its schema imports made
// absolute, so that every client generator resolves them the same way.
func (s *Server) serveWSDL(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.EqualFold(r.URL.RawQuery, "wsdl") {
			http.Error(w, "this is a SOAP endpoint: POST SOAP 1.1 requests here, or GET ?wsdl for its contract", http.StatusMethodNotAllowed)
			return
		}
		raw, err := fs.ReadFile(wsdl.Files(), name+".wsdl")
		if err != nil {
			s.logError(r, err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		base := s.baseURL(r)
		doc := strings.Replace(string(raw), `schemaLocation="../xsd/`, `schemaLocation="`+base+`/xsd/`, -1)
		doc = addressPattern.ReplaceAllString(doc, `<soap:address location="`+xmlAttr(base+"/soap/"+name)+`"/>`)
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		fmt.Fprint(w, doc)
	})
}

// baseURL is the configured public URL, or the scheme and host the request
// came to.
func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.HTTP.PublicURL != "" {
		return strings.TrimRight(s.cfg.HTTP.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

var addressPattern = regexp.MustCompile(`<soap:address location="[^"]*"\s*/>`)

func xmlAttr(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// requestInfo is what the request log line reports, filled in as the
// request is handled.
type requestInfo struct {
	ID, Client, Operation, Fault string
}

type requestInfoKey struct{}

func requestInfoFrom(ctx context.Context) *requestInfo {
	if info, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		return info
	}
	return &requestInfo{}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// logRequests writes one line per request. It logs the path, never the
// query string or a body, which may carry tickets or personal data.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{ID: newRequestID()}
		w.Header().Set("X-Request-Id", info.ID)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info)))
		fields := logrus.Fields{
			"request_id":  info.ID,
			"method":      r.Method,
			"path":        r.URL.Path,
			"status":      rec.status,
			"duration_ms": float64(time.Since(start).Microseconds()) / 1000,
			"remote":      r.RemoteAddr,
		}
		if info.Client != "" {
			fields["client"] = info.Client
		}
		if info.Operation != "" {
			fields["operation"] = info.Operation
		}
		if info.Fault != "" {
			fields["fault"] = info.Fault
		}
		s.log.WithFields(fields).Info("request")
	})
}

func (s *Server) logError(r *http.Request, err error) {
	s.log.WithError(err).WithField("request_id", requestInfoFrom(r.Context()).ID).Error("request failed")
}

func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// RunBackground starts the work ME does besides answering requests: the
// ticket purge and the notifier, which sends notifications and citizens'
// messages to case handlers. It stops when ctx is done.
func (s *Server) RunBackground(ctx context.Context) {
	go s.tickets.purge(ctx, s.cfg.Tickets.PurgeInterval, func(n int64, err error) {
		if err != nil {
			s.log.WithError(err).Warn("purging tickets failed")
		} else if n > 0 {
			s.log.WithField("tickets", n).Debug("purged expired tickets")
		}
	})
	go s.notifier.run(ctx, time.Second)
}

// ListenAndServe serves until ctx is done, then shuts down gracefully.
// Plain HTTP is served only on a loopback address.
func (s *Server) ListenAndServe(ctx context.Context) error {
	h := s.cfg.HTTP
	tlsConfig, err := serverTLS(h)
	if err != nil {
		return err
	}
	if tlsConfig == nil && !config.IsLoopback(h.Addr) {
		return fmt.Errorf("http.addr %s is not a loopback address, and ME serves other addresses only over TLS: "+
			"set http.tls.cert_file and http.tls.key_file (and http.tls.client_ca_file for mutual TLS), or listen on 127.0.0.1", h.Addr)
	}
	ln, err := net.Listen("tcp", h.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", h.Addr, err)
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       h.ReadTimeout,
		WriteTimeout:      h.WriteTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          nil,
	}
	scheme := "http"
	if tlsConfig != nil {
		srv.TLSConfig = tlsConfig
		ln = tls.NewListener(ln, tlsConfig)
		scheme = "https"
	}
	s.log.WithFields(logrus.Fields{"addr": ln.Addr().String(), "url": scheme + "://" + ln.Addr().String() + "/soap/portal?wsdl"}).Info("listening")
	bgCtx, stopBackground := context.WithCancel(ctx)
	defer stopBackground()
	s.RunBackground(bgCtx)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), h.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// serverTLS builds the TLS configuration, or nil when TLS is not configured.
func serverTLS(h config.HTTP) (*tls.Config, error) {
	if !h.TLSEnabled() {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(h.TLS.CertFile, h.TLS.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("http.tls: load certificate: %w", err)
	}
	c := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if h.TLS.ClientCAFile != "" {
		pem, err := os.ReadFile(h.TLS.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("http.tls.client_ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("http.tls.client_ca_file: %s holds no PEM certificate", h.TLS.ClientCAFile)
		}
		c.ClientCAs = pool
		c.ClientAuth = tls.VerifyClientCertIfGiven
		if h.TLS.RequireClientCert {
			c.ClientAuth = tls.RequireAndVerifyClientCert
		}
	}
	return c, nil
}
