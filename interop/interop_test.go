// Package interop_test is the interoperability suite: for each mainstream
// SOAP stack it generates a client from the running ME's WSDLs with the
// stack's own plain command (interop/<stack>/run.sh) and drives the seed's
// three flows through all seventeen operations, plus a typed fault from each
// service. The generated Go client is one of the stacks (go_test.go).
//
// A stack's run.sh gets the environment below and prints one line per
// operation: "RESULT <Operation> ok" or "RESULT <Operation> FAIL <why>",
// and "RESULT fault:<service> ok" once it has read the MEFault code of a
// fault from that service. INTEROP_STACKS=zeep,php runs only those.
package interop_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// Every stack reports these: the seventeen operations and a typed fault
// from each of the three services.
var wanted = []string{
	"PublishEService", "ListOwnEServices", "WithdrawEService",
	"ListEServices", "GetEService", "CreateStartTicket",
	"ListCases", "GetCase", "MarkEventRead", "GetAttachment", "SendMessageToHandler",
	"GetCitizenProfile", "UpdateCitizenProfile", "CreateCompletionTicket", "ArchiveCase",
	"RedeemTicket", "ReportCompletion",
	"fault:portal", "fault:catalog", "fault:etjanst",
}

// The fixture every stack's case carries (signal-event.xml): an attachment
// read back byte for byte and completion data read back through xs:any,
// both with non-ASCII text.
var (
	attachment     = []byte("Bilaga från ME: åäö ÅÄÖ €\n")
	completionText = "Komplettera ritningen för Solrosen 4, åäö"
)

const (
	password = "interop"
	org      = "2120009994"
	citizen  = "191212121212"
)

// stack is one client stack's run: its environment and results.
type stack struct {
	name string
	// generateOnly: the stack's generator yields a client with every
	// operation, but no client that calls them (interop/<stack>/SCOPE says
	// why); it reports "generated:<Operation>" for the seventeen.
	generateOnly string
	env          map[string]string
	result       map[string]string // operation → "ok" or the failure
	output       string
}

func TestStacks(t *testing.T) {
	names := stackNames(t)
	if len(names) == 0 {
		t.Fatal("no stack to run: INTEROP_STACKS names none of go and the directories interop/<stack> with a run.sh")
	}
	me := startME(t)
	var stacks []*stack
	for _, name := range names {
		s := &stack{name: name, result: map[string]string{}}
		if b, err := os.ReadFile(filepath.Join(name, "SCOPE")); err == nil {
			scope, why, _ := strings.Cut(strings.TrimSpace(string(b)), ":")
			if scope != "generate" {
				t.Fatalf("%s/SCOPE: %q; the only scope is \"generate: why\"", name, scope)
			}
			s.generateOnly = strings.TrimSpace(why)
		}
		s.env = map[string]string{
			"INTEROP_URL":             me.url,
			"INTEROP_STACK":           name,
			"INTEROP_PASSWORD":        password,
			"INTEROP_PORTAL_CLIENT":   "interop-portal",
			"INTEROP_CATALOG_CLIENT":  "interop-catalog",
			"INTEROP_ETJANST_CLIENT":  "interop-etjanst",
			"INTEROP_ORG":             org,
			"INTEROP_CITIZEN":         citizen,
			"INTEROP_CASE_NUMBER":     "IO 2026-" + name,
			"INTEROP_ESERVICE_ID":     "interop-pub-" + name,
			"INTEROP_START_ESERVICE":  "interop-start",
			"INTEROP_ATTACHMENT_B64":  base64.StdEncoding.EncodeToString(attachment),
			"INTEROP_COMPLETION_TEXT": completionText,
			"INTEROP_WORK":            t.TempDir(),
		}
		me.sendCase(t, name)
		if name == "go" {
			runGo(t, s)
		} else {
			runScript(t, s)
		}
		stacks = append(stacks, s)
	}
	report(t, stacks)
}

// stackNames are "go" (the generated Go client, go_test.go) and the
// directories with a run.sh, or those of them named in INTEROP_STACKS.
func stackNames(t *testing.T) []string {
	dirs, err := filepath.Glob("*/run.sh")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range dirs {
		names = append(names, filepath.Dir(d))
	}
	names = append(names, "go")
	sort.Strings(names)
	if only := os.Getenv("INTEROP_STACKS"); only != "" {
		names = slices.DeleteFunc(names, func(n string) bool { return !slices.Contains(strings.Split(only, ","), n) })
	}
	return names
}

// runScript runs interop/<stack>/run.sh with the stack's environment.
func runScript(t *testing.T, s *stack) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	dir, _ := filepath.Abs(s.name)
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(dir, "run.sh"))
	cmd.Dir = dir
	cmd.Env = os.Environ()
	for k, v := range s.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	s.output = string(out)
	sc := bufio.NewScanner(strings.NewReader(s.output))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "RESULT ") {
			continue
		}
		op, outcome, _ := strings.Cut(strings.TrimPrefix(line, "RESULT "), " ")
		if _, seen := s.result[op]; seen && s.result[op] != "ok" {
			continue // the first failure stands
		}
		s.result[op] = strings.TrimSpace(outcome)
	}
	if err != nil {
		s.result["run.sh"] = fmt.Sprintf("exit: %v", err)
	}
}

// report prints stack × operation and fails for every miss.
func report(t *testing.T, stacks []*stack) {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-24s", "operation")
	for _, s := range stacks {
		fmt.Fprintf(&b, " %-8s", s.name)
	}
	b.WriteString("\n")
	for _, op := range wanted {
		fmt.Fprintf(&b, "%-24s", op)
		for _, s := range stacks {
			mark := "ok"
			switch {
			case s.generateOnly != "" && strings.HasPrefix(op, "fault:"):
				mark = "–"
			case s.generateOnly != "" && s.result["generated:"+op] == "ok":
				mark = "gen"
			case s.result[op] != "ok":
				mark = "FAILED"
			}
			fmt.Fprintf(&b, " %-8s", mark)
		}
		b.WriteString("\n")
	}
	for _, s := range stacks {
		if s.generateOnly != "" {
			fmt.Fprintf(&b, "%s generates only (gen): %s\n", s.name, s.generateOnly)
		}
	}
	t.Log(b.String())
	for _, s := range stacks {
		failed := false
		for _, op := range append(s.wanted(), "run.sh") {
			r, ok := s.result[op]
			switch {
			case op == "run.sh" && !ok:
			case !ok:
				t.Errorf("%s: %s was never reported", s.name, op)
				failed = true
			case r != "ok":
				t.Errorf("%s: %s: %s", s.name, op, r)
				failed = true
			}
		}
		if failed && s.output != "" {
			t.Logf("%s's output:\n%s", s.name, tail(s.output, 6000))
		}
	}
}

// wanted is what the stack must report: every operation and a fault per
// service, or, for a stack whose generator yields no working client, every
// operation generated.
func (s *stack) wanted() []string {
	if s.generateOnly == "" {
		return wanted
	}
	var ops []string
	for _, op := range wanted {
		if !strings.HasPrefix(op, "fault:") {
			ops = append(ops, "generated:"+op)
		}
	}
	return ops
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// meServer is the `me serve` the stacks call.
type meServer struct {
	bin, config, url, addr string
}

func startME(t *testing.T) *meServer {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "me")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/me").CombinedOutput(); err != nil {
		t.Fatalf("build me: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	config, _ := filepath.Abs("me.yaml")
	cmd := exec.Command(bin, "serve", "--config", config)
	cmd.Env = append(os.Environ(), "ME_HTTP_ADDR="+addr, "ME_DATABASE_DSN="+filepath.Join(dir, "me.db"))
	logFile, err := os.Create(filepath.Join(dir, "me.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(logFile.Name())
			t.Logf("me serve's log:\n%s", tail(string(b), 4000))
		}
	})
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("me serve did not become ready")
		}
	}
	return &meServer{bin: bin, config: config, url: "http://" + addr, addr: addr}
}

// sendCase sends the stack's case as the case system does: the event with
// download, message and complete actions, then the closing event that
// offers to archive it.
func (m *meServer) sendCase(t *testing.T, name string) {
	t.Helper()
	dir := t.TempDir()
	var files []string
	for _, f := range []string{"signal-event.xml", "signal-closed.xml"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc := strings.NewReplacer("{{STACK}}", name, "{{ATTACHMENT_B64}}", base64.StdEncoding.EncodeToString(attachment),
			"{{COMPLETION_TEXT}}", completionText).Replace(string(b))
		path := filepath.Join(dir, f)
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, path)
	}
	cmd := exec.Command(m.bin, append([]string{"shs", "send", "--url", m.url + "/shs/rs", "--user", "interop-cases"}, files...)...)
	cmd.Env = append(os.Environ(), "ME_SHS_PASSWORD="+password)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("me shs send: %v\n%s", err, out)
	}
}
