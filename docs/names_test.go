package docs_test

// The documentation names `me` commands, configuration keys and fault codes
// that administrators and integrators type or branch on. Each must exist:
// TestDocsNameWhatExists reads README.md, docs/*.md and the comments of
// config/*.yaml and checks every such name against the code, never against
// a list kept by hand:
//
//   - `me` commands: the table of cmd/me (func commands, its name fields);
//   - configuration keys and ME_ variables: config.Keys(), from the
//     mapstructure tags of config.Config, and the ME_ names Go code reads;
//   - fault codes: the FaultCode enumeration of xsd/fault.xsd, and for SHS
//     answers the ErrorCode constants of server/shs.

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/minaengagemang/me/config"
)

// names is what exists, as the code says.
type names struct {
	commands map[string]bool // "serve", "shs send"
	keys     map[string]bool // "http.tls.cert_file", "clients[].role", "clients"
	env      map[string]bool // ME_HTTP_ADDR, ME_CONFIG, …
	faults   map[string]bool // MEFault codes
	shs      map[string]bool // SHS error codes
	answers  map[string]bool // what "answers `X`" may name: codes, operations and their responses
}

func TestDocsNameWhatExists(t *testing.T) {
	n := namesFromCode(t)
	files := append([]string{"../README.md"}, glob(t, "*.md")...)
	files = append(files, glob(t, "../config/*.yaml")...)
	for _, file := range files {
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, problem := range n.check(text, strings.HasSuffix(file, ".yaml")) {
			t.Errorf("%s:%s", file, problem)
		}
	}
}

// TestNameCheckCatches: the check finds each kind of name that does not
// exist, and passes the same text with the names right.
func TestNameCheckCatches(t *testing.T) {
	n := namesFromCode(t)
	tests := []struct {
		name, doc string
		yaml      bool
		want      string // "" : no problem
	}{
		{"a command", "Run `me hash-secret` first.", false, ""},
		{"a misspelt command", "Run `me hash-secrets` first.", false, `"me hash-secrets"`},
		{"a command of a group", "```console\n$ bin/me shs send x.xml\n```\n", false, ""},
		{"a wrong command of a group", "```console\n$ bin/me shs sned x.xml\n```\n", false, `"me shs sned"`},
		{"a command in a YAML comment", "# Make one with\n#   me hash-secret\nkey: 1\n", true, ""},
		{"a command that is not in a YAML comment", "# Make one with\n#   me hash-password\nkey: 1\n", true, `"me hash-password"`},
		{"a key", "Set `smtp.reply_to`.", false, ""},
		{"a key with a value", "Set `log.format: json`.", false, ""},
		{"a key of a list entry", "Set `organisations[].sms_sender`.", false, ""},
		{"a key that does not exist", "Set `smtp.replyto`.", false, `"smtp.replyto"`},
		{"a key in a YAML comment", "# as sms.sender (at most 11)\n", true, ""},
		{"a wrong key in a YAML comment", "# as sms.sendername (at most 11)\n", true, `"sms.sendername"`},
		{"a key in a YAML example", "```yaml\nsmtp:\n  from: x\n```\n", false, ""},
		{"a wrong key in a YAML example", "```yaml\nsmtp:\n  form: x\n```\n", false, `"smtp.form"`},
		{"YAML that is not ME's configuration", "```yaml\ngroups:\n  - name: x\n```\n", false, ""},
		{"a variable", "Set ME_SMTP_PASSWORD.", false, ""},
		{"a variable that does not exist", "Set ME_SMTP_PASWORD.", false, `"ME_SMTP_PASWORD"`},
		{"a fault", "It answers `NotFound`.", false, ""},
		{"a fault that does not exist", "It answers `NotFund`.", false, `"NotFund"`},
		{"an SHS code", "Others get `IllegalSender`.", false, ""},
		{"a fault in a table", "| code | means |\n|---|---|\n| `Conflict` | x |\n", false, ""},
		{"a wrong fault in a table", "| code | means |\n|---|---|\n| `Conflikt` | x |\n", false, `"Conflikt"`},
		{"a wrong fault in XML", "```xml\n<code xmlns=\"http://minaengagemang.se/schema/fault/v1\">Conflikt</code>\n```\n", false, `"Conflikt"`},
		{"a wrong fault in Go", "```go\nif f.Code == etjanst.FaultCodeConflikt {\n```\n", false, `"Conflikt"`},
		{"a wrong fault in Python", "```python\nif code in (\"InvalidTicket\", \"TicketUsd\"):\n```\n", false, `"TicketUsd"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := n.check([]byte(tt.doc), tt.yaml)
			switch {
			case tt.want == "" && len(problems) > 0:
				t.Errorf("problems in a right text: %q", problems)
			case tt.want != "" && (len(problems) != 1 || !strings.Contains(problems[0], tt.want)):
				t.Errorf("problems %q; want one naming %s", problems, tt.want)
			}
		})
	}
}

func namesFromCode(t *testing.T) names {
	t.Helper()
	n := names{commands: commandNames(t), keys: map[string]bool{}, env: envNames(t), faults: faultCodes(t),
		shs: stringConsts(t, "../server/shs/shs.go", "ErrorCode"), answers: map[string]bool{}}
	for _, k := range config.Keys() {
		n.keys[k] = true
		if !strings.Contains(k, "[") {
			n.env[config.EnvPrefix+"_"+strings.ToUpper(strings.ReplaceAll(k, ".", "_"))] = true
		}
	}
	for _, set := range []map[string]bool{n.faults, n.shs} {
		for c := range set {
			n.answers[c] = true
		}
	}
	for _, c := range services {
		_, ops := contractOperations(t, c.wsdl)
		for op := range ops {
			n.answers[op], n.answers[op+"Response"] = true, true
		}
	}
	return n
}

// commandNames reads the names of cmd/me's command table.
func commandNames(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, f := range parseGo(t, "../cmd/me") {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Name.Name != "commands" || fn.Recv != nil {
				continue
			}
			ast.Inspect(fn.Body, func(node ast.Node) bool {
				if kv, ok := node.(*ast.KeyValueExpr); ok {
					if key, ok := kv.Key.(*ast.Ident); ok && key.Name == "name" {
						if s, ok := stringLit(kv.Value); ok {
							out[s] = true
						}
					}
				}
				return true
			})
		}
	}
	if len(out) < 5 {
		t.Fatalf("found the commands %v in cmd/me's func commands; has the table moved?", out)
	}
	return out
}

// stringConsts returns the string constants of the named type in a file.
func stringConsts(t *testing.T, file, typeName string) map[string]bool {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	ast.Inspect(f, func(node ast.Node) bool {
		if vs, ok := node.(*ast.ValueSpec); ok {
			if id, ok := vs.Type.(*ast.Ident); ok && id.Name == typeName {
				for _, v := range vs.Values {
					if s, ok := stringLit(v); ok {
						out[s] = true
					}
				}
			}
		}
		return true
	})
	if len(out) == 0 {
		t.Fatalf("no %s constants in %s", typeName, file)
	}
	return out
}

// envNames returns the ME_ variables the Go code reads besides the
// configuration's: ME_CONFIG, ME_SHS_PASSWORD, the tests' database.
func envNames(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	lit := regexp.MustCompile(`"(` + config.EnvPrefix + `_[A-Z0-9_]+)"`)
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		for _, m := range lit.FindAllSubmatch(src, -1) {
			out[string(m[1])] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// faultCodes reads the FaultCode enumeration of xsd/fault.xsd.
func faultCodes(t *testing.T) map[string]bool {
	t.Helper()
	data, err := os.ReadFile("../xsd/fault.xsd")
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		SimpleTypes []struct {
			Name   string `xml:"name,attr"`
			Values []struct {
				Value string `xml:"value,attr"`
			} `xml:"restriction>enumeration"`
		} `xml:"simpleType"`
	}
	if err := xml.Unmarshal(data, &schema); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, st := range schema.SimpleTypes {
		if st.Name == "FaultCode" {
			for _, v := range st.Values {
				out[v.Value] = true
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("xsd/fault.xsd has no FaultCode enumeration")
	}
	return out
}

func parseGo(t *testing.T, dir string) []*ast.File {
	t.Helper()
	var out []*ast.File
	for _, file := range glob(t, filepath.Join(dir, "*.go")) {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
	}
	return out
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

var (
	// A `me` command: in inline code, after bin/ or ./cmd/, on a console
	// line, or alone at the start of a YAML comment.
	meCommand = regexp.MustCompile("(?:`|\\$ |bin/|\\./cmd/|^#\\s+)me ([a-z][a-z0-9-]*)(?: ([a-z][a-z0-9-]*))?")
	// A key path: the whole of an inline code span, optionally with a value
	// ("log.format: json") or a wildcard ("sms.*").
	keySpan = regexp.MustCompile(`^([a-z_]+(?:\[[0-9]*\])?(?:\.[a-z0-9_]+(?:\[[0-9]*\])?)*)(\.\*)?(:.*)?$`)
	// A key path in a YAML comment's prose: at least one dot.
	keyWord   = regexp.MustCompile(`(?:^|[\s(` + "`" + `])([a-z_]+(?:\[[0-9]*\])?(?:\.[a-z0-9_]+(?:\[[0-9]*\])?)+)`)
	envWord   = regexp.MustCompile(`\b` + config.EnvPrefix + `_[A-Z0-9_]+\b`)
	fileName  = regexp.MustCompile(`\.(go|md|xsd|wsdl|xml|yaml|sql|sh|db|pem|crt|key)$`)
	codeSpan  = regexp.MustCompile("`([^`]+)`")
	answered  = regexp.MustCompile("\\b(?:fault|faults|answers|answered|answer|gets|get|gives|give)\\s+`([A-Z][A-Za-z]+)`")
	xmlCode   = regexp.MustCompile(`<(?:[a-z0-9]+:)?code(?:\s[^>]*)?>([A-Za-z]+)</`)
	goCode    = regexp.MustCompile(`\bFaultCode([A-Z][A-Za-z]+)\b|\bCode == "([A-Za-z]+)"`)
	quotedWrd = regexp.MustCompile(`"([A-Z][a-z]+(?:[A-Z][a-z]+)+|[A-Z][a-z]+)"`)
	tableRow  = regexp.MustCompile(`^\|(.*)\|\s*$`)
)

// check returns the names text uses that do not exist, each as
// "LINE: what". A YAML file is checked in its comments only: config's own
// tests load the keys themselves.
func (n names) check(text []byte, yamlFile bool) []string {
	var problems []string
	report := func(line int, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%d: %s", line, fmt.Sprintf(format, args...)))
	}
	checkKey := func(line int, key string) {
		generic := regexp.MustCompile(`\[[0-9]+\]`).ReplaceAllString(key, "[]")
		if !n.keys[generic] {
			report(line, "names the configuration key %q, which config.Config does not have", key)
		}
	}
	isSection := func(word string) bool { return n.keys[word] && !strings.ContainsAny(word, ".[") }
	checkCommands := func(line int, s string) {
		for _, m := range meCommand.FindAllStringSubmatch(s, -1) {
			group := n.isGroup(m[1])
			if n.commands[m[1]] || (m[2] != "" && n.commands[m[1]+" "+m[2]]) || (m[2] == "" && group) {
				continue
			}
			name := strings.TrimSpace("me " + m[1] + " " + m[2])
			if !group {
				name = "me " + m[1]
			}
			report(line, "names the command %q, which cmd/me does not have", name)
		}
	}
	checkEnv := func(line int, s string) {
		for _, v := range envWord.FindAllString(s, -1) {
			if !n.env[v] {
				report(line, "names the variable %q, which neither the configuration nor other code reads", v)
			}
		}
	}

	var (
		fence     string // the info string of the fenced block we are in, "" outside
		inFence   bool
		block     bytes.Buffer
		blockLine int
		codeCol   = -1 // the column of a table's "code" or "answer" header
	)
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for no := 1; sc.Scan(); no++ {
		line := sc.Text()
		if yamlFile {
			if c := strings.TrimSpace(line); strings.HasPrefix(c, "#") {
				checkCommands(no, c)
				checkEnv(no, c)
				for _, m := range keyWord.FindAllStringSubmatch(c, -1) {
					if isSection(strings.FieldsFunc(m[1], func(r rune) bool { return r == '.' || r == '[' })[0]) && !fileName.MatchString(m[1]) {
						checkKey(no, m[1])
					}
				}
			}
			continue
		}
		if trimmed := strings.TrimSpace(line); strings.HasPrefix(trimmed, "```") {
			if !inFence {
				inFence, fence, blockLine = true, strings.TrimPrefix(trimmed, "```"), no
				block.Reset()
			} else {
				if fence == "yaml" {
					for _, p := range n.checkYAML(block.Bytes()) {
						report(blockLine+1, "%s", p)
					}
				}
				inFence = false
			}
			continue
		}
		checkCommands(no, line)
		checkEnv(no, line)
		if inFence {
			block.WriteString(line + "\n")
			for _, m := range xmlCode.FindAllStringSubmatch(line, -1) {
				if !n.faults[m[1]] {
					report(no, "names the fault code %q, which xsd/fault.xsd does not have", m[1])
				}
			}
			for _, m := range goCode.FindAllStringSubmatch(line, -1) {
				if c := m[1] + m[2]; !n.faults[c] {
					report(no, "names the fault code %q, which xsd/fault.xsd does not have", c)
				}
			}
			if fence == "python" && strings.Contains(strings.ToLower(line), "code") {
				for _, m := range quotedWrd.FindAllStringSubmatch(line, -1) {
					if !n.faults[m[1]] {
						report(no, "names the fault code %q, which xsd/fault.xsd does not have", m[1])
					}
				}
			}
			continue
		}

		// Prose.
		for _, m := range codeSpan.FindAllStringSubmatch(line, -1) {
			km := keySpan.FindStringSubmatch(m[1])
			if km == nil || fileName.MatchString(km[1]) {
				continue
			}
			first := strings.FieldsFunc(km[1], func(r rune) bool { return r == '.' || r == '[' })[0]
			if isSection(first) && (strings.ContainsAny(km[1], ".[") || km[2] != "" || km[3] != "") {
				checkKey(no, km[1])
			}
		}
		for _, m := range answered.FindAllStringSubmatch(line, -1) {
			if !n.answers[m[1]] {
				report(no, "names the code %q, which neither xsd/fault.xsd nor server/shs has", m[1])
			}
		}
		row := tableRow.FindStringSubmatch(line)
		switch {
		case row == nil:
			codeCol = -1
		case codeCol == -1:
			for i, cell := range strings.Split(row[1], "|") {
				switch strings.ToLower(strings.Trim(strings.TrimSpace(cell), "`")) {
				case "code", "answer", "x-shs-errorcode":
					codeCol = i
				}
			}
		default:
			cells := strings.Split(row[1], "|")
			if codeCol >= len(cells) {
				break
			}
			if m := codeSpan.FindStringSubmatch(cells[codeCol]); m != nil && !n.faults[m[1]] && !n.shs[m[1]] {
				report(no, "names the code %q, which neither xsd/fault.xsd nor server/shs has", m[1])
			}
		}
	}
	return problems
}

func (n names) isGroup(word string) bool {
	for c := range n.commands {
		if strings.HasPrefix(c, word+" ") {
			return true
		}
	}
	return false
}

// checkYAML checks the keys of a YAML example that is ME's configuration
// (every top-level key is a section of it); other YAML is left alone.
func (n names) checkYAML(block []byte) []string {
	var doc yaml.Node
	if yaml.Unmarshal(block, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	top := doc.Content[0]
	for i := 0; i < len(top.Content); i += 2 {
		if !n.keys[top.Content[i].Value] {
			return nil
		}
	}
	var problems []string
	var walk func(prefix string, node *yaml.Node)
	walk = func(prefix string, node *yaml.Node) {
		switch node.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(node.Content); i += 2 {
				key := node.Content[i].Value
				if prefix != "" {
					key = prefix + "." + key
				}
				if !n.keys[key] {
					problems = append(problems, fmt.Sprintf("the YAML example names the configuration key %q, which config.Config does not have", key))
					continue
				}
				walk(key, node.Content[i+1])
			}
		case yaml.SequenceNode:
			for _, c := range node.Content {
				walk(prefix+"[]", c)
			}
		}
	}
	walk("", top)
	return problems
}
