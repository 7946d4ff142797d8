package me

import (
	"time"
)

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
