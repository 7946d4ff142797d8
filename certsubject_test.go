package me

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minaengagemang/me/server/testpki"
)

var (
	oidCN     = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidSerial = asn1.ObjectIdentifier{2, 5, 4, 5}
	oidC      = asn1.ObjectIdentifier{2, 5, 4, 6}
	oidO      = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidEmail  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
)

func rdn(attrs ...pkix.AttributeTypeAndValue) pkix.RelativeDistinguishedNameSET { return attrs }
func attr(oid asn1.ObjectIdentifier, v any) pkix.AttributeTypeAndValue {
	return pkix.AttributeTypeAndValue{Type: oid, Value: v}
}

// TestSubjectMatching: a cert_subject matches the subject of a real
// certificate, issued with exactly these RDNs in their order, whatever
// order and case it is written in, as openssl -nameopt RFC2253 prints it
// included; a subject with an attribute more, less or other does not.
func TestSubjectMatching(t *testing.T) {
	ca := testpki.NewCA(t)
	bmp := asn1.RawValue{Tag: asn1.TagBMPString, Bytes: []byte{0, 0xC5, 0, 's', 0, 'a'}} // "Åsa"
	for _, tt := range []struct {
		name    string
		subject pkix.RDNSequence
		openssl string // what openssl x509 -noout -subject -nameopt RFC2253 prints, without "subject="
		match   []string
		differ  []string
	}{{
		name:    "CN, O, C in that order",
		subject: pkix.RDNSequence{rdn(attr(oidCN, "arende.kommun.example")), rdn(attr(oidO, "Demo kommun")), rdn(attr(oidC, "SE"))},
		openssl: "C=SE,O=Demo kommun,CN=arende.kommun.example",
		match: []string{
			"CN=arende.kommun.example,O=Demo kommun,C=SE", // the certificate's order, and Go's
			"cn=Arende.Kommun.Example, o=Demo  kommun , c=se",
			"2.5.4.6=SE,2.5.4.10=#0c0b44656d6f206b6f6d6d756e,CN=arende.kommun.example",
			"C=SE+O=Demo kommun+CN=arende.kommun.example",
			"commonName=arende.kommun.example,organizationName=Demo kommun,countryName=SE",
		},
		differ: []string{
			"C=SE,O=Demo kommun",
			"C=SE,O=Demo kommun,CN=arende.kommun.example,OU=IT",
			"C=SE,O=Annan kommun,CN=arende.kommun.example",
			"C=SE,O=Demo kommun,CN=arende.kommun.example,CN=arende.kommun.example",
			"C=SE,O=Demokommun,CN=arende.kommun.example",
		},
	}, {
		name: "a Swedish organisation certificate: serialNumber, UTF-8",
		subject: pkix.RDNSequence{rdn(attr(oidC, "SE")), rdn(attr(oidO, "Göteborgs stad")),
			rdn(attr(oidSerial, "SE2120009994-0001")), rdn(attr(oidCN, "Ärendesystemet, bygg"))},
		openssl: `CN=\C3\84rendesystemet\, bygg,serialNumber=SE2120009994-0001,O=G\C3\B6teborgs stad,C=SE`,
		match: []string{
			`SERIALNUMBER=SE2120009994-0001,CN=Ärendesystemet\, bygg,O=Göteborgs stad,C=SE`, // as Go prints it
			`C=SE,O=GÖTEBORGS STAD,serialNumber=se2120009994-0001,CN=ärendesystemet\2C bygg`,
		},
		differ: []string{
			`CN=Ärendesystemet,serialNumber=SE2120009994-0001,O=Göteborgs stad,C=SE`,
			`CN=Ärendesystemet\, bygg,serialNumber=SE2120009995-0001,O=Göteborgs stad,C=SE`,
			`CN=Ärendesystemet\, bygg,SN=SE2120009994-0001,O=Göteborgs stad,C=SE`, // SN is surname
		},
	}, {
		name:    "a multi-valued RDN, an IA5String e-mail, a BMPString",
		subject: pkix.RDNSequence{rdn(attr(oidC, "SE")), rdn(attr(oidCN, bmp), attr(oidSerial, "2120009994")), rdn(attr(oidEmail, asn1.RawValue{Tag: asn1.TagIA5String, Bytes: []byte("asa@kommun.example")}))},
		openssl: `emailAddress=asa@kommun.example,serialNumber=2120009994+CN=\C3\85sa,C=SE`,
		match: []string{
			"C=SE,CN=Åsa,serialNumber=2120009994,E=asa@kommun.example",
			"1.2.840.113549.1.9.1=#1612617361406b6f6d6d756e2e6578616d706c65,CN=Åsa+serialNumber=2120009994,C=SE",
			"1.2.840.113549.1.9.1=#0c12617361406b6f6d6d756e2e6578616d706c65,CN=Åsa+serialNumber=2120009994,C=SE", // as Go prints it
		},
		differ: []string{"emailAddress=asa@kommun.example,CN=Asa+serialNumber=2120009994,C=SE"},
	}} {
		t.Run(tt.name, func(t *testing.T) {
			cert := ca.IssueSubject(t, tt.subject, x509.ExtKeyUsageClientAuth).Leaf
			want, err := SubjectKeyOf(cert.RawSubject)
			if err != nil {
				t.Fatal(err)
			}
			checkOpenSSL(t, cert, tt.openssl)
			var seq pkix.RDNSequence
			if _, err := asn1.Unmarshal(cert.RawSubject, &seq); err != nil {
				t.Fatal(err)
			}
			for _, text := range append([]string{tt.openssl, cert.Subject.String(), seq.String()}, tt.match...) {
				if got, err := SubjectKey(text); err != nil || got != want {
					t.Errorf("%q does not match the certificate (%v)", text, err)
				}
			}
			for _, text := range tt.differ {
				if got, err := SubjectKey(text); err != nil || got == want {
					t.Errorf("%q matches the certificate, or is refused (%v)", text, err)
				}
			}
		})
	}
}

// checkOpenSSL checks, where openssl is installed, that it prints the
// certificate's subject as the test says.
func checkOpenSSL(t *testing.T, cert *x509.Certificate, want string) {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Log("openssl is not installed; its output is taken as written")
		return
	}
	path := filepath.Join(t.TempDir(), "cert.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("openssl", "x509", "-noout", "-subject", "-nameopt", "RFC2253", "-in", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimPrefix(strings.TrimSpace(string(out)), "subject="); got != want {
		t.Errorf("openssl prints %q; the test says %q", got, want)
	}
}

// TestSubjectErrors: text that is not a subject gets an error saying what
// to fix.
func TestSubjectErrors(t *testing.T) {
	for text, want := range map[string]string{
		"":                        "empty",
		"arende.kommun.example":   "no '='",
		"CN=a,":                   "ends with a ','",
		"Organisation=Demo":       `"Organisation" is unknown`,
		"=Demo":                   "no type",
		"subject=CN=a,O=b":        `"subject="`,
		"CN=a;O=b":                `unescaped ';'`,
		`CN=a\q`:                  `escapes nothing`,
		`CN=\C3`:                  "not UTF-8",
		"CN=#zz":                  "not the hex of one DER value",
		"CN=#0c01610c0161,O=Demo": "more than one value",
	} {
		_, err := SubjectKey(text)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v; want an error with %q", text, err, want)
		}
	}
}
