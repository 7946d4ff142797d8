package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/minaengagemang/me"
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
	return printNotifications(stdout, list)
}

// printNotifications writes the table of `me notifications`.
func printNotifications(w io.Writer, list []me.Notification) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCREATED\tKIND\tCHANNEL\tSTATE\tATTEMPTS\tORGANISATION\tREASON")
	for _, n := range list {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", n.ID, n.Created.Local().Format("2006-01-02 15:04:05"), n.Kind, n.Channel, n.State,
			attemptsMade(n), n.OrganisationNumber, orDash(n.LastError))
	}
	return tw.Flush()
}

// attemptsMade is how many times ME tried to send n, as the log counts
// them ("attempt": 1 on the first): the store counts the failed attempts
// only, so a sent notification made one more. A send in flight is not
// counted until it ends.
func attemptsMade(n me.Notification) int {
	if n.State == me.NotificationSent {
		return n.Attempts + 1
	}
	return n.Attempts
}
