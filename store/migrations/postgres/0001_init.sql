-- Organisations and clients mirror the YAML configuration (SyncOrganisations,
-- SyncClients); the rest is written through the SOAP services.

CREATE TABLE organisations (
    number     text PRIMARY KEY,
    name       text NOT NULL,
    portal_url text NOT NULL DEFAULT ''
);

CREATE TABLE clients (
    name                text PRIMARY KEY,
    organisation_number text NOT NULL REFERENCES organisations (number),
    role                text NOT NULL CHECK (role IN ('portal', 'casesystem', 'etjanst', 'catalog')),
    cert_fingerprint    text NOT NULL DEFAULT '',
    cert_subject        text NOT NULL DEFAULT '',
    secret_hash         text NOT NULL DEFAULT '',
    eservice_id         text NOT NULL DEFAULT ''
);

CREATE TABLE citizens (
    personal_identity_number text PRIMARY KEY,
    name                     text NOT NULL DEFAULT '',
    created_at               timestamptz NOT NULL,
    updated_at               timestamptz NOT NULL
);

CREATE TABLE eservices (
    organisation_number  text NOT NULL REFERENCES organisations (number),
    id                   text NOT NULL,
    name_sv              text NOT NULL,
    name_en              text NOT NULL DEFAULT '',
    description_sv       text NOT NULL DEFAULT '',
    description_en       text NOT NULL DEFAULT '',
    start_url            text NOT NULL DEFAULT '',
    ticket_parameter     text NOT NULL DEFAULT '',
    authentication_level integer NOT NULL DEFAULT 0,
    contact_name         text NOT NULL DEFAULT '',
    contact_email        text NOT NULL DEFAULT '',
    contact_phone        text NOT NULL DEFAULT '',
    contact_url          text NOT NULL DEFAULT '',
    -- Lower-cased name and description (sv, en), computed in Go so that
    -- matching is case-insensitive beyond ASCII on both databases.
    search_text          text NOT NULL DEFAULT '',
    published_at         timestamptz NOT NULL,
    withdrawn_at         timestamptz,
    updated_at           timestamptz NOT NULL,
    PRIMARY KEY (organisation_number, id)
);

CREATE TABLE eservice_areas (
    organisation_number text NOT NULL,
    eservice_id         text NOT NULL,
    area                text NOT NULL,
    PRIMARY KEY (organisation_number, eservice_id, area),
    FOREIGN KEY (organisation_number, eservice_id)
        REFERENCES eservices (organisation_number, id) ON DELETE CASCADE
);

CREATE INDEX eservice_areas_area ON eservice_areas (area);
