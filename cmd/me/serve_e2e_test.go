package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// serveOutput runs `me serve` on the demo configuration with env until it
// answers /healthz, stops it, and returns all it wrote.
func serveOutput(t *testing.T, addr string, env ...string) string {
	t.Helper()
	cmd := exec.Command(meBinary, "serve", "--config", "../../config/demo.yaml")
	cmd.Env = append(append(append(os.Environ(), demoInbound), demoEnv(t, addr)...), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	up := false
	for deadline := time.Now().Add(20 * time.Second); !up && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			up = true
		}
	}
	cmd.Process.Signal(os.Interrupt)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-exited
	}
	if !up {
		t.Fatalf("me serve did not answer on %s:\n%s", addr, out.String())
	}
	return out.String()
}

// TestServeSaysWhatToOpen: `me serve` logs that it migrates and where it
// listens, with the demo's URL; on a text log (a terminal's default) it
// adds a plain summary with the URLs to open, and a JSON log stays JSON.
func TestServeSaysWhatToOpen(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     []string
		holds   []string // with ADDR for the address
		lacks   []string
		jsonLog bool
	}{
		{name: "text, demo on", env: []string{"ME_LOG_FORMAT=text"},
			holds: []string{`msg="opening the store and migrating it"`, `msg="store ready"`, `msg=listening`,
				"ME is listening on http://ADDR/\n", "The demo portal (in Swedish):  http://ADDR/demo/\n",
				"    http://ADDR/soap/portal?wsdl\n", "    http://ADDR/soap/catalog?wsdl\n", "    http://ADDR/soap/etjanst?wsdl\n",
				"?singleWsdl", "Stop with Ctrl-C", "The case handlers' e-mail replies are taken on: 127.0.0.1:",
				"then play the handler: bin/me mail reply"},
			lacks: []string{"the schemas and where the documentation is"}},
		{name: "text, demo off", env: []string{"ME_LOG_FORMAT=text", "ME_DEMO_ENABLED=false"},
			holds: []string{"ME is listening on http://ADDR/\n", "    http://ADDR/soap/portal?wsdl\n",
				"the schemas and where the documentation is: http://ADDR/\n", "The case handlers' e-mail replies are taken on: 127.0.0.1:"},
			lacks: []string{"/demo/", "play the handler"}},
		{name: "json, demo on", env: []string{"ME_LOG_FORMAT=json"}, jsonLog: true,
			holds: []string{`"msg":"opening the store and migrating it"`, `"msg":"listening"`, `"url":"http://ADDR/"`, `"demo_url":"http://ADDR/demo/"`},
			lacks: []string{"ME is listening"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := freeAddr(t)
			out := serveOutput(t, addr, tc.env...)
			for _, want := range tc.holds {
				if want = strings.ReplaceAll(want, "ADDR", addr); !strings.Contains(out, want) {
					t.Errorf("me serve did not say %q:\n%s", want, out)
				}
			}
			for _, unwanted := range tc.lacks {
				if strings.Contains(out, unwanted) {
					t.Errorf("me serve said %q:\n%s", unwanted, out)
				}
			}
			if tc.jsonLog {
				for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
					if !json.Valid([]byte(line)) {
						t.Errorf("a JSON log has a line that is not JSON: %q", line)
					}
				}
			}
			// Migrating is said before listening.
			if m, l := strings.Index(out, "migrating it"), strings.Index(out, "listening"); m < 0 || l < m {
				t.Errorf("migrating is not said before listening:\n%s", out)
			}
		})
	}
}
