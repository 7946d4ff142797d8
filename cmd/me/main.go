// Command me is Mina Engagemang: the server and its administration tools.
// `me help` lists the commands; the table is commands() below.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
)

// version is set at build time by the Makefile (-ldflags -X main.version).
var version = "dev"

// stdio is what a command reads from and writes to.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// command is one `me` subcommand. The usage text is made from the table,
// and docs/names_test.go checks that the documentation names no other.
type command struct {
	name string // "shs send": a command of a group names both words
	args string
	does string
	run  func(ctx context.Context, args []string, std stdio) int
}

func commands() []command {
	return []command{
		{name: "serve", args: "[--config FILE]", does: "run the server; migrates the store first",
			run: orFail(func(ctx context.Context, args []string, std stdio) error { return serve(ctx, args, std.err) })},
		{name: "migrate", args: "[--config FILE]", does: "apply database migrations and exit",
			run: orFail(func(ctx context.Context, args []string, std stdio) error { return migrate(ctx, args, std.out, std.err) })},
		{name: "validate", args: "FILE...", does: "check case-system signal files against xsd/signal.xsd",
			run: func(_ context.Context, args []string, std stdio) int { return validate(args, std.out, std.err) }},
		{name: "shs send", args: "FILE...", does: "send signal files to ME over SHS; --watch DIR to pick them up",
			run: func(ctx context.Context, args []string, std stdio) int {
				return sendSignals(ctx, args, std.out, std.err)
			}},
		{name: "signals", args: "--rejected", does: "list the SHS messages ME refused, with their reasons",
			run: orFail(func(ctx context.Context, args []string, std stdio) error { return signals(ctx, args, std.out, std.err) })},
		{name: "audit", args: "--citizen PNR", does: "show which clients read a citizen's cases, and when",
			run: orFail(func(ctx context.Context, args []string, std stdio) error { return audit(ctx, args, std.out, std.err) })},
		// Before "mail": a command of two words is matched first.
		{name: "mail reply", args: "[--text TEXT] [--attach FILE]", does: "play the case handler: answer the newest handler mail by e-mail, over SMTP to inbound_mail.addr",
			run: orFail(func(ctx context.Context, args []string, std stdio) error {
				return mailReply(ctx, args, std.out, std.err)
			})},
		{name: "mail", args: "--rejected", does: "list the case handlers' e-mail replies ME refused or dropped, with their reasons",
			run: orFail(func(ctx context.Context, args []string, std stdio) error { return mailCmd(ctx, args, std.out, std.err) })},
		{name: "citizen export", args: "PNR", does: "write the register extract of a citizen (--format xml|json, --out, --attachments)",
			run: orFail(func(ctx context.Context, args []string, std stdio) error {
				return citizenExport(ctx, args, std.out, std.err)
			})},
		{name: "citizen erase", args: "PNR", does: "erase a citizen's profile, contact details, notifications (--dry-run)",
			run: orFail(func(ctx context.Context, args []string, std stdio) error {
				return citizenErase(ctx, args, std.out, std.err)
			})},
		{name: "notifications", args: "[--failed]", does: "list recent SMS and e-mail notifications and their state",
			run: orFail(func(ctx context.Context, args []string, std stdio) error {
				return notifications(ctx, args, std.out, std.err)
			})},
		{name: "purge", args: "[--dry-run] [--config FILE]", does: "remove the data past its time by the retention rules (gallring)",
			run: orFail(func(ctx context.Context, args []string, std stdio) error { return purge(ctx, args, std.out, std.err) })},
		{name: "hash-secret", args: "", does: "read a client's secret (terminal or stdin), print its secret_hash",
			run: orFail(func(_ context.Context, args []string, std stdio) error { return hashSecret(args, std) })},
		{name: "version", args: "", does: "print ME's version and its contract versions",
			run: orFail(func(_ context.Context, _ []string, std stdio) error { return printVersion(std.out) })},
		{name: "help", args: "", does: "print this list (also -h, --help)",
			run: func(_ context.Context, _ []string, std stdio) int { fmt.Fprint(std.out, usage()); return 0 }},
	}
}

// orFail runs a command that returns an error: printed, it is exit status
// 1; a usage error (the flag package has printed it) is 2.
func orFail(f func(ctx context.Context, args []string, std stdio) error) func(context.Context, []string, stdio) int {
	return func(ctx context.Context, args []string, std stdio) int {
		err := f(ctx, args, std)
		switch {
		case errors.Is(err, flag.ErrHelp):
			return 2
		case err != nil:
			fmt.Fprintln(std.err, "me:", err)
			return 1
		}
		return 0
	}
}

func usage() string {
	var b strings.Builder
	b.WriteString("usage: me <command> [arguments]\n\ncommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-27s  %s\n", strings.TrimSpace(c.name+" "+c.args), c.does)
	}
	b.WriteString(`
The configuration file is --config, else $ME_CONFIG; every key can be
overridden by environment (ME_HTTP_ADDR, ME_DATABASE_DSN, ...).
See config/me.example.yaml.
`)
	return b.String()
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr})
	stop()
	os.Exit(code)
}

// run executes one command and returns the process exit code.
func run(ctx context.Context, args []string, std stdio) int {
	if len(args) == 0 {
		fmt.Fprint(std.err, usage())
		return 2
	}
	if args[0] == "-h" || args[0] == "--help" {
		args = []string{"help"}
	}
	for _, c := range commands() {
		words := strings.Fields(c.name)
		if len(args) >= len(words) && slices.Equal(args[:len(words)], words) {
			return c.run(ctx, args[len(words):], std)
		}
	}
	name := args[0]
	if len(args) > 1 && isGroup(name) {
		name += " " + args[1]
	}
	fmt.Fprintf(std.err, "me: unknown command %q\n\n%s", name, usage())
	return 2
}

// isGroup reports whether name is the first word of commands of two.
func isGroup(name string) bool {
	for _, c := range commands() {
		if first, _, ok := strings.Cut(c.name, " "); ok && first == name {
			return true
		}
	}
	return false
}

// configFlag declares --config with $ME_CONFIG as its default.
func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", os.Getenv("ME_CONFIG"), "the YAML configuration `file` (default $ME_CONFIG)")
}
