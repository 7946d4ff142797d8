package shs

import (
	"fmt"
	"io"
	"mime"
	"net/url"
	"strings"
	"unicode/utf8"
)

// mediaType parses a Content-Type or Content-Disposition value. Real senders
// put raw 8-bit file names in unquoted parameters, which mime.ParseMediaType
// refuses; then a lenient split is used instead. Parameter names are lower
// case; values are decoded (RFC 2231, RFC 2047, or raw Latin-1) to UTF-8.
func mediaType(v string) (string, map[string]string) {
	mt, params, err := mime.ParseMediaType(v)
	lmt, lparams := lenientMediaType(v)
	if err != nil {
		mt, params = lmt, lparams
	}
	// ParseMediaType drops RFC 2231 values in charsets other than UTF-8.
	for k, p := range lparams {
		if _, ok := params[k]; !ok {
			params[k] = p
		}
	}
	for k, p := range params {
		params[k] = headerText(p)
	}
	return strings.ToLower(mt), params
}

// lenientMediaType splits "type; key=value; key="value"" on semicolons
// outside quotes. It reads single RFC 2231 values (key*=charset'lang'text) but
// not continuations, which no known SHS sender writes unencoded.
func lenientMediaType(v string) (string, map[string]string) {
	fields := splitOutsideQuotes(v, ';')
	params := map[string]string{}
	for _, f := range fields[1:] {
		k, val, ok := strings.Cut(f, "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		val = strings.TrimSpace(val)
		if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
			val = unquote(val[1 : len(val)-1])
		}
		if base, ok := strings.CutSuffix(k, "*"); ok {
			if dec, ok := decode2231(val); ok {
				params[base] = dec // an encoded value wins over a plain one
				continue
			}
			k = base
		}
		if _, seen := params[k]; !seen && k != "" {
			params[k] = val
		}
	}
	return strings.TrimSpace(fields[0]), params
}

func splitOutsideQuotes(s string, sep byte) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && quoted:
			i++
		case s[i] == '"':
			quoted = !quoted
		case s[i] == sep && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func unquote(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// decode2231 decodes charset'language'percent-encoded-text.
func decode2231(v string) (string, bool) {
	charset, rest, ok := strings.Cut(v, "'")
	if !ok {
		return "", false
	}
	_, text, ok := strings.Cut(rest, "'")
	if !ok {
		return "", false
	}
	raw, err := url.PathUnescape(text)
	if err != nil {
		return "", false
	}
	if enc := singleByte(charset); enc != nil {
		if s, err := enc.NewDecoder().String(raw); err == nil {
			return s, true
		}
	}
	return raw, true
}

// headerText makes a header value UTF-8: raw 8-bit bytes that are not UTF-8
// are read as Latin-1 (Axel sends file names so), and RFC 2047 encoded words
// (=?UTF-8?B?...?=) are decoded.
func headerText(s string) string {
	if !utf8.ValidString(s) {
		if dec, err := singleByte("windows-1252").NewDecoder().String(s); err == nil {
			s = dec
		}
	}
	if strings.Contains(s, "=?") {
		d := mime.WordDecoder{CharsetReader: func(charset string, r io.Reader) (io.Reader, error) {
			if enc := singleByte(charset); enc != nil {
				return enc.NewDecoder().Reader(r), nil
			}
			return nil, fmt.Errorf("unknown charset %q", charset)
		}}
		if dec, err := d.DecodeHeader(s); err == nil {
			s = dec
		}
	}
	return s
}

// baseName drops any directory a sender put in a file name (Windows clients
// send C:\dir\file.xml), so the name is never taken as a path.
func baseName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	return strings.TrimSpace(name)
}
