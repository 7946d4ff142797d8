package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
)

// audit prints the audit log of one citizen: which client read which of
// their cases, events and attachments, and when. Citizens may ask for it
// (GDPR art. 15), and so may the data protection officer.
func audit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("me audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := configFlag(fs)
	citizen := fs.String("citizen", "", "the citizen's personnummer, 12 digits")
	limit := fs.Int("limit", 200, "show at most `N` entries, newest first")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(*citizen) != 12 {
		return errors.New("say whose reads to show: me audit --citizen YYYYMMDDNNNN")
	}
	_, st, err := openConfigured(ctx, *path)
	if err != nil {
		return err
	}
	defer st.Close()
	entries, err := st.AuditLog(ctx, *citizen, *limit)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tCLIENT\tOPERATION\tREAD")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Time.Local().Format("2006-01-02 15:04:05"), e.Client, e.Operation, orDash(e.Object))
	}
	return tw.Flush()
}
