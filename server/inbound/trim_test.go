package inbound

import "testing"

func TestTrim(t *testing.T) {
	for name, tc := range map[string]struct{ in, want string }{
		"gmail":            {"Hej!\n\nOn Mon, 2 Mar 2026 at 10:00, ME <svar+x@y> wrote:\n> fråga", "Hej!"},
		"gmail wrapped":    {"Hej!\n\nOn Mon, 2 Mar 2026 at 10:00, Mina Engagemang\n<svar+x@y> wrote:\n> fråga", "Hej!"},
		"swedish":          {"Svar.\nDen 2 mars 2026 10:00 skrev Mina Engagemang <a@b>:\n> fråga", "Svar."},
		"outlook":          {"Svar.\n\n________________________________\nFrån: Mina Engagemang <no-reply@k>\nSkickat: den 2 mars 2026 10:00\nTill: Anna\nÄmne: Meddelande\n\nHej!", "Svar."},
		"outlook english":  {"Answer.\r\n\r\nFrom: ME\r\nSent: Monday\r\nTo: Anna\r\n", "Answer."},
		"original message": {"Svar.\n-----Ursprungligt meddelande-----\nHej", "Svar."},
		"signature":        {"Svar.\n\nMvh\nAnna\n-- \nAnna L\n040-123", "Svar.\n\nMvh\nAnna"},
		"mobile":           {"Svar.\n\nSkickat från min iPhone", "Svar."},
		"inline quotes":    {"> fråga 1\nSvar 1\n\n\n\n> fråga 2\nSvar 2", "Svar 1\n\nSvar 2"},
		"a From: in text":  {"From: the start, it was fine.\nSvar.", "From: the start, it was fine.\nSvar."},
		"nothing to trim":  {"  \nSvar.\n  ", "Svar."},
	} {
		if got := Trim(tc.in); got != tc.want {
			t.Errorf("%s: Trim = %q, want %q", name, got, tc.want)
		}
	}
}
