-- A citizen's message to the case handler goes through the notifications
-- queue, as kind 'handler' on channel 'email', instead of mail_outbox: one
-- queue, one sender, one set of metrics. The mails still queued are moved
-- over with their state (message_id becomes the idempotency_key, which is
-- the Message-ID on every attempt); mail_outbox is dropped. Its reply_to
-- is not kept: the sender sets Reply-To from its configuration.

-- The kind CHECK of 0005, named by PostgreSQL after table and column.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('event', 'reminder', 'handler'));

-- mail_outbox knew neither the citizen nor the organisation.
INSERT INTO notifications (
    kind, personal_identity_number, organisation_number, channel, recipient, subject, body,
    idempotency_key, state, attempts, next_attempt_at, last_error, created_at, sent_at)
SELECT 'handler', '', '', 'email', recipient, subject, body,
    message_id, state, attempts, next_attempt_at, last_error, created_at, sent_at
FROM mail_outbox
ORDER BY id;

DROP TABLE mail_outbox;
