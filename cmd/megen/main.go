// Command megen is the second step of `make generate`. gowsdl (pinned in
// go.mod) turns each WSDL in wsdl/ into a package of Go types and a client;
// megen then
//
//   - fixes the generated types where gowsdl gets XML Schema wrong (see
//     docs/generated-code.md): element namespaces, required elements marked
//     omitempty, maxOccurs other than "unbounded", base64Binary, decimal and
//     xs:any; it refuses xs:nillable, which our contracts do not use;
//   - moves the types of the schemas several contracts share (common.xsd,
//     fault.xsd) into one package, generated/common, with xsdtypes.go, the
//     types the fixes refer to; each service package keeps their names as
//     aliases (aliases.go), so each is one Go type however it is named;
//   - writes server.go: an interface with one method per operation and a
//     table from body element to method, so that ME's hand-written services
//     must implement every operation the contract names.
//
// Usage: megen -dir generated wsdl/portal.wsdl wsdl/catalog.wsdl wsdl/etjanst.wsdl
// after gowsdl wrote generated/portal/portal.go and so on.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	dir := flag.String("dir", "", "the directory gowsdl wrote one package per WSDL into")
	flag.Parse()
	if *dir == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: megen -dir generated FILE.wsdl...")
		os.Exit(2)
	}
	if err := run(*dir, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "megen:", err)
		os.Exit(1)
	}
}
