package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/generated/etjanst"
	"github.com/minaengagemang/me/generated/portal"
	"github.com/minaengagemang/me/server/notify"
	"github.com/minaengagemang/me/server/notify/mail"
	"github.com/minaengagemang/me/server/notify/mail/smtptest"
)

const handlerEmail = "anna.lindqvist@kommun.example"

// withSMTP points ME's mail at an SMTP server in the test process.
func withSMTP(smtp *smtptest.Server) func(*testSetup) {
	return func(s *testSetup) {
		host, port := smtp.Addr()
		from := "Mina Engagemang <no-reply@demo.example>"
		sender, err := mail.NewSender(mail.SMTPConfig{Host: host, Port: port, TLS: "none", From: from})
		if err != nil {
			panic(err)
		}
		s.email = sender
		s.server.Addressing = notify.NewAddressing(from, "mina-engagemang@demo.example")
		s.notify.Addressing = s.server.Addressing
	}
}

// rawPortal posts a portal request and returns the response body as sent,
// to check what leaves ME byte by byte.
func (env *testEnv) rawPortal(t *testing.T, client, body string) string {
	t.Helper()
	return env.rawSOAP(t, "portal", client, strings.Replace(envelope, "%s", body, 1))
}

// rawSOAP posts a whole envelope to a service and returns the response
// body as sent.
func (env *testEnv) rawSOAP(t *testing.T, service, client, doc string) string {
	t.Helper()
	_, b := postSOAP(t, env.ts.URL+"/soap/"+service, client, "text/xml; charset=utf-8", []byte(doc))
	return string(b)
}

// TestSeedFlowTwo is the seed's flow: a signal over SHS, the citizen sees
// it unread, opens it, reads it, downloads the attachment, writes to the
// handler, and archives the case once it is closed.
func TestSeedFlowTwo(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		smtp := smtptest.Start(t)
		env := newTestEnv(t, driver, withSMTP(smtp))
		ctx := context.Background()
		por := env.portal("portal-a")
		if resp := postSHS(t, env.ts, shsMessage{signal: exampleSignal(t)}); resp.StatusCode != 202 {
			t.Fatalf("signal: %d %s", resp.StatusCode, readBody(resp))
		}

		list, err := por.ListCasesContext(ctx, &portal.ListCases{Citizen: tolvan})
		if err != nil || len(list.CaseSummary) != 1 {
			t.Fatalf("ListCases: %v, %d cases", err, len(list.CaseSummary))
		}
		sum := list.CaseSummary[0]
		if sum.UnreadEvents != 1 || sum.Status != portal.CaseStatusDecided || sum.LatestEventTitle == nil || sum.OrganisationName != "Demo kommun" {
			t.Errorf("case in the list: %+v", sum)
		}
		got, err := por.GetCaseContext(ctx, &portal.GetCase{Citizen: tolvan, CaseId: sum.Id})
		if err != nil {
			t.Fatalf("GetCase: %v", err)
		}
		ev := got.CaseDetail.CaseEvent[0]
		if len(got.CaseDetail.CaseEvent) != 1 || ev.Read || len(ev.Attachment) != 2 || len(ev.Action) != 5 || deref(got.CaseDetail.HandlerName) != "Anna Lindqvist, Bygglovsenheten" {
			t.Fatalf("GetCase: %+v", got.CaseDetail)
		}
		if _, err := por.MarkEventReadContext(ctx, &portal.MarkEventRead{Citizen: tolvan, EventId: ev.Id}); err != nil {
			t.Fatalf("MarkEventRead: %v", err)
		}
		list, _ = por.ListCasesContext(ctx, &portal.ListCases{Citizen: tolvan})
		if list.CaseSummary[0].UnreadEvents != 0 {
			t.Errorf("after MarkEventRead: %d unread", list.CaseSummary[0].UnreadEvents)
		}
		// Read on one portal is read on all: the seen log is per citizen.
		other, _ := por.GetCaseContext(ctx, &portal.GetCase{Citizen: tolvan, CaseId: sum.Id})
		if !other.CaseDetail.CaseEvent[0].Read {
			t.Error("the event is not marked read in GetCase")
		}

		att, err := por.GetAttachmentContext(ctx, &portal.GetAttachment{Citizen: tolvan, AttachmentId: *ev.Action[1].AttachmentId})
		want, _ := base64.StdEncoding.DecodeString("S29udHJvbGxwbGFuIGbDtnIgdGlsbGJ5Z2duYWQKMS4gR3J1bmRsw6RnZ25pbmcKMi4gQsOkcmFuZGUga29uc3RydWt0aW9uCg==")
		if err != nil || !bytes.Equal(att.Content, want) || att.FileName != "förslag till kontrollplan.txt" {
			t.Errorf("GetAttachment: %v, %q %d bytes", err, att.FileName, len(att.Content))
		}

		var messageEvent portal.Identifier
		for _, a := range ev.Action {
			if a.Type_ == portal.ActionTypeMessage {
				r, err := por.SendMessageToHandlerContext(ctx, &portal.SendMessageToHandler{Citizen: tolvan, CaseId: sum.Id, EventId: ev.Id,
					Text: "Hej! Kan kontrollplanen skickas in i två delar? Mvh Tolvan"})
				if err != nil {
					t.Fatalf("SendMessageToHandler: %v", err)
				}
				messageEvent = r.MessageEventId
			}
		}
		msgs := smtp.WaitFor(t, 1, 10*time.Second)
		m := msgs[0]
		if len(m.To) != 1 || m.To[0] != handlerEmail || !strings.Contains(m.Body, "Kan kontrollplanen skickas in i två delar?") ||
			!strings.Contains(m.Body, "Tolvan Tolvansson") || !strings.Contains(m.Subject, "BN 2026-000123") ||
			!strings.Contains(m.Header.Get("Reply-To"), "mina-engagemang@demo.example") || !strings.Contains(m.Header.Get("From"), "no-reply@demo.example") {
			t.Errorf("the mail to the handler: to %v, subject %q, reply-to %q, from %q\n%s", m.To, m.Subject, m.Header.Get("Reply-To"), m.Header.Get("From"), m.Body)
		}
		got, _ = por.GetCaseContext(ctx, &portal.GetCase{Citizen: tolvan, CaseId: sum.Id})
		if got.CaseDetail.CaseEvent[0].Id != messageEvent || !got.CaseDetail.CaseEvent[0].FromCitizen {
			t.Errorf("the citizen's message is not the newest event of the case: %+v", got.CaseDetail.CaseEvent[0])
		}
		for _, body := range []string{
			`<p:ListCases><p:citizen>` + tolvan + `</p:citizen></p:ListCases>`,
			`<p:GetCase><p:citizen>` + tolvan + `</p:citizen><p:caseId>` + string(sum.Id) + `</p:caseId></p:GetCase>`,
		} {
			if out := env.rawPortal(t, "portal-a", body); strings.Contains(out, handlerEmail) || !strings.Contains(out, string(sum.Id)) {
				t.Errorf("a portal response leaks the handler's address or misses the case:\n%s", out)
			}
		}

		// Not closed yet: archiving is refused.
		_, err = por.ArchiveCaseContext(ctx, &portal.ArchiveCase{Citizen: tolvan, CaseId: sum.Id})
		if faultCode(err) != "Conflict" {
			t.Errorf("archiving an open case: %s; want Conflict", faultCode(err))
		}
		closing := bytes.Replace(exampleSignal(t), []byte("BN-2026-000123-H5"), []byte("BN-2026-000123-H9"), 1)
		closing = bytes.Replace(closing, []byte("<status>decided</status>"), []byte("<status>closed</status>"), 1)
		if resp := postSHS(t, env.ts, shsMessage{signal: closing}); resp.StatusCode != 202 {
			t.Fatalf("closing signal: %d %s", resp.StatusCode, readBody(resp))
		}
		if _, err := por.ArchiveCaseContext(ctx, &portal.ArchiveCase{Citizen: tolvan, CaseId: sum.Id}); err != nil {
			t.Fatalf("ArchiveCase: %v", err)
		}
		list, _ = por.ListCasesContext(ctx, &portal.ListCases{Citizen: tolvan})
		if len(list.CaseSummary) != 0 {
			t.Errorf("an archived case is still in the default list")
		}
		list, _ = por.ListCasesContext(ctx, &portal.ListCases{Citizen: tolvan, IncludeArchived: ptr(true)})
		if len(list.CaseSummary) != 1 || !list.CaseSummary[0].Archived {
			t.Errorf("includeArchived: %d cases", len(list.CaseSummary))
		}

		// The organisation reopens the case: it is back in the list.
		reopened := bytes.Replace(closing, []byte("BN-2026-000123-H9"), []byte("BN-2026-000123-H10"), 1)
		reopened = bytes.Replace(reopened, []byte("<status>closed</status>"), []byte("<status>inProgress</status>"), 1)
		if resp := postSHS(t, env.ts, shsMessage{signal: reopened}); resp.StatusCode != 202 {
			t.Fatalf("reopening signal: %d %s", resp.StatusCode, readBody(resp))
		}
		list, _ = por.ListCasesContext(ctx, &portal.ListCases{Citizen: tolvan})
		if len(list.CaseSummary) != 1 || list.CaseSummary[0].Archived {
			t.Errorf("a reopened case is not back in the default list: %d cases", len(list.CaseSummary))
		}
	})
}

// TestREADMEExampleSequenceArchives: the README's example signals sent in
// order, the decision (signal-all-actions.xml), a message from the citizen
// to the handler, and the closing (signal-archive.xml, dated before the
// message was written), end with the case archived for each citizen who
// asks: the citizen's own message does not hide the case system's closing
// event.
func TestREADMEExampleSequenceArchives(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		env := newTestEnv(t, driver)
		ctx := context.Background()
		por := env.portal("portal-a")
		example := func(name string) []byte {
			b, err := os.ReadFile("../docs/examples/" + name)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		if resp := postSHS(t, env.ts, shsMessage{signal: example("signal-all-actions.xml")}); resp.StatusCode != 202 {
			t.Fatalf("signal-all-actions.xml: %d %s", resp.StatusCode, readBody(resp))
		}
		list, err := por.ListCasesContext(ctx, &portal.ListCases{Citizen: tolvan})
		if err != nil || len(list.CaseSummary) != 1 {
			t.Fatalf("ListCases: %v, %+v", err, list)
		}
		caseID := list.CaseSummary[0].Id
		got, err := por.GetCaseContext(ctx, &portal.GetCase{Citizen: tolvan, CaseId: caseID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := por.SendMessageToHandlerContext(ctx, &portal.SendMessageToHandler{Citizen: tolvan, CaseId: caseID,
			EventId: got.CaseDetail.CaseEvent[0].Id, Text: "Hej! Måste vi vänta på startbeskedet?"}); err != nil {
			t.Fatalf("SendMessageToHandler: %v", err)
		}
		if resp := postSHS(t, env.ts, shsMessage{signal: example("signal-archive.xml")}); resp.StatusCode != 202 {
			t.Fatalf("signal-archive.xml: %d %s", resp.StatusCode, readBody(resp))
		}
		for _, citizen := range []portal.PersonalIdentityNumber{tolvan, "198112289874"} {
			if _, err := por.ArchiveCaseContext(ctx, &portal.ArchiveCase{Citizen: citizen, CaseId: caseID}); err != nil {
				t.Errorf("ArchiveCase for %s: %s", citizen, faultCode(err))
			}
			if l, err := por.ListCasesContext(ctx, &portal.ListCases{Citizen: citizen}); err != nil || len(l.CaseSummary) != 0 {
				t.Errorf("ListCases for %s after archiving: %v, %d cases; want none", citizen, err, len(l.CaseSummary))
			}
		}
	})
}

// TestCoApplicantsSeeWhoWrote: on a case of two citizens, each citizen's
// GetCase names the author of a citizen's event, the message's writer and
// the completion's sender, so that a portal says "from you" only for the
// logged-in citizen's own. ReportCompletion refuses a citizen who is not
// on the case.
func TestCoApplicantsSeeWhoWrote(t *testing.T) {
	const asa = "198112289874"
	forEachDriver(t, func(t *testing.T, driver string) {
		env, c, events, action := newCompletionEnv(t, driver, orgB, exampleSignal(t))
		ctx := context.Background()
		por, ets := env.portal("portal-a"), env.eService("etjanst-b")

		msg, err := por.SendMessageToHandlerContext(ctx, &portal.SendMessageToHandler{Citizen: tolvan, CaseId: portal.Identifier(c.ID),
			EventId: portal.Identifier(events[0].ID), Text: "Hej! Kan kontrollplanen skickas in i två delar?"})
		if err != nil {
			t.Fatalf("SendMessageToHandler: %v", err)
		}
		issued, err := por.CreateCompletionTicketContext(ctx, &portal.CreateCompletionTicket{Citizen: asa,
			EventId: portal.Identifier(events[0].ID), ActionId: portal.Identifier(action.ID)})
		if err != nil {
			t.Fatalf("CreateCompletionTicket: %v", err)
		}
		redeemed, err := ets.RedeemTicketContext(ctx, &etjanst.RedeemTicket{Ticket: etjanst.Ticket(issued.Ticket.Ticket)})
		if err != nil {
			t.Fatalf("RedeemTicket: %v", err)
		}
		report := etjanst.ReportCompletion{CaseId: redeemed.Completion.CaseId, ActionId: redeemed.Completion.ActionId}
		for _, bad := range []etjanst.PersonalIdentityNumber{"199001010108", "198112289875"} { // not on the case; a wrong control digit
			r := report
			r.Citizen = &bad
			_, err := ets.ReportCompletionContext(ctx, &r)
			if f, ok := etjanst.AsMEFault(err); !ok || f.Code != "ValidationFailed" || deref(f.Element) != "citizen" {
				t.Errorf("ReportCompletion for %s: %v; want ValidationFailed at citizen", bad, err)
			}
		}
		report.Citizen = &redeemed.Citizen.PersonalIdentityNumber
		done, err := ets.ReportCompletionContext(ctx, &report)
		if err != nil {
			t.Fatalf("ReportCompletion: %v", err)
		}

		wantAuthor := map[portal.Identifier]string{msg.MessageEventId: tolvan, done.EventId: asa, portal.Identifier(events[0].ID): ""}
		for _, viewer := range []portal.PersonalIdentityNumber{tolvan, asa} {
			got, err := por.GetCaseContext(ctx, &portal.GetCase{Citizen: viewer, CaseId: portal.Identifier(c.ID)})
			if err != nil {
				t.Fatalf("GetCase for %s: %v", viewer, err)
			}
			for _, ev := range got.CaseDetail.CaseEvent {
				want, known := wantAuthor[ev.Id]
				if !known {
					t.Errorf("GetCase for %s: unexpected event %s", viewer, ev.Id)
					continue
				}
				if author := string(deref(ev.Author)); author != want || ev.FromCitizen != (want != "") {
					t.Errorf("GetCase for %s, event %q: fromCitizen %v, author %q; want author %q", viewer, ev.Title.Sv, ev.FromCitizen, author, want)
				}
			}
		}
	})
}

// TestAuthorisationMatrix: another organisation's portal, another citizen,
// unknown ids and actions the event does not offer each get the right
// fault; the audit log holds the successful reads and nothing else.
func TestAuthorisationMatrix(t *testing.T) {
	env := newTestEnv(t, "sqlite")
	ctx := context.Background()
	if resp := postSHS(t, env.ts, shsMessage{signal: exampleSignal(t)}); resp.StatusCode != 202 {
		t.Fatalf("signal: %d", resp.StatusCode)
	}
	c, _ := env.st.CaseByExternalID(ctx, orgA, "BN-2026-000123")
	events, _ := env.st.CaseEvents(ctx, c.ID)
	ev := events[0]
	var attachment string
	for _, a := range ev.Actions {
		if a.Type == me.ActionDownload {
			attachment = a.AttachmentID
		}
	}
	stranger := "199001010108" // a valid personnummer not on the case
	portalA, portalB := env.portal("portal-a"), env.portal("portal-b")
	calls := []struct {
		name string
		call func() error
		want string
	}{
		{"GetCase, another organisation's portal", func() error {
			_, err := portalB.GetCaseContext(ctx, &portal.GetCase{Citizen: tolvan, CaseId: portal.Identifier(c.ID)})
			return err
		}, "NotFound"},
		{"GetCase, another citizen", func() error {
			_, err := portalA.GetCaseContext(ctx, &portal.GetCase{Citizen: portal.PersonalIdentityNumber(stranger), CaseId: portal.Identifier(c.ID)})
			return err
		}, "NotFound"},
		{"GetCase, unknown id", func() error {
			_, err := portalA.GetCaseContext(ctx, &portal.GetCase{Citizen: tolvan, CaseId: "c-unknown"})
			return err
		}, "NotFound"},
		{"GetAttachment, another citizen", func() error {
			_, err := portalA.GetAttachmentContext(ctx, &portal.GetAttachment{Citizen: portal.PersonalIdentityNumber(stranger), AttachmentId: portal.Identifier(attachment)})
			return err
		}, "NotFound"},
		{"GetAttachment, another organisation's portal", func() error {
			_, err := portalB.GetAttachmentContext(ctx, &portal.GetAttachment{Citizen: tolvan, AttachmentId: portal.Identifier(attachment)})
			return err
		}, "NotFound"},
		{"MarkEventRead, another citizen", func() error {
			_, err := portalA.MarkEventReadContext(ctx, &portal.MarkEventRead{Citizen: portal.PersonalIdentityNumber(stranger), EventId: portal.Identifier(ev.ID)})
			return err
		}, "NotFound"},
		{"SendMessageToHandler, an event without a message action", func() error {
			_, err := portalA.SendMessageToHandlerContext(ctx, &portal.SendMessageToHandler{Citizen: tolvan, CaseId: portal.Identifier(c.ID), EventId: "e-unknown", Text: "Hej"})
			return err
		}, "NotFound"},
		{"ArchiveCase, a case not closed", func() error {
			_, err := portalA.ArchiveCaseContext(ctx, &portal.ArchiveCase{Citizen: tolvan, CaseId: portal.Identifier(c.ID)})
			return err
		}, "Conflict"},
		{"ListCases, another citizen sees nothing", func() error {
			l, err := portalA.ListCasesContext(ctx, &portal.ListCases{Citizen: portal.PersonalIdentityNumber(stranger)})
			if err == nil && len(l.CaseSummary) != 0 {
				return fmt.Errorf("%d cases", len(l.CaseSummary))
			}
			return err
		}, "no fault"},
		{"ListCases, another organisation's portal sees nothing", func() error {
			l, err := portalB.ListCasesContext(ctx, &portal.ListCases{Citizen: tolvan})
			if err == nil && len(l.CaseSummary) != 0 {
				return fmt.Errorf("%d cases", len(l.CaseSummary))
			}
			return err
		}, "no fault"},
		{"GetCase, the citizen", func() error {
			_, err := portalA.GetCaseContext(ctx, &portal.GetCase{Citizen: tolvan, CaseId: portal.Identifier(c.ID)})
			return err
		}, "no fault"},
		{"GetAttachment, the citizen", func() error {
			_, err := portalA.GetAttachmentContext(ctx, &portal.GetAttachment{Citizen: tolvan, AttachmentId: portal.Identifier(attachment)})
			return err
		}, "no fault"},
	}
	for _, tt := range calls {
		if got := faultCode(tt.call()); got != tt.want {
			t.Errorf("%s: %s; want %s", tt.name, got, tt.want)
		}
	}
	log, err := env.st.AuditLog(ctx, tolvan, 100)
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, e := range log {
		ops = append(ops, e.Client+" "+e.Operation+" "+e.Object)
	}
	wantOps := []string{"portal-a GetAttachment " + attachment, "portal-a GetCase " + c.ID, "portal-b ListCases "}
	if strings.Join(ops, "\n") != strings.Join(wantOps, "\n") {
		t.Errorf("audit log for the citizen:\n%s\nwant:\n%s", strings.Join(ops, "\n"), strings.Join(wantOps, "\n"))
	}
	if strangerLog, _ := env.st.AuditLog(ctx, stranger, 100); len(strangerLog) != 1 || strangerLog[0].Operation != "ListCases" {
		t.Errorf("audit log for the stranger: %+v; want one empty ListCases", strangerLog)
	}
}

// TestListCasesPagesThroughAll: a citizen with 500 cases pages through all
// of them exactly once, newest first.
func TestListCasesPagesThroughAll(t *testing.T) {
	env := newTestEnv(t, "sqlite")
	ctx := context.Background()
	base := exampleSignal(t)
	for i := 0; i < 500; i++ {
		sig := decodeSignal(t, bytes.Replace(bytes.Replace(base, []byte("<externalId>BN-2026-000123</externalId>"), []byte(fmt.Sprintf("<externalId>C-%03d</externalId>", i)), 1),
			[]byte("BN-2026-000123-H5"), []byte(fmt.Sprintf("E-%03d", i)), 1))
		if _, err := env.st.RecordSignal(ctx, me.SHSMessage{TxID: fmt.Sprintf("tx-%d", i), From: orgA, To: orgA, Client: "cases-a"}, sig, time.Now().Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	por := env.portal("portal-a")
	seen := map[portal.Identifier]bool{}
	var token *portal.PageToken
	last := time.Now().Add(time.Hour)
	for pages := 0; ; pages++ {
		page, err := por.ListCasesContext(ctx, &portal.ListCases{Citizen: tolvan, PageSize: ptr(portal.PageSize(50)), PageToken: token})
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		for _, c := range page.CaseSummary {
			if seen[c.Id] {
				t.Fatalf("case %s on two pages", c.Id)
			}
			seen[c.Id] = true
			if u := c.Updated.ToGoTime(); u.After(last) {
				t.Fatalf("page %d is not newest first", pages)
			} else {
				last = u
			}
		}
		if page.NextPageToken == nil {
			break
		}
		token = page.NextPageToken
		if pages > 20 {
			t.Fatal("paging does not end")
		}
	}
	if len(seen) != 500 {
		t.Errorf("paged through %d cases; want 500", len(seen))
	}
}

// TestMessageWaitsForTheMailServer: a down SMTP server delays the mail to
// the handler; it arrives once the server is back, exactly once.
func TestMessageWaitsForTheMailServer(t *testing.T) {
	smtp := smtptest.Start(t)
	env := newTestEnv(t, "sqlite", withSMTP(smtp))
	ctx := context.Background()
	postSHS(t, env.ts, shsMessage{signal: exampleSignal(t)}).Body.Close()
	c, _ := env.st.CaseByExternalID(ctx, orgA, "BN-2026-000123")
	events, _ := env.st.CaseEvents(ctx, c.ID)
	smtp.FailNext(1, 451, "4.3.0 Try again later")
	_, err := env.portal("portal-a").SendMessageToHandlerContext(ctx, &portal.SendMessageToHandler{Citizen: tolvan, CaseId: portal.Identifier(c.ID), EventId: portal.Identifier(events[0].ID), Text: "Hallå?"})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if n := len(smtp.Messages()); n != 0 {
		t.Fatalf("%d mails despite the refusal", n)
	}
	env.clock.Advance(time.Minute) // past the retry backoff
	msgs := smtp.WaitFor(t, 1, 10*time.Second)
	time.Sleep(1500 * time.Millisecond)
	if len(smtp.Messages()) != 1 || !strings.Contains(msgs[0].Body, "Hallå?") {
		t.Errorf("after the server came back: %d mails", len(smtp.Messages()))
	}
}

// TestResponsesDeclareEachNamespaceOnce: a case page with its events names
// the common namespace once, on the root, instead of on every element.
func TestResponsesDeclareEachNamespaceOnce(t *testing.T) {
	env := newTestEnv(t, "sqlite")
	if resp := postSHS(t, env.ts, shsMessage{signal: exampleSignal(t)}); resp.StatusCode != 202 {
		t.Fatalf("signal: %d", resp.StatusCode)
	}
	list := env.rawPortal(t, "portal-a", `<p:ListCases><p:citizen>`+tolvan+`</p:citizen></p:ListCases>`)
	id := regexp.MustCompile(`<n1:id>([^<]+)</n1:id>`).FindStringSubmatch(list)
	if id == nil {
		t.Fatalf("no case id in %s", list)
	}
	page := env.rawPortal(t, "portal-a", `<p:GetCase><p:citizen>`+tolvan+`</p:citizen><p:caseId>`+id[1]+`</p:caseId></p:GetCase>`)
	if n := strings.Count(page, "http://minaengagemang.se/schema/common/v1"); n != 1 {
		t.Errorf("the common namespace is written %d times in GetCase's answer; want once:\n%s", n, page)
	}
	fault := env.rawPortal(t, "portal-a", `<p:GetCase><p:citizen>`+tolvan+`</p:citizen><p:caseId>cnothing</p:caseId></p:GetCase>`)
	if n := strings.Count(fault, "http://minaengagemang.se/schema/fault/v1"); n != 1 || !strings.Contains(fault, "NotFound") {
		t.Errorf("the fault namespace is written %d times in a fault; want once:\n%s", n, fault)
	}
}
