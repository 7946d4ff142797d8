package me

import "time"

// Retention is how long ME keeps one organisation's data before it thins
// it out (gallring). A period of 0 keeps that data for ever.
type Retention struct {
	// CasesAfterClosing (months): a closed case (archived or not) goes
	// this long after its last change, with its events, attachments,
	// actions, reads, reminders, outbox rows and citizens' links to it.
	CasesAfterClosing int
	// SHSMessages (days): an accepted SHS message's payload as it arrived,
	// and a refused message whole.
	SHSMessages int
	// SHSTxIDs (days): an accepted message's row without its payload, by
	// which a resend of its tx.id is answered as a duplicate. At least
	// SHSMessages when both are set.
	SHSTxIDs int
	// Notifications (days): an SMS or e-mail sent or failed, and the
	// outbox rows planned into notifications, sent, skipped or failed.
	Notifications int
	// Audit (months): an audit log entry (a client's read of a citizen's
	// data).
	Audit int
}

// RetentionPolicy is the retention of each organisation: its own, or the
// default.
type RetentionPolicy struct {
	Default       Retention
	Organisations map[string]Retention // by organisationsnummer
}

// For returns the retention of an organisation.
func (p RetentionPolicy) For(organisation string) Retention {
	if r, ok := p.Organisations[organisation]; ok {
		return r
	}
	return p.Default
}

// RetentionCutoff returns the time before which data kept for months months and
// days days is past its time, and false when the period is 0 (kept for
// ever).
func RetentionCutoff(now time.Time, months, days int) (time.Time, bool) {
	if months <= 0 && days <= 0 {
		return time.Time{}, false
	}
	return now.AddDate(0, -months, -days), true
}
