package main

import (
	"encoding/xml"
	"fmt"
	"io"
	"io/fs"
	"runtime"

	"github.com/minaengagemang/me/wsdl"
	"github.com/minaengagemang/me/xsd"
)

// printVersion prints ME's version, the release of its contracts and the
// version and namespace of every contract file it serves, so an integrator
// can tell what a server speaks.
func printVersion(w io.Writer) error {
	fmt.Fprintf(w, "me %s (%s, %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(w, "contracts %s (released; the v1 namespaces change only additively)\n", wsdl.Version)
	var schemaHead struct {
		TargetNamespace string `xml:"targetNamespace,attr"`
		Version         string `xml:"version,attr"`
	}
	for _, set := range []fs.FS{wsdl.Files(), xsd.Files()} {
		entries, err := fs.ReadDir(set, ".")
		if err != nil {
			return err
		}
		for _, e := range entries {
			data, err := fs.ReadFile(set, e.Name())
			if err != nil {
				return err
			}
			schemaHead.TargetNamespace, schemaHead.Version = "", ""
			if err := xml.Unmarshal(data, &schemaHead); err != nil {
				return fmt.Errorf("%s: %w", e.Name(), err)
			}
			v := schemaHead.Version
			if v == "" { // a WSDL: the release it belongs to
				v = wsdl.Version
			}
			fmt.Fprintf(w, "  %-22s %-5s %s\n", e.Name(), v, schemaHead.TargetNamespace)
		}
	}
	return nil
}
