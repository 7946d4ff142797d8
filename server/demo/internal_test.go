package demo

import "testing"

func TestPrettyXML(t *testing.T) {
	got := prettyXML(`<a:x xmlns:a="urn:a"><a:y k="1&amp;2">t &lt; u</a:y><a:z/></a:x>`)
	want := "<a:x xmlns:a=\"urn:a\">\n  <a:y k=\"1&amp;2\">t &lt; u</a:y>\n  <a:z></a:z>\n</a:x>"
	if got != want {
		t.Errorf("prettyXML:\n%s\nwant:\n%s", got, want)
	}
	if got := prettyXML("<broken"); got != "<broken" {
		t.Errorf("broken XML: %q", got)
	}
}

func TestValidPnr(t *testing.T) {
	for p, want := range map[string]bool{"191212121212": true, "198112289874": true, "191212121213": false, "1912121212": false, "19121212121x": false} {
		if validPnr(p) != want {
			t.Errorf("validPnr(%s) = %v", p, !want)
		}
	}
}
