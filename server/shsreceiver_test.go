package server

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/config"
	"github.com/minaengagemang/me/server/shs"
	"github.com/minaengagemang/me/server/testpki"
	"github.com/minaengagemang/me/store"
	"github.com/minaengagemang/me/xsd"
)

// exampleSignal is docs/examples/signal-all-actions.xml: a case of orgA
// with two citizens, an event with two attachments and all four actions.
func exampleSignal(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("../docs/examples/signal-all-actions.xml")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// shsMessage is how a case system's SHS client sends a signal.
type shsMessage struct {
	txID, from, to, product, transfer string
	client                            string
	signal                            []byte
}

func (m shsMessage) withDefaults() shsMessage {
	if m.txID == "" {
		m.txID = shs.NewID()
	}
	if m.from == "" {
		m.from = orgA
	}
	if m.to == "" {
		m.to = orgA
	}
	if m.product == "" {
		m.product = config.DefaultSHSProduct
	}
	if m.transfer == "" {
		m.transfer = "asynch"
	}
	if m.client == "" {
		m.client = "cases-a"
	}
	return m
}

func postSHS(t testing.TB, ts *httptest.Server, m shsMessage) *http.Response {
	t.Helper()
	m = m.withDefaults()
	seq := me.SequenceEvent
	if m.transfer == "synch" {
		seq = me.SequenceRequest
	}
	label := shs.Label{Version: "1.2", TxID: m.txID, CorrID: m.txID, TransferType: me.TransferType(m.transfer), MessageType: "simple", DocumentType: "simple",
		SequenceType: seq, Status: "production", From: &shs.Party{Value: "urn:X-shs:" + m.from, CommonName: "Ärendesystemet"}, To: &shs.Party{Value: "urn:X-shs:" + m.to},
		Product: shs.Product{Value: "urn:X-shs:" + m.product}, Datetime: "2026-11-26T10:00:00",
		Content: shs.Content{ID: shs.NewID(), Data: []shs.DataInfo{{DatapartType: "xml", Filename: "signal.xml"}}}}
	body, ct, err := shs.Build(label, []shs.Part{{Info: label.Content.Data[0], ContentType: "text/xml; charset=UTF-8", FileName: "signal.xml", Data: m.signal}})
	if err != nil {
		t.Fatal(err)
	}
	return postRaw(t, ts, m.client, ct, body)
}

func postRaw(t testing.TB, ts *httptest.Server, client, contentType string, body []byte) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", ts.URL+"/shs/rs", bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.SetBasicAuth(client, pw)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func readBody(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return string(b)
}

func TestSignalIsStoredExactlyOnce(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		ts, st := testServer(t, driver)
		ctx := context.Background()
		signal := exampleSignal(t)

		resp := postSHS(t, ts, shsMessage{txID: "tx-first", signal: signal})
		body := readBody(resp)
		if resp.StatusCode != http.StatusAccepted || body != "tx-first" {
			t.Fatalf("first signal: %d %q", resp.StatusCode, body)
		}
		for _, h := range []string{"X-shs-txid", "X-shs-corrid", "X-shs-contentid", "X-shs-localid", "X-shs-nodeid", "X-shs-arrivaldate"} {
			if resp.Header.Get(h) == "" {
				t.Errorf("202 without %s", h)
			}
		}
		if resp.Header.Get("X-shs-duplicatemsg") != "no" {
			t.Errorf("X-shs-duplicatemsg = %q; want no", resp.Header.Get("X-shs-duplicatemsg"))
		}
		arrival := resp.Header.Get("X-shs-arrivaldate")

		c, err := st.CaseByExternalID(ctx, orgA, "BN-2026-000123")
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != me.CaseDecided || c.CaseNumber != "BN 2026-000123" || len(c.Citizens) != 2 || c.Handler.Email != "anna.lindqvist@kommun.example" {
			t.Errorf("case = %+v", c)
		}
		events, err := st.CaseEvents(ctx, c.ID)
		if err != nil || len(events) != 1 {
			t.Fatalf("events = %d, %v; want 1", len(events), err)
		}
		e := events[0]
		if e.Title.SV != "Beslut om bygglov – kontrollplan behövs" || !e.Notify {
			t.Errorf("event = %+v", e)
		}
		if len(e.Attachments) != 2 {
			t.Fatalf("attachments = %d; want 2", len(e.Attachments))
		}
		want, _ := base64.StdEncoding.DecodeString("S29udHJvbGxwbGFuIGbDtnIgdGlsbGJ5Z2duYWQKMS4gR3J1bmRsw6RnZ25pbmcKMi4gQsOkcmFuZGUga29uc3RydWt0aW9uCg==")
		if a := e.Attachments[1]; a.FileName != "förslag till kontrollplan.txt" || !bytes.Equal(a.Content, want) || a.Size != int64(len(want)) {
			t.Errorf("second attachment = %q, %d bytes; want the exact bytes sent", a.FileName, len(a.Content))
		}
		var types []string
		for _, a := range e.Actions {
			types = append(types, string(a.Type))
			switch a.Type {
			case me.ActionDownload:
				if a.AttachmentID == "" {
					t.Errorf("download action %s names no attachment", a.ExternalID)
				}
			case me.ActionComplete:
				if a.EServiceID != "bygglov-kontrollplan" || a.EServiceOrganisation != orgB || a.DueDate != "2026-04-15" ||
					!strings.Contains(a.CompletionData, `xmlns:bl="urn:example:kommun:bygglov:1"`) || !strings.Contains(a.CompletionData, "Solrosen 4") {
					t.Errorf("complete action = %+v", a)
				}
			}
		}
		if got := strings.Join(types, ","); got != "download,download,complete,message,archive" {
			t.Errorf("actions = %s", got)
		}
		outbox, err := st.Outbox(ctx)
		if err != nil || len(outbox) != 2 {
			t.Errorf("outbox = %d rows, %v; want one per citizen", len(outbox), err)
		}

		// The same message again: the same answer, nothing changed.
		resp = postSHS(t, ts, shsMessage{txID: "tx-first", signal: signal})
		readBody(resp)
		if resp.StatusCode != http.StatusAccepted || resp.Header.Get("X-shs-duplicatemsg") != "yes" || resp.Header.Get("X-shs-arrivaldate") != arrival {
			t.Errorf("repeated tx.id: %d duplicatemsg=%q arrival %q (first %q)", resp.StatusCode, resp.Header.Get("X-shs-duplicatemsg"), resp.Header.Get("X-shs-arrivaldate"), arrival)
		}
		// The same event under a new tx.id: kept, but no second event.
		resp = postSHS(t, ts, shsMessage{txID: "tx-again", signal: signal})
		readBody(resp)
		if resp.StatusCode != http.StatusAccepted {
			t.Errorf("same event, new tx.id: %d", resp.StatusCode)
		}
		if events, _ := st.CaseEvents(ctx, c.ID); len(events) != 1 {
			t.Errorf("same event under a new tx.id made %d events", len(events))
		}
		if outbox, _ := st.Outbox(ctx); len(outbox) != 2 {
			t.Errorf("same event under a new tx.id queued %d notifications", len(outbox))
		}
		// A second event appends.
		second := bytes.Replace(signal, []byte("BN-2026-000123-H5"), []byte("BN-2026-000123-H6"), 1)
		second = bytes.Replace(second, []byte("<status>decided</status>"), []byte("<status>closed</status>"), 1)
		resp = postSHS(t, ts, shsMessage{signal: second})
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("second event: %d %s", resp.StatusCode, readBody(resp))
		}
		readBody(resp)
		events, _ = st.CaseEvents(ctx, c.ID)
		c, _ = st.CaseByExternalID(ctx, orgA, "BN-2026-000123")
		if len(events) != 2 || c.Status != me.CaseClosed {
			t.Errorf("after a second event: %d events, status %s; want 2, closed", len(events), c.Status)
		}
		if n, _ := st.CountSHSMessages(ctx); n != 3 {
			t.Errorf("%d SHS messages kept; want 3 distinct tx.ids", n)
		}
	})
}

func TestSynchSignalGetsAReceipt(t *testing.T) {
	ts, st := testServer(t, "sqlite")
	resp := postSHS(t, ts, shsMessage{transfer: "synch", signal: exampleSignal(t)})
	body := readBody(resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("synch: %d %s", resp.StatusCode, body)
	}
	schemas, err := xsd.Load(xsd.SHSLabel, xsd.Signal)
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll(schemas)
	reply, err := shs.Parse([]byte(body), resp.Header.Get("Content-Type"), schemas[xsd.SHSLabel], shs.Limits{})
	if err != nil {
		t.Fatalf("the reply is not an SHS message: %v", err)
	}
	if reply.Label.SequenceType != "reply" || len(reply.Parts) != 1 {
		t.Fatalf("reply label %+v with %d parts", reply.Label, len(reply.Parts))
	}
	if err := schemas[xsd.Signal].Validate(reply.Parts[0].Data); err != nil {
		t.Errorf("the receipt does not validate against signal.xsd: %v\n%s", err, reply.Parts[0].Data)
	}
	var rc struct {
		CaseID  string `xml:"caseId"`
		EventID string `xml:"eventId"`
	}
	xml.Unmarshal(reply.Parts[0].Data, &rc)
	c, _ := st.CaseByExternalID(context.Background(), orgA, "BN-2026-000123")
	if rc.CaseID == "" || rc.CaseID != c.ID || rc.EventID == "" {
		t.Errorf("receipt %+v; want case %s", rc, c.ID)
	}
}

func closeAll(m map[string]*xsd.Schema) {
	for _, s := range m {
		s.Close()
	}
}

func TestBadSignalsAreRejectedAndKept(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		ts, st := testServer(t, driver)
		ctx := context.Background()
		good := exampleSignal(t)
		replace := func(old, new string) []byte { return bytes.Replace(good, []byte(old), []byte(new), 1) }
		axel := func(name string) []byte {
			b, err := os.ReadFile(filepath.Join("shs/testdata/axel", name))
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		tests := []struct {
			name     string
			msg      shsMessage
			raw      []byte // sent as is instead of msg
			wantCode string
		}{
			{name: "another organisation's case", msg: shsMessage{client: "cases-b", from: orgB, signal: good}, wantCode: "IllegalSender"},
			{name: "from another organisation than the client's", msg: shsMessage{from: orgB, signal: good}, wantCode: "IllegalSender"},
			{name: "unknown sender", msg: shsMessage{from: "5565317129", signal: good}, wantCode: "UnknownSender"},
			{name: "unknown receiver", msg: shsMessage{to: "5565317129", signal: good}, wantCode: "UnknownReceiver"},
			{name: "unknown product", msg: shsMessage{product: "00000000-0000-0000-0000-000000000000", signal: good}, wantCode: "UnknownProductType"},
			{name: "invalid personnummer", msg: shsMessage{signal: replace("191212121212", "191212121213")}, wantCode: "IllegalDatapartContent"},
			{name: "XSD-invalid signal", msg: shsMessage{signal: replace("<status>decided</status>", "<status>pending</status>")}, wantCode: "IllegalDatapartContent"},
			{name: "XXE in the signal", msg: shsMessage{signal: replace(`<?xml version="1.0" encoding="UTF-8"?>`,
				`<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE signal [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>`)}, wantCode: "IllegalDatapartContent"},
			{name: "billion laughs in the signal", msg: shsMessage{signal: replace(`<?xml version="1.0" encoding="UTF-8"?>`,
				`<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE signal [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>`)}, wantCode: "IllegalDatapartContent"},
			{name: "XXE in the label", raw: bytes.Replace(axel("shsTextMessage.mime"), []byte(`<!DOCTYPE shs.label SYSTEM "shs-label-1.2.dtd">`),
				[]byte(`<!DOCTYPE shs.label [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>`), 1), wantCode: "IllegalMessageStructure"},
			{name: "oversized body", raw: append(axel("shsTextMessage.mime"), bytes.Repeat([]byte("x"), 21<<20)...), wantCode: "IllegalMessageStructure"},
			{name: "truncated message (Axel)", raw: axel("shsTextMessageBroken.mime"), wantCode: "IllegalMessageStructure"},
			{name: "totally broken message (Axel)", raw: axel("shsTextMessageTotallyBroken.mime"), wantCode: "IllegalMessageStructure"},
			{name: "a message for another node (Axel)", raw: axel("shsTextMessage.mime"), wantCode: "UnknownReceiver"},
			{name: "a portal client", msg: shsMessage{client: "portal-a", signal: good}, wantCode: "IllegalSender"},
			{name: "a receipt instead of a signal", msg: shsMessage{signal: []byte(`<receipt xmlns="http://minaengagemang.se/signal/v1"><txId>x</txId><caseId>c</caseId><eventId>e</eventId><duplicate>false</duplicate><duplicateEvent>false</duplicateEvent><arrival>2026-01-01T00:00:00Z</arrival></receipt>`)}, wantCode: "IllegalDatapartContent"},
			{name: "a message action and a handler without e-mail", msg: shsMessage{signal: replace("<email>anna.lindqvist@kommun.example</email>", "")}, wantCode: "IllegalDatapartContent"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var resp *http.Response
				if tt.raw != nil {
					resp = postRaw(t, ts, "cases-a", "message/rfc822", tt.raw)
				} else {
					resp = postSHS(t, ts, tt.msg)
				}
				body := readBody(resp)
				if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("X-shs-errorcode") != tt.wantCode {
					t.Errorf("%d %s %q; want 400 %s", resp.StatusCode, resp.Header.Get("X-shs-errorcode"), body, tt.wantCode)
				}
				if strings.TrimSpace(body) == "" {
					t.Error("the refusal does not say what is wrong")
				}
			})
		}
		if n, _ := st.CountSHSMessages(ctx); n != 0 {
			t.Errorf("%d messages stored from refused ones", n)
		}
		if _, err := st.CaseByExternalID(ctx, orgA, "BN-2026-000123"); err == nil {
			t.Error("a case was written from a refused message")
		}
		rejections, err := st.Rejections(ctx, 100)
		if err != nil || len(rejections) != len(tests) {
			t.Errorf("%d rejections kept, %v; want %d", len(rejections), err, len(tests))
		}
	})
}

// TestConcurrentSenders has 10 senders post 200 signals each, a tenth of
// them repeating another sender's tx.id at the same time, into 20 shared
// cases: every 202 is stored once, nothing twice, nothing lost.
func TestConcurrentSenders(t *testing.T) {
	if testing.Short() {
		t.Skip("2,000 signals per database")
	}
	forEachDriver(t, func(t *testing.T, driver string) {
		ts, st := testServer(t, driver)
		ctx := context.Background()
		template := exampleSignal(t)
		signalFor := func(k int) []byte {
			s := bytes.Replace(template, []byte("BN-2026-000123-H5"), []byte(fmt.Sprintf("E-%d", k)), 1)
			return bytes.Replace(s, []byte("<externalId>BN-2026-000123</externalId>"), []byte(fmt.Sprintf("<externalId>C-%d</externalId>", k%20)), 1)
		}
		const senders, perSender = 10, 200
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			failures []string
			distinct = map[int]bool{}
		)
		for g := 0; g < senders; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				for i := 0; i < perSender; i++ {
					k := g*perSender + i
					if i%10 == 0 && g > 0 {
						k = (g-1)*perSender + i // the previous sender's message, racing it
					}
					mu.Lock()
					distinct[k] = true
					mu.Unlock()
					resp := postSHS(t, ts, shsMessage{txID: fmt.Sprintf("tx-%d", k), signal: signalFor(k)})
					body := readBody(resp)
					if resp.StatusCode != http.StatusAccepted {
						mu.Lock()
						failures = append(failures, fmt.Sprintf("tx-%d: %d %s", k, resp.StatusCode, body))
						mu.Unlock()
					}
				}
			}(g)
		}
		wg.Wait()
		if len(failures) > 0 {
			t.Fatalf("%d of %d not accepted, e.g. %s", len(failures), senders*perSender, failures[0])
		}
		if n, _ := st.CountSHSMessages(ctx); n != len(distinct) {
			t.Errorf("%d messages stored; want %d distinct tx.ids", n, len(distinct))
		}
		events := 0
		for c := 0; c < 20; c++ {
			cs, err := st.CaseByExternalID(ctx, orgA, fmt.Sprintf("C-%d", c))
			if err != nil {
				t.Fatalf("case C-%d: %v", c, err)
			}
			ev, _ := st.CaseEvents(ctx, cs.ID)
			events += len(ev)
		}
		if events != len(distinct) {
			t.Errorf("%d events stored; want %d", events, len(distinct))
		}
	})
}

var _ = store.DriverSQLite

// TestSenderCertificateAndBasic sends a signal from orgA over mutual TLS
// with every combination of client certificate and HTTP Basic credentials
// (docs/case-systems.md#authentication has the same table). cases-a and
// cases-b have both a secret and a configured certificate, the case in
// which the serialNumber check was once skipped: no combination that the
// docs call IllegalSender may be answered 202.
func TestSenderCertificateAndBasic(t *testing.T) {
	ca, foreignCA := testpki.NewCA(t), testpki.NewCA(t)
	usage := x509.ExtKeyUsageClientAuth
	certs := map[string]*tls.Certificate{"none": nil}
	for name, c := range map[string]tls.Certificate{
		"configured for cases-a":     ca.Issue(t, "arende-a", orgA, usage),
		"configured for cases-b":     ca.Issue(t, "arende-b", orgB, usage),
		"unconfigured, names orgA":   ca.Issue(t, "Ärendesystemet", "SE"+orgA+"-0001", usage),
		"unconfigured, names orgB":   ca.Issue(t, "Ärendesystemet", orgB, usage),
		"unconfigured, names no org": ca.Issue(t, "Ärendesystemet", "", usage),
		"from another CA":            foreignCA.Issue(t, "arende-a", orgA, usage),
	} {
		certs[name] = &c
	}
	fingerprint := func(c *tls.Certificate) string {
		sum := sha256.Sum256(c.Certificate[0])
		return hex.EncodeToString(sum[:])
	}
	plain, _ := testServer(t, "sqlite", func(s *testSetup) {
		for i, c := range s.server.Clients {
			switch c.Name {
			case "cases-a":
				s.server.Clients[i].CertFingerprint = fingerprint(certs["configured for cases-a"])
			case "cases-b": // its subject in the certificate's order, not openssl's
				s.server.Clients[i].CertSubject = "cn=arende-b,serialNumber=" + orgB
			}
		}
	})
	ts := httptest.NewUnstartedServer(plain.Config.Handler)
	ts.TLS = &tls.Config{ClientCAs: ca.Pool(), ClientAuth: tls.VerifyClientCertIfGiven,
		Certificates: []tls.Certificate{ca.Issue(t, "localhost", "", x509.ExtKeyUsageServerAuth)}}
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the other CA's handshakes
	ts.StartTLS()
	defer ts.Close()

	const (
		accepted     = "202"
		unauthorized = "401"
		illegal      = "400 IllegalSender"
		noHandshake  = "no TLS connection"
	)
	// want[certificate] is the answer to no Basic, cases-a's and cases-b's.
	want := map[string][3]string{
		"none":                       {unauthorized, accepted, illegal},
		"configured for cases-a":     {accepted, accepted, unauthorized},
		"configured for cases-b":     {illegal, unauthorized, illegal},
		"unconfigured, names orgA":   {unauthorized, accepted, illegal},
		"unconfigured, names orgB":   {unauthorized, illegal, illegal},
		"unconfigured, names no org": {unauthorized, illegal, illegal},
		"from another CA":            {noHandshake, noHandshake, noHandshake},
	}
	for certName, answers := range want {
		for i, basic := range []string{"", "cases-a", "cases-b"} {
			t.Run(certName+"/basic "+basic, func(t *testing.T) {
				cfg := &tls.Config{RootCAs: ca.Pool()}
				if c := certs[certName]; c != nil {
					cfg.Certificates = []tls.Certificate{*c}
				}
				client := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
				defer client.CloseIdleConnections()
				label := shs.Label{Version: "1.2", TxID: shs.NewID(), CorrID: shs.NewID(), TransferType: me.Asynch, SequenceType: me.SequenceEvent,
					From: &shs.Party{Value: "urn:X-shs:" + orgA, CommonName: "Ärendesystemet"}, To: &shs.Party{Value: "urn:X-shs:" + orgA},
					Product: shs.Product{Value: "urn:X-shs:" + config.DefaultSHSProduct}, Datetime: "2026-11-26T10:00:00",
					Content: shs.Content{ID: shs.NewID(), Data: []shs.DataInfo{{DatapartType: "xml"}}}}
				body, ct, err := shs.Build(label, []shs.Part{{ContentType: "text/xml", FileName: "signal.xml", Data: exampleSignal(t)}})
				if err != nil {
					t.Fatal(err)
				}
				req, _ := http.NewRequest("POST", ts.URL+"/shs/rs", bytes.NewReader(body))
				req.Header.Set("Content-Type", ct)
				if basic != "" {
					req.SetBasicAuth(basic, pw)
				}
				got, text := noHandshake, ""
				if resp, err := client.Do(req); err == nil {
					text = readBody(resp)
					got = strings.TrimSpace(strconv.Itoa(resp.StatusCode) + " " + resp.Header.Get("X-shs-errorcode"))
				}
				if got != answers[i] {
					t.Errorf("answered %s %q; want %s", got, text, answers[i])
				}
			})
		}
	}
}

func TestAttachmentLimits(t *testing.T) {
	ts, _ := testServer(t, "sqlite", func(s *testSetup) {
		s.server.SHS.MaxAttachments = 1
	})
	resp := postSHS(t, ts, shsMessage{signal: exampleSignal(t)})
	body := readBody(resp)
	if resp.StatusCode != 400 || resp.Header.Get("X-shs-errorcode") != "IllegalDatapartContent" || !strings.Contains(body, "shs.max_attachments") {
		t.Errorf("two attachments with max_attachments 1: %d %s %q", resp.StatusCode, resp.Header.Get("X-shs-errorcode"), body)
	}
	ts, _ = testServer(t, "sqlite", func(s *testSetup) {
		s.server.SHS.MaxAttachmentBytes = 100
	})
	resp = postSHS(t, ts, shsMessage{signal: exampleSignal(t)})
	body = readBody(resp)
	if resp.StatusCode != 400 || resp.Header.Get("X-shs-errorcode") != "IllegalDatapartContent" || !strings.Contains(body, "shs.max_attachment_bytes") {
		t.Errorf("a 700-byte attachment with max_attachment_bytes 100: %d %s %q", resp.StatusCode, resp.Header.Get("X-shs-errorcode"), body)
	}
}

// TestAdmMessagesAreAcceptedAndLogged sends Axel's adm error message
// addressed to ME: accepted, nothing stored.
func TestAdmMessagesAreAcceptedAndLogged(t *testing.T) {
	ts, st := testServer(t, "sqlite")
	raw, err := os.ReadFile("shs/testdata/axel/shsErrorMessage.mime")
	if err != nil {
		t.Fatal(err)
	}
	lbl := regexpReplace(raw, `<from([^>]*)>[^<]*</from>`, `<from$1>urn:X-shs:`+orgA+`</from>`)
	lbl = regexpReplace(lbl, `<to([^>]*)>[^<]*</to>`, `<to$1>urn:X-shs:`+orgA+`</to>`)
	resp := postRaw(t, ts, "cases-a", "message/rfc822", lbl)
	body := readBody(resp)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("adm error message: %d %s %q", resp.StatusCode, resp.Header.Get("X-shs-errorcode"), body)
	}
	if n, _ := st.CountSHSMessages(context.Background()); n != 0 {
		t.Errorf("an adm message stored %d signal messages", n)
	}
}

func regexpReplace(b []byte, pattern, repl string) []byte {
	return regexp.MustCompile(pattern).ReplaceAll(b, []byte(repl))
}

// TestStoreFailureIsNot202: when the store fails, the sender must learn
// that nothing was stored, and see no internals.
func TestStoreFailureIsNot202(t *testing.T) {
	ts, st := testServer(t, "sqlite")
	st.Close()
	resp := postSHS(t, ts, shsMessage{signal: exampleSignal(t)})
	body := readBody(resp)
	if resp.StatusCode != http.StatusInternalServerError || strings.Contains(body, "goroutine") || strings.Contains(body, "sql") {
		t.Errorf("store down: %d %q; want 500 without internals", resp.StatusCode, body)
	}
	if !strings.Contains(body, "nothing was stored") {
		t.Errorf("the 500 does not tell the sender to send again: %q", body)
	}
}

// TestTxIDClash: a tx.id another sender used is not a repeat; the second
// sender learns nothing of the first one's message.
func TestTxIDClash(t *testing.T) {
	ts, _ := testServer(t, "sqlite")
	other := bytes.Replace(exampleSignal(t), []byte("<organisationNumber>2120009994</organisationNumber>"), []byte("<organisationNumber>"+orgB+"</organisationNumber>"), 1)
	if resp := postSHS(t, ts, shsMessage{txID: "tx-clash", client: "cases-b", from: orgB, to: orgB, signal: other}); resp.StatusCode != 202 {
		t.Fatalf("first sender: %d %s", resp.StatusCode, readBody(resp))
	}
	resp := postSHS(t, ts, shsMessage{txID: "tx-clash", signal: exampleSignal(t)})
	body := readBody(resp)
	if resp.StatusCode != 400 || resp.Header.Get("X-shs-errorcode") != "IllegalMessageStructure" || resp.Header.Get("X-shs-localid") != "" {
		t.Errorf("a tx.id used by another sender: %d %s %q", resp.StatusCode, resp.Header.Get("X-shs-errorcode"), body)
	}
}

// TestSignalEncodings: a signal must be UTF-8; other encodings, and a
// DOCTYPE however it is encoded, are refused with a 400 and kept.
func TestSignalEncodings(t *testing.T) {
	ts, st := testServer(t, "sqlite")
	good := exampleSignal(t)
	latin1 := bytes.Replace(good, []byte(`encoding="UTF-8"`), []byte(`encoding="ISO-8859-1"`), 1)
	latin1 = bytes.ReplaceAll(latin1, []byte("ö"), []byte{0xf6})
	utf16 := []byte{0xFF, 0xFE}
	for _, r := range `<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE signal [<!ENTITY a "aaaa">]><signal xmlns="http://minaengagemang.se/signal/v1" version="1.0"/>` {
		utf16 = append(utf16, byte(r), 0)
	}
	for name, doc := range map[string][]byte{"ISO-8859-1": latin1, "UTF-16 with a DTD": utf16,
		"declared ISO-8859-1, bytes UTF-8": bytes.Replace(good, []byte(`encoding="UTF-8"`), []byte(`encoding="ISO-8859-1"`), 1)} {
		resp := postSHS(t, ts, shsMessage{signal: doc})
		body := readBody(resp)
		if resp.StatusCode != 400 || resp.Header.Get("X-shs-errorcode") != "IllegalDatapartContent" {
			t.Errorf("%s: %d %s %q; want 400 IllegalDatapartContent", name, resp.StatusCode, resp.Header.Get("X-shs-errorcode"), body)
		}
	}
	if rs, _ := st.Rejections(context.Background(), 10); len(rs) != 3 {
		t.Errorf("%d rejections kept; want 3", len(rs))
	}
}

// TestLargeUploadsAreBounded: a message declared larger than ME takes is
// refused before it is read; while the bytes being received are at
// shs.max_inflight_bytes, another sender is told at once to come back
// (503, Retry-After) and nothing is stored; once they are received, it
// goes through.
func TestLargeUploadsAreBounded(t *testing.T) {
	ts, st := testServer(t, "sqlite", func(s *testSetup) {
		s.server.SHS.MaxMessageBytes = 1 << 20
		s.server.SHS.MaxInflightBytes = 1 << 20
	})

	// Declared too large: answered at once, though no body is ever sent.
	never, stop := io.Pipe()
	defer stop.Close()
	req, _ := http.NewRequest("POST", ts.URL+"/shs/rs", never)
	req.ContentLength = 1 << 30
	req.Header.Set("Content-Type", "message/rfc822")
	req.SetBasicAuth("cases-a", pw)
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if body := readBody(resp); resp.StatusCode != 400 || resp.Header.Get("X-shs-errorcode") != "IllegalMessageStructure" || !strings.Contains(body, "shs.max_message_bytes") || time.Since(start) > 5*time.Second {
		t.Errorf("a declared 1 GB message: %d %s %q after %v", resp.StatusCode, resp.Header.Get("X-shs-errorcode"), body, time.Since(start))
	}

	// A slow upload of 1 MiB holds the whole budget while it lasts.
	slowR, slowW := io.Pipe()
	slowReq, _ := http.NewRequest("POST", ts.URL+"/shs/rs", slowR)
	slowReq.ContentLength = 1 << 20
	slowReq.Header.Set("Content-Type", "message/rfc822")
	slowReq.SetBasicAuth("cases-a", pw)
	slowDone := make(chan *http.Response, 1)
	go func() {
		r, err := http.DefaultClient.Do(slowReq)
		if err != nil {
			t.Error(err)
		}
		slowDone <- r
	}()
	slowW.Write(bytes.Repeat([]byte("x"), 1000))
	time.Sleep(300 * time.Millisecond) // the slow upload has taken its bytes

	resp = postSHS(t, ts, shsMessage{signal: exampleSignal(t)})
	if body := readBody(resp); resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "shs.max_inflight_bytes") {
		t.Errorf("a message while the budget is taken: %d Retry-After %q %q", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if n, _ := st.CountSHSMessages(context.Background()); n != 0 {
		t.Errorf("%d messages stored while busy; want 0", n)
	}
	slowW.Write(bytes.Repeat([]byte("x"), 1<<20-1000))
	slowW.Close()
	if r := <-slowDone; r != nil {
		readBody(r)
	}
	if resp := postSHS(t, ts, shsMessage{signal: exampleSignal(t)}); resp.StatusCode != http.StatusAccepted {
		t.Errorf("after the large upload: %d %s", resp.StatusCode, readBody(resp))
	}
}

// TestIncompleteUploads: a request whose body stops coming is the
// sender's problem, not ME's: cut by the server's read timeout it is
// answered 408 (SHS: with an error code; SOAP: with a fault), broken off
// it is answered 400, and neither is logged as ME's error.
func TestIncompleteUploads(t *testing.T) {
	env := newTestEnv(t, "sqlite")
	ts := httptest.NewUnstartedServer(env.ts.Config.Handler)
	ts.Config.ReadTimeout = 300 * time.Millisecond
	ts.Start()
	defer ts.Close()

	for _, tt := range []struct {
		name, path, client, contentType string
		breakOff                        bool
		wantStatus                      int
		want                            string // the X-shs-errorcode, or the fault code
	}{
		{"SHS, stalled", "/shs/rs", "cases-a", "message/rfc822", false, http.StatusRequestTimeout, "IllegalMessageStructure"},
		{"SHS, broken off", "/shs/rs", "cases-a", "message/rfc822", true, http.StatusBadRequest, "IllegalMessageStructure"},
		{"SOAP, stalled", "/soap/portal", "portal-a", "text/xml; charset=utf-8", false, http.StatusRequestTimeout, "ValidationFailed"},
		{"SOAP, broken off", "/soap/portal", "portal-a", "text/xml; charset=utf-8", true, http.StatusBadRequest, "ValidationFailed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp := sendPart(t, ts, tt.path, tt.client, tt.contentType, 100_000, bytes.Repeat([]byte("x"), 1000), tt.breakOff)
			body := readBody(resp)
			code := resp.Header.Get("X-shs-errorcode")
			if strings.HasPrefix(tt.path, "/soap/") {
				code = regexp.MustCompile(`<code[^>]*>(\w*)</`).FindStringSubmatch(body + "<code></")[1]
			}
			if resp.StatusCode != tt.wantStatus || code != tt.want || !strings.Contains(body, "again") {
				t.Errorf("answered %d %s %q; want %d %s telling to send again", resp.StatusCode, code, body, tt.wantStatus, tt.want)
			}
		})
	}
	if logs := env.logs.String(); strings.Contains(logs, "level=error") || !strings.Contains(logs, `level=warning msg="shs: the sender's upload did not arrive within ME's read timeout"`) {
		t.Errorf("an incomplete upload is logged as ME's error, or not as the sender's problem:\n%s", logs)
	}
}

// sendPart sends a request that declares a body of declared bytes but
// sends only part of it, then waits (stalls) or closes its side of the
// connection (breaks off), and returns ME's answer.
func sendPart(t *testing.T, ts *httptest.Server, path, client, contentType string, declared int, part []byte, breakOff bool) *http.Response {
	t.Helper()
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: me\r\nAuthorization: Basic %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s",
		path, base64.StdEncoding.EncodeToString([]byte(client+":"+pw)), contentType, declared, part)
	if breakOff {
		conn.(*net.TCPConn).CloseWrite()
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestDeclaredTooLargeSOAPBody: a SOAP request declaring a body larger
// than http.max_body_bytes is refused before any of it is read (413), not
// read until it breaks off.
func TestDeclaredTooLargeSOAPBody(t *testing.T) {
	ts, _ := testServer(t, "sqlite")
	resp := sendPart(t, ts, "/soap/portal", "portal-a", "text/xml; charset=utf-8", 1<<30, nil, true)
	if body := readBody(resp); resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "ValidationFailed") || !strings.Contains(body, "http.max_body_bytes") {
		t.Errorf("a declared 1 GB SOAP request: %d %q; want 413 ValidationFailed naming http.max_body_bytes", resp.StatusCode, body)
	}
}
