package notify

import (
	"fmt"
	"net/mail"
	"strings"

	"github.com/minaengagemang/me"
	memail "github.com/minaengagemang/me/server/notify/mail"
)

// Addressing is how ME addresses the mail it writes.
type Addressing struct {
	ReplyTo string // ME's own address, never a citizen's
	Domain  string // for Message-IDs
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
// handler. To is left for the store to fill from the case, so the
// handler's address never passes through the portal side of ME.
func (a Addressing) HandlerMail(c me.Case, orgName, citizenName, text string) me.Mail {
	ref := c.CaseNumber
	if ref == "" {
		ref = c.ExternalID
	}
	body := fmt.Sprintf(`Hej!

%s har skrivit till dig om ärende %s (%s) via %s i Mina Engagemang:

%s

--
Meddelandet finns också som en händelse i ärendet. Svara medborgaren genom
ärendesystemet: svar på det här e-postmeddelandet når inte medborgaren.
`, citizenName, ref, c.Title.SV, orgName, text)
	return me.Mail{
		ReplyTo:   a.ReplyTo,
		Subject:   fmt.Sprintf("Meddelande från %s i ärende %s", citizenName, ref),
		Text:      body,
		MessageID: memail.NewMessageID(a.Domain),
	}
}
