package notify

import (
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/minaengagemang/me"
	memail "github.com/minaengagemang/me/server/notify/mail"
)

// Addressing is how ME addresses the mail it writes.
type Addressing struct {
	ReplyTo string // ME's own address, never a citizen's
	Domain  string // for Message-IDs
	// Reply, when its Domain is set, gives every handler mail a reply
	// address of its own, so the handler's reply comes back into the case.
	Reply ReplyAddressing
}

// ReplyAddressing is the form and life of the handler mails' reply
// addresses: <LocalPart>+<token>@<Domain>, valid for Lifetime.
type ReplyAddressing struct {
	Domain    string
	LocalPart string
	Lifetime  time.Duration
}

// Address is the reply address of token.
func (r ReplyAddressing) Address(token string) string {
	return r.LocalPart + "+" + token + "@" + r.Domain
}

// Token returns the token of a reply address in r's form (any case, as
// mail systems may change it), and whether addr is one.
func (r ReplyAddressing) Token(addr string) (string, bool) {
	local, domain, ok := strings.Cut(strings.Trim(addr, "<> "), "@")
	if !ok || r.Domain == "" || !strings.EqualFold(domain, r.Domain) {
		return "", false
	}
	prefix, token, ok := strings.Cut(local, "+")
	if !ok || !strings.EqualFold(prefix, r.LocalPart) || token == "" {
		return "", false
	}
	return strings.ToLower(token), true
}

// NewAddressing derives the addressing from ME's From address and the
// configured Reply-To (From when empty).
func NewAddressing(from, replyTo string) Addressing {
	if replyTo == "" {
		replyTo = from
	}
	domain := "minaengagemang.invalid"
	if a, err := mail.ParseAddress(from); err == nil {
		if _, d, ok := strings.Cut(a.Address, "@"); ok {
			domain = d
		}
	}
	return Addressing{ReplyTo: replyTo, Domain: domain}
}

// HandlerMail is the e-mail that forwards a citizen's message to the case
// handler, written at now. To is left for the store to fill from the case,
// so the handler's address never passes through the portal side of ME.
// With reply addressing, the mail carries a new reply token and says that
// a reply reaches the citizen.
func (a Addressing) HandlerMail(c me.Case, orgName, citizenName, text string, now time.Time) me.Mail {
	ref := c.CaseNumber
	if ref == "" {
		ref = c.ExternalID
	}
	footer := `Meddelandet finns också som en händelse i ärendet. Svara medborgaren genom
ärendesystemet: svar på det här e-postmeddelandet når inte medborgaren.`
	m := me.Mail{
		ReplyTo:   a.ReplyTo,
		Subject:   fmt.Sprintf("Meddelande från %s i ärende %s", citizenName, ref),
		MessageID: memail.NewMessageID(a.Domain),
	}
	if a.Reply.Domain != "" {
		m.ReplyToken = me.NewReplyToken()
		m.ReplyTo = a.Reply.Address(m.ReplyToken)
		m.ReplyExpires = now.Add(a.Reply.Lifetime)
		footer = fmt.Sprintf(`Meddelandet finns också som en händelse i ärendet. Svara på det här
e-postmeddelandet, från den adress det kom till, så kommer ditt svar till
medborgaren som en händelse i ärendet (citerad text och signatur tas bort;
bilagor: PDF, bilder, text och Word/ODF-dokument). Svarsadressen gäller
till %s.`, now.Add(a.Reply.Lifetime).In(stockholm()).Format("2006-01-02"))
	}
	m.Text = fmt.Sprintf(`Hej!

%s har skrivit till dig om ärende %s (%s) via %s i Mina Engagemang:

%s

--
%s
`, citizenName, ref, c.Title.SV, orgName, text, footer)
	return m
}

// stockholm is the time zone the handler reads dates in; UTC when the
// zone database is missing.
func stockholm() *time.Location {
	if l, err := time.LoadLocation("Europe/Stockholm"); err == nil {
		return l
	}
	return time.UTC
}
