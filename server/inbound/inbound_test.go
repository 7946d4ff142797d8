package inbound_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/sirupsen/logrus"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/server/inbound"
	"github.com/minaengagemang/me/server/notify"
	"github.com/minaengagemang/me/store"
	"github.com/minaengagemang/me/store/storetest"
)

const (
	orgNumber = "2120000829"
	handler   = "anna.lindqvist@kommun.example"
	alias     = "bygglov@kommun.example"
	citizen   = "191212121212"
)

var replies = notify.ReplyAddressing{Domain: "svar.kommun.example", LocalPart: "svar", Lifetime: 90 * 24 * time.Hour}

// fixture is a store with a case whose citizen wrote to the handler, the
// handler mail's reply address, and a receiver listening on loopback.
type fixture struct {
	store   *store.Store
	caseID  string
	replyTo string
	addr    string
	now     atomic.Pointer[time.Time]
	// clientTLS, when set, makes send use STARTTLS with it.
	clientTLS *tls.Config
}

func start(t *testing.T, driver string) *fixture {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return startOn(t, driver, ln, nil)
}

// startOn is start with the receiver on ln, offering STARTTLS with
// serverTLS when it is set.
func startOn(t *testing.T, driver string, ln net.Listener, serverTLS *tls.Config) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{store: storetest.Open(t, driver)}
	now := time.Now().UTC()
	f.now.Store(&now)
	if err := f.store.SyncOrganisations(ctx, []me.Organisation{{Number: orgNumber, Name: "Malmö stad"}}); err != nil {
		t.Fatal(err)
	}
	sig := me.Signal{
		Case: me.Case{OrganisationNumber: orgNumber, ExternalID: "BN-1", CaseNumber: "BN 2026-1", Title: me.LocalizedText{SV: "Bygglov"},
			Status: me.CaseInProgress, Handler: me.Handler{Name: "Anna Lindqvist", Email: handler}},
		Citizens: []me.Citizen{{PersonalIdentityNumber: citizen, GivenName: "Tolvan", Surname: "Tolvansson"}},
		Event:    me.Event{ExternalID: "1", Time: now, Title: me.LocalizedText{SV: "Frågor?"}, Actions: []me.Action{{Type: me.ActionMessage}}},
	}
	msg := me.SHSMessage{TxID: "tx-" + me.NewToken(8), From: orgNumber, To: "2021005521", Product: "p", SequenceType: "event", TransferType: "asynch", Raw: []byte("x")}
	rec, err := f.store.RecordSignal(ctx, msg, sig, now)
	if err != nil {
		t.Fatal(err)
	}
	f.caseID = rec.CaseID
	a := notify.NewAddressing("ME <no-reply@kommun.example>", "")
	a.Reply = replies
	m := a.HandlerMail(sig.Case, "Malmö stad", "Tolvan", "Hej Anna", now)
	if _, err := f.store.AddCitizenMessage(ctx, citizen, []string{orgNumber}, rec.CaseID, rec.EventID, "Hej Anna", m, now); err != nil {
		t.Fatal(err)
	}
	f.replyTo = m.ReplyTo

	log := logrus.New()
	log.SetOutput(io.Discard)
	r := inbound.New(inbound.Config{Addressing: replies, Hostname: "svar.kommun.example", MaxMessageBytes: 256 << 10,
		Limits:  inbound.Limits{MaxAttachments: 2, MaxAttachmentBytes: 64 << 10, MediaTypes: []string{"application/pdf", "image/png"}},
		Aliases: map[string][]string{orgNumber: {alias}}, TLS: serverTLS,
	}, f.store, log, func() time.Time { return *f.now.Load() })
	f.addr = ln.Addr().String()
	go r.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r.Shutdown(ctx)
	})
	return f
}

// send delivers raw from from to to over SMTP; the error is the server's
// answer at the step that refused.
func (f *fixture) send(t *testing.T, from, to, raw string) error {
	t.Helper()
	dial := smtp.Dial
	if f.clientTLS != nil {
		dial = func(addr string) (*smtp.Client, error) { return smtp.DialStartTLS(addr, f.clientTLS) }
	}
	c, err := dial(f.addr)
	if err != nil {
		t.Fatalf("the listener is down: %v", err)
	}
	defer c.Close()
	if err := c.Mail(from, nil); err != nil {
		return fmt.Errorf("MAIL: %w", err)
	}
	if err := c.Rcpt(to, nil); err != nil {
		return fmt.Errorf("RCPT: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := io.WriteString(w, raw); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	return c.Quit()
}

func (f *fixture) replies(t *testing.T) []me.Event {
	t.Helper()
	events, err := f.store.CaseEvents(context.Background(), f.caseID)
	if err != nil {
		t.Fatal(err)
	}
	var out []me.Event
	for _, e := range events {
		if e.FromHandler {
			out = append(out, e)
		}
	}
	return out
}

// mail writes a reply: headers, then the body; \n become \r\n.
func mail(headers, body string) string {
	return strings.ReplaceAll(headers+"\n\n"+body, "\n", "\r\n")
}

func replyHeaders(from, messageID string, extra ...string) string {
	h := "From: Anna Lindqvist <" + from + ">\nTo: svar\nSubject: Sv: Meddelande\nMessage-ID: <" + messageID + ">\nMIME-Version: 1.0"
	for _, e := range extra {
		h += "\n" + e
	}
	return h
}

const pdf = "%PDF-1.4 ritning"

func withAttachment(textPart, mediaType, name string) (string, string) {
	return "Content-Type: multipart/mixed; boundary=\"b1\"", "--b1\nContent-Type: text/plain; charset=utf-8\n\n" + textPart +
		"\n--b1\nContent-Type: " + mediaType + "\nContent-Disposition: attachment; filename=\"" + name + "\"\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQgcml0bmluZw==\n--b1--\n"
}

func TestReplyComesIntoTheCase(t *testing.T) {
	for _, driver := range storetest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			f := start(t, driver)
			ct, body := withAttachment("Hej Tolvan!\n\nRitningen är godkänd.\n\nMed vänliga hälsningar\nAnna\n-- \nAnna Lindqvist\nBygglovshandläggare\n\nDen 1 mars 2026 skrev Tolvan <x@y>:\n> Hej Anna", "application/pdf", "ritning.pdf")
			raw := mail(replyHeaders(handler, "r1@kommun.example", ct), body)
			if err := f.send(t, handler, f.replyTo, raw); err != nil {
				t.Fatalf("reply refused: %v", err)
			}
			got := f.replies(t)
			if len(got) != 1 {
				t.Fatalf("%d replies in the case, want 1", len(got))
			}
			r := got[0]
			if want := "Hej Tolvan!\n\nRitningen är godkänd.\n\nMed vänliga hälsningar\nAnna"; r.Text.SV != want {
				t.Errorf("text %q, want %q", r.Text.SV, want)
			}
			if len(r.Attachments) != 1 || r.Attachments[0].FileName != "ritning.pdf" || string(r.Attachments[0].Content) != pdf ||
				r.Attachments[0].MediaType != "application/pdf" {
				t.Errorf("attachments %+v", r.Attachments)
			}
			if len(r.Actions) != 2 || r.Actions[0].Type != me.ActionDownload || r.Actions[1].Type != me.ActionMessage {
				t.Errorf("actions %+v", r.Actions)
			}
			// Redelivered (the same Message-ID): taken, nothing added.
			if err := f.send(t, handler, f.replyTo, raw); err != nil {
				t.Errorf("redelivery refused: %v", err)
			}
			if n := len(f.replies(t)); n != 1 {
				t.Errorf("%d replies after the redelivery, want 1", n)
			}
			// An alias of the organisation may reply too.
			if err := f.send(t, alias, f.replyTo, mail(strings.Replace(replyHeaders(alias, "r2@kommun.example"), "Anna Lindqvist", "Bygglov", 1), "Kompletterande svar.")); err != nil {
				t.Errorf("alias refused: %v", err)
			}
			if n := len(f.replies(t)); n != 2 {
				t.Errorf("%d replies after the alias's, want 2", n)
			}
		})
	}
}

// TestRefused: each mail ME must not take, with where and how it is
// refused; nothing becomes an event, and the listener stays up.
func TestRefused(t *testing.T) {
	for _, driver := range storetest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			f := start(t, driver)
			token, _ := replies.Token(f.replyTo)
			altered := []byte(token)
			altered[3] = map[bool]byte{true: 'b', false: 'a'}[altered[3] == 'a']
			ok := func(id string) string { return mail(replyHeaders(handler, id), "Svar.") }
			disallowedCT, disallowedBody := withAttachment("Se bilaga.", "application/x-msdownload", "virus.exe")
			big := mail(replyHeaders(handler, "big@x"), strings.Repeat("A rather long line of text to fill the mail up.\n", 8000))
			deep := "Content-Type: multipart/mixed; boundary=\"d0\""
			deepBody := ""
			for i := 0; i < 20; i++ {
				deepBody += fmt.Sprintf("--d%d\nContent-Type: multipart/mixed; boundary=\"d%d\"\n\n", i, i+1)
			}
			deepBody += "--d20\nContent-Type: text/plain\n\nDjupt.\n"
			var hugeHeader strings.Builder
			for i := 0; i < 1500; i++ {
				fmt.Fprintf(&hugeHeader, "X-Filler-%d: %s\n", i, strings.Repeat("x", 60))
			}
			for _, tc := range []struct {
				name      string
				from, to  string
				raw       string
				wantCode  int // 0: taken (250)
				wantStep  string
				want      me.InboundOutcome // what is kept; "" nothing
				reasonHas string
			}{
				{name: "unknown token", from: handler, to: replies.Address(me.NewReplyToken()), raw: ok("u1@x"), wantCode: 550, wantStep: "RCPT"},
				{name: "altered token", from: handler, to: replies.Address(string(altered)), raw: ok("u2@x"), wantCode: 550, wantStep: "RCPT"},
				{name: "not a reply address", from: handler, to: "postmaster@svar.kommun.example", raw: ok("u3@x"), wantCode: 550, wantStep: "RCPT"},
				{name: "other sender", from: "mallory@evil.example", raw: mail(replyHeaders("mallory@evil.example", "o1@x"), "Svar."), wantCode: 550, wantStep: "DATA", want: me.InboundRejected, reasonHas: "not the case handler"},
				{name: "forged envelope", from: handler, raw: mail(replyHeaders("mallory@evil.example", "o2@x"), "Svar."), wantCode: 550, wantStep: "DATA", want: me.InboundRejected, reasonHas: "not the case handler"},
				{name: "auto-reply", from: handler, raw: mail(replyHeaders(handler, "a1@x", "Auto-Submitted: auto-replied"), "Jag är på semester."), want: me.InboundDropped, reasonHas: "Auto-Submitted"},
				{name: "out of office", from: handler, raw: mail(strings.Replace(replyHeaders(handler, "a2@x"), "Sv: Meddelande", "Autosvar: Frånvarande", 1), "Åter 1 april."), want: me.InboundDropped, reasonHas: "out-of-office"},
				{name: "precedence bulk", from: handler, raw: mail(replyHeaders(handler, "a3@x", "Precedence: bulk"), "Nyhetsbrev."), want: me.InboundDropped, reasonHas: "Precedence"},
				{name: "bounce", from: "", raw: mail(replyHeaders("mailer-daemon@kommun.example", "b1@x"), "Delivery failed."), want: me.InboundDropped, reasonHas: "bounce"},
				{name: "DSN", from: "postmaster@kommun.example", raw: mail(replyHeaders("postmaster@kommun.example", "b2@x", "Content-Type: multipart/report; report-type=delivery-status; boundary=\"r\""), "--r\nContent-Type: text/plain\n\nFailed.\n--r--\n"), want: me.InboundDropped, reasonHas: "delivery report"},
				{name: "oversized", from: handler, raw: big, wantCode: 552, wantStep: "DATA", want: me.InboundRejected, reasonHas: "larger than"},
				{name: "disallowed attachment type", from: handler, raw: mail(replyHeaders(handler, "t1@x", disallowedCT), disallowedBody), wantCode: 550, wantStep: "DATA", want: me.InboundRejected, reasonHas: "application/x-msdownload"},
				{name: "no text of its own", from: handler, raw: mail(replyHeaders(handler, "n1@x"), "> Hej Anna\n> Fråga"), wantCode: 550, wantStep: "DATA", want: me.InboundRejected, reasonHas: "no text"},
				// The hostile corpus.
				{name: "malformed MIME", from: handler, raw: mail(replyHeaders(handler, "h1@x", "Content-Type: multipart/mixed; boundary=\"zz\""), "--zz\nContent-Type: text/plain\nbroken header line without colon\n\nx\n"), wantCode: 550, wantStep: "DATA", want: me.InboundRejected, reasonHas: "MIME"},
				{name: "deep nesting", from: handler, raw: mail(replyHeaders(handler, "h2@x", deep), deepBody), wantCode: 550, wantStep: "DATA", want: me.InboundRejected, reasonHas: "too deep"},
				{name: "huge header", from: handler, raw: mail(replyHeaders(handler, "h3@x", hugeHeader.String()), "Svar."), wantCode: 552, wantStep: "DATA", want: me.InboundRejected, reasonHas: "header too large"},
				{name: "unknown charset", from: handler, raw: mail(replyHeaders(handler, "h4@x", "Content-Type: text/plain; charset=x-made-up"), "Svar."), wantCode: 550, wantStep: "DATA", want: me.InboundRejected, reasonHas: "charset"},
				{name: "unknown transfer encoding", from: handler, raw: mail(replyHeaders(handler, "h5@x", "Content-Type: text/plain", "Content-Transfer-Encoding: x-uuencode-ish"), "Svar."), wantCode: 550, wantStep: "DATA", want: me.InboundRejected, reasonHas: "encoding"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					to := tc.to
					if to == "" {
						to = f.replyTo
					}
					before, _ := f.store.InboundMails(context.Background(), true, 1000)
					err := f.send(t, tc.from, to, tc.raw)
					var se *smtp.SMTPError
					switch {
					case tc.wantCode == 0 && err != nil:
						t.Errorf("refused: %v; want taken (and dropped)", err)
					case tc.wantCode != 0 && (!errors.As(err, &se) || se.Code != tc.wantCode || !strings.HasPrefix(err.Error(), tc.wantStep)):
						t.Errorf("err = %v; want %d at %s", err, tc.wantCode, tc.wantStep)
					case se != nil && len(se.Message) < 20:
						t.Errorf("the refusal says too little: %q", se.Message)
					}
					after, _ := f.store.InboundMails(context.Background(), true, 1000)
					switch {
					case tc.want == "" && len(after) != len(before):
						t.Errorf("something was stored: %+v", after[0])
					case tc.want != "" && (len(after) != len(before)+1 || after[0].Outcome != tc.want || !strings.Contains(after[0].Reason, tc.reasonHas)):
						t.Errorf("kept %+v; want one %s with reason containing %q", after, tc.want, tc.reasonHas)
					}
				})
			}
			// Expired: refused at RCPT once the lifetime has passed.
			later := time.Now().Add(replies.Lifetime + time.Hour)
			f.now.Store(&later)
			if err := f.send(t, handler, f.replyTo, ok("e1@x")); err == nil || !strings.Contains(err.Error(), "expired") {
				t.Errorf("expired token: err = %v", err)
			}
			now := time.Now()
			f.now.Store(&now)
			if n := len(f.replies(t)); n != 0 {
				t.Errorf("%d replies in the case, want none", n)
			}
			// And the listener still takes a good reply.
			if err := f.send(t, handler, f.replyTo, ok("good@x")); err != nil {
				t.Errorf("after the corpus: %v", err)
			}
			if n := len(f.replies(t)); n != 1 {
				t.Errorf("%d replies, want the good one", n)
			}
		})
	}
}

// TestSanitised: the hostile mail ME takes, made harmless.
func TestSanitised(t *testing.T) {
	f := start(t, store.DriverSQLite)
	for _, tc := range []struct {
		name, headers, body, want string
	}{
		{"HTML with scripts", "Content-Type: text/html; charset=utf-8",
			`<html><head><title>t</title><style>p{}</style><script>alert(1)</script></head><body><p>Hej <b>Tolvan</b>!</p><script>document.cookie</script><p onclick="x()">Beslutet &amp; ritningen <img src=x onerror=alert(2)>är klara.</p><blockquote>Gammal text</blockquote><iframe src="https://evil.example"></iframe></body></html>`,
			"Hej Tolvan!\n\nBeslutet & ritningen är klara."},
		{"latin-1", "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable", "R=E4ttelse: =E5=E4=F6 =C5=C4=D6.", "Rättelse: åäö ÅÄÖ."},
		{"windows-1252", "Content-Type: text/plain; charset=windows-1252\nContent-Transfer-Encoding: quoted-printable", "=93Citat=94 =80 100", "\u201cCitat\u201d € 100"},
		{"bidi override and controls", "Content-Type: text/plain; charset=utf-8", "Fil: \u202Egnp.exe\u202C klar\x07.", "Fil: gnp.exe klar."},
		{"invalid UTF-8", "Content-Type: text/plain; charset=utf-8", "Hej \xff\xfe d\xe5.", "Hej \uFFFD d\uFFFD."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen := map[string]bool{}
			for _, e := range f.replies(t) {
				seen[e.ID] = true
			}
			if err := f.send(t, handler, f.replyTo, mail(replyHeaders(handler, strings.ReplaceAll(tc.name, " ", "-")+"@x", tc.headers), tc.body)); err != nil {
				t.Fatalf("refused: %v", err)
			}
			var got []me.Event
			for _, e := range f.replies(t) {
				if !seen[e.ID] {
					got = append(got, e)
				}
			}
			if len(got) != 1 {
				t.Fatalf("%d new replies, want 1", len(got))
			}
			if text := got[0].Text.SV; text != tc.want {
				t.Errorf("text %q, want %q", text, tc.want)
			}
		})
	}
}
