package shs

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"strconv"
	"strings"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/xsd"
)

// Message is a parsed SHS message.
type Message struct {
	Label Label
	Parts []Part // the data parts, in order; the label is not one of them
	// Management is the shs.management document of an adm message
	// (product urn:X-shs:error or urn:X-shs:confirm); nil otherwise.
	Management *Management
}

// Part is one data part.
type Part struct {
	Info        DataInfo // the label's data element for this part; empty for compound content
	ContentType string   // the part's Content-Type header as sent, or for Build, the media type to send
	FileName    string   // the MIME file name, else the label's; any directory dropped
	Data        []byte   // decoded bytes
}

// Limits bound what Parse accepts. 0 means no limit.
type Limits struct {
	MaxParts     int   // data parts, not counting the label
	MaxPartBytes int64 // decoded bytes of any one part, the label included
}

// maxNesting bounds message/rfc822 wrappers, so a hostile body cannot make
// Parse unwrap forever.
const maxNesting = 4

// Parse reads a whole SHS message: body is the HTTP body, contentType the
// HTTP Content-Type header, used when the body does not start with headers of
// its own. labelSchema validates the label; nil skips that (for tools that
// only read). Every error is an *Error: IllegalMessageStructure for anything
// structurally wrong, IllegalDatapartContent for a data part that cannot be
// decoded.
func Parse(body []byte, contentType string, labelSchema *xsd.Schema, limits Limits) (*Message, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, Errorf(IllegalMessageStructure, "the message is empty; send the SHS message (label part and data parts) as the request body")
	}
	mt, params, body, err := entity(body, contentType)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(mt, "multipart/") {
		return nil, Errorf(IllegalMessageStructure, "the message is %q; an SHS message must be multipart/mixed: the label part first, then the data parts", mt)
	}
	boundary := params["boundary"]
	if boundary == "" {
		return nil, Errorf(IllegalMessageStructure, "the multipart Content-Type has no boundary parameter")
	}
	r := reader{mr: multipart.NewReader(bytes.NewReader(body), boundary), boundary: boundary, limits: limits}

	labelPart, err := r.next(0)
	if err != nil {
		return nil, err
	}
	if labelPart == nil {
		return nil, Errorf(IllegalMessageStructure, "the message has no MIME parts with boundary %q; the first part must be the SHS label", boundary)
	}
	lmt, lparams := mediaType(labelPart.ContentType)
	if lmt != "" && !strings.HasSuffix(lmt, "/xml") {
		return nil, Errorf(IllegalMessageStructure, "the first MIME part is %s; it must be the SHS label (text/xml shs.label)", lmt)
	}
	label, err := decodeLabel(labelPart.Data, lparams["charset"], labelSchema)
	if err != nil {
		return nil, err
	}

	msg := &Message{Label: label}
	for i := 1; ; i++ {
		p, err := r.next(i)
		if err != nil {
			return nil, err
		}
		if p == nil {
			break
		}
		if i <= len(label.Content.Data) {
			p.Info = label.Content.Data[i-1]
		}
		if p.FileName == "" {
			p.FileName = baseName(p.Info.Filename)
		}
		msg.Parts = append(msg.Parts, *p)
	}
	if err := checkPartCount(label.Content, len(msg.Parts)); err != nil {
		return nil, err
	}
	if msg.Management, err = management(msg); err != nil {
		return nil, err
	}
	return msg, nil
}

// entity finds the message's media type and the body it describes: from the
// body's own RFC 822 headers when it has them, else from the HTTP header,
// unwrapping message/rfc822.
func entity(body []byte, httpType string) (string, map[string]string, []byte, error) {
	ct := httpType
	for depth := 0; depth < maxNesting; depth++ {
		h, rest, err := readHeaders(body)
		if err != nil {
			return "", nil, nil, err
		}
		if h != nil {
			body = rest
			if v := h.Get("Content-Type"); v != "" {
				ct = v
			} else if depth > 0 {
				ct = "text/plain" // RFC 2045's default for a message without one
			}
		}
		if strings.TrimSpace(ct) == "" {
			return "", nil, nil, Errorf(IllegalMessageStructure, "the message has no Content-Type: start the body with MIME-Version and Content-Type: multipart/mixed; boundary=... headers, or send that Content-Type as the HTTP header")
		}
		mt, params := mediaType(ct)
		if mt != "message/rfc822" {
			return mt, params, body, nil
		}
		ct = "" // the wrapped message must name its own type
	}
	return "", nil, nil, Errorf(IllegalMessageStructure, "message/rfc822 is nested more than %d deep; send the multipart/mixed message itself", maxNesting)
}

// readHeaders reads the RFC 822 header block the body starts with. It
// returns a nil header when the body starts without one (the multipart body
// itself, with the boundary only in the HTTP header).
func readHeaders(body []byte) (textproto.MIMEHeader, []byte, error) {
	first, _, _ := bytes.Cut(body, []byte("\n"))
	name, _, ok := bytes.Cut(first, []byte(":"))
	if !ok || len(name) == 0 || bytes.HasPrefix(body, []byte("--")) {
		return nil, body, nil
	}
	for _, c := range name {
		if c <= ' ' || c > '~' {
			return nil, body, nil
		}
	}
	end := headerEnd(body)
	if end < 0 {
		return nil, nil, Errorf(IllegalMessageStructure, "the message headers do not end with an empty line; the message is truncated or has no body")
	}
	h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(body[:end]))).ReadMIMEHeader()
	if err != nil {
		return nil, nil, Errorf(IllegalMessageStructure, "the message headers cannot be read: %v", err)
	}
	return h, body[end:], nil
}

// headerEnd is the offset just past the empty line that ends the header
// block, or -1.
func headerEnd(b []byte) int {
	for off := 0; off < len(b); {
		line, _, found := bytes.Cut(b[off:], []byte("\n"))
		if !found {
			return -1
		}
		off += len(line) + 1
		if len(bytes.TrimSuffix(line, []byte("\r"))) == 0 {
			return off
		}
	}
	return -1
}

// reader reads the MIME parts one by one, decoded and within the limits.
type reader struct {
	mr       *multipart.Reader
	boundary string
	limits   Limits
}

// next reads part i (0 is the label). It returns nil after the last part.
func (r reader) next(i int) (*Part, error) {
	// NextRawPart, not NextPart: NextPart decodes quoted-printable itself and
	// hides the header, and every encoding should be decoded in one place.
	p, err := r.mr.NextRawPart()
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	if err != nil {
		return nil, Errorf(IllegalMessageStructure, "%s cannot be read: %v; the message is truncated or its boundary %q is wrong", partName(i), err, r.boundary)
	}
	if i > 0 && r.limits.MaxParts > 0 && i > r.limits.MaxParts {
		return nil, Errorf(IllegalMessageStructure, "the message has more than %d data parts, ME's limit; send fewer parts", r.limits.MaxParts)
	}
	raw, err := io.ReadAll(p)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, Errorf(IllegalMessageStructure, "the message ends inside %s, before the closing boundary --%s--: it is truncated; send the whole message", partName(i), r.boundary)
	}
	if err != nil {
		return nil, Errorf(IllegalMessageStructure, "%s cannot be read: %v", partName(i), err)
	}
	data, err := decodeTransfer(raw, p.Header.Get("Content-Transfer-Encoding"))
	if err != nil {
		code := IllegalDatapartContent
		if i == 0 {
			code = IllegalMessageStructure
		}
		return nil, Errorf(code, "%s cannot be decoded: %v", partName(i), err)
	}
	if limit := r.limits.MaxPartBytes; limit > 0 && int64(len(data)) > limit {
		return nil, Errorf(IllegalMessageStructure, "%s is %d bytes, more than ME's limit of %d bytes per part", partName(i), len(data), limit)
	}
	ct := strings.TrimSpace(p.Header.Get("Content-Type"))
	_, ctParams := mediaType(ct)
	_, cdParams := mediaType(p.Header.Get("Content-Disposition"))
	name := cdParams["filename"]
	if name == "" {
		name = ctParams["name"]
	}
	return &Part{ContentType: ct, FileName: baseName(name), Data: data}, nil
}

func partName(i int) string {
	if i == 0 {
		return "the label part (MIME part 1)"
	}
	return fmt.Sprintf("data part %d (MIME part %d)", i, i+1)
}

// dropSpace removes spaces, tabs and line breaks from b in place and
// returns what is left.
func dropSpace(b []byte) []byte {
	out := b[:0]
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			out = append(out, c)
		}
	}
	return out
}

// decodeTransfer undoes a Content-Transfer-Encoding.
func decodeTransfer(raw []byte, cte string) ([]byte, error) {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "", "7bit", "8bit", "binary":
		return raw, nil
	case "base64":
		// Senders wrap base64 at various widths and some drop the padding.
		// The white space is dropped in place: raw is the part's own copy,
		// and a 20 MB message need not be held twice for it.
		clean := dropSpace(raw)
		clean = bytes.TrimRight(clean, "=")
		out := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
		n, err := base64.RawStdEncoding.Decode(out, clean)
		if err != nil {
			return nil, fmt.Errorf("invalid base64: %w", err)
		}
		return out[:n], nil
	case "quoted-printable":
		out, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(raw)))
		if err != nil {
			return nil, fmt.Errorf("invalid quoted-printable: %w", err)
		}
		return out, nil
	default:
		return nil, fmt.Errorf("unknown Content-Transfer-Encoding %q; use base64, quoted-printable, 7bit, 8bit or binary", cte)
	}
}

// checkPartCount checks that the message carries the parts its label lists.
func checkPartCount(c Content, n int) error {
	if c.Compound != nil {
		want, err := strconv.Atoi(c.Compound.NoOfParts)
		if err != nil || want < 0 {
			return Errorf(IllegalMessageStructure, "the label's compound no-of-parts %q is not a number of parts", c.Compound.NoOfParts)
		}
		if want != n {
			return Errorf(IllegalMessageStructure, "the label's compound says %s but the message carries %d", count(want, "part"), n)
		}
		return nil
	}
	if len(c.Data) != n {
		return Errorf(IllegalMessageStructure, "the label lists %s (content/data) but the message carries %d; send one MIME part after the label for each data element, in the same order", count(len(c.Data), "data part"), n)
	}
	return nil
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// management reads the shs.management document of an adm message: from the
// part whose datapartType says so, or for an error or confirm product, the
// first part.
func management(m *Message) (*Management, error) {
	if m.Label.SequenceType != me.SequenceAdm {
		return nil, nil
	}
	product := strings.ToLower(m.Label.Product.ID())
	isMgmt := product == "error" || product == "confirm"
	at := -1
	for i, p := range m.Parts {
		switch strings.ToLower(p.Info.DatapartType) {
		case "error", "confirm", "confirmation", "shs.management":
			at = i
		}
		if at >= 0 {
			break
		}
	}
	if at < 0 && isMgmt && len(m.Parts) > 0 {
		at = 0
	}
	switch {
	case at < 0 && isMgmt:
		return nil, Errorf(IllegalMessageStructure, "an adm message for product %s must carry an shs.management data part", m.Label.Product.Value)
	case at < 0:
		return nil, nil
	}
	_, params := mediaType(m.Parts[at].ContentType)
	mg, err := parseManagement(m.Parts[at].Data, params["charset"])
	if err != nil {
		return nil, Errorf(IllegalDatapartContent, "the shs.management document in %s cannot be read: %v", partName(at+1), err)
	}
	return mg, nil
}
