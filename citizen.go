package me

import (
	"time"
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

// CitizenData is everything ME holds about one citizen, for a register
// extract (registerutdrag, GDPR art. 15): `me citizen export`.
type CitizenData struct {
	PersonalIdentityNumber string
	Profile                *CitizenProfile // nil when ME has no profile
	// Cases are the citizen's cases as they see them on a portal: the
	// handler's e-mail left out, each event's ReadAt this citizen's.
	Cases []CaseView
	// Tickets issued for the citizen, without their values (ME keeps
	// only a hash, which is not exported either).
	Tickets []Ticket
	// Notifications sent (or to be sent) to the citizen, without their
	// text: the text is the template's. The citizen's messages forwarded
	// to case handlers are not here: they are the citizen's events on the
	// case, and the handler's address is never shown.
	Notifications []Notification
	// Reminders: when the citizen was reminded of an open completion, by
	// event id.
	Reminders []Reminder
	Audit     []AuditEntry // who read the citizen's data, newest first
	Erasures  []Erasure    // earlier erasures of the citizen's data
}

// Reminder records that a citizen was reminded of an event's open
// completion (komplettering).
type Reminder struct {
	EventID string
	Created time.Time
}

// Erasure records one erasure of a citizen's data (`me citizen erase`):
// whose, who erased it, when, and how many rows went from each table. It
// holds none of the erased data.
type Erasure struct {
	PersonalIdentityNumber string
	By                     string
	Time                   time.Time
	Rows                   map[string]int64 // table name → rows removed or blanked
}
