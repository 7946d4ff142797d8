package docs_test

// The client generation commands that portals.md and eservices.md show are
// the ones the interoperability suite runs: each interop/<stack>/run.sh has
// its generate commands on the line after a comment line "# generate:", and
// TestDocsShowSuiteCommands fails when one of them, mapped to the docs'
// conventions, is not in the docs.
//
// The mapping from the suite's command to the docs' (suiteToDocs), in order:
//
//  1. " || …" and what follows is cut: the suite's failure reporting.
//  2. Redirections (">file", "2>&1", ">>file") are dropped: the suite's logs.
//  3. A leading "timeout N" is dropped: the suite's deadline.
//  4. "$INTEROP_WORK/PATH" (quoted or not, or ${INTEROP_WORK}) becomes PATH
//     (quoted only if it has characters special to the shell) and
//     "$INTEROP_WORK" alone ".": the suite cds into its scratch directory
//     before it generates, the docs generate into the current one.
//  5. $INTEROP_URL (or ${INTEROP_URL}) becomes docsBaseURL, the address of
//     `make run`, which the docs use throughout; quotes around it stay.
//
// A variable left after the mapping is a failure: the docs would show a
// command no reader can run, so the mapping must learn it.
//
// A command is shown when a line of a fenced code block, trimmed of white
// space, is exactly the mapped command. A command that names the portal
// service (/soap/portal) must be in portals.md, one that names the e-service
// service (/soap/etjanst) in eservices.md (gSOAP's one wsdl2h over all three
// WSDLs: in both), and any other (the catalog's, a command that names no
// service) in at least one of the two.

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// docsBaseURL is ME's address in the docs' commands: `make run`'s.
const docsBaseURL = "http://127.0.0.1:8080"

// commandDocs are the docs that show the generate commands.
var commandDocs = []string{"portals.md", "eservices.md"}

// suiteCommand is one generate command of a stack's run.sh.
type suiteCommand struct {
	file string // interop/<stack>/run.sh, as the test reads it
	line int    // of the command
	raw  string // as run.sh runs it
	docs string // as the docs show it
}

func TestDocsShowSuiteCommands(t *testing.T) {
	cmds, errs := suiteCommands(t)
	for _, err := range errs {
		t.Error(err)
	}
	for _, p := range checkShown(cmds, docsCodeLines(t)) {
		t.Error(p)
	}
}

// suiteCommands reads the generate commands of every interop/*/run.sh,
// and the problems of the run.sh files it cannot read them from.
func suiteCommands(t *testing.T) ([]suiteCommand, []error) {
	t.Helper()
	var cmds []suiteCommand
	var errs []error
	for _, file := range glob(t, "../interop/*/run.sh") {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		c, err := generateCommands(file, src)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		cmds = append(cmds, c...)
	}
	return cmds, errs
}

// docsCodeLines returns, per doc of commandDocs, the lines of its code
// blocks.
func docsCodeLines(t *testing.T) map[string]map[string]bool {
	t.Helper()
	shown := map[string]map[string]bool{}
	for _, doc := range commandDocs {
		text, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		shown[doc] = fencedLines(text)
	}
	return shown
}

// TestDocsCommandCheckCatches: the check reports a command the docs do not
// show (one changed in run.sh, one in the wrong doc, one missing, a run.sh
// without generate commands) and passes the suite's real commands in the
// real docs after the mapping.
func TestDocsCommandCheckCatches(t *testing.T) {
	portals := "```sh\n" +
		"wsimport -keep -d src \"http://127.0.0.1:8080/soap/portal?wsdl\"\n" +
		"  soapcpp2 -j -C -d . -I/usr/share/gsoap/import me.h\n" +
		"wsimport -d src \"http://127.0.0.1:8080/soap/etjanst?wsdl\"\n" +
		"```\n" +
		"python3 -m zeep \"http://127.0.0.1:8080/soap/catalog?wsdl\"\n" // prose, not a code block
	eservices := "```\nwsimport -keep -d src \"http://127.0.0.1:8080/soap/etjanst?wsdl\"\n```\n"
	tests := []struct {
		name, runSH string
		want        string // "": no problem; else a word of the one problem
	}{
		{"shown", "# generate:\nwsimport -keep -d \"$INTEROP_WORK/src\" \"$INTEROP_URL/soap/portal?wsdl\"\n", ""},
		{"shown after the mapping", "\t# generate:\n\ttimeout 60 soapcpp2 -j -C -d \"$INTEROP_WORK\" -I/usr/share/gsoap/import \"$INTEROP_WORK/me.h\" >log 2>&1 || fail_all soapcpp2\n", ""},
		{"a changed command", "# generate:\nwsimport -keep -Xnocompile -d \"$INTEROP_WORK/src\" \"$INTEROP_URL/soap/portal?wsdl\"\n", "-Xnocompile"},
		{"each service's command in its doc", "# generate:\nwsimport -keep -d \"$INTEROP_WORK/src\" \"$INTEROP_URL/soap/etjanst?wsdl\"\n# generate:\nwsimport -keep -d \"${INTEROP_WORK}/src\" \"${INTEROP_URL}/soap/portal?wsdl\"\n", ""},
		{"the etjanst command in portals.md only", "# generate:\nwsimport -d $INTEROP_WORK/src \"$INTEROP_URL/soap/etjanst?wsdl\"\n", "eservices.md"},
		{"the portal command not in portals.md", "# generate:\nwsimport -keep -d src \"$INTEROP_URL/soap/etjanst?wsdl\" \"$INTEROP_URL/soap/portal?wsdl\"\n", "portals.md"},
		{"a command in prose only", "# generate:\npython3 -m zeep \"$INTEROP_URL/soap/catalog?wsdl\"\n", "python3 -m zeep"},
		{"no generate command", "wsimport \"$INTEROP_URL/soap/portal?wsdl\"\n", "no line"},
		{"a marker without a command", "# generate:\n\n", "no command"},
		{"a variable the mapping does not know", "# generate:\nwsimport -d \"$OUT\" \"$INTEROP_URL/soap/portal?wsdl\"\n", "$OUT"},
	}
	shown := map[string]map[string]bool{"portals.md": fencedLines([]byte(portals)), "eservices.md": fencedLines([]byte(eservices))}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var problems []string
			cmds, err := generateCommands("interop/x/run.sh", []byte(tt.runSH))
			if err != nil {
				problems = append(problems, err.Error())
			} else {
				problems = checkShown(cmds, shown)
			}
			switch {
			case tt.want == "" && len(problems) > 0:
				t.Errorf("problems with a command the docs show: %q", problems)
			case tt.want != "" && (len(problems) != 1 || !strings.Contains(problems[0], tt.want)):
				t.Errorf("problems %q; want one naming %s", problems, tt.want)
			}
		})
	}

	// Each of the suite's real commands, changed by one space, is reported
	// against the real docs.
	docs := docsCodeLines(t)
	cmds, _ := suiteCommands(t) // TestDocsShowSuiteCommands reports the errors
	for _, c := range cmds {
		changed := c
		changed.raw = strings.Replace(c.raw, " ", "  ", 1)
		changed.docs = suiteToDocs(changed.raw)
		if len(checkShown([]suiteCommand{changed}, docs)) == 0 {
			t.Errorf("%s:%d: the check passes the changed command %q", c.file, c.line, changed.docs)
		}
	}
}

// generateCommands returns the commands on the lines after "# generate:"
// in a run.sh, each with its mapping to the docs' conventions. A command
// continued with a trailing backslash is joined to one line.
func generateCommands(file string, src []byte) ([]suiteCommand, error) {
	lines := strings.Split(string(src), "\n")
	var out []suiteCommand
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "# generate:" {
			continue
		}
		start := i + 2 // the command's line number, counted from 1
		var b strings.Builder
		for i++; i < len(lines); i++ {
			l := strings.TrimSpace(lines[i])
			if s, ok := strings.CutSuffix(l, `\`); ok {
				b.WriteString(strings.TrimSpace(s) + " ")
				continue
			}
			b.WriteString(l)
			break
		}
		raw := strings.TrimSpace(b.String())
		if raw == "" || strings.HasPrefix(raw, "#") {
			return nil, fmt.Errorf("%s:%d: no command on the line after \"# generate:\"", file, start)
		}
		out = append(out, suiteCommand{file: file, line: start, raw: raw, docs: suiteToDocs(raw)})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no line \"# generate:\" before a generate command: the docs test cannot find the stack's commands", file)
	}
	return out, nil
}

var (
	redirection = regexp.MustCompile(`\s+[0-9]*>>?(&[0-9]+|\s*[^\s&|;]+)`)
	timeoutCmd  = regexp.MustCompile(`^timeout\s+[0-9]+[smhd]?\s+`)
	workPath    = regexp.MustCompile(`"\$(?:INTEROP_WORK|\{INTEROP_WORK\})/([^"$]*)"|\$(?:INTEROP_WORK|\{INTEROP_WORK\})/([^\s"']*)`)
	workAlone   = regexp.MustCompile(`"\$(?:INTEROP_WORK|\{INTEROP_WORK\})"|\$\{INTEROP_WORK\}|\$INTEROP_WORK\b`)
	urlVar      = regexp.MustCompile(`\$(?:INTEROP_URL\b|\{INTEROP_URL\})`)
	anyVar      = regexp.MustCompile(`\$\{?[A-Za-z_][A-Za-z0-9_]*`)
)

// suiteToDocs maps a command of the suite to the docs' conventions (the
// package comment's steps 1 to 5).
func suiteToDocs(cmd string) string {
	if i := strings.Index(cmd, " || "); i >= 0 {
		cmd = cmd[:i]
	}
	cmd = redirection.ReplaceAllString(cmd, "")
	cmd = timeoutCmd.ReplaceAllString(strings.TrimSpace(cmd), "")
	cmd = workPath.ReplaceAllStringFunc(cmd, func(m string) string {
		sub := workPath.FindStringSubmatch(m)
		p := sub[1] + sub[2]
		if strings.ContainsAny(p, " \t*?[]{}()<>|&;'\\") {
			return `"` + p + `"`
		}
		return p
	})
	cmd = workAlone.ReplaceAllString(cmd, ".")
	return urlVar.ReplaceAllString(cmd, docsBaseURL)
}

// fencedLines returns the lines of a Markdown text's fenced code blocks,
// trimmed of white space.
func fencedLines(text []byte) map[string]bool {
	out := map[string]bool{}
	in := false
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "```"):
			in = !in
		case in:
			out[line] = true
		}
	}
	return out
}

// checkShown returns, for each command that is not where it must be, what
// is missing and where to put it.
func checkShown(cmds []suiteCommand, shown map[string]map[string]bool) []string {
	var problems []string
	for _, c := range cmds {
		file := strings.TrimPrefix(filepath.ToSlash(c.file), "../")
		if v := anyVar.FindString(c.docs); v != "" {
			problems = append(problems, fmt.Sprintf("%s:%d: the generate command uses %s, which the docs' mapping does not know (see docs/interop_docs_test.go):\n\t%s",
				file, c.line, v, c.raw))
			continue
		}
		var must []string
		for service, doc := range map[string]string{"/soap/portal": "portals.md", "/soap/etjanst": "eservices.md"} {
			if strings.Contains(c.docs, service) {
				must = append(must, doc)
			}
		}
		slices.Sort(must)
		var missing []string
		if len(must) == 0 && !slices.ContainsFunc(commandDocs, func(d string) bool { return shown[d][c.docs] }) {
			missing = []string{"docs/" + strings.Join(commandDocs, " or docs/")}
		}
		for _, doc := range must {
			if !shown[doc][c.docs] {
				missing = append(missing, "docs/"+doc)
			}
		}
		if len(missing) > 0 {
			problems = append(problems, fmt.Sprintf("%s:%d: the suite's generate command is not a line of a code block in %s; put it there as\n\t%s\n(run.sh runs: %s)",
				file, c.line, strings.Join(missing, " and "), c.docs, c.raw))
		}
	}
	return problems
}
