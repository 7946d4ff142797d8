-- What the portal service needs: which events each citizen has read, each
-- citizen's archiving of a case, the audit log of reads of personal data,
-- the outbox of e-mail to send, and indexes for a citizen's case listing.

-- The seen log: an event read on one portal is read on all. The first read
-- is kept.
CREATE TABLE event_reads (
    event_id                 text NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    personal_identity_number text NOT NULL,
    read_at                  timestamptz NOT NULL,
    client                   text NOT NULL DEFAULT '', -- the portal it was first read on
    PRIMARY KEY (event_id, personal_identity_number)
);

-- Archiving is per citizen: one citizen's archived case is still in the
-- other citizens' listings. (cases.archived_at from 0002 is not used.)
ALTER TABLE case_citizens ADD COLUMN archived_at timestamptz;

-- Every read of a citizen's personal data by a client. No foreign keys: the
-- log outlives the cases.
CREATE TABLE audit_log (
    id                       bigserial PRIMARY KEY,
    at                       timestamptz NOT NULL,
    client                   text NOT NULL DEFAULT '',
    personal_identity_number text NOT NULL,
    operation                text NOT NULL,
    object                   text NOT NULL DEFAULT ''
);

CREATE INDEX audit_log_personal_identity_number_at ON audit_log (personal_identity_number, at);

-- E-mail to send, e.g. a citizen's message forwarded to the case handler.
-- A sender claims pending rows whose next_attempt_at has come by setting
-- them 'sending' with next_attempt_at at the end of its lease, so a row of
-- a sender that died comes back when the lease runs out. message_id is the
-- Message-ID, the same on every attempt.
CREATE TABLE mail_outbox (
    id              bigserial PRIMARY KEY,
    message_id      text NOT NULL UNIQUE,
    recipient       text NOT NULL,
    reply_to        text NOT NULL DEFAULT '',
    subject         text NOT NULL DEFAULT '',
    body            text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_error      text NOT NULL DEFAULT '',
    sent_at         timestamptz
);

CREATE INDEX mail_outbox_state_next_attempt_at ON mail_outbox (state, next_attempt_at);

-- A citizen's listing starts from their case_citizens rows (covering: the
-- case ids come from the index alone) and reads each case by its key; a
-- citizen has few cases, so sorting them is cheap however many cases there
-- are. The replaced index on personal_identity_number alone is a prefix of
-- this one.
DROP INDEX case_citizens_personal_identity_number;
CREATE INDEX case_citizens_personal_identity_number_case_id ON case_citizens (personal_identity_number, case_id);

-- An organisation's cases, newest activity first, and all cases in that
-- order (keyset paging on updated_at, id). The second replaces the index on
-- updated_at alone.
CREATE INDEX cases_organisation_number_updated_at_id ON cases (organisation_number, updated_at, id);
DROP INDEX cases_updated_at;
CREATE INDEX cases_updated_at_id ON cases (updated_at DESC, id DESC);
