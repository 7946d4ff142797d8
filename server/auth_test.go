package server

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/server/testpki"
)

func TestMetricsOnlyFromAllowedNetworks(t *testing.T) {
	h := onlyFrom([]string{"10.1.2.0/24"}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for addr, want := range map[string]int{"127.0.0.1:5000": 200, "[::1]:5000": 200, "10.1.2.7:5000": 200, "192.0.2.1:5000": 403} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/metrics", nil)
		req.RemoteAddr = addr
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("/metrics from %s: %d; want %d", addr, rec.Code, want)
		}
	}
}

// TestSOAPCertificateAndBasic: the SOAP services take a verified
// certificate only when it is configured for a client, and Basic
// credentials beside a certificate only when both name the same client.
func TestSOAPCertificateAndBasic(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	ca := testpki.NewCA(t)
	configured := ca.Issue(t, "portal-a", orgA, x509.ExtKeyUsageClientAuth).Leaf
	unconfigured := ca.Issue(t, "portal", orgA, x509.ExtKeyUsageClientAuth).Leaf
	sum := sha256.Sum256(configured.Raw)
	auth := newAuthenticator([]me.Client{
		{Name: "portal-a", OrganisationNumber: orgA, Role: me.RolePortal, SecretHash: string(hash), CertFingerprint: hex.EncodeToString(sum[:])},
		{Name: "portal-b", OrganisationNumber: orgB, Role: me.RolePortal, SecretHash: string(hash)},
	}, time.Now)
	h := auth.requireClient(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := clientFrom(r.Context())
		io.WriteString(w, c.Name)
	}))
	// want[certificate] is the client for no Basic, portal-a's and
	// portal-b's; "" is 401.
	for name, tt := range map[string]struct {
		cert *x509.Certificate
		want [3]string
	}{
		"none":         {nil, [3]string{"", "portal-a", "portal-b"}},
		"configured":   {configured, [3]string{"portal-a", "portal-a", ""}},
		"unconfigured": {unconfigured, [3]string{"", "", ""}},
	} {
		for i, basic := range []string{"", "portal-a", "portal-b"} {
			req := httptest.NewRequest("POST", "/soap/portal", nil)
			if tt.cert != nil {
				req.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{tt.cert}, VerifiedChains: [][]*x509.Certificate{{tt.cert, ca.Cert}}}
			}
			if basic != "" {
				req.SetBasicAuth(basic, pw)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			got := rec.Body.String()
			if rec.Code == http.StatusUnauthorized {
				got = ""
			}
			if got != tt.want[i] {
				t.Errorf("certificate %s, Basic %q: %d %q; want client %q", name, basic, rec.Code, rec.Body.String(), tt.want[i])
			}
		}
	}
}
