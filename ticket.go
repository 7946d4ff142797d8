package me

import (
	"time"
)

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
