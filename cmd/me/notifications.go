package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
)

// notifications lists recent notifications (SMS and e-mail to citizens)
// with their state, newest first; --failed only those that failed.
func notifications(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("me notifications", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := configFlag(fs)
	failed := fs.Bool("failed", false, "only notifications that failed, with the reason")
	limit := fs.Int("limit", 50, "show at most `N`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	_, st, err := openConfigured(ctx, *path)
	if err != nil {
		return err
	}
	defer st.Close()
	list, err := st.Notifications(ctx, *failed, *limit)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCREATED\tKIND\tCHANNEL\tSTATE\tATTEMPTS\tORGANISATION\tREASON")
	for _, n := range list {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", n.ID, n.Created.Local().Format("2006-01-02 15:04:05"), n.Kind, n.Channel, n.State,
			n.Attempts, n.OrganisationNumber, orDash(n.LastError))
	}
	return tw.Flush()
}
