-- Cases (ärenden), their events (händelser) and what a case system's signal
-- brings with them, written by RecordSignal in one transaction; the SHS
-- messages they arrived in; the SHS messages ME refused; and the outbox of
-- notifications to send.

-- Every accepted SHS message, kept whole for audit and replay. tx_id makes a
-- resent message a no-op. No foreign keys: the log outlives the cases.
CREATE TABLE shs_messages (
    tx_id           text PRIMARY KEY,
    corr_id         text NOT NULL DEFAULT '',
    content_id      text NOT NULL DEFAULT '',
    local_id        text NOT NULL UNIQUE,
    from_org        text NOT NULL DEFAULT '',
    to_org          text NOT NULL DEFAULT '',
    product         text NOT NULL DEFAULT '',
    sequence_type   text NOT NULL DEFAULT '',
    transfer_type   text NOT NULL DEFAULT '',
    client          text NOT NULL DEFAULT '',
    arrival         timestamptz NOT NULL,
    case_id         text,
    event_id        text,
    -- The message carried an event the case already had: nothing but this
    -- row was written.
    duplicate_event boolean NOT NULL DEFAULT false,
    raw             bytea NOT NULL
);

-- SHS messages ME refused, with the SHS error code and why.
CREATE TABLE shs_rejections (
    id       bigserial PRIMARY KEY,
    received timestamptz NOT NULL,
    tx_id    text NOT NULL DEFAULT '', -- when the label could be read
    client   text NOT NULL DEFAULT '',
    code     text NOT NULL,
    reason   text NOT NULL DEFAULT '',
    raw      bytea NOT NULL
);

CREATE INDEX shs_rejections_received ON shs_rejections (received);

CREATE TABLE cases (
    id                  text PRIMARY KEY,
    organisation_number text NOT NULL REFERENCES organisations (number),
    external_id         text NOT NULL,
    case_number         text NOT NULL DEFAULT '',
    title_sv            text NOT NULL,
    title_en            text NOT NULL DEFAULT '',
    status              text NOT NULL CHECK (status IN ('received', 'inProgress', 'awaitingCitizen', 'decided', 'closed')),
    handler_name        text NOT NULL DEFAULT '',
    handler_email       text NOT NULL DEFAULT '',
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    archived_at         timestamptz,
    UNIQUE (organisation_number, external_id)
);

CREATE INDEX cases_updated_at ON cases (updated_at);

-- Signals fill these in when they give them and never blank them. name is
-- given_name and surname joined.
ALTER TABLE citizens ADD COLUMN given_name  text NOT NULL DEFAULT '';
ALTER TABLE citizens ADD COLUMN surname     text NOT NULL DEFAULT '';
ALTER TABLE citizens ADD COLUMN care_of     text NOT NULL DEFAULT '';
ALTER TABLE citizens ADD COLUMN street      text NOT NULL DEFAULT '';
ALTER TABLE citizens ADD COLUMN postal_code text NOT NULL DEFAULT '';
ALTER TABLE citizens ADD COLUMN city        text NOT NULL DEFAULT '';
ALTER TABLE citizens ADD COLUMN country     text NOT NULL DEFAULT '';

-- The citizens a case concerns. Signals add citizens and never remove any.
CREATE TABLE case_citizens (
    case_id                  text NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    personal_identity_number text NOT NULL REFERENCES citizens (personal_identity_number),
    PRIMARY KEY (case_id, personal_identity_number)
);

CREATE INDEX case_citizens_personal_identity_number ON case_citizens (personal_identity_number);

CREATE TABLE events (
    id           text PRIMARY KEY,
    case_id      text NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    external_id  text NOT NULL DEFAULT '',
    time         timestamptz NOT NULL,
    title_sv     text NOT NULL,
    title_en     text NOT NULL DEFAULT '',
    text_sv      text NOT NULL DEFAULT '',
    text_en      text NOT NULL DEFAULT '',
    notify       boolean NOT NULL,
    from_citizen boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL,
    tx_id        text NOT NULL DEFAULT '' -- the SHS message that brought it
);

-- A case system's event id makes resending safe.
CREATE UNIQUE INDEX events_case_external_id ON events (case_id, external_id) WHERE external_id <> '';
CREATE INDEX events_case_time ON events (case_id, time);

CREATE TABLE attachments (
    id         text PRIMARY KEY,
    event_id   text NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    position   integer NOT NULL, -- order in the signal, from 0
    signal_id  text NOT NULL,    -- the id the signal gave it
    file_name  text NOT NULL,
    media_type text NOT NULL,
    size       bigint NOT NULL,
    content    bytea NOT NULL,
    UNIQUE (event_id, position)
);

CREATE TABLE actions (
    id                    text PRIMARY KEY,
    event_id              text NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    position              integer NOT NULL, -- order offered, from 0
    external_id           text NOT NULL DEFAULT '',
    type                  text NOT NULL CHECK (type IN ('download', 'message', 'complete', 'archive')),
    label_sv              text NOT NULL DEFAULT '',
    label_en              text NOT NULL DEFAULT '',
    state                 text NOT NULL CHECK (state IN ('available', 'done')),
    done_at               timestamptz,
    attachment_id         text REFERENCES attachments (id), -- download
    eservice_id           text NOT NULL DEFAULT '',         -- complete
    eservice_organisation text NOT NULL DEFAULT '',
    due_date              text NOT NULL DEFAULT '',         -- YYYY-MM-DD
    completion_data       text NOT NULL DEFAULT '',         -- raw XML
    UNIQUE (event_id, position)
);

-- Notifications to send. RecordSignal writes intents; the sender takes
-- pending rows whose next_attempt_at has come. No foreign keys: a row whose
-- case or citizen is gone by then is skipped.
CREATE TABLE outbox (
    id                       bigserial PRIMARY KEY,
    kind                     text NOT NULL, -- 'event'
    organisation_number      text NOT NULL,
    case_id                  text NOT NULL,
    event_id                 text NOT NULL DEFAULT '',
    personal_identity_number text NOT NULL,
    created_at               timestamptz NOT NULL,
    state                    text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    attempts                 integer NOT NULL DEFAULT 0,
    next_attempt_at          timestamptz NOT NULL,
    last_error               text NOT NULL DEFAULT '',
    sent_at                  timestamptz
);

CREATE INDEX outbox_state_next_attempt_at ON outbox (state, next_attempt_at);
