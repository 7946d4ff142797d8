package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/server/notify/mail/smtptest"
	"github.com/minaengagemang/me/store/storetest"
)

// slowGateway is an SMS gateway that takes its time, so that sends are in
// flight when ME is killed. It counts requests by client reference.
type slowGateway struct {
	mu      sync.Mutex
	refs    map[string]int
	started int // requests received, finished or not
	srv     *httptest.Server
}

func newSlowGateway(t *testing.T, delay time.Duration) *slowGateway {
	g := &slowGateway{refs: map[string]int{}}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		g.started++
		g.mu.Unlock()
		time.Sleep(delay)
		r.ParseForm()
		g.mu.Lock()
		g.refs[r.Form.Get("reference")]++
		g.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(g.srv.Close)
	return g
}

// counts returns distinct references and total requests.
func (g *slowGateway) counts() (distinct, total int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, n := range g.refs {
		distinct++
		total += n
	}
	return distinct, total
}

func mailCounts(s *smtptest.Server) (distinct, total int) {
	seen := map[string]bool{}
	for _, m := range s.Messages() {
		seen[m.Header.Get("Message-Id")] = true
		total++
	}
	return len(seen), total
}

// notifyConcurrency is how many sends the tests' ME has in flight at once,
// and so the most a kill -9 may repeat.
const notifyConcurrency = 4

// notifyEnv is the environment of a `me serve` that notifies through the
// test's gateways at any hour.
func notifyEnv(addr, driver, dsn string, smtp *smtptest.Server, gw *slowGateway) []string {
	host, port := smtp.Addr()
	return []string{"ME_HTTP_ADDR=" + addr, "ME_DATABASE_DRIVER=" + driver, "ME_DATABASE_DSN=" + dsn, "ME_LOG_FORMAT=json",
		"ME_SMTP_HOST=" + host, "ME_SMTP_PORT=" + strconv.Itoa(port), "ME_SMTP_TLS=none", "ME_SMTP_FROM=Mina Engagemang <no-reply@demo.example>",
		"ME_SMS_PROVIDER=http", "ME_SMS_URL=" + gw.srv.URL + "/send", "ME_SMS_FORMAT=form", "ME_SMS_SENDER=DemoKommun",
		"ME_SMS_BODY=to={{urlquery .To}}&from={{urlquery .From}}&message={{urlquery .Text}}&reference={{urlquery .Reference}}",
		"ME_NOTIFICATIONS_QUIET_START=00:00", "ME_NOTIFICATIONS_QUIET_END=00:00", "ME_NOTIFICATIONS_LEASE=3s",
		"ME_NOTIFICATIONS_CONCURRENCY=" + strconv.Itoa(notifyConcurrency)}
}

// launch starts `me serve` and waits until it answers; the test may kill it.
func launch(t *testing.T, env []string, addr string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(meBinary, "serve", "--config", "../../config/demo.yaml")
	cmd.Env = append(append(os.Environ(), demoInbound), env...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return cmd
			}
		}
	}
	t.Fatalf("me serve did not start on %s:\n%s", addr, logs.String())
	return nil
}

// citizens makes n valid personnummer with profiles wanting SMS and
// e-mail, and one signal file each for a case of their own.
func citizens(t *testing.T, addr string, n int) []string {
	t.Helper()
	example, err := os.ReadFile("../../docs/examples/signal-all-actions.xml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var files []string
	for i := 0; i < n; i++ {
		pnr := ""
		for c := 0; c <= 9 && pnr == ""; c++ {
			if cand := fmt.Sprintf("19800101%03d%d", i+1, c); me.Luhn(cand[2:]) {
				pnr = cand
			}
		}
		body := fmt.Sprintf(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><UpdateCitizenProfile xmlns="http://minaengagemang.se/portal/v1"><profile>`+
			`<personalIdentityNumber xmlns="http://minaengagemang.se/schema/common/v1">%s</personalIdentityNumber>`+
			`<email xmlns="http://minaengagemang.se/schema/common/v1">medborgare%d@exempel.se</email>`+
			`<mobile xmlns="http://minaengagemang.se/schema/common/v1">+4670100%04d</mobile>`+
			`<language xmlns="http://minaengagemang.se/schema/common/v1">sv</language>`+
			`<notificationChannel xmlns="http://minaengagemang.se/schema/common/v1">both</notificationChannel>`+
			`</profile></UpdateCitizenProfile></s:Body></s:Envelope>`, pnr, i, i)
		req, _ := http.NewRequest("POST", "http://"+addr+"/soap/portal", strings.NewReader(body))
		req.Header.Set("Content-Type", "text/xml; charset=utf-8")
		req.SetBasicAuth("demo-portal", "demo")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("UpdateCitizenProfile %d: %v %v", i, err, resp.Status)
		}
		resp.Body.Close()
		sig := bytes.ReplaceAll(example, []byte("191212121212"), []byte(pnr))
		sig = secondCitizen.ReplaceAll(sig, nil)
		sig = bytes.Replace(sig, []byte("<externalId>BN-2026-000123</externalId>"), []byte(fmt.Sprintf("<externalId>C-%d</externalId>", i)), 1)
		file := filepath.Join(dir, fmt.Sprintf("signal-%02d.xml", i))
		os.WriteFile(file, sig, 0o644)
		files = append(files, file)
	}
	return files
}

// secondCitizen is the example's second citizen, whom these tests leave out.
var secondCitizen = regexp.MustCompile(`(?s)<citizen>\s*<personalIdentityNumber>198112289874</personalIdentityNumber>.*?</citizen>`)

// TestNotifierSurvivesSIGKILL kills `me serve` while it sends, restarts it,
// and counts at the receivers: nothing lost, and a repeat only of a send in
// flight at the kill, under the same Message-ID or SMS reference.
func TestNotifierSurvivesSIGKILL(t *testing.T) {
	const n = 20
	smtp := smtptest.Start(t)
	gw := newSlowGateway(t, 150*time.Millisecond)
	addr := freeAddr(t)
	env := notifyEnv(addr, "sqlite", filepath.Join(t.TempDir(), "me.db"), smtp, gw)
	first := launch(t, env, addr)
	files := citizens(t, addr, n)
	if out, code := shsSend(t, addr, files...); code != 0 {
		t.Fatalf("me shs send: exit %d\n%s", code, out)
	}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if d, _ := gw.counts(); d >= 3 {
			break
		}
	}
	first.Process.Kill() // SIGKILL: no shutdown, sends cut off mid-way
	first.Wait()
	atKill, _ := gw.counts()
	if atKill >= n {
		t.Fatalf("all %d SMS were sent before the kill; the test proves nothing", n)
	}

	launch(t, env, addr)
	waitDelivered(t, gw, smtp, n, "after the restart")
	time.Sleep(4 * time.Second) // past a lease: nothing more may come
	smsDistinct, smsTotal := gw.counts()
	mailDistinct, mailTotal := mailCounts(smtp)
	t.Logf("killed after %d SMS; SMS lost %d, repeated %d; e-mail lost %d, repeated %d",
		atKill, n-smsDistinct, smsTotal-smsDistinct, n-mailDistinct, mailTotal-mailDistinct)
	if smsDistinct != n || mailDistinct != n {
		t.Errorf("lost notifications: %d of %d SMS, %d of %d e-mails", smsDistinct, n, mailDistinct, n)
	}
	// Only the sends in flight at the kill (at most notifications.
	// concurrency) may be repeated, and they carry the same key (counted
	// above by key, so a repeat under a new key would show as an extra
	// distinct one).
	if repeats := (smsTotal - smsDistinct) + (mailTotal - mailDistinct); repeats > notifyConcurrency {
		t.Errorf("%d repeats; at most the %d sends in flight at the kill may repeat", repeats, notifyConcurrency)
	}
}

// TestGracefulStopSendsOnce stops `me serve` with SIGTERM while the SMS
// gateway takes 3 s to answer: the send in flight finishes and is recorded
// within shutdown_timeout, so after a restart nothing is sent again, on
// SQLite and PostgreSQL.
func TestGracefulStopSendsOnce(t *testing.T) {
	for _, driver := range storetest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			smtp := smtptest.Start(t)
			gw := newSlowGateway(t, 3*time.Second)
			addr := freeAddr(t)
			env := notifyEnv(addr, driver, storetest.DSN(t, driver), smtp, gw)
			first := launch(t, env, addr)
			files := citizens(t, addr, 1)
			if out, code := shsSend(t, addr, files...); code != 0 {
				t.Fatalf("me shs send: exit %d\n%s", code, out)
			}
			for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				gw.mu.Lock()
				started := gw.started
				gw.mu.Unlock()
				if started > 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the SMS was never sent")
				}
			}
			first.Process.Signal(syscall.SIGTERM)
			if err := first.Wait(); err != nil {
				t.Fatalf("me serve after SIGTERM: %v", err)
			}
			if d, total := gw.counts(); d != 1 || total != 1 {
				t.Fatalf("at exit the gateway had answered %d SMS; want the one in flight, finished", total)
			}
			launch(t, env, addr)
			time.Sleep(5 * time.Second) // past the 3 s lease: a send not recorded would go again
			if d, total := gw.counts(); d != 1 || total != 1 {
				t.Errorf("after the restart: %d SMS (%d distinct); want exactly one", total, d)
			}
			if d, total := mailCounts(smtp); d != 1 || total != 1 {
				t.Errorf("%d e-mails (%d distinct); want exactly one", total, d)
			}
		})
	}
}

// TestTwoNodesShareTheOutbox runs two `me serve` on one PostgreSQL: every
// notification is sent once, by one of them.
func TestTwoNodesShareTheOutbox(t *testing.T) {
	const n = 20
	smtp := smtptest.Start(t)
	// Sends slow enough that a batch claimed under one lease would outlive
	// it and be taken over by the other node.
	gw := newSlowGateway(t, 300*time.Millisecond)
	dsn := storetest.DSN(t, "postgres")
	addrA, addrB := freeAddr(t), freeAddr(t)
	launch(t, notifyEnv(addrA, "postgres", dsn, smtp, gw), addrA)
	launch(t, notifyEnv(addrB, "postgres", dsn, smtp, gw), addrB)
	files := citizens(t, addrA, n)
	if out, code := shsSend(t, addrB, files...); code != 0 {
		t.Fatalf("me shs send: exit %d\n%s", code, out)
	}
	waitDelivered(t, gw, smtp, n, "two nodes")
	time.Sleep(2 * time.Second)
	smsDistinct, smsTotal := gw.counts()
	mailDistinct, mailTotal := mailCounts(smtp)
	if smsTotal != n || smsDistinct != n || mailTotal != n || mailDistinct != n {
		t.Errorf("two nodes sent %d SMS (%d distinct) and %d e-mails (%d distinct); want exactly %d of each", smsTotal, smsDistinct, mailTotal, mailDistinct, n)
	}
}

// waitDelivered waits until n distinct SMS and e-mails have arrived.
func waitDelivered(t *testing.T, gw *slowGateway, smtp *smtptest.Server, n int, what string) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		sms, _ := gw.counts()
		mails, _ := mailCounts(smtp)
		if sms >= n && mails >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d of %d SMS, %d of %d e-mails delivered", what, sms, n, mails, n)
		}
	}
}
