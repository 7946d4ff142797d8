package server

import (
	"bytes"
	"context"
	"io"
	"net/http"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/server/notify"
	"github.com/minaengagemang/me/server/notify/mail/smtptest"
	"github.com/minaengagemang/me/server/notify/sms"
	"github.com/minaengagemang/me/server/notify/sms/smstest"
)

// withGateways points ME's mail and SMS at servers in the test process.
func withGateways(smtp *smtptest.Server, gw *smstest.Gateway) func(*testSetup) {
	return func(s *testSetup) {
		withSMTP(smtp)(s)
		g, err := sms.New(sms.Config{Provider: sms.ProviderHTTP, URL: gw.URL() + "/send", Format: "form", Sender: "DemoKommun", Timeout: 5 * time.Second,
			Body: "to={{urlquery .To}}&from={{urlquery .From}}&message={{urlquery .Text}}&reference={{urlquery .Reference}}"}, nil)
		if err != nil {
			panic(err)
		}
		s.sms, s.notify.SMSSender = g, "DemoKommun"
	}
}

// noon is 12:00 in Stockholm on the day after today: outside quiet hours.
func noon() time.Time {
	sthlm, _ := time.LoadLocation("Europe/Stockholm")
	d := time.Now().In(sthlm).AddDate(0, 0, 1)
	return time.Date(d.Year(), d.Month(), d.Day(), 12, 0, 0, 0, sthlm)
}

func (env *testEnv) profile(t *testing.T, pnr string, lang me.Language, channel me.NotificationChannel) {
	t.Helper()
	if _, err := env.st.PutCitizenProfile(context.Background(), me.CitizenProfile{PersonalIdentityNumber: pnr, GivenName: "Tolvan",
		Email: "tolvan@exempel.se", Mobile: "+46701234567", Language: lang, Channel: channel}, time.Now()); err != nil {
		t.Fatal(err)
	}
}

func nthEvent(t *testing.T, n int) []byte {
	s := exampleSignal(t)
	return []byte(strings.Replace(string(s), "BN-2026-000123-H5", "H-"+string(rune('A'+n)), 1))
}

// TestNotificationsReachTheCitizen: a signal for a citizen who wants SMS
// and e-mail gives exactly one of each, in their language, without case
// content; three signals within the window still give one of each.
func TestNotificationsReachTheCitizen(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		smtp, gw := smtptest.Start(t), smstest.Start(t)
		env := newTestEnv(t, driver, withGateways(smtp, gw))
		env.clock.Set(noon())
		env.profile(t, tolvan, me.English, me.NotifyBoth)
		for i := 0; i < 3; i++ {
			if resp := postSHS(t, env.ts, shsMessage{signal: nthEvent(t, i)}); resp.StatusCode != 202 {
				t.Fatalf("signal %d: %d", i, resp.StatusCode)
			}
		}
		gw.WaitFor(t, 1, 10*time.Second)
		smtp.WaitFor(t, 1, 10*time.Second)
		time.Sleep(2500 * time.Millisecond) // room for a second one that must not come
		sms, mails := gw.Received(), smtp.Messages()
		if len(sms) != 1 || len(mails) != 1 {
			t.Fatalf("%d SMS and %d e-mails for three events in the window; want one of each", len(sms), len(mails))
		}
		text := sms[0].Form.Get("message")
		if sms[0].Form.Get("to") != "+46701234567" || sms[0].Form.Get("from") != "DemoKommun" || sms[0].Form.Get("reference") == "" ||
			!strings.Contains(text, "Demo kommun") || !strings.Contains(text, "https://demo.example/") || !strings.Contains(text, "news") {
			t.Errorf("the SMS: %v", sms[0].Form)
		}
		m := mails[0]
		if m.To[0] != "tolvan@exempel.se" || !strings.Contains(m.Subject, "News in your cases at Demo kommun") || !strings.Contains(m.Body, "https://demo.example/") {
			t.Errorf("the e-mail: to %v, subject %q\n%s", m.To, m.Subject, m.Body)
		}
		for _, leak := range []string{"Bygglov", "kontrollplan", "Solrosen", "Anna Lindqvist"} {
			if strings.Contains(text, leak) || strings.Contains(m.Body, leak) || strings.Contains(m.Subject, leak) {
				t.Errorf("a notification carries case content (%q)", leak)
			}
		}

		resp, err := http.Get(env.ts.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		metrics, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(metrics), `me_notifications{channel="email",state="sent"} 1`) || !strings.Contains(string(metrics), `me_notifications{channel="sms",state="sent"} 1`) {
			t.Errorf("/metrics does not count the sent notifications:\n%s", grepLines(string(metrics), "me_notifications"))
		}
	})
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestNotificationRetries: a mail server refusing with 4xx is retried and
// the mail delivered once; a 5xx fails with its reason.
func TestNotificationRetries(t *testing.T) {
	smtp, gw := smtptest.Start(t), smstest.Start(t)
	env := newTestEnv(t, "sqlite", withGateways(smtp, gw))
	env.clock.Set(noon())
	env.profile(t, tolvan, me.Swedish, me.NotifyEmail)
	smtp.FailNext(2, 451, "4.3.0 Försök igen senare")
	postSHS(t, env.ts, shsMessage{signal: nthEvent(t, 0)}).Body.Close()
	deadline := time.Now().Add(20 * time.Second)
	for len(smtp.Messages()) == 0 && time.Now().Before(deadline) {
		env.clock.Advance(time.Minute) // past each retry's backoff
		time.Sleep(300 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond)
	if msgs := smtp.Messages(); len(msgs) != 1 || !strings.Contains(msgs[0].Subject, "Nytt i dina ärenden hos Demo kommun") {
		t.Fatalf("after two 451s: %d e-mails; want exactly one, in Swedish", len(msgs))
	}

	// A permanent refusal: failed, with the server's reason.
	smtp.FailNext(1, 550, "5.1.1 Mailbox unavailable")
	env.clock.Advance(10 * time.Minute) // outside the coalescing window
	postSHS(t, env.ts, shsMessage{signal: nthEvent(t, 1)}).Body.Close()
	var failed []me.Notification
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if failed, _ = env.st.Notifications(context.Background(), true, 10); len(failed) > 0 {
			break
		}
	}
	if len(failed) != 1 || !strings.Contains(failed[0].LastError, "550") {
		t.Fatalf("after a 550: %+v; want one failed notification with the reason", failed)
	}
	if strings.Contains(failed[0].LastError, "tolvan@exempel.se") || strings.Contains(env.logs.String(), "tolvan@exempel.se") {
		t.Error("the citizen's e-mail address is in the log or the recorded error")
	}
}

// TestSMSWaitsForQuietHoursToEnd: an SMS due at 22:00 is sent at 08:00;
// the e-mail goes at once.
func TestSMSWaitsForQuietHoursToEnd(t *testing.T) {
	smtp, gw := smtptest.Start(t), smstest.Start(t)
	env := newTestEnv(t, "sqlite", withGateways(smtp, gw))
	sthlm, _ := time.LoadLocation("Europe/Stockholm")
	evening := noon().Add(10 * time.Hour) // 22:00
	env.clock.Set(evening)
	env.profile(t, tolvan, me.Swedish, me.NotifyBoth)
	postSHS(t, env.ts, shsMessage{signal: nthEvent(t, 0)}).Body.Close()
	smtp.WaitFor(t, 1, 10*time.Second)
	time.Sleep(2 * time.Second)
	if n := len(gw.Received()); n != 0 {
		t.Fatalf("%d SMS sent at 22:00; want none until quiet hours end", n)
	}
	next := evening.In(sthlm).AddDate(0, 0, 1)
	env.clock.Set(time.Date(next.Year(), next.Month(), next.Day(), 8, 0, 30, 0, sthlm))
	if sms := gw.WaitFor(t, 1, 10*time.Second); len(sms) != 1 {
		t.Errorf("after quiet hours: %d SMS; want 1", len(sms))
	}
}

// TestReminderForAnOpenCompletion: an event whose complete action is still
// open and unread after reminder_after gets one reminder, once.
func TestReminderForAnOpenCompletion(t *testing.T) {
	smtp, gw := smtptest.Start(t), smstest.Start(t)
	env := newTestEnv(t, "sqlite", withGateways(smtp, gw))
	env.clock.Set(noon())
	env.profile(t, tolvan, me.Swedish, me.NotifyEmail)
	postSHS(t, env.ts, shsMessage{signal: nthEvent(t, 0)}).Body.Close()
	smtp.WaitFor(t, 1, 10*time.Second)
	env.clock.Advance(73 * time.Hour) // past reminder_after (72h)
	msgs := smtp.WaitFor(t, 2, 15*time.Second)
	if !strings.Contains(msgs[1].Subject, "Påminnelse") {
		t.Errorf("the second e-mail is not a reminder: %q", msgs[1].Subject)
	}
	env.clock.Advance(2 * time.Minute)
	time.Sleep(2500 * time.Millisecond)
	if n := len(smtp.Messages()); n != 2 {
		t.Errorf("%d e-mails; want the notification and one reminder", n)
	}
}

// TestEachOrganisationSignsItsNotifications: a citizen with cases at two
// organisations gets each one's SMS from that organisation's sender and
// its e-mail under that organisation's From name; what an organisation
// does not set falls back to sms.sender and smtp.from's name.
func TestEachOrganisationSignsItsNotifications(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		smtp, gw := smtptest.Start(t), smstest.Start(t)
		env := newTestEnv(t, driver, withGateways(smtp, gw), func(s *testSetup) {
			s.notify.Senders = map[string]notify.Sender{
				orgA: {SMS: "Demokommun", EmailName: "Demo kommun"},
				orgB: {SMS: "Grannkommun"}, // e-mail: the global From name
			}
		})
		env.clock.Set(noon())
		env.profile(t, tolvan, me.Swedish, me.NotifyBoth)
		signalB := bytes.Replace(exampleSignal(t), []byte("<organisationNumber>"+orgA+"</organisationNumber>"), []byte("<organisationNumber>"+orgB+"</organisationNumber>"), 1)
		for _, m := range []shsMessage{{signal: exampleSignal(t)}, {client: "cases-b", from: orgB, to: orgB, signal: signalB}} {
			if resp := postSHS(t, env.ts, m); resp.StatusCode != 202 {
				t.Fatalf("signal from %s: %d", m.from, resp.StatusCode)
			}
		}
		want := map[string]struct{ sms, fromName string }{
			"Demo kommun":   {"Demokommun", "Demo kommun"},
			"Grannkommunen": {"Grannkommun", "Mina Engagemang"},
		}
		for _, sms := range gw.WaitFor(t, 2, 10*time.Second) {
			org, _, _ := strings.Cut(sms.Form.Get("message"), ":")
			if w, ok := want[org]; !ok || sms.Form.Get("from") != w.sms {
				t.Errorf("the SMS of %q is from %q; want %q", org, sms.Form.Get("from"), w.sms)
			}
		}
		for _, m := range smtp.WaitFor(t, 2, 10*time.Second) {
			org := strings.TrimPrefix(m.Subject, "Nytt i dina ärenden hos ")
			from, err := netmail.ParseAddress(m.Header.Get("From"))
			if w, ok := want[org]; !ok || err != nil || from.Name != w.fromName || from.Address != "no-reply@demo.example" {
				t.Errorf("the e-mail of %q is from %q; want %q <no-reply@demo.example>", org, m.Header.Get("From"), w.fromName)
			}
		}
	})
}
