package config

import (
	"cmp"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Keys returns every key path the file may hold, from the mapstructure
// tags of Config: the values ("http.tls.cert_file", "clients[].role") and
// the sections and lists holding them ("http", "http.tls", "clients",
// "clients[]"), sorted.
func Keys() []string {
	var out []string
	for k := range keyKinds() {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// keyKinds maps each key path to whether it holds further keys.
func keyKinds() map[string]bool {
	kinds := map[string]bool{}
	eachKey(reflect.ValueOf(Config{}), func(key string, v reflect.Value) { kinds[key] = holdsKeys(v) })
	return kinds
}

// eachKey calls fn for every key of the struct s, by its mapstructure
// tags: the sections and lists, and the values in them, each with its
// field's value. The entries of a list are walked as one empty entry,
// "key[]".
func eachKey(s reflect.Value, fn func(key string, v reflect.Value)) {
	var walk func(prefix string, s reflect.Value)
	walk = func(prefix string, s reflect.Value) {
		t := s.Type()
		for i := range t.NumField() {
			tag := t.Field(i).Tag.Get("mapstructure")
			if tag == "" || tag == "-" {
				continue
			}
			key, v := prefix+tag, s.Field(i)
			fn(key, v)
			switch {
			case v.Kind() == reflect.Struct:
				walk(key+".", v)
			case holdsKeys(v):
				entry := reflect.New(v.Type().Elem()).Elem()
				fn(key+"[]", entry)
				walk(key+"[].", entry)
			}
		}
	}
	walk("", s)
}

// holdsKeys reports whether a field is a section or a list of entries,
// rather than a value.
func holdsKeys(v reflect.Value) bool {
	return v.Kind() == reflect.Struct || v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Struct
}

var listIndex = regexp.MustCompile(`\[[0-9]+\]`)

// unknownKeys returns the keys of the file that Config does not have,
// sorted by line: only the outermost of an unknown section, and nothing
// inside a value (a value of the wrong shape fails to decode instead).
func unknownKeys(lines map[string]int) []string {
	kinds := keyKinds()
	var out []string
	for key := range lines {
		generic := listIndex.ReplaceAllString(key, "[]")
		if _, known := kinds[generic]; known {
			continue
		}
		if parent := parentKey(generic); parent == "" || kinds[parent] {
			out = append(out, key)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return cmp.Or(cmp.Compare(lines[a], lines[b]), cmp.Compare(a, b)) })
	return out
}

// keyLines maps each key path of the YAML file at path ("http.tls.cert_file",
// "clients[2].role", "clients[2]" for the list item itself) to its line.
// viper keeps no positions, so the file is read a second time for them. Keys
// are lower case, as viper reports them. A file that does not parse gives
// no lines: viper has already said why.
func keyLines(path string) map[string]int {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil {
		return nil
	}
	lines := map[string]int{}
	var walk func(prefix string, n *yaml.Node)
	walk = func(prefix string, n *yaml.Node) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(prefix, c)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				key := strings.ToLower(n.Content[i].Value)
				if prefix != "" {
					key = prefix + "." + key
				}
				lines[key] = n.Content[i].Line
				walk(key, n.Content[i+1])
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				key := fmt.Sprintf("%s[%d]", prefix, i)
				lines[key] = c.Line
				walk(key, c)
			}
		}
	}
	walk("", &doc)
	return lines
}

// locate gives each problem where its value came from: the ME_ variable
// that set it, else the line of its key in the file, else the line of the
// nearest entry around it (a missing key of clients[2] is shown at
// clients[2]); and orders the problems as the file does.
func (e *ValidationError) locate(lines map[string]int) {
	for i := range e.Problems {
		p := &e.Problems[i]
		if p.Key == "" {
			continue
		}
		if env := envName(p.Key); !strings.Contains(p.Key, "[") && os.Getenv(env) != "" {
			p.Env = env
			continue
		}
		for key := p.Key; key != ""; key = parentKey(key) {
			if line, ok := lines[strings.ToLower(key)]; ok {
				p.Line = line
				break
			}
		}
	}
	// Problems without a line (from the environment or defaults) last.
	slices.SortStableFunc(e.Problems, func(a, b Problem) int {
		return cmp.Compare(sortLine(a.Line), sortLine(b.Line))
	})
}

func sortLine(line int) int {
	if line == 0 {
		return int(^uint(0) >> 1)
	}
	return line
}

// parentKey is the key holding key: "clients" for "clients[2]", "clients[2]"
// for "clients[2].role", "" at the top.
func parentKey(key string) string {
	if strings.HasSuffix(key, "]") {
		if i := strings.LastIndexByte(key, '['); i > 0 {
			return key[:i]
		}
	}
	if i := strings.LastIndexByte(key, '.'); i > 0 {
		return key[:i]
	}
	return ""
}

// envName is the environment variable overriding a scalar key.
func envName(key string) string {
	return EnvPrefix + "_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// underAny reports whether key is one of keys or lies inside one of them.
func underAny(key string, keys map[string]bool) bool {
	for k := key; k != ""; k = parentKey(k) {
		if keys[k] {
			return true
		}
	}
	return false
}
