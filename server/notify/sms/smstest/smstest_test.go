package smstest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/minaengagemang/me/server/notify/sms/smstest"
)

func post(t *testing.T, u, ct, body string) (int, error) {
	t.Helper()
	resp, err := http.Post(u, ct, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func TestGateway(t *testing.T) {
	gw := smstest.Start(t)
	if code, err := post(t, gw.URL(), "application/x-www-form-urlencoded", url.Values{"reference": {"a"}, "to": {"+46701234567"}}.Encode()); err != nil || code != 200 {
		t.Fatalf("post = %d, %v", code, err)
	}
	if code, _ := post(t, gw.URL(), "application/json", `{"reference":"a","n":1}`); code != 200 {
		t.Fatalf("json post = %d", code)
	}
	gw.FailNext(2, 503)
	for range 2 {
		if code, _ := post(t, gw.URL(), "application/json", `{"reference":"b"}`); code != 503 {
			t.Errorf("code = %d, want 503", code)
		}
	}
	gw.RequireBasicAuth("u", "p")
	if code, _ := post(t, gw.URL(), "application/json", `{}`); code != 401 {
		t.Errorf("no auth = %d", code)
	}
	rs := gw.WaitFor(t, 5, time.Second)
	if len(rs) != 5 || rs[2].Status != 503 || rs[4].Status != 401 || rs[1].JSON["n"] != 1.0 {
		t.Errorf("received %+v", rs)
	}
	if n := len(gw.ByReference("a")); n != 2 {
		t.Errorf("ByReference(a) = %d", n)
	}
	if n := len(gw.ByReference("b")); n != 2 {
		t.Errorf("ByReference(b) = %d", n)
	}

	gw.Down()
	if _, err := post(t, gw.URL(), "application/json", `{}`); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("post while down: %v", err)
	}
	gw.Up()
	gw.Up() // no-op
	req, _ := http.NewRequest(http.MethodPost, gw.URL()+"/x", strings.NewReader("{}"))
	req.SetBasicAuth("u", "p")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("after Up: %v %v", resp, err)
	}
	resp.Body.Close()
	if rs := gw.Received(); len(rs) != 6 || rs[5].Path != "/x" {
		t.Errorf("received %d", len(rs))
	}
}
