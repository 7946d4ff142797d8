package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/term"
)

// secretCost is the bcrypt cost of `me hash-secret`: what the configuration's
// example used with htpasswd -C 12. A check costs a quarter second or so,
// once per request of an HTTP Basic client.
const secretCost = 12

// hashSecret is `me hash-secret`: it reads a client's secret and prints the
// bcrypt hash for clients[].secret_hash. On a terminal it asks for the
// secret twice without echoing it; otherwise the secret is all of standard
// input but a final line break, so `printf %s "$SECRET" | me hash-secret`
// works too. The secret is never an argument: those show in ps and shell
// history.
func hashSecret(args []string, std stdio) error {
	fs := flag.NewFlagSet("me hash-secret", flag.ContinueOnError)
	fs.SetOutput(std.err)
	fs.Usage = func() {
		fmt.Fprintln(std.err, "usage: me hash-secret   (the secret from the terminal, without echo, or from standard input)")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return flag.ErrHelp
	}
	var (
		secret []byte
		err    error
	)
	f, isFile := std.in.(*os.File)
	interactive := isFile && term.IsTerminal(int(f.Fd()))
	if interactive {
		secret, err = askTwice(int(f.Fd()), std.err)
	} else {
		secret, err = readSecret(std.in)
	}
	if err != nil {
		return fmt.Errorf("hash-secret: %w", err)
	}
	hash, err := bcrypt.GenerateFromPassword(secret, secretCost)
	if err != nil {
		return fmt.Errorf("hash-secret: %w", err)
	}
	fmt.Fprintln(std.out, string(hash))
	if interactive {
		fmt.Fprintln(std.err, `Put it in the client's secret_hash, quoted ("$2a$…"): it contains "$".`)
	}
	return nil
}

// askTwice reads the secret from the terminal twice, without echo.
func askTwice(fd int, prompt io.Writer) ([]byte, error) {
	var secrets [2][]byte
	for i, label := range []string{"Secret: ", "Again: "} {
		fmt.Fprint(prompt, label)
		s, err := term.ReadPassword(fd)
		fmt.Fprintln(prompt)
		if err != nil {
			return nil, fmt.Errorf("reading the secret: %w", err)
		}
		secrets[i] = s
	}
	if !bytes.Equal(secrets[0], secrets[1]) {
		return nil, errors.New("the two entries differ; nothing was hashed")
	}
	return checkSecret(secrets[0])
}

// readSecret reads the secret from a pipe or file: all of it, less one
// final line break.
func readSecret(in io.Reader) ([]byte, error) {
	s, err := io.ReadAll(io.LimitReader(in, 4096))
	if err != nil {
		return nil, fmt.Errorf("reading the secret from standard input: %w", err)
	}
	s = bytes.TrimSuffix(s, []byte("\n"))
	s = bytes.TrimSuffix(s, []byte("\r"))
	if bytes.ContainsAny(s, "\r\n") {
		return nil, errors.New("standard input has more than one line; give the secret alone, e.g. printf %s \"$SECRET\" | me hash-secret")
	}
	return checkSecret(s)
}

// checkSecret refuses what bcrypt cannot hash faithfully.
func checkSecret(s []byte) ([]byte, error) {
	switch {
	case len(s) == 0:
		return nil, errors.New("the secret is empty")
	case len(s) > 72:
		return nil, fmt.Errorf("the secret is %d bytes; bcrypt reads at most 72, so choose a shorter one", len(s))
	}
	return s, nil
}
