package xsd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The labels in testdata/shs-label were taken from real SHS messages
// (../shared/interop/shs-axel) and from hand-made invalid variants; the
// label schema must accept the real ones and refuse the others.
func TestSHSLabelSchema(t *testing.T) {
	schemas, err := Load(SHSLabel)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeAll(schemas) })
	files, _ := filepath.Glob("testdata/shs-label/*.xml")
	if len(files) < 10 {
		t.Fatalf("want the label fixtures, found %d", len(files))
	}
	for _, f := range files {
		name := filepath.Base(f)
		// TotallyBroken is cut off mid-label: not even well-formed.
		wantValid := !strings.HasPrefix(name, "invalid-") && !strings.Contains(name, "TotallyBroken")
		t.Run(name, func(t *testing.T) {
			doc, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			err = schemas[SHSLabel].Validate(doc)
			if wantValid && err != nil {
				t.Errorf("a real label is refused: %v", err)
			}
			if !wantValid && err == nil {
				t.Error("an invalid label is accepted")
			}
		})
	}
}
