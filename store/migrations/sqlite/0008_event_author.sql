-- Who made a citizen's event (a message to the handler, a completion): a
-- case may concern several citizens, and each portal must tell the
-- logged-in citizen's own events from a co-applicant's. Empty for the case
-- system's events and when ME does not know.
--
-- 0008, not 0007: numbers are left free for migrations written at the
-- same time on other branches.

ALTER TABLE events ADD COLUMN author TEXT NOT NULL DEFAULT '';

-- A message's author is the one citizen who read it when it was written:
-- AddCitizenMessage marks it read for the sender with no portal client,
-- while every other read (MarkEventRead) names its client. Completions
-- recorded before this migration stay without author: nothing kept says
-- whose they were.
UPDATE events SET author = (
    SELECT r.personal_identity_number FROM event_reads r
    WHERE r.event_id = events.id AND r.client = ''
    ORDER BY r.read_at LIMIT 1)
WHERE from_citizen = 1 AND EXISTS (
    SELECT 1 FROM event_reads r WHERE r.event_id = events.id AND r.client = '');
