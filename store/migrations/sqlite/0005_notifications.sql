-- Notifications (SMS and e-mail) planned from the outbox's intents and
-- reminders, and the reminders sent.
--
-- As in 0001: timestamps are RFC 3339 TEXT in UTC, tables are STRICT.

-- One SMS or e-mail to a citizen. PlanNotifications and PlanReminders write
-- them pending; a sender claims due rows by setting them 'sending' with
-- next_attempt_at at the end of its lease, so a row of a sender that died
-- comes back when the lease runs out, with the same idempotency_key (the
-- e-mail's Message-ID, the SMS gateway's client reference). No foreign keys:
-- the log outlives the cases.
CREATE TABLE notifications (
    id                       INTEGER PRIMARY KEY AUTOINCREMENT,
    kind                     TEXT NOT NULL CHECK (kind IN ('event', 'reminder')),
    personal_identity_number TEXT NOT NULL,
    organisation_number      TEXT NOT NULL,
    channel                  TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
    recipient                TEXT NOT NULL,
    subject                  TEXT NOT NULL DEFAULT '',
    body                     TEXT NOT NULL DEFAULT '',
    idempotency_key          TEXT NOT NULL UNIQUE,
    state                    TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts                 INTEGER NOT NULL DEFAULT 0,
    next_attempt_at          TEXT NOT NULL,
    last_error               TEXT NOT NULL DEFAULT '',
    created_at               TEXT NOT NULL,
    sent_at                  TEXT
) STRICT;

CREATE INDEX notifications_state_next_attempt_at ON notifications (state, next_attempt_at);
-- Coalescing: was the citizen notified about this organisation lately?
CREATE INDEX notifications_citizen_organisation_created_at
    ON notifications (personal_identity_number, organisation_number, created_at);

-- The reminders sent: one per event and citizen, ever.
CREATE TABLE reminders (
    event_id                 TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    personal_identity_number TEXT NOT NULL,
    created_at               TEXT NOT NULL,
    PRIMARY KEY (event_id, personal_identity_number)
) STRICT;

-- PlanReminders starts from the completions still open.
CREATE INDEX actions_complete_available ON actions (event_id) WHERE type = 'complete' AND state = 'available';
