package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/minaengagemang/me/config"
	"github.com/minaengagemang/me/store"
)

// purge removes the rows past their time by the configured retention
// (gallring), as `me serve` does every retention.interval, and prints how
// many of each table and organisation went; --dry-run prints what would go
// and removes nothing.
func purge(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("me purge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := configFlag(fs)
	dryRun := fs.Bool("dry-run", false, "count what is past its time, and remove nothing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("me purge takes no arguments (got %q); the rules are the configuration's retention", fs.Args())
	}
	cfg, st, err := openConfigured(ctx, *path)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	report, err := st.Purge(ctx, purgeOptions(cfg, time.Now(), *dryRun))
	if err != nil {
		return err
	}
	return printPurge(stdout, report, *dryRun)
}

// purgeOptions are the store's options of the configured retention.
func purgeOptions(cfg *config.Config, now time.Time, dryRun bool) store.PurgeOptions {
	return store.PurgeOptions{Policy: cfg.RetentionPolicy(), Now: now.UTC(), Batch: cfg.Retention.BatchSize,
		Pause: cfg.Retention.Pause, DryRun: dryRun}
}

func printPurge(w io.Writer, r store.PurgeReport, dryRun bool) error {
	switch {
	case len(r.Counts) == 0:
		fmt.Fprintln(w, "Nothing is past its time.")
		return nil
	case dryRun:
		fmt.Fprintln(w, "Dry run: these rows are past their time; nothing was removed.")
	default:
		fmt.Fprintf(w, "Removed, in %d transactions:\n", r.Transactions)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ORGANISATION\tTABLE\tROWS")
	for _, c := range r.Counts {
		org := c.Organisation
		if org == "" {
			org = "(none stored)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\n", org, c.Table, c.Rows)
	}
	return tw.Flush()
}
