-- readiness: the one row the readiness check (GET /readyz) writes, at most
-- once a second, to learn that the database takes writes; a database that
-- is read-only or out of space refuses it. It holds the node that wrote it
-- last and when.
--
-- As in 0001: timestamps are RFC 3339 TEXT in UTC, tables are STRICT.
CREATE TABLE readiness (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    node       TEXT NOT NULL,
    written_at TEXT NOT NULL
) STRICT;
