-- Citizen profiles and one-time tickets (engångsbiljetter).

-- What the citizen sets in the portal (PutCitizenProfile). Signals never
-- write these; they keep filling in names and address as before. The
-- profile is written whole, names and address included.
ALTER TABLE citizens ADD COLUMN email                text NOT NULL DEFAULT '';
ALTER TABLE citizens ADD COLUMN mobile               text NOT NULL DEFAULT '';
ALTER TABLE citizens ADD COLUMN language             text NOT NULL DEFAULT 'sv'
    CHECK (language IN ('sv', 'en'));
ALTER TABLE citizens ADD COLUMN notification_channel text NOT NULL DEFAULT 'none'
    CHECK (notification_channel IN ('sms', 'email', 'both', 'none'));

-- One-time tickets, by the SHA-256 of the ticket value. The value itself is
-- never stored. redeem_attempt_at is set by the one redemption attempt a
-- ticket gets, successful or not. Rows go when they expire (PurgeTickets):
-- no foreign keys.
CREATE TABLE tickets (
    hash                     bytea PRIMARY KEY CHECK (octet_length(hash) = 32),
    purpose                  text NOT NULL CHECK (purpose IN ('start', 'completion')),
    personal_identity_number text NOT NULL,
    eservice_organisation    text NOT NULL,
    eservice_id              text NOT NULL,
    issued_by                text NOT NULL,
    case_id                  text NOT NULL DEFAULT '', -- completion
    event_id                 text NOT NULL DEFAULT '',
    action_id                text NOT NULL DEFAULT '',
    issued_at                timestamptz NOT NULL,
    expires_at               timestamptz NOT NULL,
    redeem_attempt_at        timestamptz,
    redeemed_by              text NOT NULL DEFAULT ''
);

CREATE INDEX tickets_expires_at ON tickets (expires_at);
