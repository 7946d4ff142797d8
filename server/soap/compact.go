package soap

import (
	"bytes"
	"strconv"
)

// compactNamespaces rewrites a document encoding/xml marshalled so that
// each namespace is declared once, on the root: encoding/xml writes
// xmlns="…" on every element with a namespace, which for ME's responses
// (portal elements holding common.xsd elements) repeats the common
// namespace on every child and doubles the size of some answers. The root's
// namespace stays the default; every other gets a prefix (n1, n2, …) and
// the elements in it are written prefixed. The document means the same:
// only how its names are spelled changes.
//
// Elements that are already prefixed (the case system's completion data,
// copied as written) keep their names and declarations; unprefixed ones
// among them get the namespace they had. A document that already uses one
// of the prefixes is returned as it is.
func compactNamespaces(doc []byte) []byte {
	nss := declaredDefaults(doc)
	if len(nss) == 0 {
		return doc
	}
	prefixes := map[string]string{nss[0]: ""}
	for i, ns := range nss[1:] {
		p := "n" + strconv.Itoa(i+1)
		if bytes.Contains(doc, []byte("xmlns:"+p+"=")) || bytes.Contains(doc, []byte("<"+p+":")) {
			return doc
		}
		prefixes[ns] = p
	}
	out := make([]byte, 0, len(doc))
	var stack []frame // one per open element
	root := true
	for i := 0; i < len(doc); {
		lt := bytes.IndexByte(doc[i:], '<')
		if lt < 0 {
			out = append(out, doc[i:]...)
			break
		}
		out = append(out, doc[i:i+lt]...)
		i += lt
		switch {
		case bytes.HasPrefix(doc[i:], []byte("<!--")):
			i = copyThrough(&out, doc, i, "-->")
		case bytes.HasPrefix(doc[i:], []byte("<![CDATA[")):
			i = copyThrough(&out, doc, i, "]]>")
		case bytes.HasPrefix(doc[i:], []byte("<?")), bytes.HasPrefix(doc[i:], []byte("<!")):
			i = copyThrough(&out, doc, i, ">")
		case bytes.HasPrefix(doc[i:], []byte("</")):
			end := i + bytes.IndexByte(doc[i:], '>')
			if len(stack) == 0 || end < i {
				return doc
			}
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			out = append(out, "</"...)
			out = append(out, f.name...)
			out = append(out, '>')
			i = end + 1
		default:
			next, ok := rewriteStart(&out, doc, i, &stack, prefixes, nss, root)
			if !ok {
				return doc
			}
			root = false
			i = next
		}
	}
	return out
}

// frame is an open element: its name as written out, and the default
// namespace in scope inside it in the original document.
type frame struct {
	name      []byte
	defaultNS string
}

// rewriteStart copies the start tag at doc[i] to out, renamed, and returns
// where it ends.
func rewriteStart(out *[]byte, doc []byte, i int, stack *[]frame, prefixes map[string]string, nss []string, root bool) (int, bool) {
	j := i + 1
	for j < len(doc) && !isSpace(doc[j]) && doc[j] != '>' && doc[j] != '/' {
		j++
	}
	name := doc[i+1 : j]
	inherited := ""
	if n := len(*stack); n > 0 {
		inherited = (*stack)[n-1].defaultNS
	}
	// Read the attributes, dropping a default namespace declaration.
	var attrs []byte
	ns, declared := inherited, false
	for {
		for j < len(doc) && isSpace(doc[j]) {
			j++
		}
		if j >= len(doc) {
			return 0, false
		}
		if doc[j] == '>' || doc[j] == '/' {
			break
		}
		eq := bytes.IndexByte(doc[j:], '=')
		if eq < 0 || j+eq+1 >= len(doc) {
			return 0, false
		}
		key := bytes.TrimSpace(doc[j : j+eq])
		q := j + eq + 1
		for q < len(doc) && isSpace(doc[q]) {
			q++
		}
		if q >= len(doc) || (doc[q] != '"' && doc[q] != '\'') {
			return 0, false
		}
		closing := bytes.IndexByte(doc[q+1:], doc[q])
		if closing < 0 {
			return 0, false
		}
		value := doc[q+1 : q+1+closing]
		if string(key) == "xmlns" {
			ns, declared = string(value), true
		} else {
			attrs = append(attrs, ' ')
			attrs = append(attrs, doc[j:q+2+closing]...)
		}
		j = q + 2 + closing
	}
	selfClosing := doc[j] == '/'
	if selfClosing {
		j++
	}
	if j >= len(doc) || doc[j] != '>' {
		return 0, false
	}
	written := name
	if bytes.IndexByte(name, ':') < 0 {
		p, known := prefixes[ns]
		if !known {
			return 0, false
		}
		if p != "" {
			written = append([]byte(p+":"), name...)
		}
	} else if declared {
		// A prefixed element declaring a default namespace for its
		// unprefixed children: keep the declaration as written.
		attrs = append([]byte(` xmlns="`+xmlEscape(ns)+`"`), attrs...)
	}
	*out = append(*out, '<')
	*out = append(*out, written...)
	if root {
		*out = append(*out, ` xmlns="`+xmlEscape(nss[0])+`"`...)
		for _, other := range nss[1:] {
			*out = append(*out, ` xmlns:`+prefixes[other]+`="`+xmlEscape(other)+`"`...)
		}
	}
	*out = append(*out, attrs...)
	if selfClosing {
		*out = append(*out, "/>"...)
	} else {
		*out = append(*out, '>')
		*stack = append(*stack, frame{name: written, defaultNS: ns})
	}
	return j + 1, true
}

// declaredDefaults lists the namespaces declared as default (xmlns="…") in
// doc, the root's first.
func declaredDefaults(doc []byte) []string {
	var out []string
	seen := map[string]bool{}
	for rest := doc; ; {
		k := bytes.Index(rest, []byte(` xmlns="`))
		if k < 0 {
			return out
		}
		rest = rest[k+8:]
		end := bytes.IndexByte(rest, '"')
		if end < 0 {
			return out
		}
		if ns := string(rest[:end]); !seen[ns] {
			seen[ns] = true
			out = append(out, ns)
		}
		rest = rest[end:]
	}
}

func copyThrough(out *[]byte, doc []byte, i int, terminator string) int {
	end := bytes.Index(doc[i:], []byte(terminator))
	if end < 0 {
		*out = append(*out, doc[i:]...)
		return len(doc)
	}
	end += i + len(terminator)
	*out = append(*out, doc[i:end]...)
	return end
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

func xmlEscape(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '"':
			b.WriteString("&#34;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
