package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/minaengagemang/me"
)

// acceptedReply puts a handler's reply on a new case of org: a citizen's
// message with a reply address, then the reply. It returns the reply's
// event.
func acceptedReply(t *testing.T, env *testEnv, org string) (eventID string) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	sig := me.Signal{
		Case: me.Case{OrganisationNumber: org, ExternalID: "BN-" + me.NewToken(4), Title: me.LocalizedText{SV: "Bygglov"},
			Status: me.CaseInProgress, Handler: me.Handler{Name: "Anna", Email: "anna@kommun.example"}},
		Citizens: []me.Citizen{{PersonalIdentityNumber: "191212121212"}},
		Event:    me.Event{ExternalID: "1", Time: now, Title: me.LocalizedText{SV: "Frågor?"}, Actions: []me.Action{{Type: me.ActionMessage}}},
	}
	rec, err := env.st.RecordSignal(ctx, me.SHSMessage{TxID: "tx-" + me.NewToken(8), From: org, To: "2021005521", Product: "p",
		SequenceType: "event", TransferType: "asynch", Raw: []byte("x")}, sig, now)
	if err != nil {
		t.Fatal(err)
	}
	token := me.NewReplyToken()
	if _, err := env.st.AddCitizenMessage(ctx, "191212121212", []string{org}, rec.CaseID, rec.EventID, "Hej", me.Mail{
		ReplyTo: "svar+" + token + "@svar.example", Subject: "Meddelande", Text: "Hej", MessageID: "<" + token + "@me.example>",
		ReplyToken: token, ReplyExpires: now.Add(time.Hour)}, now); err != nil {
		t.Fatal(err)
	}
	ev, err := env.st.RecordReply(ctx, me.Reply{Token: token, MessageID: "<r-" + token + "@kommun.example>", EnvelopeFrom: "anna@kommun.example",
		HeaderFrom: "anna@kommun.example", Subject: "Sv: Meddelande", Text: "Svar", Raw: []byte("Subject: Sv: Meddelande\r\n\r\nSvar\r\n")}, now)
	if err != nil {
		t.Fatal(err)
	}
	return ev.ID
}

// TestCaseSystemRepliesOnlyForCaseSystems: the handlers' replies and their
// originals go only to a client with role casesystem, and each gets its own
// organisation's: a request without credentials, or with wrong ones, is
// 401; a portal, etjanst or catalog client is 403, with nothing of the
// replies in the answer.
func TestCaseSystemRepliesOnlyForCaseSystems(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		env := newTestEnv(t, driver)
		eventA := acceptedReply(t, env, orgA)
		get := func(path, user, password string) (int, string) {
			req, _ := http.NewRequest("GET", env.ts.URL+path, nil)
			if user != "" {
				req.SetBasicAuth(user, password)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(body)
		}

		// The case system of the reply's organisation lists it and reads
		// its original.
		code, body := get("/casesystem/replies", "cases-a", pw)
		var list struct {
			Replies []struct {
				ID       int64  `json:"id"`
				EventID  string `json:"eventId"`
				Original string `json:"original"`
			} `json:"replies"`
		}
		if code != http.StatusOK || json.Unmarshal([]byte(body), &list) != nil || len(list.Replies) != 1 || list.Replies[0].EventID != eventA {
			t.Fatalf("cases-a: %d %s; want its one reply", code, body)
		}
		original := list.Replies[0].Original
		if code, body := get(original, "cases-a", pw); code != http.StatusOK || !strings.Contains(body, "Sv: Meddelande") {
			t.Errorf("cases-a %s: %d %s", original, code, body)
		}
		// Another organisation's case system: none of them.
		if code, body := get("/casesystem/replies", "cases-b", pw); code != http.StatusOK || strings.Contains(body, eventA) {
			t.Errorf("cases-b lists: %d %s; want an empty list", code, body)
		}
		if code, _ := get(original, "cases-b", pw); code != http.StatusNotFound {
			t.Errorf("cases-b %s: %d, want 404", original, code)
		}

		for _, tc := range []struct {
			name, user, password string
			want                 int
		}{
			{"no credentials", "", "", http.StatusUnauthorized},
			{"a wrong password", "cases-a", "wrong", http.StatusUnauthorized},
			{"an unknown client", "nobody", pw, http.StatusUnauthorized},
			{"a portal client", "portal-a", pw, http.StatusForbidden},
			{"an etjanst client", "etjanst-a", pw, http.StatusForbidden},
			{"a catalog client", "catalog-a", pw, http.StatusForbidden},
		} {
			for _, path := range []string{"/casesystem/replies", "/casesystem/replies?after=0", original} {
				code, body := get(path, tc.user, tc.password)
				if code != tc.want {
					t.Errorf("%s, GET %s: %d, want %d: %s", tc.name, path, code, tc.want, body)
				}
				if strings.Contains(body, eventA) || strings.Contains(body, "Sv: Meddelande") {
					t.Errorf("%s, GET %s: the answer holds the reply: %s", tc.name, path, body)
				}
				if tc.want == http.StatusForbidden && !strings.Contains(body, "only clients with role casesystem") {
					t.Errorf("%s, GET %s: the refusal does not say who may: %s", tc.name, path, body)
				}
			}
		}
	})
}
