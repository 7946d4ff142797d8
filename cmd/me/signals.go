package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// signals lists the SHS messages ME refused, newest first, or prints one
// refused message whole (--show ID) so it can be inspected or replayed.
func signals(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("me signals", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := configFlag(fs)
	rejected := fs.Bool("rejected", false, "list refused messages with their SHS error code and reason")
	limit := fs.Int("limit", 50, "list at most `N` messages")
	show := fs.Int64("show", 0, "print the refused message with this `ID` as it arrived")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !*rejected && *show == 0 {
		return errors.New("say what to list: me signals --rejected [--limit N], or --show ID")
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
		r, err := st.Rejection(ctx, *show)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "# %d %s %s %s: %s\n", r.ID, r.Received.Format(time.RFC3339), r.Client, r.Code, r.Reason)
		_, err = stdout.Write(r.Raw)
		return err
	}
	list, err := st.Rejections(ctx, *limit)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRECEIVED\tCLIENT\tTX.ID\tCODE\tREASON")
	for _, r := range list {
		reason, _, _ := strings.Cut(r.Reason, "\n")
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Received.Local().Format("2006-01-02 15:04:05"), r.Client, orDash(r.TxID), r.Code, reason)
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
