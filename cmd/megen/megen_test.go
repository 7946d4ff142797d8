package main

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/minaengagemang/me/generated/portal"
)

// TestGeneratedIsUpToDate regenerates every contract into a temporary
// directory, as `make generate` does, and fails if generated/ differs: the
// committed bindings must be exactly what the contracts produce.
func TestGeneratedIsUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("regenerating takes a few seconds")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	for _, svc := range []string{"portal", "catalog", "etjanst"} {
		gowsdl := exec.Command("go", "tool", "gowsdl", "-p", svc, "-d", tmp, "-o", svc+".go", filepath.Join(root, "wsdl", svc+".wsdl"))
		gowsdl.Dir = root
		if out, err := gowsdl.CombinedOutput(); err != nil {
			t.Fatalf("gowsdl %s: %v\n%s", svc, err, out)
		}
		if err := run(filepath.Join(root, "wsdl", svc+".wsdl"), filepath.Join(tmp, svc)); err != nil {
			t.Fatalf("megen %s: %v", svc, err)
		}
		entries, err := os.ReadDir(filepath.Join(tmp, svc))
		if err != nil {
			t.Fatal(err)
		}
		committed, _ := os.ReadDir(filepath.Join(root, "generated", svc))
		if len(entries) != len(committed) {
			t.Errorf("generated/%s has %d files; make generate writes %d", svc, len(committed), len(entries))
		}
		for _, e := range entries {
			want, _ := os.ReadFile(filepath.Join(tmp, svc, e.Name()))
			got, err := os.ReadFile(filepath.Join(root, "generated", svc, e.Name()))
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("generated/%s/%s is not what make generate writes: run `make generate` and commit", svc, e.Name())
			}
		}
	}
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
