-- Notifications (SMS and e-mail) planned from the outbox's intents and
-- reminders, and the reminders sent.

-- One SMS or e-mail to a citizen. PlanNotifications and PlanReminders write
-- them pending; a sender claims due rows by setting them 'sending' with
-- next_attempt_at at the end of its lease, so a row of a sender that died
-- comes back when the lease runs out, with the same idempotency_key (the
-- e-mail's Message-ID, the SMS gateway's client reference). No foreign keys:
-- the log outlives the cases.
CREATE TABLE notifications (
    id                       bigserial PRIMARY KEY,
    kind                     text NOT NULL CHECK (kind IN ('event', 'reminder')),
    personal_identity_number text NOT NULL,
    organisation_number      text NOT NULL,
    channel                  text NOT NULL CHECK (channel IN ('sms', 'email')),
    recipient                text NOT NULL,
    subject                  text NOT NULL DEFAULT '',
    body                     text NOT NULL DEFAULT '',
    idempotency_key          text NOT NULL UNIQUE,
    state                    text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts                 integer NOT NULL DEFAULT 0,
    next_attempt_at          timestamptz NOT NULL,
    last_error               text NOT NULL DEFAULT '',
    created_at               timestamptz NOT NULL,
    sent_at                  timestamptz
);

CREATE INDEX notifications_state_next_attempt_at ON notifications (state, next_attempt_at);
-- Coalescing: was the citizen notified about this organisation lately?
CREATE INDEX notifications_citizen_organisation_created_at
    ON notifications (personal_identity_number, organisation_number, created_at);

-- The reminders sent: one per event and citizen, ever.
CREATE TABLE reminders (
    event_id                 text NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    personal_identity_number text NOT NULL,
    created_at               timestamptz NOT NULL,
    PRIMARY KEY (event_id, personal_identity_number)
);

-- PlanReminders starts from the completions still open.
CREATE INDEX actions_complete_available ON actions (event_id) WHERE type = 'complete' AND state = 'available';
