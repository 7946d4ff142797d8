package shs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/xsd"
)

// Client sends case-system signals to ME's SHS receiver, for case systems
// without an SHS client of their own (`me shs send`).
type Client struct {
	URL            string // ME's receiver, e.g. https://me.kommun.se/shs/rs
	User, Password string // HTTP Basic, when set
	From, To       string // organisation numbers; empty: the signal's organisation
	Product        string // ME's signal product id
	Synch          bool   // send synchronously: ME answers with a receipt
	HTTP           *http.Client
	LabelSchema    *xsd.Schema // to read a synch reply
}

// Outcome is what became of a message Sent to ME.
type Outcome int

const (
	Sent      Outcome = iota // ME has the message
	Refused                  // ME Refused it: sending it again will not help
	Transient                // ME could not be reached or failed: try again
	Denied                   // ME Refused the credentials: nothing passes until they are fixed
)

// Result is what ME answered to one signal file.
type Result struct {
	File      string
	Outcome   Outcome
	TxID      string
	Duplicate bool
	Code      string // the SHS error code when Refused
	Text      string // ME's answer: the reason, or a synch reply's receipt
}

func (r Result) String() string {
	switch r.Outcome {
	case Sent:
		dup := ""
		if r.Duplicate {
			dup = " (ME had it already: nothing changed)"
		}
		s := fmt.Sprintf("%s: sent, tx.id %s%s", r.File, r.TxID, dup)
		if r.Text != "" {
			s += "\n" + r.Text
		}
		return s
	case Refused:
		return fmt.Sprintf("%s: refused, %s: %s", r.File, r.Code, strings.TrimSpace(r.Text))
	case Denied:
		return fmt.Sprintf("%s: not sent, check --user and $ME_SHS_PASSWORD or the client certificate: %s", r.File, strings.TrimSpace(r.Text))
	default:
		return fmt.Sprintf("%s: not sent, try again: %s", r.File, strings.TrimSpace(r.Text))
	}
}

// TxIDFor derives the message's tx.id from the file's content, so that
// sending the same file again - after a lost answer, or by mistake - is
// recognised by ME as the same message and changes nothing.
func TxIDFor(content []byte) string {
	h := sha256.Sum256(content)
	h[6] = h[6]&0x0f | 0x50 // name-based UUID (RFC 9562 version 5 layout)
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// Send wraps the signal content (read from file) in an SHS message and
// sends it to ME. The tx.id is derived from the content, so sending the
// same file again is recognised as the same message.
func (s *Client) Send(ctx context.Context, file string, content []byte) Result {
	res := Result{File: file}
	from, to := s.From, s.To
	if from == "" || to == "" {
		var sig struct {
			Org string `xml:"organisation>organisationNumber"`
		}
		if err := xml.Unmarshal(content, &sig); err != nil || sig.Org == "" {
			res.Outcome, res.Code, res.Text = Refused, "not a signal", "cannot read organisation/organisationNumber from the file (a signal is UTF-8 XML); check it with `me validate`"
			return res
		}
		if from == "" {
			from = sig.Org
		}
		if to == "" {
			to = sig.Org
		}
	}
	res.TxID = TxIDFor(content)
	transfer, sequence := me.Asynch, me.SequenceEvent
	if s.Synch {
		transfer, sequence = me.Synch, me.SequenceRequest
	}
	label := Label{
		Version: "1.2", TxID: res.TxID, CorrID: res.TxID, TransferType: transfer, MessageType: "simple", DocumentType: "simple",
		SequenceType: sequence, Status: "production",
		From:     &Party{Value: "urn:X-shs:" + from, CommonName: s.commonName()},
		To:       &Party{Value: "urn:X-shs:" + to},
		Product:  Product{Value: "urn:X-shs:" + strings.TrimPrefix(s.Product, "urn:X-shs:")},
		Datetime: time.Now().UTC().Format("2006-01-02T15:04:05"),
		Content:  Content{ID: NewID(), Data: []DataInfo{{DatapartType: "xml", Filename: filepath.Base(file)}}},
	}
	body, contentType, err := Build(label, []Part{{Info: label.Content.Data[0], ContentType: "text/xml; charset=UTF-8", FileName: filepath.Base(file), Data: content}})
	if err != nil {
		res.Outcome, res.Code, res.Text = Refused, "build", err.Error()
		return res
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		res.Outcome, res.Text = Transient, err.Error()
		return res
	}
	req.Header.Set("Content-Type", contentType)
	if s.User != "" {
		req.SetBasicAuth(s.User, s.Password)
	}
	resp, err := s.HTTP.Do(req)
	if err != nil {
		res.Outcome, res.Text = Transient, err.Error()
		return res
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode == http.StatusAccepted:
		res.Outcome, res.Duplicate = Sent, resp.Header.Get("X-shs-duplicatemsg") == "yes"
	case resp.StatusCode == http.StatusOK && s.Synch:
		res.Outcome, res.Duplicate = Sent, resp.Header.Get("X-shs-duplicatemsg") == "yes"
		reply, err := Parse(answer, resp.Header.Get("Content-Type"), s.LabelSchema, Limits{})
		if err != nil || len(reply.Parts) == 0 {
			res.Text = fmt.Sprintf("the reply could not be read: %v", err)
		} else {
			res.Text = string(reply.Parts[0].Data)
		}
	case resp.StatusCode == http.StatusBadRequest && resp.Header.Get("X-shs-errorcode") != "":
		res.Outcome, res.Code, res.Text = Refused, resp.Header.Get("X-shs-errorcode"), string(answer)
	case resp.StatusCode == http.StatusRequestEntityTooLarge:
		res.Outcome, res.Code, res.Text = Refused, "IllegalMessageStructure", "the message is larger than ME accepts: "+string(answer)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		res.Outcome, res.Text = Denied, fmt.Sprintf("ME answered %s: %s", resp.Status, strings.TrimSpace(string(answer)))
	default:
		res.Outcome, res.Text = Transient, fmt.Sprintf("ME answered %s: %s", resp.Status, strings.TrimSpace(string(answer)))
	}
	return res
}

// commonName is the sender's name in the label (required by SHS).
func (s *Client) commonName() string {
	if s.User != "" {
		return s.User
	}
	return "me shs send"
}
