package server

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/server/requestlog"
	"github.com/minaengagemang/me/server/shs"
	"github.com/minaengagemang/me/server/signal"
	"github.com/minaengagemang/me/store"
	"github.com/minaengagemang/me/xsd"
)

// shsReceiver is POST /shs/rs: it takes a case system's SHS message, checks
// its label and sender, validates its signal and stores it exactly once,
// answering as an SHS node does (Inera Axel's behaviour is the reference).
type shsReceiver struct {
	cfg           SHSConfig
	store         *store.Store
	log           *logrus.Logger
	labelSchema   *xsd.Schema
	signals       *signal.Decoder
	organisations organisations
	caseSystems   map[string][]me.Client // by organisation number
	now           func() time.Time
	inflight      *byteBudget // bytes of messages being received
}

// shsArrivalLayout is how X-shs-arrivaldate is written (Axel's format).
const shsArrivalLayout = "2006-01-02T15:04:05"

func (h *shsReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	info := requestlog.From(ctx)
	info.Operation = "shs"
	client, _ := clientFrom(ctx)
	received := h.now().UTC()

	// A message declared larger than ME takes is refused before a byte of
	// it is read; one that does not fit in what is being received now is
	// asked to come back, so that concurrent uploads never grow ME's
	// memory past shs.max_inflight_bytes.
	if r.ContentLength > h.cfg.MaxMessageBytes {
		h.reject(ctx, w, received, client, "", nil, shs.Errorf(shs.IllegalMessageStructure,
			"the message is %d bytes, more than the %d this ME accepts (shs.max_message_bytes)", r.ContentLength, h.cfg.MaxMessageBytes))
		return
	}
	reserve := h.cfg.MaxMessageBytes
	if r.ContentLength >= 0 {
		reserve = r.ContentLength
	}
	if !h.inflight.take(reserve) {
		info.Fault = "busy"
		w.Header().Set("Retry-After", "5")
		http.Error(w, "ME is receiving as many bytes as it takes at once (shs.max_inflight_bytes); nothing was stored: send the message again in a few seconds", http.StatusServiceUnavailable)
		return
	}
	defer h.inflight.give(reserve)

	body, err := readMessage(http.MaxBytesReader(w, r.Body, h.cfg.MaxMessageBytes), r.ContentLength)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			h.reject(ctx, w, received, client, "", body, shs.Errorf(shs.IllegalMessageStructure,
				"the message exceeds %d bytes, the largest this ME accepts (shs.max_message_bytes)", h.cfg.MaxMessageBytes))
			return
		}
		h.incomplete(w, r, client, int64(len(body)), err)
		return
	}
	if client.Role != me.RoleCaseSystem {
		h.reject(ctx, w, received, client, "", body, shs.Errorf(shs.IllegalSender,
			"client %q has role %s; only clients with role casesystem may send signals", client.Name, client.Role))
		return
	}
	msg, err := shs.Parse(body, r.Header.Get("Content-Type"), h.labelSchema,
		shs.Limits{MaxParts: h.cfg.MaxAttachments + 1, MaxPartBytes: h.cfg.MaxMessageBytes})
	if err != nil {
		h.reject(ctx, w, received, client, "", body, err)
		return
	}
	label := msg.Label
	if err := h.checkLabel(r, client, label); err != nil {
		h.reject(ctx, w, received, client, label.TxID, body, err)
		return
	}
	if label.SequenceType == me.SequenceAdm {
		// confirm and error messages from other nodes: nothing to store.
		entry := h.log.WithFields(logrus.Fields{"tx_id": label.TxID, "corr_id": label.CorrID, "from": label.From.OrgNumber(), "product": label.Product.ID()})
		if m := msg.Management; m != nil && m.Error != nil {
			entry = entry.WithFields(logrus.Fields{"about_corr_id": m.CorrID, "error_code": m.Error.Code, "error_info": m.Error.Info})
		} else if m != nil {
			entry = entry.WithFields(logrus.Fields{"about_corr_id": m.CorrID, "confirmation": m.Confirmation != nil})
		}
		entry.Info("shs: adm message received")
		h.accepted(w, label, me.SignalReceipt{TxID: label.TxID, LocalID: shs.NewID(), Arrival: received})
		return
	}

	// A repeated tx.id answers as the first arrival did, whatever it holds.
	if first, err := h.store.SHSReceipt(ctx, label.TxID); err == nil {
		if first.From != label.From.OrgNumber() {
			// Not a repeat but a clash: say so, and tell nothing of the
			// other sender's message.
			h.reject(ctx, w, received, client, label.TxID, body, shs.Errorf(shs.IllegalMessageStructure,
				"tx.id %s was already used by another sender; every message needs a new, unique tx.id", label.TxID))
			return
		}
		h.answer(w, r, label, first)
		return
	} else if !errors.Is(err, me.ErrNotFound) {
		h.fail(w, r, err)
		return
	}

	sig, err := h.signal(ctx, client, msg)
	if err != nil {
		h.reject(ctx, w, received, client, label.TxID, body, err)
		return
	}
	receipt, err := h.store.RecordSignal(ctx, me.SHSMessage{
		TxID: label.TxID, CorrID: label.CorrID, ContentID: label.Content.ID,
		From: label.From.OrgNumber(), To: label.To.OrgNumber(), Product: label.Product.ID(),
		SequenceType: label.SequenceType, TransferType: label.TransferType,
		Client: client.Name, Arrival: received, Raw: body,
	}, sig, received)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if receipt.Duplicate && receipt.From != label.From.OrgNumber() {
		h.reject(ctx, w, received, client, label.TxID, body, shs.Errorf(shs.IllegalMessageStructure,
			"tx.id %s was already used by another sender; every message needs a new, unique tx.id", label.TxID))
		return
	}
	h.log.WithFields(logrus.Fields{"tx_id": receipt.TxID, "case_id": receipt.CaseID, "event_id": receipt.EventID,
		"duplicate": receipt.Duplicate, "duplicate_event": receipt.DuplicateEvent, "request_id": info.ID}).Info("shs: signal stored")
	h.answer(w, r, label, receipt)
}

// answer acknowledges a stored message: 202 for asynch, a reply message
// with the receipt for synch.
func (h *shsReceiver) answer(w http.ResponseWriter, r *http.Request, l shs.Label, rc me.SignalReceipt) {
	if l.TransferType == me.Synch {
		h.reply(w, r, l, rc)
		return
	}
	h.accepted(w, l, rc)
}

// checkLabel applies ME's rules to a schema-valid label.
func (h *shsReceiver) checkLabel(r *http.Request, client me.Client, l shs.Label) error {
	if l.To == nil || l.To.OrgNumber() == "" {
		return shs.Errorf(shs.MissingDeliveryAddress, "the label has no receiver (to); address the message to the organisation's organisationsnummer, e.g. urn:X-shs:%s", client.OrganisationNumber)
	}
	if _, ok := h.organisations[l.To.OrgNumber()]; !ok {
		return shs.Errorf(shs.UnknownReceiver, "receiver %s is not an organisation served by this ME", l.To.Value)
	}
	if l.From == nil || l.From.OrgNumber() == "" {
		return shs.Errorf(shs.UnknownSender, "the label has no sender (from); send from your organisation's organisationsnummer, e.g. urn:X-shs:%s", client.OrganisationNumber)
	}
	from := l.From.OrgNumber()
	if len(h.caseSystems[from]) == 0 {
		return shs.Errorf(shs.UnknownSender, "sender %s is not a case system configured in this ME", l.From.Value)
	}
	if client.OrganisationNumber != from {
		return shs.Errorf(shs.IllegalSender, "client %q belongs to organisation %s and may not send as %s", client.Name, client.OrganisationNumber, from)
	}
	// Basic credentials beside a certificate configured for no client:
	// the certificate must be the sending organisation's, whatever else
	// the client is configured with.
	if cert := unconfiguredCertFrom(r.Context()); cert != nil && !certNamesOrganisation(cert, from) {
		return shs.Errorf(shs.IllegalSender, "the client certificate's serialNumber %q does not name the sender %s; send with your organisation's certificate, or have it configured for client %q", cert.Subject.SerialNumber, from, client.Name)
	}
	if l.SequenceType == me.SequenceAdm {
		return nil
	}
	if !sameProduct(l.Product.ID(), h.cfg.Product) {
		return shs.Errorf(shs.UnknownProductType, "product %s is not ME's signal product; send product urn:X-shs:%s", l.Product.Value, strings.TrimPrefix(h.cfg.Product, "urn:X-shs:"))
	}
	if l.SequenceType != me.SequenceEvent && l.SequenceType != me.SequenceRequest {
		return shs.Errorf(shs.IllegalMessageStructure, "sequence-type %s cannot carry a signal; send event (asynch) or request (synch)", l.SequenceType)
	}
	return nil
}

// certNamesOrganisation reports whether the certificate's subject
// serialNumber (OID 2.5.4.5) carries the organisation number as a number
// of its own, as Swedish organisation certificates do, sometimes with a
// country prefix or a suffix ("SE2120009994-0001"). A longer number that
// merely contains the ten digits does not count.
func certNamesOrganisation(cert *x509.Certificate, org string) bool {
	for _, run := range digitRuns.FindAllString(cert.Subject.SerialNumber, -1) {
		if run == org {
			return true
		}
	}
	return false
}

var digitRuns = regexp.MustCompile(`[0-9]+`)

func sameProduct(a, b string) bool {
	strip := func(s string) string {
		s = strings.ToLower(strings.TrimSpace(s))
		return strings.TrimPrefix(s, "urn:x-shs:")
	}
	return strip(a) == strip(b)
}

// signal validates the message's one data part against the signal schema
// and ME's rules, and decodes it.
func (h *shsReceiver) signal(ctx context.Context, client me.Client, msg *shs.Message) (me.Signal, error) {
	if len(msg.Parts) != 1 {
		return me.Signal{}, shs.Errorf(shs.IllegalMessageStructure, "the message has %d data parts; a signal message has exactly one, the signal XML", len(msg.Parts))
	}
	sig, err := h.signals.Decode(msg.Parts[0].Data)
	var invalid *signal.Error
	if errors.As(err, &invalid) {
		return me.Signal{}, shs.Errorf(shs.IllegalDatapartContent, "%s", invalid.Error())
	}
	if err != nil {
		return me.Signal{}, err
	}
	if sig.Case.OrganisationNumber != client.OrganisationNumber {
		return me.Signal{}, shs.Errorf(shs.IllegalSender, "the signal's case belongs to organisation %s, but the sender is organisation %s; a case system may only write its own organisation's cases",
			sig.Case.OrganisationNumber, client.OrganisationNumber)
	}
	if n := len(sig.Event.Attachments); n > h.cfg.MaxAttachments {
		return me.Signal{}, shs.Errorf(shs.IllegalDatapartContent, "the event has %d attachments; at most %d are accepted (shs.max_attachments)", n, h.cfg.MaxAttachments)
	}
	for _, a := range sig.Event.Attachments {
		if a.Size > h.cfg.MaxAttachmentBytes {
			return me.Signal{}, shs.Errorf(shs.IllegalDatapartContent, "attachment %q is %d bytes; at most %d are accepted (shs.max_attachment_bytes)", a.SignalID, a.Size, h.cfg.MaxAttachmentBytes)
		}
	}
	for _, a := range sig.Event.Actions {
		if a.Type == me.ActionMessage && sig.Case.Handler == (me.Handler{}) {
			// A signal without a handler keeps the one an earlier signal
			// gave; one with a handler replaces it, e-mail and all.
			c, err := h.store.CaseByExternalID(ctx, sig.Case.OrganisationNumber, sig.Case.ExternalID)
			if err != nil && !errors.Is(err, me.ErrNotFound) {
				return me.Signal{}, err
			}
			if c.Handler.Email == "" {
				return me.Signal{}, shs.Errorf(shs.IllegalDatapartContent, "the event offers a message action, but ME has no e-mail address for the case handler; send case/handler/email")
			}
		} else if a.Type == me.ActionMessage && sig.Case.Handler.Email == "" {
			return me.Signal{}, shs.Errorf(shs.IllegalDatapartContent, "the event offers a message action, but case/handler has no email; a handler given in a signal replaces the earlier one, e-mail included")
		}
	}
	return sig, nil
}

// accepted answers 202 as an SHS node does for an asynch message.
func (h *shsReceiver) accepted(w http.ResponseWriter, l shs.Label, rc me.SignalReceipt) {
	h.shsHeaders(w, l, rc)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusAccepted)
	io.WriteString(w, rc.TxID)
}

func (h *shsReceiver) shsHeaders(w http.ResponseWriter, l shs.Label, rc me.SignalReceipt) {
	hd := w.Header()
	hd.Set("X-shs-txid", rc.TxID)
	hd.Set("X-shs-corrid", l.CorrID)
	hd.Set("X-shs-contentid", l.Content.ID)
	hd.Set("X-shs-localid", rc.LocalID)
	hd.Set("X-shs-nodeid", h.cfg.NodeID)
	hd.Set("X-shs-arrivaldate", rc.Arrival.UTC().Format(shsArrivalLayout))
	dup := "no"
	if rc.Duplicate {
		dup = "yes"
	}
	hd.Set("X-shs-duplicatemsg", dup)
}

// reply answers a synch message with an SHS reply message whose one data
// part is ME's receipt: the case and event the signal went to.
func (h *shsReceiver) reply(w http.ResponseWriter, r *http.Request, l shs.Label, rc me.SignalReceipt) {
	doc, err := signal.Receipt(rc)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := shs.Label{
		Version: "1.2", TxID: shs.NewID(), CorrID: l.CorrID, TransferType: me.Synch, MessageType: "simple",
		DocumentType: "simple", SequenceType: me.SequenceReply, Status: l.Status,
		From: &shs.Party{Value: l.To.Value, CommonName: "Mina Engagemang"}, To: &shs.Party{Value: l.From.Value},
		Product:  l.Product,
		Datetime: h.now().UTC().Format(shsArrivalLayout),
		Content:  shs.Content{ID: shs.NewID(), Data: []shs.DataInfo{{DatapartType: "xml", Filename: "receipt.xml"}}},
	}
	body, contentType, err := shs.Build(out, []shs.Part{{Info: out.Content.Data[0], ContentType: "text/xml; charset=UTF-8", FileName: "receipt.xml", Data: doc}})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.shsHeaders(w, l, rc)
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// reject answers an SHS error (400, X-shs-errorcode) and keeps the message
// with its reason. Anything that is not an SHS error is ME's own failure.
func (h *shsReceiver) reject(ctx context.Context, w http.ResponseWriter, received time.Time, client me.Client, txID string, raw []byte, err error) {
	var se *shs.Error
	if !errors.As(err, &se) {
		info := requestlog.From(ctx)
		info.Err = fmt.Errorf("shs: receive failed: %w", err)
		http.Error(w, "ME failed to receive the message; nothing was stored. Send it again later, or quote reference "+info.ID+" to ME's administrator.", http.StatusInternalServerError)
		return
	}
	requestlog.From(ctx).Fault = string(se.Code)
	// The rejection record must outlive a client that hung up.
	recCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := h.store.RecordRejection(recCtx, me.Rejection{Received: received, TxID: txID, Client: client.Name, Code: string(se.Code), Reason: se.Text, Raw: raw}); err != nil {
		h.log.WithError(err).Error("shs: keeping the rejected message failed")
	}
	h.log.WithFields(logrus.Fields{"tx_id": txID, "code": se.Code, "client": client.Name, "request_id": requestlog.From(ctx).ID}).Warn("shs: message rejected")
	w.Header().Set("X-shs-errorcode", string(se.Code))
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintln(w, se.Text)
}

// incomplete answers a message that did not arrive in full because the
// sender was slower than the server's read timeout (408) or broke the
// upload off (400; it hears nothing). That is the sender's problem, not
// ME's, and nothing that arrived is a message to keep: it is logged as a
// warning and the sender is told to send the message again.
func (h *shsReceiver) incomplete(w http.ResponseWriter, r *http.Request, client me.Client, got int64, err error) {
	status, what := http.StatusBadRequest, "broke off"
	if errors.Is(err, os.ErrDeadlineExceeded) {
		status, what = http.StatusRequestTimeout, "did not arrive within ME's read timeout"
	}
	info := requestlog.From(r.Context())
	info.Fault = string(shs.IllegalMessageStructure)
	h.log.WithFields(logrus.Fields{"client": client.Name, "bytes": got, "content_length": r.ContentLength, "request_id": info.ID}).
		WithError(err).Warn("shs: the sender's upload " + what)
	w.Header().Set("X-shs-errorcode", string(shs.IllegalMessageStructure))
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	came := fmt.Sprint(got)
	if r.ContentLength >= 0 {
		came += fmt.Sprintf(" of %d", r.ContentLength)
	}
	w.WriteHeader(status)
	fmt.Fprintf(w, "the message %s (%s bytes came); nothing was stored: send it again, with the same tx.id\n", what, came)
}

// fail answers 500 without detail: ME could not store the message, and the
// sender must send it again.
func (h *shsReceiver) fail(w http.ResponseWriter, r *http.Request, err error) {
	info := requestlog.From(r.Context())
	info.Err = fmt.Errorf("shs: receive failed: %w", err)
	http.Error(w, "ME failed to store the message; nothing was stored. Send it again later, or quote reference "+info.ID+" to ME's administrator.", http.StatusInternalServerError)
}

// byteBudget is a number of bytes that requests take and give back.
type byteBudget struct {
	mu   sync.Mutex
	left int64
}

// readMessage reads the whole body into one buffer of the declared length
// (checked against the limit before): io.ReadAll doubles its buffer as it
// goes, which for a 20 MB message leaves as much again in garbage.
func readMessage(r io.Reader, declared int64) ([]byte, error) {
	var b bytes.Buffer
	if declared > 0 {
		b.Grow(int(declared) + bytes.MinRead)
	}
	_, err := b.ReadFrom(r)
	return b.Bytes(), err
}

func newByteBudget(n int64) *byteBudget { return &byteBudget{left: n} }

// take takes n bytes if there are that many left.
func (b *byteBudget) take(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n > b.left {
		return false
	}
	b.left -= n
	return true
}

func (b *byteBudget) give(n int64) {
	b.mu.Lock()
	b.left += n
	b.mu.Unlock()
}
