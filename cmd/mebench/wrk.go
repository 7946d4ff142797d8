package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// wrkRequests is one fixed set of HTTP requests for wrk to send round and
// round: the same method, path and headers, one of bodies each time.
type wrkRequests struct {
	method  string
	path    string // e.g. /soap/portal
	headers map[string]string
	bodies  []string
}

// wrk loads base+r.path from conns connections for d with wrk (two
// threads, as the figures of the issue were measured), which costs the
// two shared cores far less per request than a Go client: the floor of
// /healthz is about six times higher with it. It answers wrk's count,
// non-2xx and socket errors, and p50/p99.
func wrk(ctx context.Context, dir, base string, conns int, d time.Duration, r wrkRequests) (result, error) {
	script, err := writeWrkScript(dir, r)
	if err != nil {
		return result{}, err
	}
	cmd := exec.CommandContext(ctx, "wrk", "-t2", fmt.Sprintf("-c%d", conns), fmt.Sprintf("-d%ds", max(1, int(d.Round(time.Second).Seconds()))),
		"--timeout", "60s", "-s", script, base+r.path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return result{}, fmt.Errorf("wrk: %v: %s", err, stderr.String())
	}
	return parseWrk(out)
}

// parseWrk reads the line the script's done() prints:
// MEBENCH answers duration_us non-2xx socket_errors p50_us p99_us.
func parseWrk(out []byte) (result, error) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var n, us, status, socket, p50, p99 int64
		if _, err := fmt.Sscanf(sc.Text(), "MEBENCH %d %d %d %d %d %d", &n, &us, &status, &socket, &p50, &p99); err != nil {
			continue
		}
		errs := status + socket
		r := result{n: int(n - status), errors: int(errs), elapsed: time.Duration(us) * time.Microsecond,
			p50: time.Duration(p50) * time.Microsecond, p99: time.Duration(p99) * time.Microsecond, loadgen: "wrk"}
		if errs > 0 {
			r.firstErr = errors.New("non-2xx answers or socket errors (wrk)")
		}
		return r, nil
	}
	return result{}, fmt.Errorf("wrk printed no result: %s", out)
}

func writeWrkScript(dir string, r wrkRequests) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "wrk.method = %q\n", r.method)
	for k, v := range r.headers {
		fmt.Fprintf(&b, "wrk.headers[%q] = %q\n", k, v)
	}
	switch len(r.bodies) {
	case 0:
	case 1:
		fmt.Fprintf(&b, "wrk.body = [==[%s]==]\n", r.bodies[0])
	default:
		b.WriteString("local bodies = {\n")
		for _, body := range r.bodies {
			fmt.Fprintf(&b, "[==[%s]==],\n", body)
		}
		b.WriteString("}\nlocal i = 0\nrequest = function()\n  i = i + 1\n  return wrk.format(nil, nil, nil, bodies[(i % #bodies) + 1])\nend\n")
	}
	// wrk counts a non-2xx answer as done; the table must not.
	b.WriteString(`done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("MEBENCH %d %d %d %d %d %d\n", summary.requests, summary.duration, e.status,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`)
	f, err := os.CreateTemp(dir, "wrk-*.lua")
	if err != nil {
		return "", err
	}
	defer f.Close()
	_, err = f.WriteString(b.String())
	return filepath.Clean(f.Name()), err
}

// haveWrk reports whether wrk is installed (Debian: apt-get install wrk).
func haveWrk() bool {
	_, err := exec.LookPath("wrk")
	return err == nil
}
