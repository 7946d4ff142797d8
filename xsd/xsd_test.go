package xsd

import (
	"strings"
	"testing"
)

func TestValidateReportsLinesAndElements(t *testing.T) {
	schemas, err := Load(Portal, Catalog, Etjanst, Fault)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeAll(schemas) })
	portal := schemas[Portal]

	tests := []struct {
		name     string
		doc      string
		wantLine int
		want     string // substring of the first error; "" for valid
	}{
		{"valid", `<GetEService xmlns="http://minaengagemang.se/portal/v1"><eServiceId>bygglov</eServiceId></GetEService>`, 0, ""},
		{"wrong namespace", `<GetEService xmlns="urn:wrong"><eServiceId>x</eServiceId></GetEService>`, 1, "GetEService"},
		{"missing required element", "<GetEService xmlns=\"http://minaengagemang.se/portal/v1\">\n</GetEService>", 1, "eServiceId"},
		{"bad type", "<ListCases xmlns=\"http://minaengagemang.se/portal/v1\">\n<citizen>191212121212</citizen>\n<pageSize>many</pageSize>\n</ListCases>", 3, "pageSize"},
		{"not well-formed", "<GetEService xmlns=\"http://minaengagemang.se/portal/v1\">\n<eServiceId>x</GetEService>", 2, "mismatch"},
		{"entity not expanded", "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>\n<GetEService xmlns=\"http://minaengagemang.se/portal/v1\"><eServiceId>&e;</eServiceId></GetEService>", 2, "entity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := portal.Validate([]byte(tt.doc))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			errs, ok := err.(Errors)
			if !ok || len(errs) == 0 {
				t.Fatalf("want Errors, got %v", err)
			}
			if errs[0].Line != tt.wantLine || !strings.Contains(errs[0].Message, tt.want) {
				t.Errorf("first error = line %d %q; want line %d containing %q", errs[0].Line, errs[0].Message, tt.wantLine, tt.want)
			}
		})
	}
}

func TestSchemasAreSafeForConcurrentUse(t *testing.T) {
	schemas, err := Load(Portal)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeAll(schemas) })
	done := make(chan error)
	for i := 0; i < 8; i++ {
		go func() {
			var err error
			for j := 0; j < 200 && err == nil; j++ {
				err = schemas[Portal].Validate([]byte(`<GetEService xmlns="http://minaengagemang.se/portal/v1"><eServiceId>a</eServiceId></GetEService>`))
				if err == nil {
					if schemas[Portal].Validate([]byte(`<GetEService xmlns="http://minaengagemang.se/portal/v1"/>`)) == nil {
						err = errMissedInvalid
					}
				}
			}
			done <- err
		}()
	}
	for i := 0; i < 8; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

var errMissedInvalid = Error{Message: "an invalid document passed"}
