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
