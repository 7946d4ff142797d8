package soap

import (
	"encoding/xml"
	"testing"
)

func TestActionNames(t *testing.T) {
	const ns = "http://minaengagemang.se/portal/v1"
	op := Operation{Name: "GetCase", SOAPAction: ns + "/GetCase", Request: xml.Name{Space: ns, Local: "GetCase"}}
	tests := []struct {
		action string
		want   bool
	}{
		{"", true},                   // none sent: the body element chooses
		{ns + "/GetCase", true},      // the contract's form
		{ns + "#GetCase", true},      // SOAP::Lite's default form
		{ns + "/ListCases", false},   // another operation
		{ns + "#ListCases", false},   // another operation, SOAP::Lite's form
		{ns + "/#GetCase", false},    // neither form
		{"GetCase", false},           // the bare name
		{"urn:other#GetCase", false}, // another namespace
		{ns + "/getcase", false},     // names are case-sensitive
	}
	for _, tt := range tests {
		if got := actionNames(tt.action, op); got != tt.want {
			t.Errorf("actionNames(%q) = %v; want %v", tt.action, got, tt.want)
		}
	}
}
