package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHarnessSmoke runs the whole harness for a few seconds against the
// real `me serve` on SQLite, as CI's check that `make bench` works: every
// row of the table is filled. It asserts no time: the figures of a
// seconds-long run on a shared machine mean nothing.
func TestHarnessSmoke(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "me")
	if out, err := exec.Command("go", "build", "-o", bin, "../me").CombinedOutput(); err != nil {
		t.Fatalf("build me: %v\n%s", err, out)
	}
	if err := os.Chdir("../.."); err != nil { // the harness reads wsdl/ as `make bench` runs it, from the top
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chdir("cmd/mebench") })
	report := filepath.Join(dir, "report.md")
	os.WriteFile(report, []byte("before\n"+beginMarker+"\nold\n"+endMarker+"\nafter\n"), 0o644)
	o := options{me: bin, stores: []string{"sqlite"}, scale: 300, events: 3, duration: 400 * time.Millisecond, conns: 4,
		large: 2, largeBytes: 1 << 20, out: report}
	out, err := os.CreateTemp(dir, "stdout")
	if err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), o, out); err != nil {
		t.Fatal(err)
	}
	doc, _ := os.ReadFile(report)
	text := string(doc)
	if !strings.HasPrefix(text, "before\n") || !strings.HasSuffix(text, endMarker+"\nafter\n") || strings.Contains(text, "\nold\n") {
		t.Errorf("the report was not written between the markers:\n%s", text)
	}
	for _, figure := range []string{"start-up to ready", "floor: GET /healthz", "GetEService, quiet server", "ListCases", "GetCase",
		"SHS signals", "right after", "e-mails into local SMTP", "SMS into local gateway", "oldest pending", "peak RSS, throughput", "concurrent 1.0 MB SHS messages"} {
		line := ""
		for _, l := range strings.Split(text, "\n") {
			if strings.Contains(l, figure) {
				line = l
			}
		}
		cells := strings.Split(line, "|")
		if len(cells) < 6 || strings.TrimSpace(cells[4]) == "–" || strings.TrimSpace(cells[4]) == "" || strings.Contains(line, "failed") {
			t.Errorf("figure %q: no value or failures in %q", figure, line)
		}
	}
}
