-- Retention (gallring): what the purge (store/retention.go) needs.
--
-- An accepted SHS message's payload goes before its row: the row, without
-- the payload, keeps its tx.id answering a resend as a duplicate for
-- retention.shs_tx_ids days. raw_purged_at says when the payload went
-- (raw is then empty).
--
-- 0011: numbers are left free for migrations written at the same time on
-- other branches.
ALTER TABLE shs_messages ADD COLUMN raw_purged_at timestamptz;

-- The purge finds rows past their time by these.
CREATE INDEX shs_messages_arrival ON shs_messages (arrival);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX notifications_created_at ON notifications (created_at);
CREATE INDEX outbox_created_at ON outbox (created_at);
