package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// render is the report: the machine, then one table per store.
func render(o options, tables []table) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Measured %s by `make bench` (cmd/mebench): %s.\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"), machine())
	gen := "a Go client"
	if o.loadgen == "wrk" {
		gen = "wrk (2 threads; signals from a Go client)"
	}
	fmt.Fprintf(&b, "%d cases × %d events in the store; %d concurrent clients; load from %s; %v per figure; client, server and peer on the same machine.\n",
		o.scale, o.events, o.conns, gen, o.duration)
	for _, t := range tables {
		fmt.Fprintf(&b, "\n**%s**\n\n| figure | floor | peer | ME | ratio |\n|---|---|---|---|---|\n", t.store)
		for _, r := range t.rows {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.figure, dash(r.floor), dash(r.peer), dash(r.me), dash(r.ratio))
		}
	}
	return b.String()
}

func dash(s string) string {
	if s == "" {
		return "–"
	}
	return strings.ReplaceAll(s, "|", "\\|")
}

// machine describes the processor, the cores and the memory.
func machine() string {
	cpu := "unknown processor"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.TrimPrefix(strings.Split(string(b), "\n")[0], "MemTotal:"), "%d", &kb)
		mem = fmt.Sprintf(", %d GiB", kb>>20)
	}
	pg := ""
	if out, err := exec.Command("psql", "--version").Output(); err == nil {
		pg = ", " + strings.TrimSpace(string(out))
	}
	return fmt.Sprintf("%s, %d cores%s, %s%s", cpu, runtime.NumCPU(), mem, runtime.Version(), pg)
}

const (
	beginMarker = "<!-- make bench: begin -->"
	endMarker   = "<!-- make bench: end -->"
)

// writeReport puts the report between the markers of path.
func writeReport(path, report string) error {
	doc, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	begin, end := bytes.Index(doc, []byte(beginMarker)), bytes.Index(doc, []byte(endMarker))
	if begin < 0 || end < begin {
		return fmt.Errorf("%s has no %s … %s section to write the table into", path, beginMarker, endMarker)
	}
	var out bytes.Buffer
	out.Write(doc[:begin+len(beginMarker)])
	out.WriteString("\n" + report + "\n")
	out.Write(doc[end:])
	return os.WriteFile(path, out.Bytes(), 0o644)
}
