-- Organisations and clients mirror the YAML configuration (SyncOrganisations,
-- SyncClients); the rest is written through the SOAP services.
--
-- Timestamps are TEXT in RFC 3339, UTC, with a fixed nine-digit fraction
-- (2006-01-02T15:04:05.000000000Z) so that they sort chronologically.
-- STRICT makes SQLite reject values of the wrong type like PostgreSQL does.

CREATE TABLE organisations (
    number     TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    portal_url TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE clients (
    name                TEXT PRIMARY KEY,
    organisation_number TEXT NOT NULL REFERENCES organisations (number),
    role                TEXT NOT NULL CHECK (role IN ('portal', 'casesystem', 'etjanst', 'catalog')),
    cert_fingerprint    TEXT NOT NULL DEFAULT '',
    cert_subject        TEXT NOT NULL DEFAULT '',
    secret_hash         TEXT NOT NULL DEFAULT '',
    eservice_id         TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE citizens (
    personal_identity_number TEXT PRIMARY KEY,
    name                     TEXT NOT NULL DEFAULT '',
    created_at               TEXT NOT NULL,
    updated_at               TEXT NOT NULL
) STRICT;

CREATE TABLE eservices (
    organisation_number  TEXT NOT NULL REFERENCES organisations (number),
    id                   TEXT NOT NULL,
    name_sv              TEXT NOT NULL,
    name_en              TEXT NOT NULL DEFAULT '',
    description_sv       TEXT NOT NULL DEFAULT '',
    description_en       TEXT NOT NULL DEFAULT '',
    start_url            TEXT NOT NULL DEFAULT '',
    ticket_parameter     TEXT NOT NULL DEFAULT '',
    authentication_level INTEGER NOT NULL DEFAULT 0,
    contact_name         TEXT NOT NULL DEFAULT '',
    contact_email        TEXT NOT NULL DEFAULT '',
    contact_phone        TEXT NOT NULL DEFAULT '',
    contact_url          TEXT NOT NULL DEFAULT '',
    -- Lower-cased name and description (sv, en), computed in Go: SQLite's
    -- LOWER() and LIKE only fold ASCII, so "Å" would not match "å".
    search_text          TEXT NOT NULL DEFAULT '',
    published_at         TEXT NOT NULL,
    withdrawn_at         TEXT,
    updated_at           TEXT NOT NULL,
    PRIMARY KEY (organisation_number, id)
) STRICT;

CREATE TABLE eservice_areas (
    organisation_number TEXT NOT NULL,
    eservice_id         TEXT NOT NULL,
    area                TEXT NOT NULL,
    PRIMARY KEY (organisation_number, eservice_id, area),
    FOREIGN KEY (organisation_number, eservice_id)
        REFERENCES eservices (organisation_number, id) ON DELETE CASCADE
) STRICT;

CREATE INDEX eservice_areas_area ON eservice_areas (area);
