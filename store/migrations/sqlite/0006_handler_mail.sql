-- A citizen's message to the case handler goes through the notifications
-- queue, as kind 'handler' on channel 'email', instead of mail_outbox: one
-- queue, one sender, one set of metrics. The mails still queued are moved
-- over with their state (message_id becomes the idempotency_key, which is
-- the Message-ID on every attempt); mail_outbox is dropped. Its reply_to
-- is not kept: the sender sets Reply-To from its configuration.
--
-- As in 0001: timestamps are RFC 3339 TEXT in UTC, tables are STRICT.

-- SQLite cannot alter the kind CHECK of 0005: the table is rebuilt (new
-- table, rows copied with their ids, old table dropped, new one renamed,
-- indexes recreated). Nothing references notifications, and it has no
-- triggers or views.
CREATE TABLE notifications_new (
    id                       INTEGER PRIMARY KEY AUTOINCREMENT,
    kind                     TEXT NOT NULL CHECK (kind IN ('event', 'reminder', 'handler')),
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

INSERT INTO notifications_new (
    id, kind, personal_identity_number, organisation_number, channel, recipient, subject, body,
    idempotency_key, state, attempts, next_attempt_at, last_error, created_at, sent_at)
SELECT id, kind, personal_identity_number, organisation_number, channel, recipient, subject, body,
    idempotency_key, state, attempts, next_attempt_at, last_error, created_at, sent_at
FROM notifications;

-- AUTOINCREMENT never reuses an id: carry the old table's high-water mark
-- over (it outlives rows deleted since).
DELETE FROM sqlite_sequence WHERE name = 'notifications_new';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'notifications_new', seq FROM sqlite_sequence WHERE name = 'notifications';

DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;

CREATE INDEX notifications_state_next_attempt_at ON notifications (state, next_attempt_at);
-- Coalescing: was the citizen notified about this organisation lately?
CREATE INDEX notifications_citizen_organisation_created_at
    ON notifications (personal_identity_number, organisation_number, created_at);

-- mail_outbox knew neither the citizen nor the organisation.
INSERT INTO notifications (
    kind, personal_identity_number, organisation_number, channel, recipient, subject, body,
    idempotency_key, state, attempts, next_attempt_at, last_error, created_at, sent_at)
SELECT 'handler', '', '', 'email', recipient, subject, body,
    message_id, state, attempts, next_attempt_at, last_error, created_at, sent_at
FROM mail_outbox
ORDER BY id;

DROP TABLE mail_outbox;
