package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// browserDir holds the browser test: flows.mjs and the npm packages it
// pins (playwright-core, which drives Debian's chromium, and axe-core).
const browserDir = "../../server/demo/browser"

// TestDemoInTheBrowser follows the README as a new user would, from a fresh
// database: `me serve --config config/demo.yaml`, the README's `me shs send`
// commands as written, then server/demo/browser/flows.mjs in headless
// Chromium: each citizen logs in and completes the three seed flows through
// the demo pages, and axe-core checks every page visited against WCAG 2.1
// A/AA (a serious or critical violation fails). In CI a missing chromium,
// node or npm is a failure; elsewhere the test is skipped.
func TestDemoInTheBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("the browser test is not short")
	}
	chromium, node, npm := browserTools(t)

	// npm ci first: the packages are on the registry, the browser is not
	// downloaded (playwright-core has no install step).
	work := t.TempDir()
	for _, f := range []string{"package.json", "package-lock.json", "flows.mjs"} {
		b, err := os.ReadFile(filepath.Join(browserDir, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	install := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error")
	install.Dir = work
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in %s (server/demo/browser's package-lock.json): %v\n%s", work, err, out)
	}

	sends, err := readmeSignalCommands("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if missing := missingSignals(sends, "signal-all-actions.xml", "signal-complete.xml", "signal-message.xml", "signal-archive.xml"); len(missing) > 0 {
		t.Errorf("the README sends no %s with `me shs send`; the seed flows need them (the README's first steps)", strings.Join(missing, ", "))
	}

	addr := freeAddr(t)
	dsn := filepath.Join(t.TempDir(), "me.db")
	logs := startME(t, "../../config/demo.yaml", addr, "ME_HTTP_ADDR="+addr, "ME_DATABASE_DSN="+dsn, "ME_LOG_FORMAT=json")
	for _, s := range sends {
		cmd := exec.CommandContext(ctx, meBinary, s.args(addr)...)
		cmd.Dir = "../.."
		cmd.Env = append(os.Environ(), s.env...)
		if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), ": sent, tx.id ") {
			t.Fatalf("the README's %q: %v\n%s", s.line, err, out)
		}
	}

	start := time.Now()
	run := exec.CommandContext(ctx, node, "flows.mjs")
	run.Dir = work
	run.Env = append(os.Environ(), "ME_URL=http://"+addr, "DEMO_ORIGIN=http://127.0.0.1:8080", "CHROMIUM="+chromium)
	var out bytes.Buffer
	run.Stdout, run.Stderr = &out, &out
	err = run.Run()
	t.Logf("flows.mjs took %s", time.Since(start).Round(100*time.Millisecond))
	if err != nil {
		t.Errorf("the demo in the browser (server/demo/browser/flows.mjs): %v\n%s", err, out.String())
		t.Logf("me serve's log:\n%s", tail(logs.String(), 40))
	} else if testing.Verbose() {
		t.Log(out.String())
	}

	// The profile's mobile number, written the Swedish way, reached ME in
	// E.164.
	if mobile, err := citizenMobile(addr, "191212121212"); err != nil {
		t.Error(err)
	} else if mobile != "+46701234567" {
		t.Errorf("after 070-123 45 67 on the profile page ME has the mobile number %q; want +46701234567", mobile)
	}
}

// browserTools finds chromium, node and npm: a failure in CI, a skip
// elsewhere, when one is missing.
func browserTools(t *testing.T) (chromium, node, npm string) {
	t.Helper()
	find := func(names ...string) string {
		for _, n := range names {
			if p, err := exec.LookPath(n); err == nil {
				return p
			}
		}
		return ""
	}
	chromium, node, npm = find("/usr/bin/chromium", "chromium"), find("node"), find("npm")
	var missing []string
	for _, tool := range []struct{ name, path string }{{"chromium", chromium}, {"node", node}, {"npm", npm}} {
		if tool.path == "" {
			missing = append(missing, tool.name)
		}
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("%s not installed; .ci/run installs Debian's chromium, nodejs and npm (apt-get install chromium nodejs npm)", strings.Join(missing, ", "))
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return chromium, node, npm
}

// readmeSend is one `me shs send` command of the README.
type readmeSend struct {
	line  string   // as the README writes it
	env   []string // VAR=value before it, or exported above it
	flags []string // after "shs send"
}

// args are the command's arguments for the built binary, with ME's SHS
// receiver on addr: the README's examples assume 127.0.0.1:8080.
func (s readmeSend) args(addr string) []string {
	args := []string{"shs", "send", "--url", "http://" + addr + "/shs/rs"}
	for _, f := range s.flags {
		if strings.HasPrefix(f, "http://127.0.0.1:8080") || strings.HasPrefix(f, "--url=") || strings.HasPrefix(f, "-url=") {
			f = strings.Replace(f, "127.0.0.1:8080", addr, 1)
		}
		args = append(args, f)
	}
	return args
}

var (
	codeSpan  = regexp.MustCompile("`([^`\n]+)`")
	envAssign = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*=`)
)

// readmeSignalCommands returns the README's `me shs send` commands that
// send files, in the README's order: from its code blocks (a line, with
// its continuation lines) and its inline code. `export VAR=value` in a
// code block applies to the commands after it. The program may be written
// `go run ./cmd/me`, `bin/me`, `./bin/me` or `me`.
func readmeSignalCommands(path string) ([]readmeSend, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cmds []string
	inBlock := false
	var cont strings.Builder
	for _, line := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") {
			inBlock = !inBlock
			continue
		}
		if inBlock {
			if c, ok := strings.CutSuffix(trimmed, `\`); ok {
				cont.WriteString(c + " ")
				continue
			}
			cont.WriteString(trimmed)
			cmds = append(cmds, cont.String())
			cont.Reset()
			continue
		}
		for _, m := range codeSpan.FindAllStringSubmatch(line, -1) {
			cmds = append(cmds, m[1])
		}
	}
	var sends []readmeSend
	var exported []string
	for _, c := range cmds {
		if i := strings.Index(c, "#"); i >= 0 {
			c = strings.TrimSpace(c[:i]) // a shell comment
		}
		words := strings.Fields(c)
		if len(words) == 2 && words[0] == "export" && envAssign.MatchString(words[1]) {
			exported = append(exported, words[1])
			continue
		}
		_, after, found := strings.Cut(c, "shs send ")
		if !found {
			continue
		}
		s := readmeSend{line: c, env: append([]string(nil), exported...)}
		prog := words[:len(words)-len(strings.Fields(after))-2]
		for len(prog) > 0 && envAssign.MatchString(prog[0]) {
			s.env = append(s.env, prog[0])
			prog = prog[1:]
		}
		switch strings.Join(prog, " ") {
		case "go run ./cmd/me", "bin/me", "./bin/me", "me":
		default:
			return nil, fmt.Errorf("README: cannot follow %q: the test runs `me shs send` as `go run ./cmd/me`, `bin/me` or `me`", c)
		}
		files := 0
		for _, f := range strings.Fields(after) {
			f = strings.Trim(f, `'"`)
			if strings.HasSuffix(f, ".xml") {
				matches, _ := filepath.Glob(filepath.Join("../..", f))
				if len(matches) == 0 {
					return nil, fmt.Errorf("README: %q sends %s, which is not in the repository", c, f)
				}
				for _, m := range matches {
					rel, _ := filepath.Rel("../..", m)
					s.flags = append(s.flags, rel)
					files++
				}
				continue
			}
			s.flags = append(s.flags, f)
		}
		if files > 0 { // not `me shs send FILE...` from a table of commands
			sends = append(sends, s)
		}
	}
	if len(sends) == 0 {
		return nil, errors.New("README.md has no `me shs send` command with an example signal; the first steps send one")
	}
	return sends, nil
}

// missingSignals says which of the example files no command sends.
func missingSignals(sends []readmeSend, files ...string) []string {
	var missing []string
	for _, f := range files {
		sent := false
		for _, s := range sends {
			for _, a := range s.flags {
				sent = sent || filepath.Base(a) == f
			}
		}
		if !sent {
			missing = append(missing, "docs/examples/"+f)
		}
	}
	return missing
}

// citizenMobile asks ME's portal service for a citizen's mobile number.
func citizenMobile(addr, pnr string) (string, error) {
	body := `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>` +
		`<GetCitizenProfile xmlns="http://minaengagemang.se/portal/v1"><citizen>` + pnr + `</citizen></GetCitizenProfile></s:Body></s:Envelope>`
	req, err := http.NewRequest("POST", "http://"+addr+"/soap/portal", strings.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.SetBasicAuth("demo-portal", "demo")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("GetCitizenProfile: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GetCitizenProfile: %s\n%s", resp.Status, b)
	}
	m := regexp.MustCompile(`<(?:\w+:)?mobile>([^<]*)</`).FindSubmatch(b)
	if m == nil {
		return "", nil
	}
	return string(m[1]), nil
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
