package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/minaengagemang/me/server"
	"github.com/minaengagemang/me/xsd"
)

// validate checks each file against the published signal schema, offline.
// It prints each error with its file and line and returns 1 if any file is
// invalid.
func validate(files []string, stdout, stderr io.Writer) int {
	if len(files) == 0 {
		fmt.Fprintln(stderr, "usage: me validate FILE...  (case-system signal files, checked against xsd/signal.xsd)")
		return 2
	}
	schemas, err := xsd.Load(xsd.Signal)
	if err != nil {
		fmt.Fprintln(stderr, "me:", err)
		return 1
	}
	schema := schemas[xsd.Signal]
	defer schema.Close()
	code := 0
	for _, name := range files {
		doc, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintln(stderr, "me:", err)
			code = 1
			continue
		}
		if err := server.CheckSignal(doc); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			code = 1
			continue
		}
		err = schema.Validate(doc)
		var errs xsd.Errors
		switch {
		case err == nil:
			fmt.Fprintf(stdout, "%s: valid\n", name)
		case errors.As(err, &errs):
			for _, e := range errs {
				fmt.Fprintf(stderr, "%s:%d: %s\n", name, e.Line, e.Message)
			}
			code = 1
		default:
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			code = 1
		}
	}
	return code
}
