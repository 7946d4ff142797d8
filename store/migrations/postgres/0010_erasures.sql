-- erasures: the record of each `me citizen erase`: whose data, who erased
-- it, when, and how many rows went from each table (counts, a JSON object
-- of table name to rows). It keeps none of the erased data: the
-- personnummer stays because the case records ME keeps still name it, and
-- the record must answer "was I erased, and when?".
--
-- 0010: numbers are left free for migrations written at the same time on
-- other branches.
CREATE TABLE erasures (
    id                       bigserial PRIMARY KEY,
    at                       timestamptz NOT NULL,
    erased_by                text NOT NULL,
    personal_identity_number text NOT NULL,
    counts                   text NOT NULL DEFAULT '{}'
);

CREATE INDEX erasures_personal_identity_number ON erasures (personal_identity_number, at);
