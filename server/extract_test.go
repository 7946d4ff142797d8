package server

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/generated/etjanst"
	"github.com/minaengagemang/me/generated/portal"
	"github.com/minaengagemang/me/server/extract"
	"github.com/minaengagemang/me/xsd"
)

const asaPNR = "198112289874"

// seedFlows runs the seed's flows for Tolvan and Åsa through SHS, the
// portal and the e-service: the example signals of the building permit
// case (both citizens, then Tolvan's own events on it), the school
// transport case (both) and Åsa's case of her own; Tolvan reads the permit
// and writes to its handler, Åsa completes it and reads the school
// transport case, and both get notifications by SMS and e-mail. It returns
// the two cases Tolvan is on: the permit, the school transport.
func seedFlows(t *testing.T, env *testEnv) (permit, school me.Case) {
	t.Helper()
	ctx := context.Background()
	env.clock.Set(noon())
	for _, p := range []me.CitizenProfile{
		{PersonalIdentityNumber: tolvan, GivenName: "Tolvan", Surname: "Tolvansson", Email: "tolvan@exempel.se", Mobile: "+46701234567", Channel: me.NotifyBoth},
		{PersonalIdentityNumber: asaPNR, GivenName: "Åsa", Surname: "Tolvansson", Email: "asa.privat@exempel.se", Mobile: "+46709876543", Channel: me.NotifyBoth,
			Address: &me.PostalAddress{Street: "Åsas gata 7", PostalCode: "111 22", City: "Ekby"}},
	} {
		if _, err := env.st.PutCitizenProfile(ctx, p, env.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	env.publish(t, orgB, "bygglov-kontrollplan")
	for _, file := range []string{"signal-download.xml", "signal-all-actions.xml", "signal-complete.xml", "signal-message.xml"} {
		b, err := os.ReadFile("../docs/examples/" + file)
		if err != nil {
			t.Fatal(err)
		}
		if resp := postSHS(t, env.ts, shsMessage{signal: b}); resp.StatusCode != 202 {
			t.Fatalf("%s: %d %s", file, resp.StatusCode, readBody(resp))
		}
	}
	var err error
	if permit, err = env.st.CaseByExternalID(ctx, orgA, "BN-2026-000123"); err != nil {
		t.Fatal(err)
	}
	if school, err = env.st.CaseByExternalID(ctx, orgA, "UTB-SKJ-2026-0815"); err != nil {
		t.Fatal(err)
	}

	por, ets := env.portal("portal-a"), env.eService("etjanst-b")
	got, err := por.GetCaseContext(ctx, &portal.GetCase{Citizen: tolvan, CaseId: portal.Identifier(permit.ID)})
	if err != nil {
		t.Fatal(err)
	}
	latest := got.CaseDetail.CaseEvent[0] // the decision, with all four actions
	if _, err := por.MarkEventReadContext(ctx, &portal.MarkEventRead{Citizen: tolvan, EventId: latest.Id}); err != nil {
		t.Fatal(err)
	}
	if _, err := por.SendMessageToHandlerContext(ctx, &portal.SendMessageToHandler{Citizen: tolvan, CaseId: portal.Identifier(permit.ID),
		EventId: latest.Id, Text: "Hej! Kan kontrollplanen skickas in i två delar? Mvh Tolvan"}); err != nil {
		t.Fatal(err)
	}
	var complete portal.Identifier
	for _, a := range latest.Action {
		if a.Type_ == portal.ActionTypeComplete {
			complete = a.Id
		}
	}
	issued, err := por.CreateCompletionTicketContext(ctx, &portal.CreateCompletionTicket{Citizen: asaPNR, EventId: latest.Id, ActionId: complete})
	if err != nil {
		t.Fatal(err)
	}
	redeemed, err := ets.RedeemTicketContext(ctx, &etjanst.RedeemTicket{Ticket: etjanst.Ticket(issued.Ticket.Ticket)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ets.ReportCompletionContext(ctx, &etjanst.ReportCompletion{CaseId: redeemed.Completion.CaseId, ActionId: redeemed.Completion.ActionId,
		Citizen: &redeemed.Citizen.PersonalIdentityNumber}); err != nil {
		t.Fatal(err)
	}
	schoolCase, err := por.GetCaseContext(ctx, &portal.GetCase{Citizen: asaPNR, CaseId: portal.Identifier(school.ID)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := por.MarkEventReadContext(ctx, &portal.MarkEventRead{Citizen: asaPNR, EventId: schoolCase.CaseDetail.CaseEvent[0].Id}); err != nil {
		t.Fatal(err)
	}

	// The notifier plans both citizens' notifications in the background.
	deadline := time.Now().Add(15 * time.Second)
	for {
		tn, err1 := env.st.CitizenNotifications(ctx, tolvan)
		an, err2 := env.st.CitizenNotifications(ctx, asaPNR)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if len(tn) > 0 && len(an) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no notifications planned: Tolvan %d, Åsa %d", len(tn), len(an))
		}
		time.Sleep(100 * time.Millisecond)
	}
	return permit, school
}

// TestRegisterExtractOfSeedFlows: Tolvan's extract after the seed flows
// holds their profile, both their cases with every event (their message,
// Åsa's completion), their notifications and their reads, validates
// against xsd/citizen-export.xsd, and holds nothing of Åsa's but what
// Tolvan sees of the shared cases: not her personnummer, contact details,
// address, read marks, notifications or her own case. The JSON form holds
// the same.
func TestRegisterExtractOfSeedFlows(t *testing.T) {
	schemas, err := xsd.Load(xsd.CitizenExport)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { schemas[xsd.CitizenExport].Close() })
	forEachDriver(t, func(t *testing.T, driver string) {
		env := newTestEnv(t, driver)
		ctx := context.Background()
		permit, school := seedFlows(t, env)

		d, err := env.st.CitizenData(ctx, tolvan)
		if err != nil {
			t.Fatal(err)
		}
		contents := func(id string) ([]byte, error) { return env.st.CitizenAttachmentContent(ctx, tolvan, id) }
		doc, err := extract.Build(d, map[string]string{orgA: "Demo kommun"}, "admin:dpo", env.clock.Now(), contents)
		if err != nil {
			t.Fatal(err)
		}
		x, err := extract.Encode(doc, extract.FormatXML)
		if err != nil {
			t.Fatal(err)
		}
		if err := schemas[xsd.CitizenExport].Validate(x); err != nil {
			t.Fatalf("the extract does not validate: %v\n%s", err, x)
		}
		j, err := extract.Encode(doc, extract.FormatJSON)
		if err != nil {
			t.Fatal(err)
		}
		var fromJSON extract.Document
		if err := json.Unmarshal(j, &fromJSON); err != nil {
			t.Fatal(err)
		}

		for form, doc := range map[string]extract.Document{"xml": doc, "json": fromJSON} {
			if p := doc.Profile; p == nil || p.Email != "tolvan@exempel.se" || p.Mobile != "+46701234567" || p.GivenName != "Tolvan" {
				t.Errorf("%s: profile %+v", form, doc.Profile)
			}
			if len(doc.Cases) != 2 || doc.Cases[0].ID != permit.ID || doc.Cases[1].ID != school.ID {
				t.Fatalf("%s: %d cases; want the permit and the school transport", form, len(doc.Cases))
			}
			for i, c := range []me.Case{permit, school} {
				stored, err := env.st.CaseEvents(ctx, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				got := map[string]extract.Event{}
				for _, e := range doc.Cases[i].Events {
					got[e.ID] = e
				}
				for _, e := range stored {
					if _, ok := got[e.ID]; !ok || len(got) != len(stored) {
						t.Errorf("%s: case %s has events %v; want every one of %d", form, c.ExternalID, keys(got), len(stored))
					}
				}
			}
			var message, completion, decision *extract.Event
			for i, e := range doc.Cases[0].Events {
				switch {
				case e.Text != nil && strings.Contains(e.Text.SV, "Mvh Tolvan"):
					message = &doc.Cases[0].Events[i]
				case e.FromCitizen:
					completion = &doc.Cases[0].Events[i]
				case e.Title.SV == "Beslut om bygglov – kontrollplan behövs":
					decision = &doc.Cases[0].Events[i]
				}
			}
			if message == nil || message.ByCitizen == nil || !*message.ByCitizen || message.Read == nil {
				t.Errorf("%s: Tolvan's message: %+v; want it, by them, read", form, message)
			}
			if completion == nil || completion.ByCitizen == nil || *completion.ByCitizen {
				t.Errorf("%s: Åsa's completion: %+v; want it, by another citizen", form, completion)
			}
			if decision == nil || decision.Read == nil || len(decision.Attachments) != 2 || len(decision.Attachments[0].Content) == 0 {
				t.Errorf("%s: the decision: %+v; want it read, with both files", form, decision)
			}
			if school := doc.Cases[1].Events; len(school) != 1 || school[0].Read != nil {
				t.Errorf("%s: the school transport case's event %+v; want it unread: Åsa's read is hers", form, school)
			}
			if len(doc.Notifications) == 0 {
				t.Errorf("%s: no notifications", form)
			}
			for _, n := range doc.Notifications {
				if n.Recipient != "tolvan@exempel.se" && n.Recipient != "+46701234567" {
					t.Errorf("%s: a notification to %s", form, n.Recipient)
				}
			}
			reads := 0
			for _, a := range doc.Audit {
				if a.Operation == "GetCase" {
					reads++
				}
			}
			if reads == 0 {
				t.Errorf("%s: the audit log has no GetCase of Tolvan's: %+v", form, doc.Audit)
			}
		}
		for _, leak := range []string{asaPNR, "asa.privat@exempel.se", "+46709876543", "Åsas gata", "ekonomiskt bistånd", "SOC-FS", "Åsa",
			handlerEmail, "kommun.example"} {
			if strings.Contains(string(x), leak) || strings.Contains(string(j), leak) {
				t.Errorf("the extract holds %q, which is not Tolvan's to see", leak)
			}
		}
	})
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
