package wsdl

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
)

const wsdlNS = "http://schemas.xmlsoap.org/wsdl/"

// keywords are the words that cannot be an identifier in the languages
// integrators generate clients in, where a contract name becomes a
// parameter, property, field, method or class name. Only reserved words:
// contextual ones (C#'s value, Java's var and record, Python's soft
// keywords match, case and type) are legal identifiers. PHP's are matched in
// any case, as PHP does; the others exactly.
var keywords = map[string]string{
	"Java": `abstract assert boolean break byte case catch char class const continue default do double
		else enum extends final finally float for goto if implements import instanceof int interface
		long native new package private protected public return short static strictfp super switch
		synchronized this throw throws transient try void volatile while _ true false null`,
	"C#": `abstract as base bool break byte case catch char checked class const continue decimal default
		delegate do double else enum event explicit extern false finally fixed float for foreach goto
		if implicit in int interface internal is lock long namespace new null object operator out
		override params private protected public readonly ref return sbyte sealed short sizeof
		stackalloc static string struct switch this throw true try typeof uint ulong unchecked unsafe
		ushort using virtual void volatile while`,
	"C++": `alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t char16_t
		char32_t class compl concept const consteval constexpr constinit const_cast continue co_await
		co_return co_yield decltype default delete do double dynamic_cast else enum explicit export
		extern false float for friend goto if inline int long mutable namespace new noexcept not
		not_eq nullptr operator or or_eq private protected public register reinterpret_cast requires
		return short signed sizeof static static_assert static_cast struct switch template this
		thread_local throw true try typedef typeid typename union unsigned using virtual void
		volatile wchar_t while xor xor_eq`,
	"PHP": `__halt_compiler abstract and array as break callable case catch class clone const continue
		declare default die do echo else elseif empty enddeclare endfor endforeach endif endswitch
		endwhile enum eval exit extends final finally fn for foreach function global goto if
		implements include include_once instanceof insteadof interface isset list match namespace
		new or print private protected public readonly require require_once return static switch
		throw trait try unset use var while xor yield
		int float bool string true false null void iterable object mixed never resource numeric`,
	"Python": `False None True and as assert async await break class continue def del elif else except
		finally for from global if import in is lambda nonlocal not or pass raise return try while
		with yield`,
	"JavaScript": `await break case catch class const continue debugger default delete do else enum
		export extends false finally for function if implements import in instanceof interface let
		new null package private protected public return static super switch this throw true try
		typeof var void while with yield arguments eval`,
}

// keywordIn returns the languages in which name is a reserved word.
func keywordIn(name string) []string {
	var langs []string
	for lang, words := range keywords {
		for _, w := range strings.Fields(words) {
			if w == name || lang == "PHP" && strings.EqualFold(w, name) {
				langs = append(langs, lang)
				break
			}
		}
	}
	slices.Sort(langs)
	return langs
}

// contractName is a name in a contract that a client generator turns into
// an identifier.
type contractName struct {
	file, kind, name string
}

// generatedNames lists the names in doc (a WSDL or a schema) that become
// identifiers: operation, part, port type and service names; element,
// attribute, type and group names; enumeration values (C# enum members).
func generatedNames(file string, doc []byte) ([]contractName, error) {
	d := xml.NewDecoder(bytes.NewReader(doc))
	var out []contractName
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		kind := el.Name.Local
		switch {
		case el.Name.Space == wsdlNS && slices.Contains([]string{"operation", "part", "portType", "service"}, kind),
			el.Name.Space == xsdNS && slices.Contains([]string{"element", "attribute", "complexType", "simpleType", "group", "attributeGroup"}, kind):
			if n := attr(el, "name"); n != "" {
				out = append(out, contractName{file, kind, n})
			}
		case el.Name.Space == xsdNS && kind == "enumeration":
			out = append(out, contractName{file, kind, attr(el, "value")})
		}
	}
}

// TestContractNamesAreNoKeywords: a name that is a reserved word in a
// client's language aborts its generator (wsimport refuses a wrapper child
// named case) or comes out escaped (@event in C#).
func TestContractNamesAreNoKeywords(t *testing.T) {
	files := map[string][]byte{} // each schema once, though every WSDL reaches common.xsd
	for _, c := range contracts(t) {
		files[c.wsdl] = c.doc
		for _, s := range c.schemas {
			files[s.name] = s.text
		}
	}
	// The register extract's schema is in no WSDL, but a consumer may
	// generate classes from it all the same.
	extract, err := os.ReadFile("../xsd/citizen-export.xsd")
	if err != nil {
		t.Fatal(err)
	}
	files["citizen-export.xsd"] = extract
	checked := 0
	for file, doc := range files {
		names, err := generatedNames(file, doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			checked++
			if langs := keywordIn(n.name); len(langs) > 0 {
				t.Errorf("%s: %s %q is a keyword in %s", n.file, n.kind, n.name, strings.Join(langs, ", "))
			}
		}
	}
	if checked < 100 {
		t.Fatalf("only %d names checked; the contracts were not read", checked)
	}
}

func TestKeywordIn(t *testing.T) {
	tests := []struct {
		name string
		want []string
	}{
		{"case", []string{"C#", "C++", "Java", "JavaScript", "PHP"}},
		{"event", []string{"C#"}},
		{"List", []string{"PHP"}}, // PHP in any case,
		{"Case", []string{"PHP"}}, // the others exactly
		{"Event", nil},
		{"None", []string{"Python"}},
		{"none", nil},
		{"caseSummary", nil},
	}
	for _, tt := range tests {
		if got := keywordIn(tt.name); !slices.Equal(got, tt.want) {
			t.Errorf("keywordIn(%q) = %v; want %v", tt.name, got, tt.want)
		}
	}
}

// wrapperChildren returns the local names of the children of the global
// element local, in any of the schemas.
func wrapperChildren(schemas []xsSchema, local string) ([]string, bool) {
	for _, s := range schemas {
		for _, el := range s.Elements {
			if el.Name != local {
				continue
			}
			ct := el.ComplexType
			if ct == nil {
				_, typ, _ := strings.Cut(el.Type, ":")
				for i := range s.ComplexTypes {
					if s.ComplexTypes[i].Name == typ {
						ct = &s.ComplexTypes[i]
					}
				}
			}
			if ct == nil {
				return nil, false
			}
			var names []string
			for _, c := range append(ct.Children, ct.All...) {
				names = append(names, c.Name)
			}
			return names, true
		}
	}
	return nil, false
}

// TestResponseChildrenDifferFromRequestChildren: a response child named
// like a child of its request becomes an in-out parameter in wrapped-style
// clients (.NET's ref, JAX-WS's Holder<>), and the caller's value is
// overwritten by the answer's.
func TestResponseChildrenDifferFromRequestChildren(t *testing.T) {
	operations := 0
	for _, c := range contracts(t) {
		var defs wsdlDefinitions
		if err := xml.Unmarshal(c.doc, &defs); err != nil {
			t.Fatalf("%s: %v", c.wsdl, err)
		}
		var schemas []xsSchema
		for _, f := range c.schemas {
			var s xsSchema
			if err := xml.Unmarshal(f.text, &s); err != nil {
				t.Fatalf("%s: %v", f.name, err)
			}
			schemas = append(schemas, s)
		}
		element := func(message string) string { // the wrapper element of a message, by local name
			_, message, _ = strings.Cut(message, ":")
			for _, m := range defs.Messages {
				if m.Name == message && len(m.Parts) == 1 {
					_, local, _ := strings.Cut(m.Parts[0].Element, ":")
					return local
				}
			}
			t.Fatalf("%s: no message %s with one part", c.wsdl, message)
			return ""
		}
		for _, op := range defs.Operations {
			operations++
			req, res := element(op.Input.Message), element(op.Output.Message)
			reqChildren, ok1 := wrapperChildren(schemas, req)
			resChildren, ok2 := wrapperChildren(schemas, res)
			if !ok1 || !ok2 {
				t.Errorf("%s %s: wrapper elements %s and %s not found in its schemas", c.wsdl, op.Name, req, res)
				continue
			}
			for _, name := range resChildren {
				if slices.Contains(reqChildren, name) {
					t.Errorf("%s %s: response child %s/%s has the name of a child of the request %s", c.wsdl, op.Name, res, name, req)
				}
			}
		}
	}
	if operations != 17 {
		t.Errorf("%d operations checked; the three WSDLs have 17", operations)
	}
}

// TestVersionIsTheSchemasNewest: Version, which `me version` prints as the
// contracts' release, is the newest version attribute of the schemas the
// WSDLs reach.
func TestVersionIsTheSchemasNewest(t *testing.T) {
	newest := ""
	for _, c := range contracts(t) {
		for _, s := range c.schemas {
			var head struct {
				Version string `xml:"version,attr"`
			}
			if err := xml.Unmarshal(s.text, &head); err != nil {
				t.Fatal(err)
			}
			if head.Version == "" {
				t.Errorf("%s has no version attribute", s.name)
			}
			if versionLess(newest, head.Version) {
				newest = head.Version
			}
		}
	}
	if newest != Version {
		t.Errorf("the newest schema is at %s, Version is %s", newest, Version)
	}
}

// versionLess compares MAJOR.MINOR versions by number.
func versionLess(a, b string) bool {
	var am, an, bm, bn int
	fmt.Sscanf(a, "%d.%d", &am, &an)
	fmt.Sscanf(b, "%d.%d", &bm, &bn)
	return am < bm || am == bm && an < bn
}
