package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/minaengagemang/me/server/signal"
	"github.com/minaengagemang/me/xsd"
)

// validate checks each file offline exactly as ME's SHS receiver checks a
// signal: encoding, the published schema, and the rules the schema cannot
// express (personnummer control digits, times, base64, organisation numbers).
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
	signals := signal.NewDecoder(schema)
	code := 0
	for _, name := range files {
		doc, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintln(stderr, "me:", err)
			code = 1
			continue
		}
		_, err = signals.Decode(doc)
		var invalid *signal.Error
		switch {
		case err == nil:
			fmt.Fprintf(stdout, "%s: valid\n", name)
		case errors.As(err, &invalid):
			for _, p := range invalid.Problems {
				if p.Line > 0 {
					fmt.Fprintf(stderr, "%s:%d: %s\n", name, p.Line, p.Message)
				} else {
					fmt.Fprintf(stderr, "%s: %s\n", name, p.Message)
				}
			}
			code = 1
		default:
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			code = 1
		}
	}
	return code
}
