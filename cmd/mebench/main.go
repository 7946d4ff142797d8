// Command mebench measures ME as a region would load it (`make bench`). It
// starts the real `me serve` binary on SQLite and on PostgreSQL, fills the
// store with the bulk loader (not through SHS), and measures each figure of
// docs/performance.md beside a floor measured in the same run (GET /healthz
// of the same server) and a peer (node soap serving the same GetEService
// from memory): SHS signals/s with p50/p99, portal reads, notifications/s
// into a local SMTP server and SMS gateway, peak memory and start-up time.
// It prints one table and, with -out, writes it with the machine's
// description into docs/performance.md between the marker lines.
//
// Every figure is a ratio against the floor: these machines are noisy.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

type options struct {
	me       string        // the me binary
	stores   []string      // sqlite, postgres
	scale    int           // cases in the store
	events   int           // events per case
	duration time.Duration // each figure's load
	conns    int           // concurrent clients and senders
	pgDSN    string        // an administrative connection; each run creates its own database
	peerDir  string        // cmd/mebench/peer; empty: no peer
	out      string        // docs/performance.md to update; empty: print only
	large    int           // concurrent large SHS messages for the memory figure; 0: skip
	// largeBytes is each large message's size: just under
	// shs.max_message_bytes (20 MiB), as the case that was seen.
	largeBytes int
	loadgen    string // wrk or go
	// hold: load the store, start ME and keep it running for profiling
	// (its profiler's address is printed) until interrupted; no figures.
	hold bool
	// profiles: a directory to keep ME's CPU profile of each figure in
	// (<store>-<figure>.pprof, from http.debug_addr); empty: none.
	profiles string
	// only: measure only these figures (reads, signals, large); empty: all.
	only map[string]bool
}

func main() {
	o := options{}
	stores := flag.String("stores", "sqlite,postgres", "the stores to measure")
	scale := flag.String("scale", envOr("BENCH_SCALE", "100k"), "cases in the store: 100k, 1m or a number ($BENCH_SCALE)")
	flag.StringVar(&o.me, "me", "bin/me", "the me binary to measure")
	flag.IntVar(&o.events, "events", 10, "events per case")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "how long each figure is loaded")
	flag.IntVar(&o.conns, "conns", 32, "concurrent clients")
	flag.StringVar(&o.pgDSN, "pg", envOr("ME_TEST_POSTGRES_DSN", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"), "PostgreSQL to create the benchmark's database on")
	flag.StringVar(&o.peerDir, "peer", "cmd/mebench/peer", "the node soap peer's directory (empty: none)")
	flag.StringVar(&o.out, "out", "", "write the table into this file (docs/performance.md)")
	flag.IntVar(&o.large, "large", 12, "concurrent large SHS messages for the memory figure (0: skip)")
	flag.IntVar(&o.largeBytes, "large-bytes", 19_800_000, "each large SHS message's size")
	flag.StringVar(&o.loadgen, "loadgen", "", "the reads' load generator: wrk or go (default: wrk when installed)")
	flag.BoolVar(&o.hold, "hold", false, "load the store, start ME with its profiler and keep it running until interrupted (for pprof); measure nothing")
	flag.StringVar(&o.profiles, "profiles", "", "keep ME's CPU profile of each figure in this directory (go tool pprof bin/me FILE)")
	only := flag.String("only", "", "measure only these figures, comma-separated: reads, signals, large (default: all)")
	flag.Parse()
	if *only != "" {
		o.only = map[string]bool{}
		for _, f := range strings.Split(*only, ",") {
			o.only[strings.TrimSpace(f)] = true
		}
	}
	if o.loadgen == "" {
		o.loadgen = "go"
		if haveWrk() {
			o.loadgen = "wrk"
		}
	}
	o.stores = strings.Split(*stores, ",")
	n, err := parseScale(*scale)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mebench:", err)
		os.Exit(2)
	}
	o.scale = n
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "mebench:", err)
		os.Exit(1)
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func parseScale(s string) (int, error) {
	switch strings.ToLower(s) {
	case "100k", "":
		return 100_000, nil
	case "1m":
		return 1_000_000, nil
	}
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil || n < 1 {
		return 0, fmt.Errorf("scale %q: want 100k, 1m or a number of cases", s)
	}
	return n, nil
}

// run measures every store and prints (and writes) the table.
func run(ctx context.Context, o options, w *os.File) error {
	bin, err := filepath.Abs(o.me)
	if err != nil {
		return err
	}
	o.me = bin
	var peer *peerProcess
	if o.peerDir != "" {
		if peer, err = startPeer(ctx, o.peerDir); err != nil {
			fmt.Fprintf(os.Stderr, "mebench: no node soap peer: %v\n", err)
		} else {
			defer peer.stop()
		}
	}
	var tables []table
	for _, st := range o.stores {
		fmt.Fprintf(os.Stderr, "mebench: %s, %d cases × %d events\n", st, o.scale, o.events)
		t, err := measureStore(ctx, o, st, peer)
		if err != nil {
			return fmt.Errorf("%s: %w", st, err)
		}
		tables = append(tables, t)
	}
	report := render(o, tables)
	fmt.Fprint(w, report)
	if o.out != "" {
		return writeReport(o.out, report)
	}
	return nil
}
