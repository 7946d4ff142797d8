package extract

import (
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/minaengagemang/me"
)

// TestBuildShowsWhoseNotWho: a citizen's event says whether it is this
// citizen's, and never names the co-applicant who made it; the case's
// other citizens and the handler's e-mail stay out; the files round-trip
// as base64 in both forms; an unknown format is refused.
func TestBuildShowsWhoseNotWho(t *testing.T) {
	const me1, coApplicant = "191212121212", "198112289874"
	now := time.Date(2026, 3, 12, 13, 5, 0, 0, time.UTC)
	c := me.CaseView{CaseSummary: me.CaseSummary{Case: me.Case{ID: "c1", OrganisationNumber: "2120009994", Title: me.LocalizedText{SV: "Bygglov"},
		Status: me.CaseDecided, Handler: me.Handler{Name: "Anna", Email: "anna@kommun.example"}, Citizens: []string{me1, coApplicant}}},
		Events: []me.Event{
			{ID: "e1", Title: me.LocalizedText{SV: "Meddelande"}, FromCitizen: true, Author: me1},
			{ID: "e2", Title: me.LocalizedText{SV: "Komplettering"}, FromCitizen: true, Author: coApplicant,
				Attachments: []me.Attachment{{ID: "a1", FileName: "kp.txt", MediaType: "text/plain", Size: 3}}},
			{ID: "e3", Title: me.LocalizedText{SV: "Beslut"}},
		}}
	doc, err := Build(me.CitizenData{PersonalIdentityNumber: me1, Cases: []me.CaseView{c}}, nil, "admin:dpo", now,
		func(string) ([]byte, error) { return []byte("åäö"), nil })
	if err != nil {
		t.Fatal(err)
	}
	whose := func(e Event) string {
		if e.ByCitizen == nil {
			return "unknown"
		}
		return map[bool]string{true: "mine", false: "another's"}[*e.ByCitizen]
	}
	events := doc.Cases[0].Events
	for i, want := range []string{"mine", "another's", "unknown"} {
		if got := whose(events[i]); got != want {
			t.Errorf("event %s: %s; want %s", events[i].ID, got, want)
		}
	}
	for _, format := range []string{FormatXML, FormatJSON} {
		b, err := Encode(doc, format)
		if err != nil {
			t.Fatal(err)
		}
		if s := string(b); strings.Contains(s, coApplicant) || strings.Contains(s, "anna@kommun.example") {
			t.Errorf("%s names the co-applicant or the handler's e-mail:\n%s", format, s)
		}
		var back Document
		if format == FormatXML {
			err = xml.Unmarshal(b, &back)
		} else {
			err = json.Unmarshal(b, &back)
		}
		if err != nil || string(back.Cases[0].Events[1].Attachments[0].Content) != "åäö" {
			t.Errorf("%s: the file did not round-trip: %v", format, err)
		}
	}
	if _, err := Encode(doc, "pdf"); err == nil || !strings.Contains(err.Error(), `"pdf"`) {
		t.Errorf("Encode(pdf) = %v; want a refusal naming the format", err)
	}
}
