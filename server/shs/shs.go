// Package shs reads and writes SHS 1.2 messages (Spridnings- och
// hämtningssystem), the transport case-management systems use to send ME
// their signals.
//
// An SHS message is an RFC 822 message with a multipart/mixed body: first the
// label (SHS-etikett, text/xml shs.label), then one data part for each data
// element of the label, in the label's order. Parse reads one as it arrives
// at /shs/rs and checks its structure; Build makes one for ME to send.
//
// The wire format follows real messages from Inera Axel
// (testdata/axel/README.md), including their quirks: labels whose XML
// declaration and MIME charset disagree, raw 8-bit file names, attribute
// values wrapped over lines.
package shs

import (
	"crypto/rand"
	"fmt"
	"time"
)

// ErrorCode is an SHS error code, as SHS nodes such as Axel send them in the
// X-shs-errorcode header and in shs.management error documents.
type ErrorCode string

// The SHS error codes.
const (
	UnresolvedReceiver       ErrorCode = "UnresolvedReceiver"
	MissingAgreement         ErrorCode = "MissingAgreement"
	MissingDeliveryAddress   ErrorCode = "MissingDeliveryAddress"
	MissingDeliveryExecution ErrorCode = "MissingDeliveryExecution"
	IllegalProductType       ErrorCode = "IllegalProductType"
	UnknownProductType       ErrorCode = "UnknownProductType"
	IllegalReceiver          ErrorCode = "IllegalReceiver"
	UnknownReceiver          ErrorCode = "UnknownReceiver"
	IllegalSender            ErrorCode = "IllegalSender"
	UnknownSender            ErrorCode = "UnknownSender"
	IllegalOriginator        ErrorCode = "IllegalOriginator"
	IllegalEndRecipient      ErrorCode = "IllegalEndRecipient"
	IllegalMessageStructure  ErrorCode = "IllegalMessageStructure"
	IllegalDatapartContent   ErrorCode = "IllegalDatapartContent"
	OtherError               ErrorCode = "OtherError"
)

// Error is an SHS error. A receiver answers it with 400, the header
// X-shs-errorcode: Code, and Text as the body, so Text must tell the sender
// what to fix.
type Error struct {
	Code ErrorCode
	Text string
}

// Errorf makes an Error with a formatted text.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Text: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string { return "shs: " + string(e.Code) + ": " + e.Text }

// NewID returns a random UUID (version 4), the form SHS uses for tx.id,
// corr.id and content.id.
func NewID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails since Go 1.24
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// TimeLayout is how SHS labels write times: local time, no zone, as in
// 2013-06-17T14:57:20.
const TimeLayout = "2006-01-02T15:04:05"

// FormatTime writes t for a label's datetime, in t's own location.
func FormatTime(t time.Time) string { return t.Format(TimeLayout) }
