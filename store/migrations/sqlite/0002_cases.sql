-- Cases (ärenden), their events (händelser) and what a case system's signal
-- brings with them, written by RecordSignal in one transaction; the SHS
-- messages they arrived in; the SHS messages ME refused; and the outbox of
-- notifications to send.
--
-- As in 0001: timestamps are RFC 3339 TEXT in UTC, tables are STRICT.
-- Booleans are INTEGER 0 or 1.

-- Every accepted SHS message, kept whole for audit and replay. tx_id makes a
-- resent message a no-op. No foreign keys: the log outlives the cases.
CREATE TABLE shs_messages (
    tx_id           TEXT PRIMARY KEY,
    corr_id         TEXT NOT NULL DEFAULT '',
    content_id      TEXT NOT NULL DEFAULT '',
    local_id        TEXT NOT NULL UNIQUE,
    from_org        TEXT NOT NULL DEFAULT '',
    to_org          TEXT NOT NULL DEFAULT '',
    product         TEXT NOT NULL DEFAULT '',
    sequence_type   TEXT NOT NULL DEFAULT '',
    transfer_type   TEXT NOT NULL DEFAULT '',
    client          TEXT NOT NULL DEFAULT '',
    arrival         TEXT NOT NULL,
    case_id         TEXT,
    event_id        TEXT,
    -- The message carried an event the case already had: nothing but this
    -- row was written.
    duplicate_event INTEGER NOT NULL DEFAULT 0 CHECK (duplicate_event IN (0, 1)),
    raw             BLOB NOT NULL
) STRICT;

-- SHS messages ME refused, with the SHS error code and why.
CREATE TABLE shs_rejections (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    received TEXT NOT NULL,
    tx_id    TEXT NOT NULL DEFAULT '', -- when the label could be read
    client   TEXT NOT NULL DEFAULT '',
    code     TEXT NOT NULL,
    reason   TEXT NOT NULL DEFAULT '',
    raw      BLOB NOT NULL
) STRICT;

CREATE INDEX shs_rejections_received ON shs_rejections (received);

CREATE TABLE cases (
    id                  TEXT PRIMARY KEY,
    organisation_number TEXT NOT NULL REFERENCES organisations (number),
    external_id         TEXT NOT NULL,
    case_number         TEXT NOT NULL DEFAULT '',
    title_sv            TEXT NOT NULL,
    title_en            TEXT NOT NULL DEFAULT '',
    status              TEXT NOT NULL CHECK (status IN ('received', 'inProgress', 'awaitingCitizen', 'decided', 'closed')),
    handler_name        TEXT NOT NULL DEFAULT '',
    handler_email       TEXT NOT NULL DEFAULT '',
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    archived_at         TEXT,
    UNIQUE (organisation_number, external_id)
) STRICT;

CREATE INDEX cases_updated_at ON cases (updated_at);

-- Signals fill these in when they give them and never blank them. name is
-- given_name and surname joined.
ALTER TABLE citizens ADD COLUMN given_name  TEXT NOT NULL DEFAULT '';
ALTER TABLE citizens ADD COLUMN surname     TEXT NOT NULL DEFAULT '';
ALTER TABLE citizens ADD COLUMN care_of     TEXT NOT NULL DEFAULT '';
ALTER TABLE citizens ADD COLUMN street      TEXT NOT NULL DEFAULT '';
ALTER TABLE citizens ADD COLUMN postal_code TEXT NOT NULL DEFAULT '';
ALTER TABLE citizens ADD COLUMN city        TEXT NOT NULL DEFAULT '';
ALTER TABLE citizens ADD COLUMN country     TEXT NOT NULL DEFAULT '';

-- The citizens a case concerns. Signals add citizens and never remove any.
CREATE TABLE case_citizens (
    case_id                  TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    personal_identity_number TEXT NOT NULL REFERENCES citizens (personal_identity_number),
    PRIMARY KEY (case_id, personal_identity_number)
) STRICT;

CREATE INDEX case_citizens_personal_identity_number ON case_citizens (personal_identity_number);

CREATE TABLE events (
    id           TEXT PRIMARY KEY,
    case_id      TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    external_id  TEXT NOT NULL DEFAULT '',
    time         TEXT NOT NULL,
    title_sv     TEXT NOT NULL,
    title_en     TEXT NOT NULL DEFAULT '',
    text_sv      TEXT NOT NULL DEFAULT '',
    text_en      TEXT NOT NULL DEFAULT '',
    notify       INTEGER NOT NULL CHECK (notify IN (0, 1)),
    from_citizen INTEGER NOT NULL DEFAULT 0 CHECK (from_citizen IN (0, 1)),
    created_at   TEXT NOT NULL,
    tx_id        TEXT NOT NULL DEFAULT '' -- the SHS message that brought it
) STRICT;

-- A case system's event id makes resending safe.
CREATE UNIQUE INDEX events_case_external_id ON events (case_id, external_id) WHERE external_id <> '';
CREATE INDEX events_case_time ON events (case_id, time);

CREATE TABLE attachments (
    id         TEXT PRIMARY KEY,
    event_id   TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL, -- order in the signal, from 0
    signal_id  TEXT NOT NULL,    -- the id the signal gave it
    file_name  TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size       INTEGER NOT NULL,
    content    BLOB NOT NULL,
    UNIQUE (event_id, position)
) STRICT;

CREATE TABLE actions (
    id                    TEXT PRIMARY KEY,
    event_id              TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    position              INTEGER NOT NULL, -- order offered, from 0
    external_id           TEXT NOT NULL DEFAULT '',
    type                  TEXT NOT NULL CHECK (type IN ('download', 'message', 'complete', 'archive')),
    label_sv              TEXT NOT NULL DEFAULT '',
    label_en              TEXT NOT NULL DEFAULT '',
    state                 TEXT NOT NULL CHECK (state IN ('available', 'done')),
    done_at               TEXT,
    attachment_id         TEXT REFERENCES attachments (id), -- download
    eservice_id           TEXT NOT NULL DEFAULT '',         -- complete
    eservice_organisation TEXT NOT NULL DEFAULT '',
    due_date              TEXT NOT NULL DEFAULT '',         -- YYYY-MM-DD
    completion_data       TEXT NOT NULL DEFAULT '',         -- raw XML
    UNIQUE (event_id, position)
) STRICT;

-- Notifications to send. RecordSignal writes intents; the sender takes
-- pending rows whose next_attempt_at has come. No foreign keys: a row whose
-- case or citizen is gone by then is skipped.
CREATE TABLE outbox (
    id                       INTEGER PRIMARY KEY AUTOINCREMENT,
    kind                     TEXT NOT NULL, -- 'event'
    organisation_number      TEXT NOT NULL,
    case_id                  TEXT NOT NULL,
    event_id                 TEXT NOT NULL DEFAULT '',
    personal_identity_number TEXT NOT NULL,
    created_at               TEXT NOT NULL,
    state                    TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    attempts                 INTEGER NOT NULL DEFAULT 0,
    next_attempt_at          TEXT NOT NULL,
    last_error               TEXT NOT NULL DEFAULT '',
    sent_at                  TEXT
) STRICT;

CREATE INDEX outbox_state_next_attempt_at ON outbox (state, next_attempt_at);
