// Command megen is the second step of `make generate`. gowsdl (pinned in
// go.mod) turns each WSDL in wsdl/ into Go types and a client; megen then
//
//   - fixes the generated types where gowsdl gets XML Schema wrong (see
//     docs/generated-code.md): element namespaces, required elements marked
//     omitempty, maxOccurs other than "unbounded", base64Binary, decimal and
//     xs:any; it refuses xs:nillable, which our contracts do not use;
//   - writes server.go: an interface with one method per operation and a
//     table from body element to method, so that ME's hand-written services
//     must implement every operation the contract names;
//   - writes xsdtypes.go: the types the fixes refer to.
//
// Usage: megen -wsdl wsdl/portal.wsdl -dir generated/portal
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	wsdlPath := flag.String("wsdl", "", "the WSDL gowsdl generated from")
	dir := flag.String("dir", "", "the package directory gowsdl wrote")
	flag.Parse()
	if *wsdlPath == "" || *dir == "" {
		fmt.Fprintln(os.Stderr, "usage: megen -wsdl FILE.wsdl -dir generated/PKG")
		os.Exit(2)
	}
	if err := run(*wsdlPath, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "megen:", err)
		os.Exit(1)
	}
}
