package server

import (
	"fmt"
	"math/rand/v2"
	"net/mail"
	"strings"
	"time"

	"github.com/minaengagemang/me"
	memail "github.com/minaengagemang/me/server/mail"
)

// mailSettings is how ME addresses the mail it writes.
type mailSettings struct {
	replyTo string // ME's own address, never a citizen's
	domain  string // for Message-IDs
}

func newMailSettings(from, replyTo string) mailSettings {
	if replyTo == "" {
		replyTo = from
	}
	domain := "minaengagemang.invalid"
	if a, err := mail.ParseAddress(from); err == nil {
		if _, d, ok := strings.Cut(a.Address, "@"); ok {
			domain = d
		}
	}
	return mailSettings{replyTo: replyTo, domain: domain}
}

// handlerMail is the e-mail that forwards a citizen's message to the case
// handler. To is left for the store to fill from the case, so the
// handler's address never passes through the portal side of ME.
func (m mailSettings) handlerMail(c me.Case, orgName, citizenName, text string) me.Mail {
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
		ReplyTo:   m.replyTo,
		Subject:   fmt.Sprintf("Meddelande från %s i ärende %s", citizenName, ref),
		Text:      body,
		MessageID: memail.NewMessageID(m.domain),
	}
}

// backoff is exponential from 10 s up to an hour, with ±20 % jitter so that
// many retries do not arrive together.
func backoff(attempts int) time.Duration {
	d := 10 * time.Second << min(attempts, 9)
	d = min(d, time.Hour)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}
