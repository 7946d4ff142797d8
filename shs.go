package me

import (
	"time"
)

// SHSMessage is a received SHS message as ME keeps it: the label's
// addressing and the whole message as it arrived, for audit and replay.
type SHSMessage struct {
	TxID, CorrID, ContentID string
	From, To, Product       string // organisation numbers and product id, without the urn:X-shs: prefix
	SequenceType            SequenceType
	TransferType            TransferType
	Client                  string // the authenticated client that sent it
	LocalID                 string // ME's id of the message
	Arrival                 time.Time
	Raw                     []byte
}

// SignalReceipt says what storing a signal did.
type SignalReceipt struct {
	TxID      string
	LocalID   string
	Arrival   time.Time // of the first arrival, for a duplicate
	CaseID    string
	EventID   string
	Duplicate bool // the tx.id was seen before: nothing was changed
	// DuplicateEvent: a new tx.id carried an event the case already has;
	// the message was kept, nothing else changed.
	DuplicateEvent bool
	From           string // the sender (organisation number) of the first arrival
}

// Rejection is an SHS message ME refused, kept with its reason.
type Rejection struct {
	ID       int64
	Received time.Time
	TxID     string // when the label could be read
	Client   string
	Code     string // the SHS error code, e.g. IllegalDatapartContent
	Reason   string
	Raw      []byte
}

// TransferType is how an SHS message is delivered (transfer-type).
type TransferType string

const (
	Asynch TransferType = "asynch" // answered 202, delivered later
	Synch  TransferType = "synch"  // answered with a reply message at once
)

// SequenceType is an SHS message's place in an exchange (sequence-type).
type SequenceType string

const (
	SequenceEvent   SequenceType = "event"   // a one-way message (asynch)
	SequenceRequest SequenceType = "request" // a question expecting a reply (synch)
	SequenceReply   SequenceType = "reply"   // the answer to a request
	SequenceAdm     SequenceType = "adm"     // a confirm or error message between nodes
)
