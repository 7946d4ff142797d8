package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// mailCmd lists the mail that reached reply addresses (the case handlers'
// e-mail replies), newest first: with --rejected only the refused and
// dropped ones with their reasons; --show ID prints one as it arrived.
func mailCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("me mail", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := configFlag(fs)
	rejected := fs.Bool("rejected", false, "list only the refused (rejected or dropped) mail, with reasons")
	limit := fs.Int("limit", 50, "list at most `N` mails")
	show := fs.Int64("show", 0, "print the mail with this `ID` as it arrived")
	if err := fs.Parse(args); err != nil {
		return err
	}
	_, st, err := openConfigured(ctx, *path)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	if *show != 0 {
		m, err := st.InboundMail(ctx, *show)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "# %d %s %s %s\n", m.ID, m.Received.Format(time.RFC3339), m.Outcome, m.Reason)
		_, err = stdout.Write(m.Raw)
		return err
	}
	list, err := st.InboundMails(ctx, *rejected, *limit)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRECEIVED\tOUTCOME\tFROM\tCASE\tMESSAGE-ID\tREASON")
	for _, m := range list {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.Received.Local().Format("2006-01-02 15:04:05"), m.Outcome,
			orDash(m.HeaderFrom), orDash(m.CaseID), orDash(m.MessageID), orDash(m.Reason))
	}
	return tw.Flush()
}
