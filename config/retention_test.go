package config

import (
	"reflect"
	"strings"
	"testing"

	"github.com/minaengagemang/me"
)

// TestRetention: the default retention, an organisation's own periods over
// it (a key absent keeps the default's, an explicit 0 keeps for ever), and
// the organisations without their own.
func TestRetention(t *testing.T) {
	clearEnv(t)
	c, err := Load(writeFile(t, "me.yaml", `
retention:
  notifications: 30
organisations:
  - number: "212000-9994"
    name: Demo kommun
    retention:
      cases_after_closing: 6
      audit: 0
  - number: "2120009986"
    name: Exempels kommun
`))
	if err != nil {
		t.Fatal(err)
	}
	def := me.Retention{CasesAfterClosing: 24, SHSMessages: 90, SHSTxIDs: 365, Notifications: 30, Audit: 24}
	want := me.RetentionPolicy{Default: def, Organisations: map[string]me.Retention{
		"2120009994": {CasesAfterClosing: 6, SHSMessages: 90, SHSTxIDs: 365, Notifications: 30, Audit: 0},
	}}
	if got := c.RetentionPolicy(); !reflect.DeepEqual(got, want) {
		t.Errorf("RetentionPolicy() = %+v, want %+v", got, want)
	}
	if got := c.RetentionPolicy().For("2120009986"); got != def {
		t.Errorf("an organisation without its own retention has %+v, want the default %+v", got, def)
	}
	if c.Retention.BatchSize != 500 || c.Retention.Interval <= 0 || c.Retention.Pause <= 0 {
		t.Errorf("the purge's defaults: %+v", c.Retention)
	}
}

func TestRetentionRejects(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // each must appear in the error
	}{
		{"negative", "retention:\n  audit: -1\n", []string{"retention.audit: -1 is out of range; give months from 1 to 1200, or 0 to keep for ever"}},
		{"a century and more", "retention:\n  shs_messages: 40000\n", []string{"retention.shs_messages: 40000 is out of range"}},
		{"not a number", "retention:\n  notifications: often\n", []string{"retention.notifications: "}},
		{"tx.ids kept shorter than messages", "retention:\n  shs_messages: 30\n  shs_tx_ids: 7\n",
			[]string{"retention.shs_tx_ids: 7 days is shorter than shs_messages, 30 days", "give at least 30"}},
		{"an organisation's tx.ids shorter than the default's messages", `
organisations:
  - number: "2120009994"
    name: Demo
    retention: {shs_tx_ids: 30}
`, []string{"organisations[0].retention.shs_tx_ids: 30 days is shorter than shs_messages, 90 days"}},
		{"an organisation's negative period", `
organisations:
  - number: "2120009994"
    name: Demo
    retention: {cases_after_closing: -6}
`, []string{"organisations[0].retention.cases_after_closing: -6 is out of range"}},
		{"unknown key", "retention:\n  cases: 12\n", []string{"retention.cases: unknown key"}},
		{"unknown key of an organisation", `
organisations:
  - number: "2120009994"
    name: Demo
    retention: {tickets: 1}
`, []string{"organisations[0].retention.tickets: unknown key"}},
		{"batch", "retention:\n  batch_size: 0\n", []string{"retention.batch_size: 0 is not between 1 and 10000"}},
		{"interval", "retention:\n  interval: -1h\n", []string{"retention.interval: -1h0m0s is negative"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			_, err := Load(writeFile(t, "me.yaml", tt.yaml))
			if err == nil {
				t.Fatal("Load accepted the file")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("want %q in:\n%v", w, err)
				}
			}
		})
	}
}
