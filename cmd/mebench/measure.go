package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/lib/pq" // the administrative connection

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/server/shs"
	"github.com/minaengagemang/me/store"
)

const (
	org      = "2120009994"
	password = "bench"
	product  = "6f3c5a2e-8b1d-4e7a-9c0f-2d4b6a8e1c37"
	// signalCitizens are the citizens the signals are for, each with a
	// profile asking for SMS and e-mail, so every event is notified.
	signalCitizens = 1000
)

// row is one line of the table: a figure, its floor and peer in the same
// run, ME's value, and ME's against the floor (or the peer).
type row struct {
	figure, floor, peer, me, ratio string
}

type table struct {
	store string
	rows  []row
}

// measureStore runs every figure on one store.
func measureStore(ctx context.Context, o options, driver string, peer *peerProcess) (table, error) {
	t := table{store: driver}
	dir, err := os.MkdirTemp("", "mebench-")
	if err != nil {
		return t, err
	}
	defer os.RemoveAll(dir)
	dsn, dropDB, err := prepareDatabase(ctx, o, driver, dir)
	if err != nil {
		return t, err
	}
	defer dropDB()
	sinks, err := startSinks()
	if err != nil {
		return t, err
	}
	defer sinks.close()
	addr, err := freeAddr()
	if err != nil {
		return t, err
	}
	debugAddr, err := freeAddr()
	if err != nil {
		return t, err
	}
	cfg, err := writeConfig(dir, addr, debugAddr, driver, dsn, sinks)
	if err != nil {
		return t, err
	}
	if out, err := exec.CommandContext(ctx, o.me, "migrate", "--config", cfg).CombinedOutput(); err != nil {
		return t, fmt.Errorf("me migrate: %v\n%s", err, out)
	}
	loadStart := time.Now()
	focus, err := bulkLoad(ctx, driver, dsn, loadPlan{Org: org, Cases: o.scale, EventsPerCase: o.events,
		Citizens: max(o.scale/20, 10), CasesForFocus: 200, Focus: pnr(0)})
	if err != nil {
		return t, fmt.Errorf("bulk load: %w", err)
	}
	fmt.Fprintf(os.Stderr, "mebench: loaded %d cases × %d events in %v\n", o.scale, o.events, time.Since(loadStart).Round(time.Millisecond))

	me, err := startME(ctx, o.me, cfg, filepath.Join(dir, "me.log"))
	if err != nil {
		return t, err
	}
	defer me.stop()
	t.rows = append(t.rows, row{figure: "start-up to ready", me: me.startup.Round(time.Millisecond).String()})
	if o.hold {
		fmt.Fprintf(os.Stderr, "mebench: ME (%s) serves http://%s with the profiler at http://%s/debug/pprof/; portal client bench-portal, "+
			"case system bench-cases, password %q; the citizen with %d cases is %s; interrupt to stop\n", driver, addr, debugAddr, password, len(focus), pnr(0))
		<-ctx.Done()
		return t, ctx.Err()
	}

	c := newClient(addr, o.conns)
	l := &loader{dir: dir, conns: o.conns, d: o.duration, useWrk: o.loadgen == "wrk",
		profiles: o.profiles, debugAddr: debugAddr, store: driver}
	floor, err := l.healthz(ctx, c)
	if err != nil {
		return t, err
	}
	t.rows = append(t.rows, row{figure: "floor: GET /healthz", floor: floor.rate(), me: floor.rate()})
	if o.wants("reads") {
		if err := l.reads(ctx, c, &t, floor, peer, focus); err != nil {
			return t, err
		}
	}
	if o.wants("signals") {
		if err := l.signals(ctx, c, &t, floor, sinks); err != nil {
			return t, err
		}
	}
	t.rows = append(t.rows, row{figure: "peak RSS, throughput runs", me: mb(me.peakRSS())})
	if o.large > 0 && o.wants("large") {
		lat := c.largeMessages(ctx, o.large, o.largeBytes)
		t.rows = append(t.rows, row{figure: fmt.Sprintf("peak RSS with %d concurrent %.1f MB SHS messages", o.large, float64(o.largeBytes)/1e6), me: mb(me.peakRSS()), ratio: lat})
	}
	return t, nil
}

func (o options) wants(figure string) bool { return o.only == nil || o.only[figure] }

// reads measures the portal's reads, beside the peer.
func (l *loader) reads(ctx context.Context, c *client, t *table, floor result, peer *peerProcess, focus []string) error {
	var peerResult result
	var err error
	if peer != nil {
		if peerResult, err = l.read(ctx, &client{http: c.http, base: peer.url}, portalRead{getEServiceBody}); err != nil {
			return fmt.Errorf("peer: %w", err)
		}
	}
	l.peer = peerResult
	stop := l.profile(ctx, "GetEService")
	quiet, err := l.read(ctx, c, portalRead{getEServiceBody})
	stop()
	if err != nil {
		return err
	}
	t.rows = append(t.rows, readRow("portal GetEService, quiet server", floor, peerResult, quiet))
	stop = l.profile(ctx, "ListCases")
	page, err := l.read(ctx, c, listCasesBody(pnr(0)))
	stop()
	if err != nil {
		return err
	}
	t.rows = append(t.rows, readRow(fmt.Sprintf("portal ListCases (page of 20 of %d)", len(focus)), floor, result{}, page))
	stop = l.profile(ctx, "GetCase")
	one, err := l.read(ctx, c, getCaseBodies(pnr(0), focus))
	stop()
	if err != nil {
		return err
	}
	t.rows = append(t.rows, readRow("portal GetCase (10 events)", floor, result{}, one))
	return nil
}

// signals measures SHS signals, a read right after them, the notifier's
// delivery of their backlog, and its lag under half the load.
func (l *loader) signals(ctx context.Context, c *client, t *table, floor result, sinks *sinks) error {
	if err := c.profiles(ctx, signalCitizens); err != nil {
		return fmt.Errorf("profiles: %w", err)
	}
	sent0 := sinks.counts()
	seq := &atomic.Int64{}
	stop := l.profile(ctx, "signals")
	signals := hammer(ctx, l.conns, l.d, c.signal(seq))
	stop()
	t.rows = append(t.rows, row{figure: "SHS signals (10 KB attachment, 2 actions), 32 senders", floor: floor.rate(),
		me: signals.rate() + ", " + signals.latency(), ratio: ratio(signals, floor)})
	backlog, err := l.read(ctx, c, portalRead{getEServiceBody})
	if err != nil {
		return err
	}
	t.rows = append(t.rows, readRow("portal GetEService right after (notifier backlog)", floor, l.peer, backlog))

	stop = l.profile(ctx, "notifications")
	mails, sms, drained := sinks.drain(ctx, sent0, int64(signals.n), 2*l.d)
	stop()
	t.rows = append(t.rows, row{figure: "notifications: e-mails into local SMTP", me: mails, ratio: drained})
	t.rows = append(t.rows, row{figure: "notifications: SMS into local gateway", me: sms})

	if signals.n > 0 {
		half := float64(signals.n) / signals.elapsed.Seconds() / 2
		oldest := c.notifyLag(ctx, l.conns, l.d, half, seq)
		t.rows = append(t.rows, row{figure: fmt.Sprintf("oldest pending notification, signals at half ME's maximum (%.0f/s)", half), me: oldest})
	}
	return nil
}

// loader runs the reads with wrk when it is installed (far lighter on the
// shared cores than a Go client), else with the Go client. Signals are
// always sent by the Go client: each is a new SHS message.
type loader struct {
	dir    string
	conns  int
	d      time.Duration
	useWrk bool
	peer   result // the peer's GetEService, for the rows that compare with it
	// profiles, when set, keeps ME's CPU profile of each figure there,
	// read from ME's profiler at debugAddr; store names the files.
	profiles, debugAddr, store string
}

// profile starts keeping ME's CPU profile of figure, until the returned
// stop is called (the load's duration at most).
func (l *loader) profile(ctx context.Context, figure string) (stop func()) {
	if l.profiles == "" {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		secs := max(1, int(l.d.Seconds())-1)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", l.debugAddr, secs), nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Fprintln(os.Stderr, "mebench: profile:", err)
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		os.MkdirAll(l.profiles, 0o755)
		os.WriteFile(filepath.Join(l.profiles, l.store+"-"+figure+".pprof"), b, 0o644)
	}()
	return func() { <-done }
}

func (l *loader) healthz(ctx context.Context, c *client) (result, error) {
	if l.useWrk {
		return wrk(ctx, l.dir, c.base, l.conns, l.d, wrkRequests{method: http.MethodGet, path: "/healthz"})
	}
	return hammer(ctx, l.conns, l.d, c.healthz), nil
}

// read measures one portal read after a warm-up of warmUp, unmeasured, so
// that a figure taken right after loading the store (or after another
// figure) does not count the first touches of cold caches in its p99.
func (l *loader) read(ctx context.Context, c *client, read portalRead) (result, error) {
	if l.useWrk {
		if _, err := wrk(ctx, l.dir, c.base, l.conns, warmUp, read.requests()); err != nil {
			return result{}, err
		}
		return wrk(ctx, l.dir, c.base, l.conns, l.d, read.requests())
	}
	hammer(ctx, l.conns, min(warmUp, l.d), c.call(read))
	return hammer(ctx, l.conns, l.d, c.call(read)), nil
}

const warmUp = 2 * time.Second

func readRow(figure string, floor, peer, r result) row {
	out := row{figure: figure, floor: floor.rate(), me: r.rate() + ", " + r.latency(), ratio: ratio(r, floor)}
	if peer.n > 0 {
		out.peer = peer.rate() + ", " + peer.latency()
		out.ratio += fmt.Sprintf("; %.1f× peer", r.perSecond()/peer.perSecond())
	}
	return out
}

func ratio(r, floor result) string {
	if floor.perSecond() == 0 {
		return ""
	}
	return fmt.Sprintf("%.3f of floor", r.perSecond()/floor.perSecond())
}

func mb(bytes int64) string { return fmt.Sprintf("%d MB", bytes>>20) }

// prepareDatabase returns the DSN of an empty database for driver, and how
// to remove it.
func prepareDatabase(ctx context.Context, o options, driver, dir string) (string, func(), error) {
	if driver == store.DriverSQLite {
		return filepath.Join(dir, "me.db"), func() {}, nil
	}
	admin, err := sql.Open("postgres", o.pgDSN)
	if err != nil {
		return "", nil, err
	}
	name := "me_bench_" + me.NewToken(5)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("create database: %w", err)
	}
	dsn := regexp.MustCompile(`/[^/?]*(\?|$)`).ReplaceAllString(o.pgDSN, "/"+name+"$1")
	return dsn, func() {
		admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		admin.Close()
	}, nil
}

// meProcess is a running `me serve`.
type meProcess struct {
	cmd     *exec.Cmd
	startup time.Duration
}

func startME(ctx context.Context, bin, cfg, logFile string) (*meProcess, error) {
	log, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--config", cfg)
	cmd.Stdout, cmd.Stderr = log, log
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &meProcess{cmd: cmd}
	addr := readAddr(cfg)
	for time.Since(start) < 30*time.Second {
		if resp, err := http.Get("http://" + addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				p.startup = time.Since(start)
				return p, nil
			}
		}
		if ctx.Err() != nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.stop()
	out, _ := os.ReadFile(logFile)
	return nil, fmt.Errorf("me serve did not become ready:\n%s", out)
}

func (p *meProcess) stop() { stopProcess(p.cmd, 20*time.Second) }

// stopProcess asks cmd to stop (SIGTERM) and kills it after grace.
func stopProcess(cmd *exec.Cmd, grace time.Duration) {
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		cmd.Process.Kill()
	}
}

// peakRSS is the process's high-water mark of resident memory (VmHWM).
func (p *meProcess) peakRSS() int64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	m := regexp.MustCompile(`VmHWM:\s+(\d+) kB`).FindSubmatch(status)
	if m == nil {
		return 0
	}
	kb, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return kb << 10
}

// signalDoc is one signal: a new case every fifth, one event, a 10 KB
// attachment, a download and a message action.
func signalDoc(k int64) []byte {
	return []byte(fmt.Sprintf(signalTemplate, k/5, pnr(1+int(k%signalCitizens)), k))
}

var signalTemplate = `<?xml version="1.0" encoding="UTF-8"?>
<signal xmlns="http://minaengagemang.se/signal/v1" xmlns:c="http://minaengagemang.se/schema/common/v1" version="1.0">
  <organisation><organisationNumber>` + org + `</organisationNumber></organisation>
  <case><externalId>BENCH-%d</externalId><title><c:sv>Ärende</c:sv></title>
    <citizen><personalIdentityNumber>%s</personalIdentityNumber></citizen><status>inProgress</status>
    <handler><name>Handläggare</name><email>handlaggare@kommun.example</email></handler></case>
  <event><externalId>E-%d</externalId><time>2026-11-26T10:00:00+01:00</time><title><c:sv>Händelse</c:sv></title>
    <attachment><id>a</id><fileName>bilaga.txt</fileName><mediaType>text/plain</mediaType><content>` +
	base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("bilaga "), 10<<10/7)) + `</content></attachment>
    <action><download><attachmentId>a</attachmentId></download></action><action><message/></action>
  </event>
</signal>`

// shsMessage wraps a signal in an SHS 1.2 message.
func shsMessage(signal []byte) ([]byte, string, error) {
	id := shs.NewID()
	label := shs.Label{Version: "1.2", TxID: id, CorrID: id, TransferType: me.Asynch, MessageType: "simple", DocumentType: "simple",
		SequenceType: me.SequenceEvent, Status: "production",
		From: &shs.Party{Value: "urn:X-shs:" + org, CommonName: "bench"}, To: &shs.Party{Value: "urn:X-shs:" + org},
		Product: shs.Product{Value: "urn:X-shs:" + product}, Datetime: time.Now().UTC().Format("2006-01-02T15:04:05"),
		Content: shs.Content{ID: shs.NewID(), Data: []shs.DataInfo{{DatapartType: "xml", Filename: "signal.xml"}}}}
	return shs.Build(label, []shs.Part{{Info: label.Content.Data[0], ContentType: "text/xml; charset=UTF-8", FileName: "signal.xml", Data: signal}})
}

// pnr is the i-th made-up personnummer: born on a day of 1980-1999, with a
// valid control digit.
func pnr(i int) string {
	born := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i/900)
	serial := 100 + i%900
	ten := born.Format("060102") + strconv.Itoa(serial)
	for d := 0; d <= 9; d++ {
		if me.Luhn(ten + strconv.Itoa(d)) {
			return born.Format("2006")[:2] + ten + strconv.Itoa(d)
		}
	}
	panic("unreachable")
}

func drainBody(resp *http.Response) {
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

func readAddr(cfg string) string {
	b, _ := os.ReadFile(cfg)
	m := regexp.MustCompile(`addr: "?([^"\n]+)`).FindSubmatch(b)
	return strings.TrimSpace(string(m[1]))
}
