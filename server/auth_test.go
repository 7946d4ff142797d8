package server

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
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
	auth, err := newAuthenticator([]me.Client{
		{Name: "portal-a", OrganisationNumber: orgA, Role: me.RolePortal, SecretHash: string(hash), CertFingerprint: hex.EncodeToString(sum[:])},
		{Name: "portal-b", OrganisationNumber: orgB, Role: me.RolePortal, SecretHash: string(hash)},
	}, time.Now)
	if err != nil {
		t.Fatal(err)
	}
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

// TestCertificateSubjects: a certificate whose subject is CN, O, C, in
// that order, is known by the cert_subject openssl -nameopt RFC2253
// prints for it (C first), as by any other order of the same attributes;
// the 401 for one that is not configured shows that text to copy.
func TestCertificateSubjects(t *testing.T) {
	ca := testpki.NewCA(t)
	rdns := func(cn, o string) pkix.RDNSequence {
		return pkix.RDNSequence{
			{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: cn}},
			{{Type: asn1.ObjectIdentifier{2, 5, 4, 10}, Value: o}},
			{{Type: asn1.ObjectIdentifier{2, 5, 4, 6}, Value: "SE"}},
		}
	}
	portal := ca.IssueSubject(t, rdns("portal.kommun.example", "Göteborgs stad"), x509.ExtKeyUsageClientAuth).Leaf
	unknown := ca.IssueSubject(t, rdns("annan.kommun.example", "Annan kommun"), x509.ExtKeyUsageClientAuth).Leaf
	for _, subject := range []string{
		`C=SE,O=G\C3\B6teborgs stad,CN=portal.kommun.example`, // openssl -nameopt RFC2253
		"CN=portal.kommun.example,O=Göteborgs stad,C=SE",
		"c=se, o=Göteborgs Stad, cn=portal.kommun.example",
	} {
		auth, err := newAuthenticator([]me.Client{{Name: "portal-a", OrganisationNumber: orgA, Role: me.RolePortal, CertSubject: subject}}, time.Now)
		if err != nil {
			t.Fatal(err)
		}
		h := auth.requireClient(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, _ := clientFrom(r.Context())
			io.WriteString(w, c.Name)
		}))
		for cert, want := range map[*x509.Certificate]string{
			portal:  "portal-a",
			unknown: `the client certificate C=SE,O=Annan kommun,CN=annan.kommun.example is not configured for any client`,
		} {
			req := httptest.NewRequest("POST", "/soap/portal", nil)
			req.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{cert}, VerifiedChains: [][]*x509.Certificate{{cert, ca.Cert}}}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if got := strings.TrimSpace(rec.Body.String()); got != want {
				t.Errorf("cert_subject %q, certificate %s: %d %q; want %q", subject, cert.Subject, rec.Code, got, want)
			}
		}
	}
	if _, err := newAuthenticator([]me.Client{{Name: "portal-a", CertSubject: "CN=a;O=b"}}, time.Now); err == nil || !strings.Contains(err.Error(), "portal-a") {
		t.Errorf("a cert_subject that is no subject: %v", err)
	}
}
