package server

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/server/requestlog"
	"github.com/minaengagemang/me/server/soap"
)

type identityKey struct{}

// identity is who sent a request, and how ME knows.
type identity struct {
	client me.Client
	// unconfiguredCert is a verified client certificate configured for no
	// client that came with the Basic credentials of client. Only the SHS
	// receiver lets such a request in, and only from the organisation the
	// certificate names (see shsReceiver.checkLabel).
	unconfiguredCert *x509.Certificate
}

func withIdentity(ctx context.Context, id identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// clientFrom returns the authenticated client of a request.
func clientFrom(ctx context.Context) (me.Client, bool) {
	id, ok := ctx.Value(identityKey{}).(identity)
	return id.client, ok
}

// unconfiguredCertFrom returns the verified certificate configured for no
// client that came with the request's Basic credentials, or nil.
func unconfiguredCertFrom(ctx context.Context) *x509.Certificate {
	id, _ := ctx.Value(identityKey{}).(identity)
	return id.unconfiguredCert
}

// authenticator identifies the system client behind a request by its TLS
// client certificate, when it presents one that the configured CA verified,
// and by HTTP Basic (client name and secret). Credentials that come must
// all be right and name one client.
type authenticator struct {
	byName        map[string]me.Client
	byFingerprint map[string]me.Client
	bySubject     map[string]me.Client
	// bcrypt is deliberately slow (~50 ms); verified Basic credentials are
	// remembered for a while so that a portal's every call does not pay it.
	mu       sync.Mutex
	verified map[[32]byte]time.Time
	ttl      time.Duration
	now      func() time.Time
}

func newAuthenticator(clients []me.Client, now func() time.Time) (*authenticator, error) {
	a := &authenticator{
		byName:        map[string]me.Client{},
		byFingerprint: map[string]me.Client{},
		bySubject:     map[string]me.Client{},
		verified:      map[[32]byte]time.Time{},
		ttl:           5 * time.Minute,
		now:           now,
	}
	for _, c := range clients {
		a.byName[c.Name] = c
		if c.CertFingerprint != "" {
			a.byFingerprint[c.CertFingerprint] = c
		}
		if c.CertSubject != "" {
			key, err := me.SubjectKey(c.CertSubject)
			if err != nil {
				return nil, fmt.Errorf("client %q: cert_subject %q: %w", c.Name, c.CertSubject, err)
			}
			a.bySubject[key] = c
		}
	}
	return a, nil
}

// authenticate returns who sent the request, or false with a reason safe
// to show. An identity with an unconfiguredCert is the caller's to accept
// or refuse.
func (a *authenticator) authenticate(r *http.Request) (identity, string, bool) {
	cert := verifiedCert(r)
	var byCert *me.Client
	if cert != nil {
		sum := sha256.Sum256(cert.Raw)
		if c, ok := a.byFingerprint[hex.EncodeToString(sum[:])]; ok {
			byCert = &c
		} else if key, err := me.SubjectKeyOf(cert.RawSubject); err == nil {
			if c, ok := a.bySubject[key]; ok {
				byCert = &c
			}
		}
	}
	if _, _, ok := r.BasicAuth(); !ok {
		switch {
		case byCert != nil:
			return identity{client: *byCert}, "", true
		case cert != nil:
			return identity{}, "the client certificate " + subjectText(cert) + " is not configured for any client", false
		}
		return identity{}, "authentication required: present a client certificate or HTTP Basic credentials", false
	}
	c, reason, ok := a.basic(r)
	switch {
	case !ok:
		return identity{}, reason, false
	case byCert != nil && byCert.Name != c.Name:
		return identity{}, fmt.Sprintf("the client certificate is client %q's, the HTTP Basic credentials client %q's; send one client's credentials", byCert.Name, c.Name), false
	case byCert == nil && cert != nil:
		return identity{client: c, unconfiguredCert: cert}, "", true
	}
	return identity{client: c}, "", true
}

// basic checks the request's HTTP Basic credentials.
func (a *authenticator) basic(r *http.Request) (me.Client, string, bool) {
	name, secret, _ := r.BasicAuth()
	c, known := a.byName[name]
	if !known || c.SecretHash == "" {
		// Spend the same time as for a wrong secret, so that timing does
		// not tell which client names exist.
		bcrypt.CompareHashAndPassword([]byte(dummyHash), []byte(secret))
		return me.Client{}, "unknown client or wrong secret", false
	}
	if a.remembered(name, secret, c.SecretHash) {
		return c, "", true
	}
	if bcrypt.CompareHashAndPassword([]byte(c.SecretHash), []byte(secret)) != nil {
		return me.Client{}, "unknown client or wrong secret", false
	}
	a.remember(name, secret, c.SecretHash)
	return c, "", true
}

// dummyHash is a bcrypt hash of nothing anyone knows.
const dummyHash = "$2a$10$lOd4kuPuf87zUYSGYEa27eUZVxMx27T8HZo7ujcdql8CRTCU9RmzC"

func credentialKey(name, secret, hash string) [32]byte {
	return sha256.Sum256([]byte(name + "\x00" + secret + "\x00" + hash))
}

func (a *authenticator) remembered(name, secret, hash string) bool {
	key := credentialKey(name, secret, hash)
	a.mu.Lock()
	defer a.mu.Unlock()
	until, ok := a.verified[key]
	return ok && a.now().Before(until)
}

func (a *authenticator) remember(name, secret, hash string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	for k, until := range a.verified {
		if !now.Before(until) {
			delete(a.verified, k)
		}
	}
	a.verified[credentialKey(name, secret, hash)] = now.Add(a.ttl)
}

// requireClient authenticates every request it passes on; others get 401.
// A verified certificate configured for no client gets 401 too, Basic
// credentials or not: the SOAP services know a client's certificate only
// by its configuration.
func (a *authenticator) requireClient(next http.Handler) http.Handler {
	return a.require(false, next)
}

// requireSender is requireClient for the SHS receiver, which also lets in
// Basic credentials that come with a verified certificate configured for
// no client, as SHS organisation certificates do: the receiver then
// requires the certificate to name the sending organisation.
func (a *authenticator) requireSender(next http.Handler) http.Handler {
	return a.require(true, next)
}

func (a *authenticator) require(unconfiguredCert bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, reason, ok := a.authenticate(r)
		if ok && id.unconfiguredCert != nil && !unconfiguredCert {
			ok, reason = false, "the client certificate "+subjectText(id.unconfiguredCert)+" is not configured for any client; this service does not take HTTP Basic credentials beside it"
		}
		if !ok {
			w.Header().Set("WWW-Authenticate", `Basic realm="Mina Engagemang", charset="UTF-8"`)
			http.Error(w, reason, http.StatusUnauthorized)
			return
		}
		requestlog.From(r.Context()).Client = id.client.Name
		next.ServeHTTP(w, r.WithContext(withIdentity(r.Context(), id)))
	})
}

// verifiedCert is the client certificate the configured CA verified, or nil.
func verifiedCert(r *http.Request) *x509.Certificate {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 {
		return nil
	}
	return r.TLS.PeerCertificates[0]
}

// subjectText is the certificate's subject as openssl -nameopt RFC2253
// prints it, the last RDN first: text a cert_subject may be copied from.
func subjectText(cert *x509.Certificate) string {
	var rdns pkix.RDNSequence
	if rest, err := asn1.Unmarshal(cert.RawSubject, &rdns); err != nil || len(rest) > 0 {
		return cert.Subject.String()
	}
	return rdns.String()
}

// requireRole lets through only clients with the role the service serves;
// others get a Forbidden fault.
func requireRole(role me.Role, service string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, _ := clientFrom(r.Context()); c.Role != role {
			soap.WriteFault(w, r, http.StatusInternalServerError, &me.Error{Code: me.CodeForbidden,
				Message: fmt.Sprintf("client %q has role %s; the %s service serves clients with role %s", c.Name, c.Role, service, role)})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// onlyFrom lets requests through from loopback and the given networks, and
// answers 403 to others.
func onlyFrom(cidrs []string, next http.Handler) http.Handler {
	var nets []*net.IPNet
	for _, c := range cidrs {
		if _, n, err := net.ParseCIDR(c); err == nil {
			nets = append(nets, n)
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		ip := net.ParseIP(host)
		allowed := ip != nil && ip.IsLoopback()
		for _, n := range nets {
			allowed = allowed || (ip != nil && n.Contains(ip))
		}
		if !allowed {
			http.Error(w, "metrics are served to loopback and the networks in http.metrics_from only", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}
