package demo

import (
	"math"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"testing"
	"time"
)

func TestCompletionFields(t *testing.T) {
	for _, tt := range []struct {
		name, data string
		want       []field
		ok         bool
	}{
		{"known Swedish names, prefixes and white space", `
			<bl:kontrollplanBegäran xmlns:bl="urn:example:kommun:bygglov:1">
			  <bl:fastighet>Solrosen 4</bl:fastighet>
			  <bl:åtgärd>Tillbyggnad av
			     enbostadshus</bl:åtgärd>
			</bl:kontrollplanBegäran>`,
			[]field{{Label: "Begäran om kontrollplan", Children: []field{
				{Label: "Fastighet", Value: "Solrosen 4"}, {Label: "Åtgärd", Value: "Tillbyggnad av enbostadshus"}}}}, true},
		{"attributes: typ beside the label, codes and versions hidden, others as fields", `<s:x xmlns:s="urn:s" version="1"><s:adress typ="växelvis"><s:gata>Björkgården 12 B</s:gata></s:adress><s:uppgift kod="INTYG">Intyg</s:uppgift><s:skola enhetskod="12345678">Ängens skola</s:skola></s:x>`,
			[]field{{Label: "X", Children: []field{
				{Label: "Adress (växelvis)", Children: []field{{Label: "Gatuadress", Value: "Björkgården 12 B"}}},
				{Label: "Uppgift", Value: "Intyg"},
				{Label: "Skola", Value: "Ängens skola", Children: []field{{Label: "Skolenhetskod", Value: "12345678"}}}}}}, true},
		{"unknown names written out, dates in Swedish, escapes as text", `<tidigareBeslut/><start_datum>2026-04-15</start_datum><krav>Intyg &amp; ritning &lt;A3&gt;</krav>`,
			[]field{{Label: "Tidigare beslut"}, {Label: "Start datum", Value: "15 april 2026"}, {Label: "Krav", Value: "Intyg & ritning <A3>"}}, true},
		{"not XML", `<broken`, nil, false},
		{"unclosed", `<a><b>x</b>`, nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := completionFields(tt.data)
			if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("completionFields = %+v, %v\nwant %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestNormaliseMobile(t *testing.T) {
	for in, want := range map[string]string{
		"0701234567":          "+46701234567",
		"070-123 45 67":       "+46701234567",
		"070-1234567":         "+46701234567",
		"+46 70 123 45 67":    "+46701234567",
		"+46 (0)70-123 45 67": "+46701234567",
		"+46 070 123 45 67":   "+46701234567",
		"0046 70 123 45 67":   "+46701234567",
		"+46701234567":        "+46701234567",
		" 070.123.45.67 ":     "+46701234567",
		"+358 40 123 4567":    "+358401234567",
	} {
		if got, ok := normaliseMobile(in); !ok || got != want {
			t.Errorf("normaliseMobile(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"070-12", "mobil", "070 123 45 67 8901234", "+0701234567", "46701234567x"} {
		if got, ok := normaliseMobile(in); ok {
			t.Errorf("normaliseMobile(%q) = %q; want not ok", in, got)
		}
	}
}

func TestContentType(t *testing.T) {
	for _, tt := range []struct {
		mediaType, content, want string
	}{
		{"text/plain", "Kontrollplan för tillbyggnad", "text/plain; charset=utf-8"},
		{"text/csv", "a;b", "text/csv; charset=utf-8"},
		{"text/plain; charset=iso-8859-1", "f\xf6r", "text/plain; charset=iso-8859-1"},
		{"text/plain", "f\xf6r", "text/plain"}, // not UTF-8: no claim that it is
		{"application/pdf", "%PDF", "application/pdf"},
		{"", "x", "application/octet-stream"},
		{"nonsense/", "x", "application/octet-stream"},
	} {
		if got := contentType(tt.mediaType, []byte(tt.content)); got != tt.want {
			t.Errorf("contentType(%q) = %q; want %q", tt.mediaType, got, tt.want)
		}
	}
}

func TestDateFormat(t *testing.T) {
	d := &demo{loc: time.FixedZone("CET", 3600)}
	if got := d.formatTime(time.Date(2026, 3, 12, 13, 5, 0, 0, time.UTC)); got != "12 mars 2026 kl. 14:05" {
		t.Errorf("formatTime = %q", got)
	}
	if got := formatDate(time.Date(2026, 4, 15, 0, 0, 0, 0, time.UTC)); got != "15 april 2026" {
		t.Errorf("formatDate = %q", got)
	}
}

func TestValidPnr(t *testing.T) {
	for p, want := range map[string]bool{"191212121212": true, "198112289874": true, "191212121213": false, "1912121212": false, "19121212121x": false} {
		if validPnr(p) != want {
			t.Errorf("validPnr(%s) = %v", p, !want)
		}
	}
}

// TestHeaderContrast: the organisation number on the header's blue meets
// WCAG 2.1 AA for normal text (4.5:1); it was grey on blue at 1.12:1.
func TestHeaderContrast(t *testing.T) {
	css, err := os.ReadFile("static/demo.css")
	if err != nil {
		t.Fatal(err)
	}
	color := func(re string) string {
		m := regexp.MustCompile(re).FindSubmatch(css)
		if m == nil {
			t.Fatalf("demo.css has no %s", re)
		}
		return string(m[1])
	}
	bg := color(`--accent:\s*(#[0-9a-fA-F]{6})`)
	fg := color(`header\.site \.orgnr \{[^}]*color:\s*(#[0-9a-fA-F]{6})`)
	if r := contrast(fg, bg); r < 4.5 {
		t.Errorf("organisation number %s on %s: contrast %.2f:1; want at least 4.5:1", fg, bg, r)
	}
}

// contrast is WCAG 2.1's contrast ratio of two #rrggbb colours.
func contrast(a, b string) float64 {
	lum := func(hex string) float64 {
		var c [3]float64
		for i := range c {
			v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
			s := float64(v) / 255
			if s <= 0.03928 {
				c[i] = s / 12.92
			} else {
				c[i] = math.Pow((s+0.055)/1.055, 2.4)
			}
		}
		return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]
	}
	la, lb := lum(a), lum(b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}
