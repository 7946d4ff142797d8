package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/minaengagemang/me/store/storetest"
)

var caseSummaryRE = regexp.MustCompile(`(?s)<(?:\w+:)?caseSummary>(.*?)</(?:\w+:)?caseSummary>`)

// TestMailReplyPlaysTheHandler follows the README's demo on each store,
// with config/demo.yaml as it ships (only the ports and the database
// moved): the example cases are sent, Tolvan writes to the building
// permit's handler, the handler mail waits in the queue (the demo has no
// smtp.host), and `me mail reply` answers it over SMTP to ME's listener;
// the reply, trimmed and with its attachment, is an event in the case.
func TestMailReplyPlaysTheHandler(t *testing.T) {
	const tolvan = "191212121212"
	for _, driver := range storetest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			addr, inAddr := freeAddr(t), freeAddr(t)
			env := []string{"ME_DATABASE_DRIVER=" + driver, "ME_DATABASE_DSN=" + storetest.DSN(t, driver), "ME_INBOUND_MAIL_ADDR=" + inAddr}
			logs := startME(t, "../../config/demo.yaml", addr, append([]string{"ME_HTTP_ADDR=" + addr, "ME_LOG_FORMAT=json"}, env...)...)
			mailReply := func(args ...string) (string, int) {
				cmd := exec.Command(meBinary, append([]string{"mail", "reply", "--config", "../../config/demo.yaml"}, args...)...)
				cmd.Env = append(os.Environ(), env...)
				out, _ := cmd.CombinedOutput()
				return string(out), cmd.ProcessState.ExitCode()
			}

			// Nothing to answer yet: it says what to do first.
			if out, code := mailReply(); code != 1 || !strings.Contains(out, "first write to the handler") {
				t.Errorf("me mail reply before any handler mail: exit %d\n%s", code, out)
			}

			// As the README sends them: the last one closes the building permit.
			var signals []string
			for _, f := range []string{"all-actions", "complete", "message", "archive"} {
				signals = append(signals, "../../docs/examples/signal-"+f+".xml")
			}
			if out, code := shsSend(t, addr, signals...); code != 0 {
				t.Fatalf("me shs send: exit %d\n%s", code, out)
			}
			list := soapPortal(t, addr, "ListCases", "<citizen>"+tolvan+"</citizen>")
			var caseID string
			for _, m := range caseSummaryRE.FindAllStringSubmatch(list, -1) {
				if strings.Contains(m[1], "Bygglov") {
					caseID = firstIDRE.FindStringSubmatch(m[1])[1]
				}
			}
			if caseID == "" {
				t.Fatalf("Tolvan has no building permit:\n%s", list)
			}
			getCase := soapPortal(t, addr, "GetCase", "<citizen>"+tolvan+"</citizen><caseId>"+caseID+"</caseId>")
			soapPortal(t, addr, "SendMessageToHandler", "<citizen>"+tolvan+"</citizen><caseId>"+caseID+"</caseId><eventId>"+
				messageEvent(getCase, "")+"</eventId><text>När kan vi börja riva garaget?</text>")

			pdf := filepath.Join(t.TempDir(), "rivningslov.pdf")
			if err := os.WriteFile(pdf, []byte("%PDF-1.4 rivningslov"), 0o644); err != nil {
				t.Fatal(err)
			}
			out, code := mailReply("--text", "Hej Tolvan!\nNi får börja riva nu; beslutet är bifogat.\n\n-- \nAnna Lindqvist", "--attach", pdf)
			if code != 0 || !strings.Contains(out, "Replied as ") || !strings.Contains(out, "ME took it") {
				t.Fatalf("me mail reply: exit %d\n%s\n%s", code, out, logs)
			}

			var replyID, text, block string
			for deadline := time.Now().Add(10 * time.Second); replyID == "" && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
				getCase = soapPortal(t, addr, "GetCase", "<citizen>"+tolvan+"</citizen><caseId>"+caseID+"</caseId>")
				replyID, text, block = handlerReplyEvent(getCase)
			}
			if replyID == "" {
				t.Fatalf("no reply in the case:\n%s\n%s", getCase, logs)
			}
			// The handler (the latest signal's) is never in a portal answer.
			if handler := strings.Fields(strings.TrimPrefix(out, "Replied as "))[0]; strings.Contains(getCase, handler) {
				t.Errorf("GetCase names the handler %s:\n%s", handler, getCase)
			}
			// The signature and the quoted citizen's message are trimmed.
			if want := "Hej Tolvan!\nNi får börja riva nu; beslutet är bifogat."; text != want {
				t.Errorf("the reply's text %q, want %q", text, want)
			}
			if !strings.Contains(block, "rivningslov.pdf") || !strings.Contains(block, ">download<") || !strings.Contains(block, ">message<") {
				t.Errorf("the reply event lacks its attachment, download or message action:\n%s", block)
			}

			// --to names a handler mail; one ME never sent is refused.
			if out, code := mailReply("--to", "svar+aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@svar.demo.example"); code != 1 || !strings.Contains(out, "no handler mail has the reply address") {
				t.Errorf("me mail reply --to an unknown address: exit %d\n%s", code, out)
			}
		})
	}
}
