package sms_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/server/notify/sms"
	"github.com/minaengagemang/me/server/notify/sms/smstest"
)

const tricky = "Hej \"Åsa\" & Örjan,\nmöte kl 10 på ä-gatan <b> 50%+1 \\ ok"

func msg(ref string) me.SMS {
	return me.SMS{To: "+46701234567", From: "Kommunen", Text: tricky, Reference: ref}
}

func TestHTTPBodies(t *testing.T) {
	tests := []struct {
		name   string
		format string
		body   string
		check  func(t *testing.T, r smstest.Request)
	}{
		{
			name:   "form default body",
			format: "",
			check: func(t *testing.T, r smstest.Request) {
				if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
					t.Errorf("Content-Type = %q", ct)
				}
				want := map[string]string{"to": "+46701234567", "from": "Kommunen", "message": tricky, "reference": "ref-1"}
				for k, v := range want {
					if got := r.Form.Get(k); got != v {
						t.Errorf("form %s = %q, want %q", k, got, v)
					}
				}
				if len(r.Form) != len(want) {
					t.Errorf("form has %d fields, want %d: %v", len(r.Form), len(want), r.Form)
				}
			},
		},
		{
			name:   "form custom body",
			format: "form",
			body:   `dest={{urlquery .To}}&text={{urlquery .Text}}&reference={{urlquery .Reference}}&sender={{urlquery .From}}`,
			check: func(t *testing.T, r smstest.Request) {
				if got := r.Form.Get("text"); got != tricky {
					t.Errorf("text = %q, want %q", got, tricky)
				}
				if got := r.Form.Get("dest"); got != "+46701234567" {
					t.Errorf("dest = %q (a + must be escaped)", got)
				}
				if strings.Contains(string(r.Body), "\n") || strings.Contains(string(r.Body), "Å") {
					t.Errorf("body not escaped: %q", r.Body)
				}
			},
		},
		{
			name:   "json default body",
			format: "json",
			check: func(t *testing.T, r smstest.Request) {
				if ct := r.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type = %q", ct)
				}
				if r.JSON == nil {
					t.Fatalf("body is not a JSON object: %s", r.Body)
				}
				want := map[string]string{"to": "+46701234567", "from": "Kommunen", "message": tricky, "reference": "ref-1"}
				for k, v := range want {
					if got := r.JSON[k]; got != v {
						t.Errorf("json %s = %q, want %q", k, got, v)
					}
				}
			},
		},
		{
			name:   "json custom nested body",
			format: "json",
			body:   `{"messages":[{"recipient":{{json .To}},"body":{{json .Text}}}],"originator":{{json .From}},"reference":{{json .Reference}}}`,
			check: func(t *testing.T, r smstest.Request) {
				ms, _ := r.JSON["messages"].([]any)
				if len(ms) != 1 {
					t.Fatalf("messages = %v", r.JSON["messages"])
				}
				m := ms[0].(map[string]any)
				if m["body"] != tricky || m["recipient"] != "+46701234567" || r.JSON["originator"] != "Kommunen" {
					t.Errorf("json = %s", r.Body)
				}
				if !strings.Contains(string(r.Body), "<b>") {
					t.Errorf("HTML characters should not be escaped: %s", r.Body)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gw := smstest.Start(t)
			g, err := sms.New(sms.Config{Provider: "http", URL: gw.URL() + "/send", Format: tt.format, Body: tt.body, Sender: "Kommunen",
				Headers: map[string]string{"X-Api-Key": "k1"}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := g.Send(context.Background(), msg("ref-1")); err != nil {
				t.Fatal(err)
			}
			rs := gw.Received()
			if len(rs) != 1 {
				t.Fatalf("received %d requests", len(rs))
			}
			r := rs[0]
			if r.Method != http.MethodPost || r.Path != "/send" {
				t.Errorf("%s %s", r.Method, r.Path)
			}
			if r.Header.Get("X-Api-Key") != "k1" {
				t.Errorf("X-Api-Key = %q", r.Header.Get("X-Api-Key"))
			}
			if r.Header.Get("Authorization") != "" {
				t.Errorf("Authorization sent without a username")
			}
			tt.check(t, r)
			if n := len(gw.ByReference("ref-1")); n != 1 {
				t.Errorf("ByReference = %d requests", n)
			}
		})
	}
}

func TestBasicAuth(t *testing.T) {
	tests := []struct {
		provider me.SMSProvider
		user     string
		pass     string
		wantErr  bool
	}{
		{"http", "me", "sëcret:&", false},
		{"http", "me", "wrong", true},
		{"46elks", "u0123456789", "P4ssw0rd", false},
		{"46elks", "u0123456789", "nope", true},
	}
	for _, tt := range tests {
		t.Run(string(tt.provider)+"/"+tt.pass, func(t *testing.T) {
			gw := smstest.Start(t)
			want := tt.pass
			if tt.wantErr {
				want = "right"
			}
			gw.RequireBasicAuth(tt.user, want)
			g, err := sms.New(sms.Config{Provider: tt.provider, URL: gw.URL(), Username: tt.user, Password: tt.pass, Sender: "Kommunen"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = g.Send(context.Background(), msg("r"))
			if (err != nil) != tt.wantErr {
				t.Fatalf("Send = %v", err)
			}
			r := gw.Received()[0]
			wantHdr := "Basic " + base64.StdEncoding.EncodeToString([]byte(tt.user+":"+tt.pass))
			if got := r.Header.Get("Authorization"); got != wantHdr {
				t.Errorf("Authorization = %q, want %q", got, wantHdr)
			}
			if err != nil {
				if sms.Temporary(err) {
					t.Errorf("401 should be permanent: %v", err)
				}
				if strings.Contains(err.Error(), tt.pass) {
					t.Errorf("error contains the password: %v", err)
				}
			}
		})
	}
}

func Test46elks(t *testing.T) {
	gw := smstest.Start(t)
	gw.RequireBasicAuth("uabc", "pw")
	g, err := sms.New(sms.Config{Provider: "46elks", URL: gw.URL() + "/a1/sms", Username: "uabc", Password: "pw", Sender: "Kommunen"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		m        me.SMS
		wantFrom string
	}{
		{"message sender", msg("ref"), "Kommunen"},
		{"default sender", me.SMS{To: "+46701234567", Text: tricky}, "Kommunen"},
		{"number sender", me.SMS{To: "+46701234567", From: "+46766860000", Text: tricky}, "+46766860000"},
		{"swedish sender", me.SMS{To: "+46701234567", From: "Härnösand", Text: tricky}, "Härnösand"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := g.Send(context.Background(), tt.m); err != nil {
				t.Fatal(err)
			}
			r := gw.WaitFor(t, i+1, time.Second)[i]
			if r.Path != "/a1/sms" || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
				t.Errorf("%s %q", r.Path, r.Header.Get("Content-Type"))
			}
			want := map[string]string{"from": tt.wantFrom, "to": "+46701234567", "message": tricky, "dontlog": "message"}
			for k, v := range want {
				if got := r.Form.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if len(r.Form) != len(want) {
				t.Errorf("unexpected fields: %v", r.Form)
			}
		})
	}
}

func Test46elksDefaultURL(t *testing.T) {
	var got string
	client := &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		got = r.URL.String()
		return nil, errors.New("offline")
	})}
	g, err := sms.New(sms.Config{Provider: "46elks", Username: "u", Password: "p", Sender: "Kommunen"}, client)
	if err != nil {
		t.Fatal(err)
	}
	err = g.Send(context.Background(), msg("r"))
	if got != sms.Default46elksURL || !sms.Temporary(err) {
		t.Errorf("URL %q, err %v", got, err)
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestStatusErrors(t *testing.T) {
	tests := []struct {
		status    int
		temporary bool
	}{
		{500, true},
		{502, true},
		{503, true},
		{429, true},
		{400, false},
		{401, false},
		{403, false},
		{404, false},
		{422, false},
	}
	for _, provider := range []me.SMSProvider{"http", "46elks"} {
		for _, tt := range tests {
			t.Run(string(provider)+"/"+http.StatusText(tt.status), func(t *testing.T) {
				gw := smstest.Start(t)
				g, err := sms.New(sms.Config{Provider: provider, URL: gw.URL(), Username: "u", Password: "topsecret", Sender: "Kommunen"}, nil)
				if err != nil {
					t.Fatal(err)
				}
				gw.FailNext(1, tt.status)
				err = g.Send(context.Background(), msg("r1"))
				if err == nil {
					t.Fatal("Send succeeded")
				}
				if got := sms.Temporary(err); got != tt.temporary {
					t.Errorf("Temporary(%v) = %v, want %v", err, got, tt.temporary)
				}
				var se *sms.Error
				if !errors.As(err, &se) || se.StatusCode != tt.status {
					t.Fatalf("error %#v", err)
				}
				for _, want := range []string{string(provider), http.StatusText(tt.status), "smstest: failing with"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("%q lacks %q", err, want)
					}
				}
				if strings.Contains(err.Error(), "topsecret") {
					t.Errorf("password in %q", err)
				}
				// The next attempt goes through.
				if err := g.Send(context.Background(), msg("r1")); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

func TestErrorBodyTruncatedAndPasswordHidden(t *testing.T) {
	body := "fel: lösenordet topsecret är fel " + strings.Repeat("å", 300)
	client := &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 503, Header: http.Header{"Retry-After": {"7"}}, Body: ioNopCloser(body), Request: r}, nil
	})}
	g, err := sms.New(sms.Config{Provider: "http", URL: "https://sms.example/send?key=querysecret", Username: "u", Password: "topsecret", Sender: "+46701234567"}, client)
	if err != nil {
		t.Fatal(err)
	}
	err = g.Send(context.Background(), msg("r"))
	var se *sms.Error
	if !errors.As(err, &se) {
		t.Fatal(err)
	}
	if len(se.Body) > 200 || !strings.HasPrefix(se.Body, "fel: lösenordet *** är fel") || !strings.Contains(err.Error(), "503") {
		t.Errorf("error %q (body %d bytes)", err, len(se.Body))
	}
	if se.RetryAfter != 7*time.Second {
		t.Errorf("RetryAfter = %s", se.RetryAfter)
	}
	if strings.Contains(err.Error(), "topsecret") {
		t.Errorf("password in %q", err)
	}

	// A network error names the URL without its query.
	client = &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		return nil, errors.New("dial refused")
	})}
	g, _ = sms.New(sms.Config{Provider: "http", URL: "https://sms.example/send?key=querysecret", Sender: "Kommunen"}, client)
	err = g.Send(context.Background(), msg("r"))
	if !sms.Temporary(err) || strings.Contains(err.Error(), "querysecret") || !strings.Contains(err.Error(), "https://sms.example/send") {
		t.Errorf("error %q", err)
	}
}

type stringBody struct{ *strings.Reader }

func (stringBody) Close() error { return nil }

func ioNopCloser(s string) stringBody { return stringBody{strings.NewReader(s)} }

func TestGatewayDown(t *testing.T) {
	gw := smstest.Start(t)
	g, err := sms.New(sms.Config{Provider: "http", URL: gw.URL(), Sender: "Kommunen", Timeout: 2 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Send(context.Background(), msg("a")); err != nil {
		t.Fatal(err)
	}
	gw.Down()
	err = g.Send(context.Background(), msg("b"))
	if err == nil || !sms.Temporary(err) {
		t.Fatalf("Send while down = %v, want a temporary error", err)
	}
	gw.Up()
	if err := g.Send(context.Background(), msg("b")); err != nil {
		t.Fatalf("Send after Up = %v", err)
	}
	if n := len(gw.ByReference("b")); n != 1 {
		t.Errorf("reference b received %d times", n)
	}
}

func TestTimeout(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	client := &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		select {
		case <-r.Context().Done():
			return nil, r.Context().Err()
		case <-block:
			return nil, errors.New("unblocked")
		}
	})}
	g, err := sms.New(sms.Config{Provider: "http", URL: "http://sms.example", Sender: "Kommunen", Timeout: 50 * time.Millisecond}, client)
	if err != nil {
		t.Fatal(err)
	}
	err = g.Send(context.Background(), msg("r"))
	if !sms.Temporary(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send = %v", err)
	}
}

func TestInvalidMessage(t *testing.T) {
	gw := smstest.Start(t)
	g, err := sms.New(sms.Config{Provider: "http", URL: gw.URL(), Sender: "Kommunen"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		m    me.SMS
	}{
		{"national number", me.SMS{To: "0701234567", Text: "x"}},
		{"empty text", me.SMS{To: "+46701234567", Text: " "}},
		{"long sender", me.SMS{To: "+46701234567", From: "Kommunen Test", Text: "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := g.Send(context.Background(), tt.m)
			if err == nil || sms.Temporary(err) {
				t.Errorf("Send = %v, want a permanent error", err)
			}
		})
	}
	if n := len(gw.Received()); n != 0 {
		t.Errorf("invalid messages reached the gateway: %d", n)
	}
}

func TestNewValidation(t *testing.T) {
	ok := sms.Config{Provider: "http", URL: "https://sms.example/send", Sender: "Kommunen"}
	elks := sms.Config{Provider: "46elks", Username: "u", Password: "p", Sender: "Kommunen"}
	with := func(c sms.Config, f func(*sms.Config)) sms.Config { f(&c); return c }
	tests := []struct {
		name    string
		cfg     sms.Config
		wantKey string // "" means valid
	}{
		{"http ok", ok, ""},
		{"46elks ok", elks, ""},
		{"json ok", with(ok, func(c *sms.Config) { c.Format = "json" }), ""},
		{"number sender", with(ok, func(c *sms.Config) { c.Sender = "+46766860000" }), ""},
		{"11 characters", with(ok, func(c *sms.Config) { c.Sender = "Härnösand12" }), ""},
		{"no provider", with(ok, func(c *sms.Config) { c.Provider = "" }), "sms.provider:"},
		{"unknown provider", with(ok, func(c *sms.Config) { c.Provider = "twilio" }), "sms.provider:"},
		{"no url", with(ok, func(c *sms.Config) { c.URL = "" }), "sms.url:"},
		{"relative url", with(ok, func(c *sms.Config) { c.URL = "/send" }), "sms.url:"},
		{"ftp url", with(ok, func(c *sms.Config) { c.URL = "ftp://sms.example/" }), "sms.url:"},
		{"user info in url", with(ok, func(c *sms.Config) { c.URL = "https://u:pw@sms.example/" }), "sms.url:"},
		{"bad url", with(ok, func(c *sms.Config) { c.URL = "https://sms.example:x/" }), "sms.url:"},
		{"bad 46elks url", with(elks, func(c *sms.Config) { c.URL = "api.46elks.com" }), "sms.url:"},
		{"bad format", with(ok, func(c *sms.Config) { c.Format = "xml" }), "sms.format:"},
		{"template syntax", with(ok, func(c *sms.Config) { c.Body = "to={{urlquery .To}" }), "sms.body:"},
		{"template unknown field", with(ok, func(c *sms.Config) { c.Body = "to={{urlquery .Phone}}" }), "sms.body:"},
		{"template unknown func", with(ok, func(c *sms.Config) { c.Body = "to={{xml .To}}" }), "sms.body:"},
		{"json body unescaped", with(ok, func(c *sms.Config) { c.Format = "json"; c.Body = `{"text":"{{.Text}}"}` }), "sms.body:"},
		{"body for 46elks", with(elks, func(c *sms.Config) { c.Body = "x" }), "sms.body:"},
		{"format for 46elks", with(elks, func(c *sms.Config) { c.Format = "json" }), "sms.format:"},
		{"46elks no username", with(elks, func(c *sms.Config) { c.Username = "" }), "sms.username:"},
		{"46elks no password", with(elks, func(c *sms.Config) { c.Password = "" }), "sms.password:"},
		{"password without username", with(ok, func(c *sms.Config) { c.Password = "p" }), "sms.username:"},
		{"no sender", with(ok, func(c *sms.Config) { c.Sender = "" }), "sms.sender:"},
		{"sender 12 characters", with(ok, func(c *sms.Config) { c.Sender = "Kommunen1234" }), "sms.sender:"},
		{"sender 12 letters åäö", with(elks, func(c *sms.Config) { c.Sender = "Härnösandkom" }), "sms.sender:"},
		{"sender symbols", with(ok, func(c *sms.Config) { c.Sender = "Kom&mun" }), "sms.sender:"},
		{"sender starts with digit", with(ok, func(c *sms.Config) { c.Sender = "1177" }), "sms.sender:"},
		{"sender bad number", with(ok, func(c *sms.Config) { c.Sender = "+46-70" }), "sms.sender:"},
		{"bad header name", with(ok, func(c *sms.Config) { c.Headers = map[string]string{"X Key": "v"} }), "sms.headers:"},
		{"header line break", with(ok, func(c *sms.Config) { c.Headers = map[string]string{"X-Key": "v\r\nX-Evil: 1"} }), "sms.headers:"},
		{"negative timeout", with(ok, func(c *sms.Config) { c.Timeout = -time.Second }), "sms.timeout:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sms.New(tt.cfg, nil)
			switch {
			case tt.wantKey == "" && err != nil:
				t.Errorf("New = %v", err)
			case tt.wantKey != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.wantKey)):
				t.Errorf("New = %v, want an error starting with %q", err, tt.wantKey)
			}
			if err != nil && strings.Contains(err.Error(), "pw@") {
				t.Errorf("error shows the URL's password: %v", err)
			}
		})
	}
}

func TestTemporaryOtherErrors(t *testing.T) {
	if sms.Temporary(nil) {
		t.Error("Temporary(nil)")
	}
	if sms.Temporary(errors.New("x")) {
		t.Error("Temporary(plain error)")
	}
	if !sms.Temporary(context.DeadlineExceeded) {
		t.Error("Temporary(deadline)")
	}
}
