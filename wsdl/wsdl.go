// Package wsdl holds ME's published WSDL contracts, hand-written and the
// source of truth for the generated bindings in generated/.
package wsdl

import (
	"embed"
	"io/fs"
)

//go:embed *.wsdl
var files embed.FS

// Files returns the WSDL files, by file name (portal.wsdl, catalog.wsdl,
// etjanst.wsdl).
func Files() fs.FS { return files }
