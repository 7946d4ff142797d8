package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// client calls one ME (or the peer) as portals and case systems do.
type client struct {
	http *http.Client
	base string // http://127.0.0.1:port
}

func newClient(addr string, conns int) *client {
	return &client{base: "http://" + addr, http: &http.Client{Timeout: time.Minute, Transport: &http.Transport{
		MaxIdleConns: conns * 2, MaxIdleConnsPerHost: conns * 2, IdleConnTimeout: time.Minute,
	}}}
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

const envelope = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>%s</soapenv:Body></soapenv:Envelope>`

// soap posts one request body to a service and reads the whole answer.
func (c *client) soap(ctx context.Context, service, user, body string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/soap/"+service, strings.NewReader(fmt.Sprintf(envelope, body)))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.SetBasicAuth(user, password)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return out, fmt.Errorf("%s: %s", resp.Status, firstLine(out))
	}
	return out, nil
}

func firstLine(b []byte) string {
	s := string(b)
	if i := strings.IndexAny(s, "\n"); i >= 0 && i < 300 {
		return s[:i]
	}
	return s[:min(len(s), 300)]
}

func (c *client) healthz(ctx context.Context, _, _ int) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/healthz", nil)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	drainBody(resp)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthz: %s", resp.Status)
	}
	return nil
}

// A portal read: the SOAP bodies it sends round and round.
type portalRead []string

const getEServiceBody = `<GetEService xmlns="http://minaengagemang.se/portal/v1"><eServiceId>bygglov</eServiceId><organisationNumber>` + org + `</organisationNumber></GetEService>`

func listCasesBody(citizen string) portalRead {
	return portalRead{`<ListCases xmlns="http://minaengagemang.se/portal/v1"><citizen>` + citizen + `</citizen><pageSize>20</pageSize></ListCases>`}
}

// getCaseBodies reads the citizen's cases in a scattered order.
func getCaseBodies(citizen string, cases []string) portalRead {
	out := make(portalRead, len(cases))
	for i := range cases {
		out[i] = `<GetCase xmlns="http://minaengagemang.se/portal/v1"><citizen>` + citizen + `</citizen><caseId>` + cases[(i*7919)%len(cases)] + `</caseId></GetCase>`
	}
	return out
}

// call is the read for the Go load generator.
func (c *client) call(read portalRead) func(ctx context.Context, worker, i int) error {
	return func(ctx context.Context, worker, i int) error {
		_, err := c.soap(ctx, "portal", "bench-portal", read[(worker*31+i)%len(read)])
		return err
	}
}

// requests is the read for wrk.
func (read portalRead) requests() wrkRequests {
	r := wrkRequests{method: http.MethodPost, path: "/soap/portal", headers: map[string]string{
		"Content-Type":  "text/xml; charset=utf-8",
		"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("bench-portal:"+password)),
	}}
	for _, body := range read {
		r.bodies = append(r.bodies, fmt.Sprintf(envelope, body))
	}
	return r
}

// profiles gives the signals' citizens profiles asking for SMS and e-mail.
func (c *client) profiles(ctx context.Context, n int) error {
	for i := 1; i <= n; i++ {
		_, err := c.soap(ctx, "portal", "bench-portal", `<UpdateCitizenProfile xmlns="http://minaengagemang.se/portal/v1" xmlns:c="http://minaengagemang.se/schema/common/v1"><profile>
<c:personalIdentityNumber>`+pnr(i)+`</c:personalIdentityNumber><c:email>medborgare`+strconv.Itoa(i)+`@bench.example</c:email>
<c:mobile>+4670`+fmt.Sprintf("%07d", i)+`</c:mobile><c:language>sv</c:language><c:notificationChannel>both</c:notificationChannel></profile></UpdateCitizenProfile>`)
		if err != nil {
			return err
		}
	}
	return nil
}

// signal sends SHS messages, each a new signal numbered from seq.
func (c *client) signal(seq *atomic.Int64) func(ctx context.Context, _, _ int) error {
	return func(ctx context.Context, _, _ int) error {
		return c.postSHS(ctx, signalDoc(seq.Add(1)))
	}
}

func (c *client) postSHS(ctx context.Context, signal []byte) error {
	body, contentType, err := shsMessage(signal)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/shs/rs", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", contentType)
	req.SetBasicAuth("bench-cases", password)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("SHS %s %s: %s", resp.Status, resp.Header.Get("X-shs-errorcode"), firstLine(out))
	}
	return nil
}

// notifyLag sends signals at perSecond for d and returns the age of the oldest
// pending notification, the most /metrics reported while it ran.
func (c *client) notifyLag(ctx context.Context, conns int, d time.Duration, perSecond float64, seq *atomic.Int64) string {
	watch, stop := context.WithCancel(ctx)
	var oldest float64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for watch.Err() == nil {
			oldest = max(oldest, c.oldestPending(watch))
			select {
			case <-time.After(time.Second):
			case <-watch.Done():
			}
		}
	}()
	r := paced(ctx, conns, d, perSecond, c.signal(seq))
	stop()
	<-done
	oldest = max(oldest, c.oldestPending(ctx))
	return fmt.Sprintf("%.1f s at most (%s sent)", oldest, r.rate())
}

var pendingPattern = regexp.MustCompile(`(?m)^me_notifications_oldest_pending_seconds\{[^}]*\} ([0-9.e+-]+)$`)

func (c *client) oldestPending(ctx context.Context) float64 {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/metrics", nil)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var worst float64
	for _, m := range pendingPattern.FindAllSubmatch(b, -1) {
		v, _ := strconv.ParseFloat(string(m[1]), 64)
		worst = max(worst, v)
	}
	return worst
}

// largeMessages sends n SHS messages of about size bytes at once and says
// how a small request fared meanwhile.
func (c *client) largeMessages(ctx context.Context, n, size int) string {
	doc := signalDoc(1)
	attachment := regexp.MustCompile(`<content>[^<]*</content>`)
	// Three attachments making the message about size bytes on the wire:
	// the SHS message carries the signal base64-encoded (4/3 of its size),
	// and libxml2 refuses a text node over 10 MB (see performance.md).
	part := strings.Repeat("QUFB", (size*3/4-len(doc)-8192)/12)
	big := attachment.ReplaceAll(doc, []byte("<content>"+part+"</content></attachment>"+
		"<attachment><id>b</id><fileName>b.txt</fileName><mediaType>text/plain</mediaType><content>"+part+"</content></attachment>"+
		"<attachment><id>c</id><fileName>c.txt</fileName><mediaType>text/plain</mediaType><content>"+part+"</content>"))
	var wg sync.WaitGroup
	var failed, deferred atomic.Int64
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := bytes.Replace(big, []byte("BENCH-0"), []byte(fmt.Sprintf("LARGE-%d", i)), 1)
			d = bytes.Replace(d, []byte("<externalId>E-1</externalId>"), []byte(fmt.Sprintf("<externalId>L-%d</externalId>", i)), 1)
			for try := 0; ; try++ {
				err := c.postSHS(ctx, d)
				if err != nil && strings.Contains(err.Error(), "503") && try < 60 {
					// ME is receiving all it takes at once: come back, as
					// an SHS client does on Retry-After.
					deferred.Add(1)
					time.Sleep(time.Second)
					continue
				}
				if err != nil {
					failed.Add(1)
					fmt.Fprintln(os.Stderr, "mebench: large message:", err)
				}
				break
			}
		}()
	}
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	err := c.healthz(ctx, 0, 0)
	small := time.Since(start)
	wg.Wait()
	s := fmt.Sprintf("/healthz meanwhile %v", roundLatency(small))
	if err != nil {
		s += fmt.Sprintf(" (%v)", err)
	}
	s += fmt.Sprintf("; %d of %d stored, %d times asked to come back (503)", int64(n)-failed.Load(), n, deferred.Load())
	return s
}
