-- Citizen profiles and one-time tickets (engångsbiljetter).
--
-- As in 0001: timestamps are RFC 3339 TEXT in UTC, tables are STRICT.

-- What the citizen sets in the portal (PutCitizenProfile). Signals never
-- write these; they keep filling in names and address as before. The
-- profile is written whole, names and address included.
ALTER TABLE citizens ADD COLUMN email                TEXT NOT NULL DEFAULT '';
ALTER TABLE citizens ADD COLUMN mobile               TEXT NOT NULL DEFAULT '';
ALTER TABLE citizens ADD COLUMN language             TEXT NOT NULL DEFAULT 'sv'
    CHECK (language IN ('sv', 'en'));
ALTER TABLE citizens ADD COLUMN notification_channel TEXT NOT NULL DEFAULT 'none'
    CHECK (notification_channel IN ('sms', 'email', 'both', 'none'));

-- One-time tickets, by the SHA-256 of the ticket value. The value itself is
-- never stored. redeem_attempt_at is set by the one redemption attempt a
-- ticket gets, successful or not. Rows go when they expire (PurgeTickets):
-- no foreign keys.
CREATE TABLE tickets (
    hash                     BLOB PRIMARY KEY CHECK (length(hash) = 32),
    purpose                  TEXT NOT NULL CHECK (purpose IN ('start', 'completion')),
    personal_identity_number TEXT NOT NULL,
    eservice_organisation    TEXT NOT NULL,
    eservice_id              TEXT NOT NULL,
    issued_by                TEXT NOT NULL,
    case_id                  TEXT NOT NULL DEFAULT '', -- completion
    event_id                 TEXT NOT NULL DEFAULT '',
    action_id                TEXT NOT NULL DEFAULT '',
    issued_at                TEXT NOT NULL,
    expires_at               TEXT NOT NULL,
    redeem_attempt_at        TEXT,
    redeemed_by              TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX tickets_expires_at ON tickets (expires_at);
