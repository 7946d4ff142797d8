package xsd

// libxml2 is used here directly for one thing lestrrat-go/libxml2 does not
// offer: validation errors with their line numbers (it keeps only the first
// 32 messages, without lines), which `me validate` must report. The schema
// itself is still parsed and owned by lestrrat-go/libxml2. docs/decisions.md
// says more.

/*
#cgo pkg-config: libxml-2.0
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <libxml/xmlerror.h>

#define ME_MAX_ERRORS 100
#define ME_MAX_MESSAGE 512

typedef struct {
	int count;
	int lines[ME_MAX_ERRORS];
	char messages[ME_MAX_ERRORS][ME_MAX_MESSAGE];
} me_errors;

static void me_collect(void *ctx, const xmlError *err) {
	me_errors *acc = (me_errors *)ctx;
	if (err == NULL) {
		return;
	}
	if (acc->count < ME_MAX_ERRORS) {
		acc->lines[acc->count] = err->line;
		snprintf(acc->messages[acc->count], ME_MAX_MESSAGE, "%s", err->message ? err->message : "unknown error");
	}
	acc->count++;
}

// me_validate parses buf (no network, no DTD, no entity substitution) and
// validates it against schema. Returns 0 when valid.
static int me_validate(uintptr_t schema, const char *buf, int len, me_errors *acc) {
	xmlParserCtxtPtr pctx = xmlNewParserCtxt();
	if (pctx == NULL) {
		return -1;
	}
	// The structured error handler is per thread; it is set and reset
	// within this one C call, so no other document's errors mix in.
	xmlSetStructuredErrorFunc(acc, (xmlStructuredErrorFunc)me_collect);
	xmlDocPtr doc = xmlCtxtReadMemory(pctx, buf, len, "document.xml", NULL,
		XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES);
	xmlSetStructuredErrorFunc(NULL, NULL);
	xmlFreeParserCtxt(pctx);
	if (doc == NULL) {
		if (acc->count == 0) {
			me_collect(acc, xmlGetLastError());
		}
		return -1;
	}
	xmlSchemaValidCtxtPtr vctx = xmlSchemaNewValidCtxt((xmlSchemaPtr)schema);
	if (vctx == NULL) {
		xmlFreeDoc(doc);
		return -1;
	}
	xmlSchemaSetValidStructuredErrors(vctx, (xmlStructuredErrorFunc)me_collect, acc);
	int rc = xmlSchemaValidateDoc(vctx, doc);
	xmlSchemaFreeValidCtxt(vctx);
	xmlFreeDoc(doc);
	return rc;
}
*/
import "C"

import (
	"strings"
	"unsafe"
)

func validate(schema uintptr, doc []byte) Errors {
	if len(doc) == 0 {
		return Errors{{Message: "the document is empty"}}
	}
	acc := (*C.me_errors)(C.calloc(1, C.sizeof_me_errors))
	defer C.free(unsafe.Pointer(acc))
	cbuf := C.CBytes(doc)
	defer C.free(cbuf)
	rc := C.me_validate(C.uintptr_t(schema), (*C.char)(cbuf), C.int(len(doc)), acc)
	if rc == 0 {
		return nil
	}
	n := int(acc.count)
	if n > C.ME_MAX_ERRORS {
		n = C.ME_MAX_ERRORS
	}
	errs := make(Errors, 0, n+1)
	for i := 0; i < n; i++ {
		msg := strings.TrimSpace(C.GoString(&acc.messages[i][0]))
		errs = append(errs, Error{Line: int(acc.lines[i]), Message: msg})
	}
	if int(acc.count) > n {
		errs = append(errs, Error{Message: "more errors not shown"})
	}
	if len(errs) == 0 {
		errs = append(errs, Error{Message: "the document is not valid"})
	}
	return errs
}
