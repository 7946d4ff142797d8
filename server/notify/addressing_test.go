package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/minaengagemang/me"
)

func TestHandlerMailReplyAddress(t *testing.T) {
	c := me.Case{CaseNumber: "BN 2026-123", Title: me.LocalizedText{SV: "Bygglov"}}
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

	plain := NewAddressing("ME <no-reply@kommun.example>", "")
	m := plain.HandlerMail(c, "Exempels kommun", "Tolvan", "Hej", now)
	if m.ReplyToken != "" || m.ReplyTo != "ME <no-reply@kommun.example>" || !strings.Contains(m.Text, "når inte medborgaren") {
		t.Errorf("without a reply domain: %+v", m)
	}

	a := plain
	a.Reply = ReplyAddressing{Domain: "svar.kommun.example", LocalPart: "svar", Lifetime: 90 * 24 * time.Hour}
	m1 := a.HandlerMail(c, "Exempels kommun", "Tolvan", "Hej", now)
	m2 := a.HandlerMail(c, "Exempels kommun", "Tolvan", "Hej", now)
	if m1.ReplyToken == "" || m1.ReplyToken == m2.ReplyToken || m1.ReplyTo == m2.ReplyTo {
		t.Fatalf("reply addresses not unique per mail: %q, %q", m1.ReplyTo, m2.ReplyTo)
	}
	if len(m1.ReplyToken) != 32 || m1.ReplyTo != "svar+"+m1.ReplyToken+"@svar.kommun.example" {
		t.Errorf("reply address %q (token %q)", m1.ReplyTo, m1.ReplyToken)
	}
	if !m1.ReplyExpires.Equal(now.Add(90*24*time.Hour)) || !strings.Contains(m1.Text, "kommer ditt svar") {
		t.Errorf("expiry %v, text %q", m1.ReplyExpires, m1.Text)
	}

	for addr, want := range map[string]string{
		m1.ReplyTo:                                m1.ReplyToken,
		strings.ToUpper(m1.ReplyTo):               m1.ReplyToken, // a mail system changed the case
		"<" + m1.ReplyTo + ">":                    m1.ReplyToken,
		"svar@svar.kommun.example":                "",
		"svar+@svar.kommun.example":               "",
		"other+abc@svar.kommun.example":           "",
		"svar+" + m1.ReplyToken + "@evil.example": "",
		"not an address":                          "",
	} {
		got, ok := a.Reply.Token(addr)
		if got != want || ok != (want != "") {
			t.Errorf("Token(%q) = %q, %v; want %q", addr, got, ok, want)
		}
	}
}
