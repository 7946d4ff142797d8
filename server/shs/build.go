package shs

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"net/textproto"
	"strconv"
)

// Build makes an SHS message: RFC 822 headers and a multipart/mixed body with
// the label first (text/xml; charset=UTF-8, no DOCTYPE) and then each part,
// base64-encoded, with its Content-Type and Content-Disposition: attachment
// and file name (RFC 2231-encoded when not ASCII). It returns the whole
// message, which is what to POST, and the Content-Type to send as the HTTP
// header.
//
// When l.Content.Data is empty and there is no Compound, Build writes one data
// element per part from Part.Info, the file name defaulting to
// Part.FileName. Otherwise the label must already list one element per part.
func Build(l Label, parts []Part) (body []byte, contentType string, err error) {
	if l.Content.Data, err = dataElements(l.Content, parts); err != nil {
		return nil, "", fmt.Errorf("shs: build: %w", err)
	}
	label, err := MarshalLabel(l)
	if err != nil {
		return nil, "", err
	}

	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	w, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {"text/xml; charset=UTF-8"},
		"Content-Transfer-Encoding": {"binary"}, // as Axel sends it: no line length limit
	})
	if err != nil {
		return nil, "", fmt.Errorf("shs: build: %w", err)
	}
	w.Write(label) // the parts go to a bytes.Buffer: writes cannot fail
	for i, p := range parts {
		name := p.FileName
		if name == "" {
			name = l.Content.Data[i].Filename
		}
		h, err := partHeader(p.ContentType, name)
		if err != nil {
			return nil, "", fmt.Errorf("shs: build: part %d: %w", i+1, err)
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			return nil, "", fmt.Errorf("shs: build: part %d: %w", i+1, err)
		}
		w.Write(wrapBase64(p.Data))
	}
	if err := mw.Close(); err != nil {
		return nil, "", fmt.Errorf("shs: build: %w", err)
	}

	contentType = mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": mw.Boundary()})
	out := make([]byte, 0, b.Len()+len(contentType)+64)
	out = append(out, "MIME-Version: 1.0\r\nContent-Type: "+contentType+"\r\n\r\n"...)
	return append(out, b.Bytes()...), contentType, nil
}

// dataElements is the label's data list for parts.
func dataElements(c Content, parts []Part) ([]DataInfo, error) {
	switch {
	case c.Compound != nil:
		if n, err := strconv.Atoi(c.Compound.NoOfParts); err != nil || n != len(parts) {
			return nil, fmt.Errorf("the label's compound no-of-parts %q does not match the %d parts", c.Compound.NoOfParts, len(parts))
		}
		return c.Data, nil
	case len(c.Data) > 0:
		if len(c.Data) != len(parts) {
			return nil, fmt.Errorf("the label lists %d data elements for %d parts", len(c.Data), len(parts))
		}
		return c.Data, nil
	}
	data := make([]DataInfo, len(parts))
	for i, p := range parts {
		data[i] = p.Info
		if data[i].Filename == "" {
			data[i].Filename = p.FileName
		}
	}
	return data, nil
}

// partHeader is a data part's MIME header.
func partHeader(contentType, name string) (textproto.MIMEHeader, error) {
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, fmt.Errorf("content type %q: %w", contentType, err)
	}
	disposition := "attachment"
	if name != "" {
		params["name"] = name // older readers look here, not in Content-Disposition
		disposition = mime.FormatMediaType("attachment", map[string]string{"filename": name})
	}
	ct := mime.FormatMediaType(mt, params)
	if ct == "" || disposition == "" {
		return nil, errors.New("the content type or file name cannot be written as a MIME header")
	}
	return textproto.MIMEHeader{
		"Content-Type":              {ct},
		"Content-Transfer-Encoding": {"base64"},
		"Content-Disposition":       {disposition},
	}, nil
}

// wrapBase64 encodes data in base64 lines of 76 characters (RFC 2045).
func wrapBase64(data []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(data)
	out := make([]byte, 0, len(enc)+len(enc)/76*2)
	for len(enc) > 76 {
		out = append(out, enc[:76]+"\r\n"...)
		enc = enc[76:]
	}
	return append(out, enc...)
}
