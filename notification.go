package me

import (
	"time"
)

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
	Kind                   NotificationKind
	PersonalIdentityNumber string
	OrganisationNumber     string
	Channel                NotificationChannel // NotifySMS or NotifyEmail
	To                     string              // the mobile number or e-mail address
	Subject                string              // e-mail only
	Text                   string
	// IdempotencyKey is stable across retries and restarts: the e-mail's
	// Message-ID, the SMS gateway's client reference.
	IdempotencyKey string
	State          NotificationState
	Attempts       int
	NextAttempt    time.Time
	LastError      string
	Created        time.Time
	Sent           *time.Time
}

// NotificationKind is why a notification is sent.
type NotificationKind string

const (
	NotifyEvent    NotificationKind = "event"    // something happened on a case (from the outbox)
	NotifyReminder NotificationKind = "reminder" // a completion (komplettering) is still waiting
	// NotifyHandler is a citizen's message forwarded to the case handler:
	// an e-mail to the handler, never to the citizen, and never counted when
	// coalescing the citizen's notifications.
	NotifyHandler NotificationKind = "handler"
)

// NotificationState is where a notification is on its way out.
type NotificationState string

const (
	NotificationPending NotificationState = "pending" // waiting for its next attempt
	NotificationSending NotificationState = "sending" // claimed by a sender until its lease ends
	NotificationSent    NotificationState = "sent"
	NotificationFailed  NotificationState = "failed" // given up
)

// SMSProvider is the kind of SMS gateway ME talks to.
type SMSProvider string

const (
	SMSProviderHTTP   SMSProvider = "http"   // any gateway taking a templated HTTP POST
	SMSProvider46elks SMSProvider = "46elks" // 46elks' API
)

// SMS is a text message for an SMS gateway.
type SMS struct {
	To        string // +46701234567
	From      string // the sender name, at most 11 characters
	Text      string
	Reference string // the client reference the gateway deduplicates by
}
