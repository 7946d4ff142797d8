// Package wsdl holds ME's published WSDL contracts, hand-written and the
// source of truth for the generated bindings in generated/.
package wsdl

import (
	"embed"
	"io/fs"
)

// Version is the release of ME's contracts: the newest version attribute of
// the schemas the WSDLs reach. 1.0 is the first release; from it on, the v1
// namespaces change only additively (docs/decisions.md §7, §12).
const Version = "1.0"

//go:embed *.wsdl
var files embed.FS

// Files returns the WSDL files, by file name (portal.wsdl, catalog.wsdl,
// etjanst.wsdl).
func Files() fs.FS { return files }
