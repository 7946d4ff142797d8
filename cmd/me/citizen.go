package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/personnummer/go/v3"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/server/extract"
	"github.com/minaengagemang/me/store"
	"github.com/minaengagemang/me/xsd"
)

// A citizen's data (GDPR): the register extract (registerutdrag, art. 15)
// and the erasure of what ME owns (art. 17). docs/privacy.md says what ME
// holds, where and for how long.

// citizenArgs parses a command's flags and its one personnummer, which
// may come before the flags or after them.
func citizenArgs(fs *flag.FlagSet, args []string, usage string) (string, error) {
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	var pnr string
	if fs.NArg() > 0 {
		pnr = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return "", err
		}
	}
	switch {
	case pnr == "" || fs.NArg() > 0:
		return "", fmt.Errorf("say whose data, once: %s", usage)
	case !personnummer.Valid(pnr):
		return "", fmt.Errorf("%q is not a valid personnummer: give 12 digits, YYYYMMDDNNNC, with a correct date and control digit", pnr)
	}
	return pnr, nil
}

// byFlag declares --by, who runs the command, recorded in the audit log
// or the erasure; the operating system's user by default.
func byFlag(fs *flag.FlagSet) *string {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return fs.String("by", name, "who asks, as the audit log and the erasure record say (default: your user `name`)")
}

// citizenExport writes the register extract of one citizen, after
// recording in the audit log that it was made.
func citizenExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const usage = "me citizen export YYYYMMDDNNNN [--format xml|json] [--out FILE] [--attachments]"
	fs := flag.NewFlagSet("me citizen export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := configFlag(fs)
	format := fs.String("format", extract.FormatXML, "xml (valid against xsd/citizen-export.xsd) or json")
	out := fs.String("out", "", "write to this `file` (mode 0600) instead of standard output")
	files := fs.Bool("attachments", false, "include the attachments' files (base64), not only their names and sizes")
	by := byFlag(fs)
	pnr, err := citizenArgs(fs, args, usage)
	if err != nil {
		return err
	}
	if *format != extract.FormatXML && *format != extract.FormatJSON {
		return fmt.Errorf("--format %q: want xml or json", *format)
	}
	if strings.TrimSpace(*by) == "" {
		return errors.New("say who asks for the extract: --by NAME")
	}
	_, st, err := openConfigured(ctx, *path)
	if err != nil {
		return err
	}
	defer st.Close()

	// Audited before it is read, as every read of a citizen's data is.
	now := time.Now().UTC().Truncate(time.Microsecond) // as the store keeps it
	client := "admin:" + *by
	object := *format
	if *files {
		object += "+attachments"
	}
	if err := st.Audit(ctx, me.AuditEntry{Time: now, Client: client, PersonalIdentityNumber: pnr, Operation: "CitizenExport", Object: object}); err != nil {
		return err
	}
	d, err := st.CitizenData(ctx, pnr)
	if err != nil {
		return err
	}
	orgs, err := st.Organisations(ctx)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, o := range orgs {
		names[o.Number] = o.Name
	}
	var contents extract.Contents
	if *files {
		contents = func(id string) ([]byte, error) { return st.CitizenAttachmentContent(ctx, pnr, id) }
	}
	doc, err := extract.Build(d, names, client, now, contents)
	if err != nil {
		return err
	}
	b, err := extract.Encode(doc, *format)
	if err != nil {
		return err
	}
	if *format == extract.FormatXML {
		if err := validateExtract(b); err != nil {
			return err
		}
	}
	if *out == "" {
		_, err = stdout.Write(b)
		return err
	}
	if err := os.WriteFile(*out, b, 0o600); err != nil {
		return err
	}
	events := 0
	for _, c := range d.Cases {
		events += len(c.Events)
	}
	fmt.Fprintf(stdout, "wrote %s: %d cases with %d events, %d notifications, %d tickets, %d audit entries (this export's included)\n",
		*out, len(d.Cases), events, len(d.Notifications), len(d.Tickets), len(d.Audit))
	return nil
}

// validateExtract refuses to hand out an extract its own schema rejects.
func validateExtract(doc []byte) error {
	schemas, err := xsd.Load(xsd.CitizenExport)
	if err != nil {
		return err
	}
	defer schemas[xsd.CitizenExport].Close()
	if err := schemas[xsd.CitizenExport].Validate(doc); err != nil {
		return fmt.Errorf("the extract does not validate against %s (a bug; please report it): %w", xsd.CitizenExport, err)
	}
	return nil
}

// citizenErase erases what ME owns of a citizen's data, or with --dry-run
// lists what would go, and says what it keeps.
func citizenErase(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const usage = "me citizen erase YYYYMMDDNNNN [--dry-run]"
	fs := flag.NewFlagSet("me citizen erase", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := configFlag(fs)
	dryRun := fs.Bool("dry-run", false, "list what would be erased; change nothing")
	by := byFlag(fs)
	pnr, err := citizenArgs(fs, args, usage)
	if err != nil {
		return err
	}
	if strings.TrimSpace(*by) == "" {
		return errors.New("say who erases: --by NAME")
	}
	_, st, err := openConfigured(ctx, *path)
	if err != nil {
		return err
	}
	defer st.Close()
	erased, kept, err := st.EraseCitizen(ctx, pnr, *by, time.Now(), *dryRun)
	if err != nil {
		return err
	}
	return printErasure(stdout, erased, kept, *dryRun)
}

// printErasure writes what `me citizen erase` did, and what it kept.
func printErasure(w io.Writer, erased me.Erasure, kept map[string]int64, dryRun bool) error {
	if dryRun {
		fmt.Fprintln(w, "Dry run: nothing was changed. An erasure would remove:")
	} else {
		fmt.Fprintf(w, "Erased, recorded as erased by %s at %s:\n", erased.By, erased.Time.Local().Format("2006-01-02 15:04:05"))
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  TABLE\tROWS\tWHAT")
	what := map[string]string{
		"citizens":      "profile: names, address, e-mail, mobile, language, channel",
		"notifications": "SMS and e-mail to the citizen, sent and pending; their messages' mails to handlers",
		"outbox":        "notifications still to plan, and the record of those planned",
		"reminders":     "the record of reminders of open completions",
		"tickets":       "tickets no e-service has used",
	}
	for _, table := range store.ErasedTables() {
		fmt.Fprintf(tw, "  %s\t%d\t%s\n", table, erased.Rows[table], what[table])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, `Not erased: the case records, which the case systems own and which follow the
retention rules (docs/privacy.md, "Retention (gallring)"): the citizen is on %d cases
with %d events (their messages and completions among them), with %d read marks.
Also kept: %d audit log entries (who read the citizen's data), %d used tickets (purged
when they expire), and the raw SHS messages that brought the cases, with the names and
address the case system sent.
`, kept["case_citizens"], kept["events"], kept["event_reads"], kept["audit_log"], kept["tickets"])
	return err
}
