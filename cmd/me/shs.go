package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/minaengagemang/me/config"
	"github.com/minaengagemang/me/server/shs"
	"github.com/minaengagemang/me/xsd"
)

const shsUsage = `usage: me shs send [flags] FILE...
       me shs send [flags] --watch DIR

Wraps case-system signal files in SHS 1.2 messages and sends them to ME's
receiver, for case systems without an SHS client of their own. With --watch
it works like Esmeralda: it picks up the .xml files written to DIR, moves
each to DIR/sent/ once ME has it, or to DIR/failed/ with a .reason file when
ME refuses it, and retries while ME cannot be reached.

The HTTP Basic password is read from $ME_SHS_PASSWORD, never from the
command line.
`

// shsSender sends signal files to ME.
type shsSender struct {
	client         shs.Client
	stdout, stderr io.Writer
}

// sendSignals is `me shs send`; args are those after "send".
func sendSignals(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("me shs send", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, shsUsage, "\nflags:\n"); fs.PrintDefaults() }
	s := &shsSender{stdout: stdout, stderr: stderr}
	fs.StringVar(&s.client.URL, "url", "http://127.0.0.1:8080/shs/rs", "ME's SHS receiver")
	fs.StringVar(&s.client.User, "user", "", "the case-system client's name, for HTTP Basic (password from $ME_SHS_PASSWORD)")
	fs.StringVar(&s.client.From, "from", "", "the sender's organisationsnummer (default: the signal's organisation)")
	fs.StringVar(&s.client.To, "to", "", "the receiver's organisationsnummer (default: the signal's organisation)")
	fs.StringVar(&s.client.Product, "product", config.DefaultSHSProduct, "ME's signal product id")
	fs.BoolVar(&s.client.Synch, "synch", false, "send synchronously and print ME's receipt")
	certFile := fs.String("cert", "", "client certificate `file` (PEM) for mutual TLS")
	keyFile := fs.String("key", "", "the certificate's private key `file` (PEM)")
	caFile := fs.String("ca", "", "CA certificate `file` (PEM) to verify ME's server certificate (default: the system's)")
	watch := fs.String("watch", "", "watch `DIR` for signal files instead of sending FILE arguments")
	interval := fs.Duration("interval", 2*time.Second, "how often --watch looks for new files")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	s.client.Password = os.Getenv("ME_SHS_PASSWORD")
	tlsConfig, err := clientTLS(*certFile, *keyFile, *caFile)
	if err != nil {
		fmt.Fprintln(stderr, "me shs:", err)
		return 2
	}
	s.client.HTTP = &http.Client{Timeout: time.Minute, Transport: &http.Transport{TLSClientConfig: tlsConfig}}
	schemas, err := xsd.Load(xsd.SHSLabel)
	if err != nil {
		fmt.Fprintln(stderr, "me shs:", err)
		return 1
	}
	s.client.LabelSchema = schemas[xsd.SHSLabel]
	defer s.client.LabelSchema.Close()

	if *watch != "" {
		if fs.NArg() > 0 {
			fmt.Fprintln(stderr, "me shs: give either --watch DIR or FILE arguments, not both")
			return 2
		}
		if err := s.watch(ctx, *watch, *interval); err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintln(stderr, "me shs:", err)
			return 1
		}
		return 0
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	code := 0
	for _, file := range fs.Args() {
		res := s.sendFile(ctx, file)
		fmt.Fprintln(stdout, res)
		if res.Outcome != shs.Sent {
			code = 1
		}
	}
	return code
}

func clientTLS(certFile, keyFile, caFile string) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if certFile != "" || keyFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("--cert/--key: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("--ca: %w", err)
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca: %s holds no PEM certificate", caFile)
		}
	}
	return c, nil
}

// sendFile sends one signal file.
func (s *shsSender) sendFile(ctx context.Context, file string) shs.Result {
	content, err := os.ReadFile(file)
	if err != nil {
		return shs.Result{File: file, Outcome: shs.Refused, Code: "unreadable", Text: err.Error()}
	}
	return s.client.Send(ctx, file, content)
}

// watch sends the signal files that appear in dir until ctx is done.
func (s *shsSender) watch(ctx context.Context, dir string, interval time.Duration) error {
	for _, sub := range []string{"sent", "failed"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return err
		}
	}
	fmt.Fprintf(s.stderr, "me shs: watching %s for signal files (sent/ and failed/ beside them)\n", dir)
	backoff := interval
	for {
		waitFor := interval
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			name := e.Name()
			if !e.Type().IsRegular() || strings.HasPrefix(name, ".") || !strings.HasSuffix(strings.ToLower(name), ".xml") {
				continue
			}
			// A file modified just now may still be being written.
			if fi, err := e.Info(); err != nil || time.Since(fi.ModTime()) < interval/2 {
				continue
			}
			path := filepath.Join(dir, name)
			res := s.sendFile(ctx, path)
			fmt.Fprintln(s.stdout, res)
			switch res.Outcome {
			case shs.Sent:
				backoff = interval
				if err := os.Rename(path, filepath.Join(dir, "sent", name)); err != nil {
					return err
				}
			case shs.Refused:
				reason := fmt.Sprintf("%s\n%s\n", res.Code, strings.TrimSpace(res.Text))
				if err := os.WriteFile(filepath.Join(dir, "failed", name+".reason"), []byte(reason), 0o644); err != nil {
					return err
				}
				if err := os.Rename(path, filepath.Join(dir, "failed", name)); err != nil {
					return err
				}
			case shs.Denied:
				// Every file would fail alike: stop, and leave them waiting.
				return fmt.Errorf("ME refused the credentials; %s stays in %s until the watcher runs again with working ones", name, dir)
			case shs.Transient:
				// ME is away: wait longer each time, up to a minute.
				backoff = min(backoff*2, time.Minute)
				waitFor = backoff
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if res.Outcome == shs.Transient {
				break
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(waitFor):
		}
	}
}
