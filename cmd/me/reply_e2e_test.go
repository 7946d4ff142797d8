package main

import (
	"html"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/minaengagemang/me/server/notify/mail/smtptest"
	"github.com/minaengagemang/me/store/storetest"
)

const exampleHandler = "anna.lindqvist@kommun.example" // the handler in signal-all-actions.xml

// soapPortal posts one portal request and returns the response body.
func soapPortal(t *testing.T, addr, op, inner string) string {
	t.Helper()
	body := `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><` + op + ` xmlns="http://minaengagemang.se/portal/v1">` +
		inner + `</` + op + `></s:Body></s:Envelope>`
	req, _ := http.NewRequest("POST", "http://"+addr+"/soap/portal", strings.NewReader(body))
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.SetBasicAuth("demo-portal", "demo")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %s\n%s", op, resp.Status, out)
	}
	if strings.Contains(string(out), exampleHandler) {
		t.Errorf("%s: the handler's address is in a portal answer:\n%s", op, out)
	}
	return string(out)
}

var (
	caseEventRE = regexp.MustCompile(`(?s)<(?:\w+:)?caseEvent>(.*?)</(?:\w+:)?caseEvent>`)
	firstIDRE   = regexp.MustCompile(`<(?:\w+:)?id>([^<]+)</`)
	caseIDRE    = regexp.MustCompile(`(?s)<(?:\w+:)?caseSummary>.*?<(?:\w+:)?id>([^<]+)</`)
	svTextRE    = regexp.MustCompile(`(?s)<(?:\w+:)?text>\s*<(?:\w+:)?sv>([^<]*)</`)
	replyToRE   = regexp.MustCompile(`svar\+[a-z2-7]{32}@svar\.demo\.example`)
)

// handlerReplyEvent returns the id and Swedish text of the case's event
// with fromHandler, and the whole event.
func handlerReplyEvent(getCase string) (id, text, block string) {
	for _, m := range caseEventRE.FindAllStringSubmatch(getCase, -1) {
		if strings.Contains(m[1], "fromHandler>true<") {
			id = firstIDRE.FindStringSubmatch(m[1])[1]
			if s := svTextRE.FindStringSubmatch(m[1]); s != nil {
				text = html.UnescapeString(s[1])
			}
			return id, text, m[1]
		}
	}
	return "", "", ""
}

// messageEvent returns the id of an event of the case offering a message
// action, other than skip.
func messageEvent(getCase, skip string) string {
	for _, m := range caseEventRE.FindAllStringSubmatch(getCase, -1) {
		id := firstIDRE.FindStringSubmatch(m[1])[1]
		if id != skip && strings.Contains(m[1], ">message<") {
			return id
		}
	}
	return ""
}

// waitMail waits until the sink has a message to rcpt beyond the first
// skip of them, and returns it.
func waitMail(t *testing.T, sink *smtptest.Server, rcpt string, skip int) smtptest.Message {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		n := 0
		for _, m := range sink.Messages() {
			if len(m.To) > 0 && strings.EqualFold(m.To[0], rcpt) {
				if n == skip {
					return m
				}
				n++
			}
		}
	}
	t.Fatalf("no mail %d to %s arrived", skip+1, rcpt)
	return smtptest.Message{}
}

// TestHandlerReplyEndToEnd: with the real `me serve` on each store, a
// citizen's message goes to the handler with a reply address of its own;
// the handler's reply, sent over SMTP to ME's listener, becomes an event
// in the case with the trimmed text and the attachment; the citizen is
// notified; the citizen answers again through the portal, with a new
// reply address. No portal answer holds the handler's address.
func TestHandlerReplyEndToEnd(t *testing.T) {
	for _, driver := range storetest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			sink := smtptest.Start(t)
			gw := newSlowGateway(t, 0)
			addr, inAddr := freeAddr(t), freeAddr(t)
			env := append(notifyEnv(addr, driver, storetest.DSN(t, driver), sink, gw),
				"ME_INBOUND_MAIL_ADDR="+inAddr, "ME_INBOUND_MAIL_DOMAIN=svar.demo.example", "ME_NOTIFICATIONS_WINDOW=0s")
			launch(t, env, addr)
			files := citizens(t, addr, 1)
			pnr := "19800101001" + regexp.MustCompile(`19800101001(\d)`).FindStringSubmatch(readFile(t, files[0]))[1]
			citizenMail := "medborgare0@exempel.se"
			if out, code := shsSend(t, addr, files...); code != 0 {
				t.Fatalf("me shs send: exit %d\n%s", code, out)
			}
			waitMail(t, sink, citizenMail, 0) // the signal's notification

			list := soapPortal(t, addr, "ListCases", "<citizen>"+pnr+"</citizen>")
			caseID := caseIDRE.FindStringSubmatch(list)[1]
			getCase := soapPortal(t, addr, "GetCase", "<citizen>"+pnr+"</citizen><caseId>"+caseID+"</caseId>")
			withMessage := messageEvent(getCase, "")
			soapPortal(t, addr, "SendMessageToHandler", "<citizen>"+pnr+"</citizen><caseId>"+caseID+"</caseId><eventId>"+withMessage+
				"</eventId><text>Måste jag vänta på startbeskedet?</text>")

			handlerMail := waitMail(t, sink, exampleHandler, 0)
			replyTo := replyToRE.FindString(handlerMail.Header.Get("Reply-To"))
			if replyTo == "" {
				t.Fatalf("the handler mail's Reply-To %q is not a reply address", handlerMail.Header.Get("Reply-To"))
			}

			// The handler replies from the mail client, over SMTP.
			reply := strings.ReplaceAll(`From: Anna Lindqvist <`+exampleHandler+`>
To: <`+replyTo+`>
Subject: Sv: `+handlerMail.Subject+`
Message-ID: <reply-1@kommun.example>
In-Reply-To: `+handlerMail.Header.Get("Message-Id")+`
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

Hej! Nej, rivningen f=E5r b=F6rja nu.

Med v=E4nliga h=E4lsningar
Anna
--=20
Anna Lindqvist, bygglovshandl=E4ggare

Den 2 mars 2026 skrev Mina Engagemang <`+replyTo+`>:
> M=E5ste jag v=E4nta p=E5 startbeskedet?
--b
Content-Type: application/pdf
Content-Disposition: attachment; filename="rivningslov.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQgcml2bmluZ3Nsb3Y=
--b--
`, "\n", "\r\n")
			if err := sendPlain(inAddr, exampleHandler, replyTo, reply); err != nil {
				t.Fatalf("the reply was refused: %v", err)
			}

			var replyID, text, block string
			for deadline := time.Now().Add(10 * time.Second); replyID == "" && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
				getCase = soapPortal(t, addr, "GetCase", "<citizen>"+pnr+"</citizen><caseId>"+caseID+"</caseId>")
				replyID, text, block = handlerReplyEvent(getCase)
			}
			if replyID == "" {
				t.Fatalf("no reply in the case:\n%s", getCase)
			}
			if want := "Hej! Nej, rivningen får börja nu.\n\nMed vänliga hälsningar\nAnna"; text != want {
				t.Errorf("the reply's text %q, want %q", text, want)
			}
			if !strings.Contains(block, "rivningslov.pdf") || !strings.Contains(block, "Svar från handläggaren") || !strings.Contains(block, ">download<") {
				t.Errorf("the reply event lacks its title, attachment or download action:\n%s", block)
			}
			attachmentID := regexp.MustCompile(`(?s)<(?:\w+:)?attachment>\s*<(?:\w+:)?id>([^<]+)<`).FindStringSubmatch(block)[1]
			if got := soapPortal(t, addr, "GetAttachment", "<citizen>"+pnr+"</citizen><attachmentId>"+attachmentID+"</attachmentId>"); !strings.Contains(got, "JVBERi0xLjQgcml2bmluZ3Nsb3Y=") {
				t.Errorf("GetAttachment: %s", got)
			}

			// The citizen is notified, by e-mail and SMS, as for any event.
			notice := waitMail(t, sink, citizenMail, 1)
			if strings.Contains(notice.Body, "rivningen") {
				t.Errorf("the notification carries the reply's content: %q", notice.Body)
			}

			// The citizen answers the reply: a new handler mail, a new address.
			soapPortal(t, addr, "SendMessageToHandler", "<citizen>"+pnr+"</citizen><caseId>"+caseID+"</caseId><eventId>"+replyID+
				"</eventId><text>Tack!</text>")
			second := waitMail(t, sink, exampleHandler, 1)
			if again := replyToRE.FindString(second.Header.Get("Reply-To")); again == "" || again == replyTo {
				t.Errorf("the second handler mail's Reply-To %q; want a new reply address", second.Header.Get("Reply-To"))
			}

			// The case system lists the reply for registration.
			req, _ := http.NewRequest("GET", "http://"+addr+"/casesystem/replies", nil)
			req.SetBasicAuth("demo-casesystem", "demo")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			listed, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(listed), `"eventId":"`+replyID+`"`) {
				t.Errorf("GET /casesystem/replies: %s %s", resp.Status, listed)
			}
		})
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sendPlain delivers one mail over SMTP without TLS, as a relay on
// loopback does.
func sendPlain(addr, from, to, raw string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	if err := c.Rcpt(to, nil); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, raw); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}
