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
	// EServiceID binds an e-service client to the e-service it is
	// (RoleEService only; empty means any e-service of its organisation).
	EServiceID string
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
