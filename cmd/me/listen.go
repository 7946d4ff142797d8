package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strings"
	"time"

	"github.com/minaengagemang/me/config"
)

// Run serves HTTP on h.Addr, and runs the background work beside it, until
// ctx is done; then it shuts down gracefully. Plain HTTP is served only on
// a loopback address.
func (a *app) Run(ctx context.Context, h config.HTTP) error {
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
		Handler:           a.server.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       h.ReadTimeout,
		WriteTimeout:      h.WriteTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	scheme := "http"
	if tlsConfig != nil {
		srv.TLSConfig = tlsConfig
		ln = tls.NewListener(ln, tlsConfig)
		scheme = "https"
	}
	base := scheme + "://" + ln.Addr().String()
	if a.publicURL != "" {
		base = strings.TrimRight(a.publicURL, "/")
	}
	urls := newStartURLs(base, a.demoOn)
	// The mail listener first, so that the summary can say where it is.
	if a.inbound != nil {
		mailAddr, stopInbound, err := a.serveInbound()
		if err != nil {
			ln.Close()
			return err
		}
		defer stopInbound()
		urls.Mail = mailAddr
	}
	a.log.WithFields(urls.fields()).WithField("addr", ln.Addr().String()).Info("listening")
	writeSummary(a.summary, urls)
	if h.DebugAddr != "" {
		stopDebug, err := a.serveDebug(h.DebugAddr)
		if err != nil {
			return err
		}
		defer stopDebug()
	}
	bgCtx, stopBackground := context.WithCancel(ctx)
	defer stopBackground()
	notifierDone := a.runBackground(bgCtx)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), h.ShutdownTimeout)
	defer cancel()
	// The notifier claims nothing more and finishes the sends in flight,
	// recording their outcome, while the HTTP server drains its requests.
	stopBackground()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	select {
	case <-notifierDone:
	case <-shutdownCtx.Done():
		a.log.Warn("shutdown_timeout passed with notifications still being sent; their lease lets another node (or the next start) send them again under the same key")
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// serveInbound takes the handler's e-mail replies on inbound_mail.addr
// until the returned stop is called; stop lets a delivery in flight
// finish (briefly) before it closes the sessions. addr is where it listens.
func (a *app) serveInbound() (addr string, stop func(), err error) {
	ln, err := net.Listen("tcp", a.inAddr)
	if err != nil {
		return "", nil, fmt.Errorf("inbound_mail.addr: listen on %s: %w", a.inAddr, err)
	}
	go func() {
		if err := a.inbound.Serve(ln); err != nil {
			a.log.WithError(err).Error("inbound mail: the listener stopped")
		}
	}()
	a.log.WithField("addr", ln.Addr().String()).Info("inbound mail listening")
	return ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.inbound.Shutdown(ctx)
	}, nil
}

// serveDebug serves Go's profiler on addr (validated to be loopback) until
// the returned stop is called.
func (a *app) serveDebug(addr string) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("http.debug_addr: listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // ends with Close
	a.log.WithField("url", "http://"+ln.Addr().String()+"/debug/pprof/").Info("profiler listening")
	return func() { srv.Close() }, nil
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
		c.ClientAuth = tls.VerifyClientCertIfGiven
		c.ClientCAs = pool
		if h.TLS.RequireClientCert {
			c.ClientAuth = tls.RequireAndVerifyClientCert
		}
	}
	return c, nil
}
