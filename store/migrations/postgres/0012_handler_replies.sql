-- The case handler's e-mail reply comes back into the case (issue 14).
--
-- Each handler mail carries a Reply-To unique to it, svar+<token>@<domain>;
-- reply_addresses keeps the token's SHA-256 (never the token), bound to the
-- case, the citizen's message the mail carried and the handler's address,
-- until it expires. The notification keeps the Reply-To it is sent with.
-- inbound_mail is every mail that reached a valid reply address: accepted
-- (it became an event), rejected (an SMTP error) or dropped (an auto-reply
-- or a bounce), with the full original for the administrator. A mail whose
-- recipient is refused at RCPT time is not stored at all.
--
-- 0012: numbers are left free for migrations written at the same time on
-- other branches.

ALTER TABLE events ADD COLUMN from_handler boolean NOT NULL DEFAULT false;

ALTER TABLE notifications ADD COLUMN reply_to text NOT NULL DEFAULT '';

CREATE TABLE reply_addresses (
    token_hash    text PRIMARY KEY,
    case_id       text NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    event_id      text NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    handler_email text NOT NULL,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL
);

CREATE INDEX reply_addresses_expires_at ON reply_addresses (expires_at);

-- No foreign keys: the log outlives the cases.
CREATE TABLE inbound_mail (
    id                  bigserial PRIMARY KEY,
    outcome             text NOT NULL CHECK (outcome IN ('accepted', 'rejected', 'dropped')),
    reason              text NOT NULL DEFAULT '',
    message_id          text NOT NULL DEFAULT '',
    envelope_from       text NOT NULL DEFAULT '',
    header_from         text NOT NULL DEFAULT '',
    subject             text NOT NULL DEFAULT '',
    case_id             text NOT NULL DEFAULT '',
    organisation_number text NOT NULL DEFAULT '',
    event_id            text NOT NULL DEFAULT '',
    size                bigint NOT NULL DEFAULT 0,
    received_at         timestamptz NOT NULL,
    raw                 bytea NOT NULL
);

-- Exactly once: a redelivered reply (same Message-ID) adds nothing.
CREATE UNIQUE INDEX inbound_mail_accepted_message_id ON inbound_mail (message_id) WHERE outcome = 'accepted';
CREATE INDEX inbound_mail_outcome_received_at ON inbound_mail (outcome, received_at);
-- The case system's list of replies to register (diarieföring).
CREATE INDEX inbound_mail_organisation_id ON inbound_mail (organisation_number, id);
