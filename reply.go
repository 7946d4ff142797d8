package me

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// A handler's e-mail reply (svar) comes back into the case through a
// reply address unique to the mail ME sent: svar+<token>@<reply domain>.
// The token is the only secret; ME keeps its hash, bound to the case, the
// citizen's message and the handler's address, until it expires.

// ReplyTokenBytes is the randomness of a reply token: 160 bits, 32
// lower-case base32 characters, which mail systems keep as they are.
const ReplyTokenBytes = 20

// NewReplyToken returns a new, unguessable reply token.
func NewReplyToken() string { return NewToken(ReplyTokenBytes) }

// HashReplyToken is what ME stores of a token: its SHA-256, hex.
// Lower-cased first, since some mail systems change the case of a local
// part and the token's alphabet has one case.
func HashReplyToken(token string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(token)))
	return hex.EncodeToString(sum[:])
}

// ReplyAddress is what a reply token is bound to.
type ReplyAddress struct {
	CaseID             string
	OrganisationNumber string
	EventID            string // the citizen's message the handler mail carried
	HandlerEmail       string // the address the mail went to: the only sender accepted
	Expires            time.Time
}

// InboundOutcome is what ME did with a mail that came to a reply address.
type InboundOutcome string

const (
	InboundAccepted InboundOutcome = "accepted" // became an event on the case
	InboundRejected InboundOutcome = "rejected" // refused with an SMTP error; the sender's server tells the sender
	InboundDropped  InboundOutcome = "dropped"  // taken (250) and discarded: an auto-reply or a bounce, never answered
)

// InboundMail is one mail that came to a reply address, as the
// administrator sees it (me mail --rejected).
type InboundMail struct {
	ID                 int64
	Outcome            InboundOutcome
	Reason             string // why it was rejected or dropped; empty when accepted
	MessageID          string
	EnvelopeFrom       string
	HeaderFrom         string
	Subject            string
	CaseID             string // empty when the mail named no valid reply address
	OrganisationNumber string
	EventID            string // the event it became (accepted)
	Size               int64
	Received           time.Time
	Raw                []byte // the full original, for the administrator; nil in listings
}

// Reply is a handler's reply accepted for a case: what becomes the event.
type Reply struct {
	Token        string // the reply address's token
	MessageID    string // exactly once per Message-ID
	EnvelopeFrom string
	HeaderFrom   string
	Subject      string
	Text         string // the new text: quoted history and signature trimmed
	Attachments  []Attachment
	Raw          []byte // the full original
}
