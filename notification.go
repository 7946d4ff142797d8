package me

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Mail is an e-mail ME sends through its outbox, e.g. a citizen's message
// forwarded to the case handler.
type Mail struct {
	To      string
	ReplyTo string
	// FromName is the From header's display name, e.g. the organisation's
	// (empty: the mail server's configured From as it is). The address
	// stays ME's own.
	FromName  string
	Subject   string
	Text      string
	MessageID string // stable across retries, so a repeat is recognisable
	// ReplyToken, when set, is the token in ReplyTo that brings the
	// handler's reply back into the case; the store keeps only its hash,
	// valid until ReplyExpires.
	ReplyToken   string
	ReplyExpires time.Time
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
	ReplyTo                string // e-mail only: the handler mail's own reply address; empty: the sender's default
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

// MaxSMSSenderLength is the longest alphanumeric SMS sender id.
const MaxSMSSenderLength = 11

var smsSenderNumber = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// CheckSMSSender reports whether s is an SMS sender the gateways accept:
// a phone number in international format, or an alphanumeric sender id
// of at most 11 characters that starts with a letter and has only
// letters, digits, spaces, '-' and '.'. The configuration and the SMS
// transport both check with it, so a sender the file accepts is one the
// gateway is sent.
func CheckSMSSender(s string) error {
	if strings.HasPrefix(s, "+") {
		if !smsSenderNumber.MatchString(s) {
			return fmt.Errorf("%q is not a phone number in international format (+46701234567)", s)
		}
		return nil
	}
	if s == "" {
		return fmt.Errorf("is empty; give a sender name of at most %d characters (or a +number)", MaxSMSSenderLength)
	}
	if n := utf8.RuneCountInString(s); n > MaxSMSSenderLength {
		return fmt.Errorf("%q is %d characters; a sender name is at most %d (or use a +number)", s, n, MaxSMSSenderLength)
	}
	first, _ := utf8.DecodeRuneInString(s)
	if !unicode.IsLetter(first) {
		return fmt.Errorf("%q must start with a letter (or be a +number)", s)
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != ' ' && r != '-' && r != '.' {
			return fmt.Errorf("%q contains %q; a sender name has only letters, digits, spaces, '-' and '.'", s, r)
		}
	}
	return nil
}
