// Package me holds Mina Engagemang's domain types: the organisations, system
// clients and e-services (eTjänster) that the store persists and the services
// behind each WSDL work with. It depends on nothing but the standard library so
// that every other package can import it without cycles.
package me

import (
	"errors"
	"fmt"
	"time"
)

// Role is what a system client may do. A client has exactly one role.
type Role string

const (
	RolePortal     Role = "portal"     // an organisation's web (externwebb)
	RoleCaseSystem Role = "casesystem" // a case-management system (ärendehanteringssystem) sending signals
	RoleEService   Role = "etjanst"    // an e-service (eTjänst) redeeming tickets
	RoleCatalog    Role = "catalog"    // a publisher to the e-service catalog (eTjänstekatalog)
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	switch r {
	case RolePortal, RoleCaseSystem, RoleEService, RoleCatalog:
		return true
	}
	return false
}

// Organisation is a municipality or authority that runs its cases and
// e-services through ME.
type Organisation struct {
	Number    string // organisationsnummer, 10 digits without dash
	Name      string
	PortalURL string // where citizens log in; used in notifications
}

// Client is a system that talks to ME: a portal, a case system, an e-service
// or a catalog publisher. Clients are declared in the YAML configuration.
type Client struct {
	Name               string
	OrganisationNumber string
	Role               Role
	// Authentication: a certificate (SHA-256 fingerprint of the DER, hex,
	// or the subject in RFC 2253 form) or a bcrypt hash of an HTTP Basic
	// secret. At least one is set.
	CertFingerprint string
	CertSubject     string
	SecretHash      string
	// EServiceIDs are the e-services of its organisation an e-service
	// client is (RoleEService only): it redeems their tickets and nothing
	// else.
	EServiceIDs []string
	// ExtraOrganisations are further organisations a portal may show the
	// cases of (RolePortal only).
	ExtraOrganisations []string
}

// LocalizedText is a text in Swedish with an optional English variant.
type LocalizedText struct {
	SV string
	EN string
}

// Contact is who a citizen contacts about an e-service.
type Contact struct {
	Name  string
	Email string
	Phone string
	URL   string
}

// EService (eTjänst) is an organisation's e-service as described in the
// catalog. ID is unique within its organisation.
type EService struct {
	ID                  string
	OrganisationNumber  string
	Name                LocalizedText
	Description         LocalizedText
	Areas               []string // areas/topics (områden), e.g. "bygga-bo"
	StartURL            string
	TicketParameter     string // query parameter the ticket is appended under
	AuthenticationLevel int    // assurance level (tillitsnivå) 1–4
	Contact             Contact
	Published           time.Time
	Withdrawn           *time.Time // nil while published
	Updated             time.Time
}

// EServiceFilter selects published e-services for ListEServices.
type EServiceFilter struct {
	OrganisationNumber string // required
	Area               string // exact area, empty for any
	Text               string // words that must all occur in name or description (sv or en)
	IncludeWithdrawn   bool
}

// Code is a stable error code that clients can rely on. It is sent as the
// code of a SOAP fault's typed detail.
type Code string

const (
	CodeNotFound         Code = "NotFound"
	CodeForbidden        Code = "Forbidden"
	CodeValidationFailed Code = "ValidationFailed"
	CodeInvalidTicket    Code = "InvalidTicket"
	CodeTicketExpired    Code = "TicketExpired"
	CodeTicketUsed       Code = "TicketUsed"
	CodeConflict         Code = "Conflict"
	CodeNotImplemented   Code = "NotImplemented"
	CodeInternal         Code = "Internal"
)

// Error is a domain error with a stable code and a message that says what
// to fix. Services return it; the SOAP layer turns it into a typed fault.
type Error struct {
	Code    Code
	Message string
	Element string // the request element at fault, when one is known
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf returns an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err if it is or wraps an *Error, and
// CodeInternal otherwise.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrNotFound is returned by the store when a row does not exist.
var ErrNotFound = errors.New("not found")

// CaseStatus is where a case (ärende) stands.
type CaseStatus string

const (
	CaseReceived        CaseStatus = "received"        // inkommet
	CaseInProgress      CaseStatus = "inProgress"      // under handläggning
	CaseAwaitingCitizen CaseStatus = "awaitingCitizen" // väntar på komplettering
	CaseDecided         CaseStatus = "decided"         // beslutat
	CaseClosed          CaseStatus = "closed"          // avslutat
)

// ActionType is what a citizen can do with an event.
type ActionType string

const (
	ActionDownload ActionType = "download" // download an attachment
	ActionMessage  ActionType = "message"  // write to the case handler
	ActionComplete ActionType = "complete" // complete the application (komplettering) in an e-service
	ActionArchive  ActionType = "archive"  // archive the closed case
)

// ActionState says whether an action can still be taken.
type ActionState string

const (
	ActionAvailable ActionState = "available"
	ActionDone      ActionState = "done"
)

// PostalAddress is a citizen's postal address.
type PostalAddress struct {
	CareOf, Street, PostalCode, City, Country string
}

// Citizen is a citizen (medborgare) as a signal names them.
type Citizen struct {
	PersonalIdentityNumber string // personnummer, 12 digits
	GivenName, Surname     string
	Address                *PostalAddress
}

// Handler is the case handler (handläggare). Email is never shown to the
// citizen or a portal; ME uses it to forward the citizen's messages.
type Handler struct {
	Name, Email string
}

// Case is a citizen's case (ärende) at an organisation. ID is ME's;
// ExternalID is the case system's own, unique within the organisation.
type Case struct {
	ID                 string
	OrganisationNumber string
	ExternalID         string
	CaseNumber         string // ärendenummer/diarienummer as the citizen knows it
	Title              LocalizedText
	Status             CaseStatus
	Handler            Handler
	Citizens           []string // personnummer of the citizens the case concerns
	Created, Updated   time.Time
}

// Attachment is a file attached to an event.
type Attachment struct {
	ID        string // ME's id
	SignalID  string // the id the signal gave it, which its actions refer to
	FileName  string
	MediaType string
	Size      int64
	Content   []byte
}

// Action is something the citizen can do with an event (åtgärd).
type Action struct {
	ID         string // ME's id
	ExternalID string // the case system's id, when it gave one
	Type       ActionType
	Label      LocalizedText
	State      ActionState
	DoneAt     *time.Time
	// download: the attachment, by the id the signal gave it and by ME's id.
	AttachmentSignalID string
	AttachmentID       string
	// complete: the e-service that handles the completion (komplettering),
	// the last day, and the case system's data for it as raw XML.
	EServiceID           string
	EServiceOrganisation string
	DueDate              string // YYYY-MM-DD, empty when none
	CompletionData       string
}

// Event is one event (händelse) on a case.
type Event struct {
	ID          string // ME's id
	CaseID      string
	ExternalID  string // the case system's id, unique within the case
	Time        time.Time
	Title, Text LocalizedText
	Notify      bool // notify the citizens by SMS/e-mail
	FromCitizen bool // made by the citizen's own action
	Attachments []Attachment
	Actions     []Action
	Created     time.Time
	ReadAt      *time.Time // in a CaseView: when the citizen first read it
}

// Signal is what a case-management system tells ME in one SHS message: one
// event on one case, and who the case concerns.
type Signal struct {
	Case     Case // ID, Citizens, Created and Updated are ME's to set
	Citizens []Citizen
	Event    Event // IDs are ME's to set
}

// SHSMessage is a received SHS message as ME keeps it: the label's
// addressing and the whole message as it arrived, for audit and replay.
type SHSMessage struct {
	TxID, CorrID, ContentID string
	From, To, Product       string // organisation numbers and product id, without the urn:X-shs: prefix
	SequenceType            string
	TransferType            string
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

// Luhn checks the mod-10 control digit of a digit string, as
// organisationsnummer and personnummer carry it.
func Luhn(digits string) bool {
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if d < 0 || d > 9 {
			return false
		}
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return len(digits) > 0 && sum%10 == 0
}

// ValidOrganisationNumber reports whether n is a 10-digit
// organisationsnummer: third digit 2 or more, and a valid control digit.
func ValidOrganisationNumber(n string) bool {
	return len(n) == 10 && n[2] >= '2' && Luhn(n)
}

// Language is a language ME writes to a citizen in.
type Language string

const (
	Swedish Language = "sv"
	English Language = "en"
)

// NotificationChannel is how a citizen wants to be told that something
// happened.
type NotificationChannel string

const (
	NotifySMS   NotificationChannel = "sms"
	NotifyEmail NotificationChannel = "email"
	NotifyBoth  NotificationChannel = "both"
	NotifyNone  NotificationChannel = "none"
)

// CitizenProfile is what ME keeps about a citizen (medborgare): for
// prefilling e-services and for deciding how to notify.
type CitizenProfile struct {
	PersonalIdentityNumber string
	GivenName, Surname     string
	Address                *PostalAddress
	Email                  string
	Mobile                 string // international form, +46701234567
	Language               Language
	Channel                NotificationChannel
	Updated                time.Time
}

// DefaultProfile is the profile of a citizen ME has no profile for:
// Swedish, no notifications.
func DefaultProfile(pnr string) CitizenProfile {
	return CitizenProfile{PersonalIdentityNumber: pnr, Language: Swedish, Channel: NotifyNone}
}

// TicketPurpose is why a ticket was issued.
type TicketPurpose string

const (
	TicketStart      TicketPurpose = "start"      // the citizen starts an e-service
	TicketCompletion TicketPurpose = "completion" // the citizen completes a case (komplettering)
)

// Ticket is a one-time ticket (engångsbiljett) as ME keeps it. The ticket
// value itself is never stored: only its hash.
type Ticket struct {
	Purpose                TicketPurpose
	PersonalIdentityNumber string
	EServiceOrganisation   string
	EServiceID             string
	IssuedBy               string // the portal client
	// Completion tickets: what is being completed.
	CaseID, EventID, ActionID string
	Issued, Expires           time.Time
	RedeemAttempt             *time.Time // the one redemption attempt, successful or not
	RedeemedBy                string     // the client that made it
}

// CaseFilter selects a citizen's cases for ListCases.
type CaseFilter struct {
	PersonalIdentityNumber string   // required: only this citizen's cases
	Organisations          []string // required: only these organisations' cases
	Status                 CaseStatus
	UnreadOnly             bool
	IncludeArchived        bool
	UpdatedSince           time.Time // zero for any
	PageSize               int
	PageToken              string // from the previous page; empty for the first
}

// CaseSummary is a case in a citizen's listing: what they see before
// opening it.
type CaseSummary struct {
	Case
	UnreadEvents     int
	LatestEventTitle LocalizedText
	Archived         bool // by this citizen
}

// CaseView is a case as one citizen sees it: its events newest first, each
// with whether this citizen has read it.
type CaseView struct {
	CaseSummary
	Events []Event // Event.ReadAt set for the events the citizen has read
}

// AuditEntry records one read of a citizen's personal data by a client.
type AuditEntry struct {
	Time                   time.Time
	Client                 string
	PersonalIdentityNumber string
	Operation              string // e.g. GetCase
	Object                 string // what was read: a case, event or attachment id
}

// Mail is an e-mail ME sends through its outbox, e.g. a citizen's message
// forwarded to the case handler.
type Mail struct {
	To        string
	ReplyTo   string
	Subject   string
	Text      string
	MessageID string // stable across retries, so a repeat is recognisable
}

// Notification is one SMS or e-mail telling a citizen that something
// happened on their cases. It carries no case content: only the
// organisation's name and where to log in.
type Notification struct {
	ID                     int64
	Kind                   string // "event" or "reminder"
	PersonalIdentityNumber string
	OrganisationNumber     string
	Channel                NotificationChannel // NotifySMS or NotifyEmail
	To                     string              // the mobile number or e-mail address
	Subject                string              // e-mail only
	Text                   string
	// IdempotencyKey is stable across retries and restarts: the e-mail's
	// Message-ID, the SMS gateway's client reference.
	IdempotencyKey string
	State          string // pending, sending, sent, failed
	Attempts       int
	NextAttempt    time.Time
	LastError      string
	Created        time.Time
	Sent           *time.Time
}

// SMS is a text message for an SMS gateway.
type SMS struct {
	To        string // +46701234567
	From      string // the sender name, at most 11 characters
	Text      string
	Reference string // the client reference the gateway deduplicates by
}

// ServesEService reports whether the client is the e-service org/id: an
// e-service client of that organisation configured for that e-service.
func (c Client) ServesEService(org, id string) bool {
	if c.Role != RoleEService || c.OrganisationNumber != org {
		return false
	}
	for _, e := range c.EServiceIDs {
		if e == id {
			return true
		}
	}
	return false
}
