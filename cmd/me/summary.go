package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/sirupsen/logrus"
)

// What `me serve` says: structured log lines always (migrating, store
// ready, listening with its URL and the demo's as fields), and, when the log is text (a
// terminal's default), a plain summary under "listening" of what to open.
// JSON logs get no summary: they are read by machines, one object a line.

// summaryWriter is where the plain summary goes: out when log writes text,
// else nowhere.
func summaryWriter(log *logrus.Logger, out io.Writer) io.Writer {
	if _, text := log.Formatter.(*logrus.TextFormatter); text {
		return out
	}
	return io.Discard
}

// startURLs are the addresses worth opening on a server at base.
type startURLs struct {
	Base  string
	Demo  string   // empty: the demo is off
	WSDLs []string // ?wsdl of each service; ?singleWsdl is the same with the schemas inlined
	Mail  string   // host:port taking the handlers' e-mail replies; empty: none
}

func newStartURLs(base string, demoOn bool) startURLs {
	u := startURLs{Base: base}
	if demoOn {
		u.Demo = base + "/demo/"
	}
	for _, s := range []string{"portal", "catalog", "etjanst"} {
		u.WSDLs = append(u.WSDLs, base+"/soap/"+s+"?wsdl")
	}
	return u
}

func (u startURLs) fields() logrus.Fields {
	f := logrus.Fields{"url": u.Base + "/"}
	if u.Demo != "" {
		f["demo_url"] = u.Demo
	}
	return f
}

// writeSummary writes the plain summary of a server listening at u.
func writeSummary(w io.Writer, u startURLs) {
	var b strings.Builder
	fmt.Fprintf(&b, "\nME is listening on %s/\n", u.Base)
	if u.Demo != "" {
		fmt.Fprintf(&b, "\n  The demo portal (in Swedish):  %s\n", u.Demo)
		b.WriteString("  Send it the example cases, then log in: README.md, \"Try the demo\".\n")
	}
	b.WriteString("\n  WSDLs (?singleWsdl: the same with the schemas inlined):\n")
	for _, l := range u.WSDLs {
		fmt.Fprintf(&b, "    %s\n", l)
	}
	if u.Demo == "" {
		fmt.Fprintf(&b, "  They, the schemas and where the documentation is: %s/\n", u.Base)
	}
	if u.Mail != "" {
		fmt.Fprintf(&b, "\n  The case handlers' e-mail replies are taken on: %s\n", u.Mail)
		if u.Demo != "" {
			b.WriteString("  Write to a handler in the demo, then play the handler: bin/me mail reply (README.md).\n")
		}
	}
	b.WriteString("\n  Stop with Ctrl-C.\n\n")
	io.WriteString(w, b.String())
}
