-- readiness: the one row the readiness check (GET /readyz) writes, at most
-- once a second per node, to learn that the database takes writes; a
-- database that is read-only or out of space refuses it. It holds the node
-- that wrote it last and when.
CREATE TABLE readiness (
    id         integer PRIMARY KEY CHECK (id = 1),
    node       text NOT NULL,
    written_at timestamptz NOT NULL
);
