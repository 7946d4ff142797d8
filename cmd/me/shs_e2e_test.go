package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/store"
)

const demoOrg = "2120009994"

func shsSend(t *testing.T, addr string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(meBinary, append([]string{"shs", "send", "--url", "http://" + addr + "/shs/rs", "--user", "demo-casesystem"}, args...)...)
	cmd.Env = append(os.Environ(), "ME_SHS_PASSWORD=demo")
	out, _ := cmd.CombinedOutput()
	return string(out), cmd.ProcessState.ExitCode()
}

// TestSHSSendStoresTheSignal sends the example signal with every action
// type through `me shs send` to a running `me serve`, and reads back what
// the store holds.
func TestSHSSendStoresTheSignal(t *testing.T) {
	addr := freeAddr(t)
	dsn := filepath.Join(t.TempDir(), "me.db")
	startME(t, "../../config/demo.yaml", addr, "ME_HTTP_ADDR="+addr, "ME_DATABASE_DSN="+dsn, "ME_LOG_FORMAT=json")
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	example := "../../docs/examples/signal-all-actions.xml"
	out, code := shsSend(t, addr, example)
	if code != 0 || !strings.Contains(out, ": sent, tx.id ") {
		t.Fatalf("me shs send: exit %d\n%s", code, out)
	}
	c, err := st.CaseByExternalID(ctx, demoOrg, "BN-2026-000123")
	if err != nil {
		t.Fatalf("the case was not stored: %v", err)
	}
	events, _ := st.CaseEvents(ctx, c.ID)
	if len(events) != 1 || len(events[0].Attachments) != 2 {
		t.Fatalf("stored %d events; want 1 with 2 attachments", len(events))
	}
	seen := map[me.ActionType]bool{}
	for _, a := range events[0].Actions {
		seen[a.Type] = true
	}
	for _, typ := range []me.ActionType{me.ActionDownload, me.ActionMessage, me.ActionComplete, me.ActionArchive} {
		if !seen[typ] {
			t.Errorf("no %s action stored", typ)
		}
	}

	// The same file again: recognised, nothing changes.
	out, code = shsSend(t, addr, example)
	if code != 0 || !strings.Contains(out, "nothing changed") {
		t.Errorf("sending the same file again: exit %d\n%s", code, out)
	}
	if events, _ := st.CaseEvents(ctx, c.ID); len(events) != 1 {
		t.Errorf("sending the same file again made %d events", len(events))
	}
	if n, _ := st.CountSHSMessages(ctx); n != 1 {
		t.Errorf("%d messages kept; want 1", n)
	}

	// A second event on the case appends.
	b, _ := os.ReadFile(example)
	second := filepath.Join(t.TempDir(), "second.xml")
	os.WriteFile(second, bytes.Replace(b, []byte("BN-2026-000123-H5"), []byte("BN-2026-000123-H6"), 1), 0o644)
	if out, code := shsSend(t, addr, second); code != 0 {
		t.Fatalf("second event: exit %d\n%s", code, out)
	}
	if events, _ := st.CaseEvents(ctx, c.ID); len(events) != 2 {
		t.Errorf("after a second event the case has %d events; want 2", len(events))
	}

	// The portal reads the citizen's cases; me audit shows who read what.
	req, _ := http.NewRequest("POST", "http://"+addr+"/soap/portal", strings.NewReader(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>`+
		`<ListCases xmlns="http://minaengagemang.se/portal/v1"><citizen>191212121212</citizen></ListCases></s:Body></s:Envelope>`))
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.SetBasicAuth("demo-portal", "demo")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("ListCases: %v %v", err, resp.Status)
	}
	resp.Body.Close()
	auditCmd := exec.Command(meBinary, "audit", "--citizen", "191212121212", "--config", "../../config/demo.yaml")
	auditCmd.Env = append(os.Environ(), "ME_DATABASE_DSN="+dsn)
	if out, err := auditCmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "demo-portal") || !strings.Contains(string(out), "ListCases") {
		t.Errorf("me audit: %v\n%s", err, out)
	}

	// A signal ME refuses: exit 1 with the SHS error code.
	bad := filepath.Join(t.TempDir(), "bad.xml")
	os.WriteFile(bad, bytes.Replace(b, []byte("191212121212"), []byte("191212121213"), 1), 0o644)
	out, code = shsSend(t, addr, bad)
	if code != 1 || !strings.Contains(out, "refused, IllegalDatapartContent") {
		t.Errorf("a bad signal: exit %d\n%s", code, out)
	}
}

// TestSHSWatchWorksLikeEsmeralda starts the watcher before ME is up: the
// files wait; once ME answers, the good one moves to sent/ and the bad one
// to failed/ with its reason, which `me signals --rejected` also lists.
func TestSHSWatchWorksLikeEsmeralda(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	dsn := filepath.Join(t.TempDir(), "me.db")
	watcher := exec.Command(meBinary, "shs", "send", "--watch", dir, "--interval", "200ms", "--url", "http://"+addr+"/shs/rs", "--user", "demo-casesystem")
	watcher.Env = append(os.Environ(), "ME_SHS_PASSWORD=demo")
	var logs bytes.Buffer
	watcher.Stdout, watcher.Stderr = &logs, &logs
	if err := watcher.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { watcher.Process.Signal(os.Interrupt); watcher.Wait() }()

	b, _ := os.ReadFile("../../docs/examples/signal-all-actions.xml")
	past := time.Now().Add(-time.Minute)
	for name, content := range map[string][]byte{
		"good.xml": b,
		"bad.xml":  bytes.Replace(b, []byte("<status>decided</status>"), []byte("<status>pending</status>"), 1),
	} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, content, 0o644)
		os.Chtimes(path, past, past)
	}
	time.Sleep(time.Second)
	for _, name := range []string{"good.xml", "bad.xml"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Fatalf("%s left the directory while ME was unreachable: %v\n%s", name, err, logs.String())
		}
	}

	startME(t, "../../config/demo.yaml", addr, "ME_HTTP_ADDR="+addr, "ME_DATABASE_DSN="+dsn, "ME_LOG_FORMAT=json")
	want := []string{filepath.Join(dir, "sent", "good.xml"), filepath.Join(dir, "failed", "bad.xml"), filepath.Join(dir, "failed", "bad.xml.reason")}
	deadline := time.Now().Add(30 * time.Second)
	for _, path := range want {
		for {
			if _, err := os.Stat(path); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s did not appear\n%s", path, logs.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	reason, _ := os.ReadFile(filepath.Join(dir, "failed", "bad.xml.reason"))
	if !strings.HasPrefix(string(reason), "IllegalDatapartContent\n") || !strings.Contains(string(reason), "status") {
		t.Errorf("failed/bad.xml.reason = %q; want the code and what is wrong", reason)
	}

	cmd := exec.Command(meBinary, "signals", "--rejected", "--config", "../../config/demo.yaml")
	cmd.Env = append(os.Environ(), "ME_DATABASE_DSN="+dsn)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "IllegalDatapartContent") || !strings.Contains(string(out), "demo-casesystem") {
		t.Errorf("me signals --rejected: %v\n%s", err, out)
	}
}
