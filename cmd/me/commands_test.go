package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/config"
	"github.com/minaengagemang/me/server/notify"
)

// runMe runs a command in this process, as main does.
func runMe(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, stdio{in: strings.NewReader(stdin), out: &out, err: &errOut})
	return out.String(), errOut.String(), code
}

// TestHashSecret: `me hash-secret` prints a bcrypt hash of the secret on
// standard input that the configuration accepts as a secret_hash, and
// refuses input it would hash other than meant.
func TestHashSecret(t *testing.T) {
	tests := []struct {
		name, stdin string
		args        []string
		secret      string // "" : refused
		wantErr     string
	}{
		{name: "a line", stdin: "s3cret\n", secret: "s3cret"},
		{name: "no line break", stdin: "s3cret", secret: "s3cret"},
		{name: "CRLF", stdin: "s3cret\r\n", secret: "s3cret"},
		{name: "spaces are part of it", stdin: " s3 cret \n", secret: " s3 cret "},
		{name: "empty", stdin: "\n", wantErr: "empty"},
		{name: "two lines", stdin: "s3cret\nmore\n", wantErr: "more than one line"},
		{name: "longer than bcrypt reads", stdin: strings.Repeat("x", 73), wantErr: "at most 72"},
		{name: "the secret as an argument", stdin: "s3cret\n", args: []string{"s3cret"}, wantErr: "usage: me hash-secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runMe(t, tt.stdin, append([]string{"hash-secret"}, tt.args...)...)
			if tt.wantErr != "" {
				if code == 0 || stdout != "" || !strings.Contains(stderr, tt.wantErr) {
					t.Fatalf("exit %d, stdout %q, stderr %q; want a refusal saying %q", code, stdout, stderr, tt.wantErr)
				}
				return
			}
			hash := strings.TrimSuffix(stdout, "\n")
			if code != 0 || strings.Contains(hash, "\n") {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
			if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(tt.secret)); err != nil {
				t.Errorf("%q is not a hash of %q: %v", hash, tt.secret, err)
			}
			file := filepath.Join(t.TempDir(), "me.yaml")
			os.WriteFile(file, fmt.Appendf(nil, "organisations: [{number: \"2120009994\", name: Demo}]\n"+
				"clients: [{name: p, organisation: \"2120009994\", role: portal, secret_hash: %q}]\n", hash), 0o600)
			cfg, err := config.Load(file)
			if err != nil {
				t.Fatalf("the configuration refuses the hash: %v", err)
			}
			if got := cfg.Clients()[0].SecretHash; got != hash {
				t.Errorf("secret_hash read back as %q", got)
			}
		})
	}
}

// TestConfigProblemsPrintedOnce: a file with several mistakes stops a
// command with every problem, at its line, under one header.
func TestConfigProblemsPrintedOnce(t *testing.T) {
	file := filepath.Join(t.TempDir(), "me.yaml")
	os.WriteFile(file, []byte("http:\n  adr: 127.0.0.1:8080\n  read_timeout: 30\nlog:\n  level: 5\n"), 0o600)
	_, stderr, code := runMe(t, "", "migrate", "--config", file)
	want := "me: config " + file + ": 3 problems:\n" +
		"  line 2: http.adr: unknown key"
	if code != 1 || !strings.HasPrefix(stderr, want) || strings.Count(stderr, file) != 1 ||
		!strings.Contains(stderr, "\n  line 3: http.read_timeout: ") || !strings.Contains(stderr, "\n  line 5: log.level: ") {
		t.Errorf("exit %d, stderr:\n%s\nwant it to start %q, with lines 3 and 5 and the file named once", code, stderr, want)
	}
}

// TestNotificationAttempts: the ATTEMPTS column counts the attempts the
// log numbers ("attempt": 1 is the first): the failed ones, and the one
// that went through.
func TestNotificationAttempts(t *testing.T) {
	tests := []struct {
		name     string
		state    me.NotificationState
		failures int // what the store counts
		want     int // the attempt number of the last log line about it
	}{
		{"waiting for its first attempt", me.NotificationPending, 0, 0},
		{"sent at the first attempt", me.NotificationSent, 0, 1},
		{"sent after two temporary failures", me.NotificationSent, 2, 3},
		{"waiting after one temporary failure", me.NotificationPending, 1, 1},
		{"given up at the first attempt", me.NotificationFailed, 1, 1},
		{"given up after three", me.NotificationFailed, 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			n := me.Notification{ID: 7, Kind: me.NotifyEvent, Channel: me.NotifySMS, State: tt.state, Attempts: tt.failures,
				OrganisationNumber: "2120009994", Created: time.Now()}
			if err := printNotifications(&b, []me.Notification{n}); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(b.String()), "\n")
			head, row := strings.Fields(lines[0]), strings.Fields(lines[1])
			// CREATED is two fields: a date and a time.
			if head[5] != "ATTEMPTS" || row[6] != fmt.Sprint(tt.want) {
				t.Errorf("%s column shows %s; want %d\n%s", head[5], row[6], tt.want, b.String())
			}
		})
	}
}

// TestSendersFromTheConfiguration: each organisation's own sender reaches
// the notifier under its 10-digit number, however the file writes it.
func TestSendersFromTheConfiguration(t *testing.T) {
	file := filepath.Join(t.TempDir(), "me.yaml")
	os.WriteFile(file, []byte(`organisations:
  - {number: "212000-9994", name: Demo kommun, sms_sender: Demokommun, email_from_name: Demo kommun}
  - {number: "2220001016", name: Grannkommunen, sms_sender: Grannkommun}
  - {number: "2120009986", name: Exempels kommun}
`), 0o600)
	cfg, err := config.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	got := senders(cfg.OrganisationList)
	want := map[string]notify.Sender{
		"2120009994": {SMS: "Demokommun", EmailName: "Demo kommun"},
		"2220001016": {SMS: "Grannkommun"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("senders = %v; want %v", got, want)
	}
}

// TestVersionSaysContractsRelease: `me version` says which release of the
// contracts ME serves, and every contract file of it is at that version.
func TestVersionSaysContractsRelease(t *testing.T) {
	stdout, stderr, code := runMe(t, "", "version")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "\ncontracts 1.0 (released") {
		t.Errorf("no line saying the contracts are released as 1.0:\n%s", stdout)
	}
	for _, file := range []string{"portal.wsdl", "catalog.wsdl", "etjanst.wsdl", "portal.xsd", "catalog.xsd", "etjanst.xsd", "common.xsd", "fault.xsd", "signal.xsd"} {
		found := false
		for line := range strings.Lines(stdout) {
			if f := strings.Fields(line); len(f) == 3 && f[0] == file {
				found = true
				if f[1] != "1.0" {
					t.Errorf("%s is at %s; want 1.0", file, f[1])
				}
			}
		}
		if !found {
			t.Errorf("me version does not list %s:\n%s", file, stdout)
		}
	}
}
