-- A citizen's listing reads one page, not every case of the citizen: each
-- case_citizens row keeps its case's updated_at and how many of the case's
-- events this citizen has not read, so a page of 20 is the first 21 entries
-- of one index, and its unread counts are read off the rows. Both are kept
-- by the store in the transaction that changes them (store/cases.go,
-- store/events.go); this migration fills them for the rows already there.
ALTER TABLE case_citizens ADD COLUMN updated_at timestamptz;
ALTER TABLE case_citizens ADD COLUMN unread integer NOT NULL DEFAULT 0;

UPDATE case_citizens SET updated_at = (SELECT c.updated_at FROM cases c WHERE c.id = case_citizens.case_id);
UPDATE case_citizens SET unread = (
    SELECT count(*) FROM events e
    WHERE e.case_id = case_citizens.case_id AND NOT EXISTS (
        SELECT 1 FROM event_reads r
        WHERE r.event_id = e.id AND r.personal_identity_number = case_citizens.personal_identity_number));

-- Covering: the page's rows come from the index alone.
CREATE INDEX case_citizens_personal_identity_number_updated_at
    ON case_citizens (personal_identity_number, updated_at, case_id, archived_at, unread);
DROP INDEX case_citizens_personal_identity_number_case_id;

-- The newest event of a case (by time, then when stored, then id) is the
-- first entry of this index, for the listing's "latest event" title.
CREATE INDEX events_case_latest ON events (case_id, time, created_at, id);
DROP INDEX events_case_time;
