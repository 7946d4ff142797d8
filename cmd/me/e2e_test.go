package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minaengagemang/me/server/testpki"
)

// The end-to-end tests drive the real binary, built once.
var meBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "me-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	meBinary = filepath.Join(dir, "me")
	if out, err := exec.Command("go", "build", "-o", meBinary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build me: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startME runs `me serve` with the given configuration file and
// environment, waits until it answers /healthz on addr, and stops it when
// the test ends.
func startME(t *testing.T, configFile, addr string, env ...string) (logs *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(meBinary, "serve", "--config", configFile)
	cmd.Env = os.Environ()
	if filepath.Base(configFile) == "demo.yaml" {
		cmd.Env = append(cmd.Env, demoInbound)
	}
	cmd.Env = append(cmd.Env, env...)
	logs = &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
	})
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.Fatalf("me serve exited: %v\n%s", err, logs)
		default:
		}
		for _, scheme := range []string{"http", "https"} {
			if resp, err := client.Get(scheme + "://" + addr + "/healthz"); err == nil {
				resp.Body.Close()
				return logs
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("me serve did not answer on %s\n%s", addr, logs)
	return nil
}

// demoInbound moves demo.yaml's reply listener (127.0.0.1:2525) to a
// free port, so that tests never collide with `make run` or each other; a
// test that sends replies sets ME_INBOUND_MAIL_ADDR after it.
const demoInbound = "ME_INBOUND_MAIL_ADDR=127.0.0.1:0"

func demoEnv(t *testing.T, addr string) []string {
	return []string{"ME_HTTP_ADDR=" + addr, "ME_DATABASE_DSN=" + filepath.Join(t.TempDir(), "me.db"), "ME_LOG_FORMAT=json"}
}

// TestDemoServesContractsToZeep starts ME as `make run` does and has
// python3-zeep, an independent SOAP stack, read every WSDL, as served with
// its schemas imported (?wsdl) and inlined (?singleWsdl).
func TestDemoServesContractsToZeep(t *testing.T) {
	addr := freeAddr(t)
	logs := startME(t, "../../config/demo.yaml", addr, demoEnv(t, addr)...)
	operations := map[string][]string{
		"portal": {"ListEServices", "GetEService", "CreateStartTicket", "ListCases", "GetCase", "MarkEventRead",
			"GetAttachment", "SendMessageToHandler", "CreateCompletionTicket", "ArchiveCase", "GetCitizenProfile", "UpdateCitizenProfile"},
		"catalog": {"PublishEService", "WithdrawEService", "ListOwnEServices"},
		"etjanst": {"RedeemTicket", "ReportCompletion"},
	}
	for svc, ops := range operations {
		for _, query := range []string{"?wsdl", "?singleWsdl"} {
			url := "http://" + addr + "/soap/" + svc + query
			out, err := exec.Command("/usr/bin/python3", "-m", "zeep", url).CombinedOutput()
			if err != nil {
				t.Fatalf("python3 -m zeep %s: %v (install Debian's python3-zeep)\n%s", url, err, out)
			}
			_, listed, found := strings.Cut(string(out), "Operations:")
			if !found {
				t.Fatalf("zeep lists no operations for %s:\n%s", url, out)
			}
			for _, op := range ops {
				if !strings.Contains(listed, op+"(") {
					t.Errorf("zeep does not list %s.%s from %s", svc, op, url)
				}
			}
			if strings.Contains(string(out), "Traceback") || strings.Contains(string(out), "Unresolved") {
				t.Errorf("zeep reports a problem with %s:\n%s", url, out)
			}
		}
	}
	// The demo portal is on, in Swedish.
	resp, err := http.Get("http://" + addr + "/demo/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), `lang="sv"`) || !strings.Contains(string(page), "Logga in") {
		t.Errorf("GET /demo/: %d\n%.300s", resp.StatusCode, page)
	}
	if !strings.Contains(logs.String(), `"msg":"published configured e-service"`) {
		t.Errorf("the demo e-services were not published:\n%s", logs)
	}
}

func TestRefusesNonLoopbackWithoutTLS(t *testing.T) {
	_, port, _ := net.SplitHostPort(freeAddr(t))
	cmd := exec.Command(meBinary, "serve", "--config", "../../config/demo.yaml")
	cmd.Env = append(os.Environ(), demoInbound, "ME_HTTP_ADDR=0.0.0.0:"+port, "ME_DEMO_ENABLED=false", "ME_DATABASE_DSN="+filepath.Join(t.TempDir(), "me.db"))
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("me serve on 0.0.0.0 without TLS started:\n%s", out)
	}
	if !strings.Contains(string(out), "not a loopback address") || !strings.Contains(string(out), "http.tls.cert_file") {
		t.Errorf("the refusal does not say why and what to set:\n%s", out)
	}
}

// TestMutualTLS serves with a client CA: a client without a certificate is
// refused at the handshake; one with a configured certificate is the
// client it was configured as, without any password.
func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca := testpki.NewCA(t)
	ca.WritePEM(t, filepath.Join(dir, "ca.pem"))
	testpki.WriteKeyPair(t, ca.Issue(t, "localhost", "", x509.ExtKeyUsageServerAuth), filepath.Join(dir, "server"))
	clientCert := ca.Issue(t, "demo-catalog", demoOrg, x509.ExtKeyUsageClientAuth)
	testpki.WriteKeyPair(t, clientCert, filepath.Join(dir, "client"))
	fingerprint := sha256.Sum256(clientCert.Leaf.Raw)

	addr := freeAddr(t)
	cfg := fmt.Sprintf(`
http:
  addr: %s
  tls:
    cert_file: %s/server.crt
    key_file: %s/server.key
    client_ca_file: %s/ca.pem
    require_client_cert: true
database:
  dsn: %s/me.db
organisations:
  - number: "2120009994"
    name: Demo kommun
clients:
  - name: cert-catalog
    organisation: "2120009994"
    role: catalog
    cert_fingerprint: %s
`, addr, dir, dir, dir, dir, hex.EncodeToString(fingerprint[:]))
	cfgFile := filepath.Join(dir, "me.yaml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	roots := ca.Pool()

	cmd := exec.Command(meBinary, "serve", "--config", cfgFile)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() })

	call := func(certs []tls.Certificate) (*http.Response, error) {
		client := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: certs, ServerName: "localhost"}}}
		body := `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><ListOwnEServices xmlns="http://minaengagemang.se/catalog/v1"/></s:Body></s:Envelope>`
		req, _ := http.NewRequestWithContext(context.Background(), "POST", "https://"+addr+"/soap/catalog", strings.NewReader(body))
		req.Header.Set("Content-Type", "text/xml; charset=utf-8")
		return client.Do(req)
	}
	withCert, err := tls.LoadX509KeyPair(filepath.Join(dir, "client.crt"), filepath.Join(dir, "client.key"))
	if err != nil {
		t.Fatal(err)
	}
	var resp *http.Response
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if resp, err = call([]tls.Certificate{withCert}); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("a client with a configured certificate: %v\n%s", err, logs.String())
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "ListOwnEServicesResponse") {
		t.Errorf("a client with a configured certificate got %d:\n%s", resp.StatusCode, body)
	}
	if _, err := call(nil); err == nil {
		t.Error("a client without a certificate was served")
	}
	if !strings.Contains(logs.String(), `"client":"cert-catalog"`) {
		t.Errorf("the request log does not name the certificate's client:\n%s", logs.String())
	}
}

func TestValidateSignals(t *testing.T) {
	good, _ := filepath.Glob("../../docs/examples/signal-*.xml")
	if len(good) < 4 {
		t.Fatalf("want example signals, found %v", good)
	}
	out, err := exec.Command(meBinary, append([]string{"validate"}, good...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("me validate on the examples: %v\n%s", err, out)
	}
	cmd := exec.Command(meBinary, "validate", "../../docs/examples/invalid/signal-broken.xml")
	out, err = cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 1 {
		t.Fatalf("me validate on a broken signal: exit %d (%v); want 1\n%s", cmd.ProcessState.ExitCode(), err, out)
	}
	example, _ := os.ReadFile("../../docs/examples/signal-message.xml")
	withDTD := filepath.Join(t.TempDir(), "dtd.xml")
	os.WriteFile(withDTD, bytes.Replace(example, []byte("?>"), []byte("?>\n<!DOCTYPE signal [<!ENTITY x \"y\">]>"), 1), 0o644)
	if out, err := exec.Command(meBinary, "validate", withDTD).CombinedOutput(); err == nil || !strings.Contains(string(out), "DOCTYPE") {
		t.Errorf("me validate on a signal with a DOCTYPE: %v\n%s", err, out)
	}
	// The receiver's rules beyond the schema too: ME refuses this signal
	// (IllegalDatapartContent), so me validate must.
	wrongDigit := filepath.Join(t.TempDir(), "pnr.xml")
	os.WriteFile(wrongDigit, bytes.Replace(example, []byte("198112289874"), []byte("198112289875"), 1), 0o644)
	if out, err := exec.Command(meBinary, "validate", wrongDigit).CombinedOutput(); err == nil || !strings.Contains(string(out), "not a valid personnummer") {
		t.Errorf("me validate on a personnummer with a wrong control digit: %v\n%s", err, out)
	}
	for _, line := range []string{":27:", ":52:", ":100:"} {
		if !strings.Contains(string(out), "signal-broken.xml"+line) {
			t.Errorf("me validate does not report the error on line %s:\n%s", strings.Trim(line, ":"), out)
		}
	}
}
