package main

import (
	"bytes"
	"encoding/xml"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/minaengagemang/me/generated/catalog"
	"github.com/minaengagemang/me/generated/common"
	"github.com/minaengagemang/me/generated/etjanst"
	"github.com/minaengagemang/me/generated/portal"
)

// TestGeneratedIsUpToDate regenerates every contract into a temporary
// directory, as `make generate` does, and fails if generated/ differs: the
// committed bindings, generated/common included, must be exactly what the
// contracts produce.
func TestGeneratedIsUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("regenerating takes a few seconds")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	var wsdls []string
	for _, svc := range []string{"portal", "catalog", "etjanst"} {
		wsdl := filepath.Join(root, "wsdl", svc+".wsdl")
		gowsdl := exec.Command("go", "tool", "gowsdl", "-p", svc, "-d", tmp, "-o", svc+".go", wsdl)
		gowsdl.Dir = root
		if out, err := gowsdl.CombinedOutput(); err != nil {
			t.Fatalf("gowsdl %s: %v\n%s", svc, err, out)
		}
		wsdls = append(wsdls, wsdl)
	}
	if err := run(tmp, wsdls); err != nil {
		t.Fatalf("megen: %v", err)
	}
	want, got := listFiles(t, tmp), listFiles(t, filepath.Join(root, "generated"))
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("generated/%s is not written by make generate: run `make generate` and commit", name)
		}
	}
	for name, content := range want {
		if c, ok := got[name]; !ok || !bytes.Equal(c, content) {
			t.Errorf("generated/%s is not what make generate writes: run `make generate` and commit", name)
		}
	}
	if len(want) == 0 || want["common/common.go"] == nil {
		t.Errorf("make generate wrote no generated/common/common.go")
	}
}

// listFiles reads every file under dir, by slash-separated relative path.
func listFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)], err = os.ReadFile(p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestSharedTypesAreDeclaredOnce checks the move to generated/common: no
// service package declares a type of its own where common has one, a
// shared type is one Go type under every package's name, and its elements
// still travel in the shared schema's namespace.
func TestSharedTypesAreDeclaredOnce(t *testing.T) {
	shared := declaredTypes(t, "../../generated/common")
	if !shared["MEFault"] || !shared["PostalAddress"] || !shared["LocalizedText"] || !shared["Base64Binary"] {
		t.Errorf("generated/common lacks MEFault, PostalAddress, LocalizedText or Base64Binary")
	}
	for _, svc := range []string{"portal", "catalog", "etjanst"} {
		for name := range declaredTypes(t, "../../generated/"+svc) {
			if shared[name] {
				t.Errorf("generated/%s declares its own %s; want an alias of common.%s", svc, name, name)
			}
		}
	}

	var text portal.LocalizedText = catalog.LocalizedText{Sv: "Hej"}
	var fault *etjanst.MEFault = &common.MEFault{Code: portal.FaultCodeNotFound, Message: "x"}
	data, err := xml.Marshal(struct {
		XMLName xml.Name `xml:"http://minaengagemang.se/portal/v1 T"`
		Text    common.LocalizedText
		Fault   *catalog.MEFault
	}{Text: text, Fault: fault})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<sv xmlns="http://minaengagemang.se/schema/common/v1">Hej</sv>`,
		`<code xmlns="http://minaengagemang.se/schema/fault/v1">NotFound</code>`,
	} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("want %s in %s", want, data)
		}
	}
}

// declaredTypes lists the exported types the package in dir declares,
// aliases left out.
func declaredTypes(t *testing.T, dir string) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files in %s: %v", dir, err)
	}
	types := map[string]bool{}
	for _, f := range files {
		file, err := parser.ParseFile(token.NewFileSet(), f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range file.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.TYPE {
				continue
			}
			for _, spec := range gen.Specs {
				if ts := spec.(*ast.TypeSpec); !ts.Assign.IsValid() && ts.Name.IsExported() {
					types[ts.Name.Name] = true
				}
			}
		}
	}
	return types
}

// TestBase64BinaryRoundTrips checks the base64Binary fix: bytes that are
// not text survive marshalling through the generated types exactly, and
// travel base64-encoded.
func TestBase64BinaryRoundTrips(t *testing.T) {
	content := make([]byte, 1024)
	for i := range content {
		content[i] = byte(i * 7)
	}
	in := portal.GetAttachmentResponse{FileName: "beslut-åäö.pdf", MediaType: "application/pdf", Content: content}
	data, err := xml.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, content[:16]) {
		t.Fatal("content was sent raw, not base64")
	}
	var out portal.GetAttachmentResponse
	if err := xml.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Content, content) || out.FileName != in.FileName {
		t.Errorf("round trip changed the attachment: %d bytes, name %q", len(out.Content), out.FileName)
	}
	// Senders may wrap base64 over lines.
	wrapped := []byte(`<GetAttachmentResponse xmlns="http://minaengagemang.se/portal/v1"><fileName>a</fileName><mediaType>b</mediaType><content>AAEC
AwQF</content></GetAttachmentResponse>`)
	if err := xml.Unmarshal(wrapped, &out); err != nil || !bytes.Equal(out.Content, []byte{0, 1, 2, 3, 4, 5}) {
		t.Errorf("wrapped base64: %v, %v", out.Content, err)
	}
}

// TestRequiredElementsAreSentWhenEmpty checks the omitempty fix: a
// required element with a zero value is still sent.
func TestRequiredElementsAreSentWhenEmpty(t *testing.T) {
	data, err := xml.Marshal(portal.CaseSummary{UnreadEvents: 0, Archived: false})
	if err != nil {
		t.Fatal(err)
	}
	for _, el := range []string{"<unreadEvents", "<archived", "<title"} {
		if !bytes.Contains(data, []byte(el)) {
			t.Errorf("required element %s> left out of %s", el, data)
		}
	}
	if bytes.Contains(data, []byte("<caseNumber")) {
		t.Errorf("optional caseNumber sent although nil: %s", data)
	}
}
