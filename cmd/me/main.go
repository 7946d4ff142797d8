// Command me is Mina Engagemang: the server and its administration tools.
//
//	me serve    [--config FILE]   run the server (migrates the store first)
//	me migrate  [--config FILE]   apply database migrations and exit
//	me validate FILE...           check signal files against the published XSD
//	me shs send FILE...           send signal files to ME over SHS (--watch DIR)
//	me audit --citizen PNR        show who read a citizen's data
//	me signals --rejected         list the SHS messages ME refused
//	me version                    print the version and contract versions
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time by the Makefile (-ldflags -X main.version).
var version = "dev"

const usage = `usage: me <command> [arguments]

commands:
  serve    [--config FILE]   run the server; migrates the store first
  migrate  [--config FILE]   apply database migrations and exit
  validate FILE...           check case-system signal files against xsd/signal.xsd
  shs send FILE...           send signal files to ME over SHS; --watch DIR to pick them up
  signals --rejected         list the SHS messages ME refused, with their reasons
  audit --citizen PNR        show which clients read a citizen's cases, and when
  notifications [--failed]   list recent SMS and e-mail notifications and their state
  version                    print ME's version and its contract versions

The configuration file is --config, else $ME_CONFIG; every key can be
overridden by environment (ME_HTTP_ADDR, ME_DATABASE_DSN, ...).
See config/me.example.yaml.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], stderr)
	case "migrate":
		err = migrate(ctx, args[1:], stdout, stderr)
	case "validate":
		return validate(args[1:], stdout, stderr)
	case "shs":
		return shsCommand(ctx, args[1:], stdout, stderr)
	case "signals":
		err = signals(ctx, args[1:], stdout, stderr)
	case "audit":
		err = audit(ctx, args[1:], stdout, stderr)
	case "notifications":
		err = notifications(ctx, args[1:], stdout, stderr)
	case "version":
		err = printVersion(stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "me: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "me:", err)
		return 1
	}
	return 0
}

// configFlag declares --config with $ME_CONFIG as its default.
func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", os.Getenv("ME_CONFIG"), "the YAML configuration `file` (default $ME_CONFIG)")
}
