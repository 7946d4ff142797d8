package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
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
	url            string
	user           string
	password       string
	from, to       string // organisation numbers; empty: the signal's organisation
	product        string
	synch          bool
	client         *http.Client
	labelSchema    *xsd.Schema
	stdout, stderr io.Writer
}

func shsCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "send" {
		fmt.Fprint(stderr, shsUsage)
		return 2
	}
	fs := flag.NewFlagSet("me shs send", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, shsUsage, "\nflags:\n"); fs.PrintDefaults() }
	s := &shsSender{stdout: stdout, stderr: stderr}
	fs.StringVar(&s.url, "url", "http://127.0.0.1:8080/shs/rs", "ME's SHS receiver")
	fs.StringVar(&s.user, "user", "", "the case-system client's name, for HTTP Basic (password from $ME_SHS_PASSWORD)")
	fs.StringVar(&s.from, "from", "", "the sender's organisationsnummer (default: the signal's organisation)")
	fs.StringVar(&s.to, "to", "", "the receiver's organisationsnummer (default: the signal's organisation)")
	fs.StringVar(&s.product, "product", config.DefaultSHSProduct, "ME's signal product id")
	fs.BoolVar(&s.synch, "synch", false, "send synchronously and print ME's receipt")
	certFile := fs.String("cert", "", "client certificate `file` (PEM) for mutual TLS")
	keyFile := fs.String("key", "", "the certificate's private key `file` (PEM)")
	caFile := fs.String("ca", "", "CA certificate `file` (PEM) to verify ME's server certificate (default: the system's)")
	watch := fs.String("watch", "", "watch `DIR` for signal files instead of sending FILE arguments")
	interval := fs.Duration("interval", 2*time.Second, "how often --watch looks for new files")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	s.password = os.Getenv("ME_SHS_PASSWORD")
	tlsConfig, err := clientTLS(*certFile, *keyFile, *caFile)
	if err != nil {
		fmt.Fprintln(stderr, "me shs:", err)
		return 2
	}
	s.client = &http.Client{Timeout: time.Minute, Transport: &http.Transport{TLSClientConfig: tlsConfig}}
	schemas, err := xsd.Load(xsd.SHSLabel)
	if err != nil {
		fmt.Fprintln(stderr, "me shs:", err)
		return 1
	}
	s.labelSchema = schemas[xsd.SHSLabel]
	defer s.labelSchema.Close()

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
		if res.outcome != sent {
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

type outcome int

const (
	sent      outcome = iota // ME has the message
	refused                  // ME refused it: sending it again will not help
	transient                // ME could not be reached or failed: try again
	denied                   // ME refused the credentials: nothing passes until they are fixed
)

type sendResult struct {
	file      string
	outcome   outcome
	txID      string
	duplicate bool
	code      string // SHS error code when refused
	text      string
}

func (r sendResult) String() string {
	switch r.outcome {
	case sent:
		dup := ""
		if r.duplicate {
			dup = " (ME had it already: nothing changed)"
		}
		s := fmt.Sprintf("%s: sent, tx.id %s%s", r.file, r.txID, dup)
		if r.text != "" {
			s += "\n" + r.text
		}
		return s
	case refused:
		return fmt.Sprintf("%s: refused, %s: %s", r.file, r.code, strings.TrimSpace(r.text))
	case denied:
		return fmt.Sprintf("%s: not sent, check --user and $ME_SHS_PASSWORD or the client certificate: %s", r.file, strings.TrimSpace(r.text))
	default:
		return fmt.Sprintf("%s: not sent, try again: %s", r.file, strings.TrimSpace(r.text))
	}
}

// txIDFor derives the message's tx.id from the file's content, so that
// sending the same file again - after a lost answer, or by mistake - is
// recognised by ME as the same message and changes nothing.
func txIDFor(content []byte) string {
	h := sha256.Sum256(content)
	h[6] = h[6]&0x0f | 0x50 // name-based UUID (RFC 9562 version 5 layout)
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

func (s *shsSender) sendFile(ctx context.Context, file string) sendResult {
	res := sendResult{file: file}
	content, err := os.ReadFile(file)
	if err != nil {
		res.outcome, res.code, res.text = refused, "unreadable", err.Error()
		return res
	}
	from, to := s.from, s.to
	if from == "" || to == "" {
		var sig struct {
			Org string `xml:"organisation>organisationNumber"`
		}
		if err := xml.Unmarshal(content, &sig); err != nil || sig.Org == "" {
			res.outcome, res.code, res.text = refused, "not a signal", "cannot read organisation/organisationNumber from the file (a signal is UTF-8 XML); check it with `me validate`"
			return res
		}
		if from == "" {
			from = sig.Org
		}
		if to == "" {
			to = sig.Org
		}
	}
	res.txID = txIDFor(content)
	transfer, sequence := "asynch", "event"
	if s.synch {
		transfer, sequence = "synch", "request"
	}
	label := shs.Label{
		Version: "1.2", TxID: res.txID, CorrID: res.txID, TransferType: transfer, MessageType: "simple", DocumentType: "simple",
		SequenceType: sequence, Status: "production",
		From:     &shs.Party{Value: "urn:X-shs:" + from, CommonName: s.commonName()},
		To:       &shs.Party{Value: "urn:X-shs:" + to},
		Product:  shs.Product{Value: "urn:X-shs:" + strings.TrimPrefix(s.product, "urn:X-shs:")},
		Datetime: time.Now().UTC().Format("2006-01-02T15:04:05"),
		Content:  shs.Content{ID: shs.NewID(), Data: []shs.DataInfo{{DatapartType: "xml", Filename: filepath.Base(file)}}},
	}
	body, contentType, err := shs.Build(label, []shs.Part{{Info: label.Content.Data[0], ContentType: "text/xml; charset=UTF-8", FileName: filepath.Base(file), Data: content}})
	if err != nil {
		res.outcome, res.code, res.text = refused, "build", err.Error()
		return res
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		res.outcome, res.text = transient, err.Error()
		return res
	}
	req.Header.Set("Content-Type", contentType)
	if s.user != "" {
		req.SetBasicAuth(s.user, s.password)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		res.outcome, res.text = transient, err.Error()
		return res
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode == http.StatusAccepted:
		res.outcome, res.duplicate = sent, resp.Header.Get("X-shs-duplicatemsg") == "yes"
	case resp.StatusCode == http.StatusOK && s.synch:
		res.outcome, res.duplicate = sent, resp.Header.Get("X-shs-duplicatemsg") == "yes"
		reply, err := shs.Parse(answer, resp.Header.Get("Content-Type"), s.labelSchema, shs.Limits{})
		if err != nil || len(reply.Parts) == 0 {
			res.text = fmt.Sprintf("the reply could not be read: %v", err)
		} else {
			res.text = string(reply.Parts[0].Data)
		}
	case resp.StatusCode == http.StatusBadRequest && resp.Header.Get("X-shs-errorcode") != "":
		res.outcome, res.code, res.text = refused, resp.Header.Get("X-shs-errorcode"), string(answer)
	case resp.StatusCode == http.StatusRequestEntityTooLarge:
		res.outcome, res.code, res.text = refused, "IllegalMessageStructure", "the message is larger than ME accepts: "+string(answer)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		res.outcome, res.text = denied, fmt.Sprintf("ME answered %s: %s", resp.Status, strings.TrimSpace(string(answer)))
	default:
		res.outcome, res.text = transient, fmt.Sprintf("ME answered %s: %s", resp.Status, strings.TrimSpace(string(answer)))
	}
	return res
}

// commonName is the sender's name in the label (required by SHS).
func (s *shsSender) commonName() string {
	if s.user != "" {
		return s.user
	}
	return "me shs send"
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
			switch res.outcome {
			case sent:
				backoff = interval
				if err := os.Rename(path, filepath.Join(dir, "sent", name)); err != nil {
					return err
				}
			case refused:
				reason := fmt.Sprintf("%s\n%s\n", res.code, strings.TrimSpace(res.text))
				if err := os.WriteFile(filepath.Join(dir, "failed", name+".reason"), []byte(reason), 0o644); err != nil {
					return err
				}
				if err := os.Rename(path, filepath.Join(dir, "failed", name)); err != nil {
					return err
				}
			case denied:
				// Every file would fail alike: stop, and leave them waiting.
				return fmt.Errorf("ME refused the credentials; %s stays in %s until the watcher runs again with working ones", name, dir)
			case transient:
				// ME is away: wait longer each time, up to a minute.
				backoff = min(backoff*2, time.Minute)
				waitFor = backoff
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if res.outcome == transient {
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
