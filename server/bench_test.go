package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/store/storetest"
)

// BenchmarkSOAP measures a whole SOAP call through the handler (Basic
// authentication from the cache, envelope parsing, XSD validation of the
// request, the store, marshalling) against a floor: GET /healthz through
// the same handler and logging. Report the ratio, not the absolute figure.
func BenchmarkSOAP(b *testing.B) {
	ts, _ := testServer(b, "sqlite")
	client := ts.Client()
	get := func(b *testing.B, req func() *http.Request) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				resp, err := client.Do(req())
				if err != nil || resp.StatusCode >= 400 {
					b.Errorf("%v %v", err, resp.Status)
					return
				}
				resp.Body.Close()
			}
		})
	}
	b.Run("floor-healthz", func(b *testing.B) {
		get(b, func() *http.Request { r, _ := http.NewRequest("GET", ts.URL+"/healthz", nil); return r })
	})
	body := strings.Replace(envelope, "%s", `<p:ListEServices><p:area>bygga-bo</p:area></p:ListEServices>`, 1)
	b.Run("portal-ListEServices", func(b *testing.B) {
		get(b, func() *http.Request {
			r, _ := http.NewRequest("POST", ts.URL+"/soap/portal", strings.NewReader(body))
			r.Header.Set("Content-Type", "text/xml; charset=utf-8")
			r.SetBasicAuth("portal-a", pw)
			return r
		})
	})
}

// BenchmarkSHSSignal measures signals received over SHS (one event, a 10 KB
// attachment, two actions; a new case every 50) against the /healthz floor
// measured in the same run, on each store. Report signals/s and the ratio
// to the floor, not absolute times.
func BenchmarkSHSSignal(b *testing.B) {
	for _, driver := range storetest.Drivers() {
		b.Run(driver, func(b *testing.B) {
			ts, _ := testServer(b, driver)
			client := ts.Client()
			b.Run("floor-healthz", func(b *testing.B) {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						resp, err := client.Get(ts.URL + "/healthz")
						if err != nil {
							b.Error(err)
							return
						}
						resp.Body.Close()
					}
				})
			})
			attachment := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("bilaga "), 10<<10/7))
			template := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<signal xmlns="http://minaengagemang.se/signal/v1" xmlns:c="http://minaengagemang.se/schema/common/v1" version="1.0">
  <organisation><organisationNumber>%s</organisationNumber></organisation>
  <case><externalId>BENCH-%%d</externalId><title><c:sv>Ärende</c:sv></title>
    <citizen><personalIdentityNumber>191212121212</personalIdentityNumber></citizen><status>inProgress</status>
    <handler><name>Handläggare</name><email>handlaggare@kommun.example</email></handler></case>
  <event><externalId>E-%%d</externalId><time>2026-11-26T10:00:00+01:00</time><title><c:sv>Händelse</c:sv></title>
    <attachment><id>a</id><fileName>bilaga.txt</fileName><mediaType>text/plain</mediaType><content>%s</content></attachment>
    <action><download><attachmentId>a</attachmentId></download></action><action><message/></action>
  </event>
</signal>`, orgA, attachment)
			var seq atomic.Int64
			b.Run("signal", func(b *testing.B) {
				start := time.Now()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						k := seq.Add(1)
						resp := postSHS(b, ts, shsMessage{signal: []byte(fmt.Sprintf(template, k/50, k))})
						if resp.StatusCode != http.StatusAccepted {
							b.Errorf("%d %s", resp.StatusCode, readBody(resp))
							return
						}
						resp.Body.Close()
					}
				})
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "signals/s")
			})
		})
	}
}

// BenchmarkPortalReads measures ListCases and GetCase for a citizen with
// 200 cases among 2,000, on each store, against the /healthz floor.
func BenchmarkPortalReads(b *testing.B) {
	for _, driver := range storetest.Drivers() {
		b.Run(driver, func(b *testing.B) {
			env := newTestEnv(b, driver)
			ctx := context.Background()
			base := exampleSignal(b)
			var caseID string
			for i := 0; i < 2000; i++ {
				s := bytes.Replace(base, []byte("<externalId>BN-2026-000123</externalId>"), []byte(fmt.Sprintf("<externalId>C-%d</externalId>", i)), 1)
				if i%10 != 0 { // most cases belong to someone else
					s = bytes.ReplaceAll(s, []byte(tolvan), []byte("199001010108"))
				}
				sig := decodeSignal(b, s)
				r, err := env.st.RecordSignal(ctx, me.SHSMessage{TxID: fmt.Sprintf("tx-%d", i), From: orgA, To: orgA, Client: "cases-a"}, sig, time.Now())
				if err != nil {
					b.Fatal(err)
				}
				if i == 0 {
					caseID = r.CaseID
				}
			}
			client := env.ts.Client()
			run := func(name, body string) {
				b.Run(name, func(b *testing.B) {
					start := time.Now()
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							var req *http.Request
							if body == "" {
								req, _ = http.NewRequest("GET", env.ts.URL+"/healthz", nil)
							} else {
								req, _ = http.NewRequest("POST", env.ts.URL+"/soap/portal", strings.NewReader(strings.Replace(envelope, "%s", body, 1)))
								req.Header.Set("Content-Type", "text/xml; charset=utf-8")
								req.SetBasicAuth("portal-a", pw)
							}
							resp, err := client.Do(req)
							if err != nil || resp.StatusCode != 200 {
								b.Errorf("%s: %v %v", name, err, resp.Status)
								return
							}
							resp.Body.Close()
						}
					})
					b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
				})
			}
			run("floor-healthz", "")
			run("ListCases", `<p:ListCases><p:citizen>`+tolvan+`</p:citizen><p:pageSize>50</p:pageSize></p:ListCases>`)
			run("GetCase", `<p:GetCase><p:citizen>`+tolvan+`</p:citizen><p:caseId>`+caseID+`</p:caseId></p:GetCase>`)
		})
	}
}
