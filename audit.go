package me

import (
	"time"
)

// AuditEntry records one read of a citizen's personal data by a client.
type AuditEntry struct {
	Time                   time.Time
	Client                 string
	PersonalIdentityNumber string
	Operation              string // e.g. GetCase
	Object                 string // what was read: a case, event or attachment id
}
