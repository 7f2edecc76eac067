-- +goose NO TRANSACTION
-- +goose Up
-- Issue 10, point 1: text search that scales (docs/decisions.md, "Text
-- search in the history"). Every statement may run again after a failure
-- half way: this file runs outside a transaction, so its indexes can be
-- built CONCURRENTLY while the history keeps being written.
--
-- The history's text search looks terms up among the distinct callback
-- addresses and messages first (call_texts: thousands of rows where calls
-- has tens of millions), then reads the newest calls of each value found
-- through a btree that holds them in list order. An unordered index over
-- calls (a trigram index) must read and sort every match, which takes
-- hundreds of milliseconds for a term found in 0.1 % of 10 million calls.
-- The trigram index that finds terms anywhere is on call_texts and needs
-- pg_trgm, which not every database lets ccsub create: database.Migrate
-- builds it after the migrations when it can (internal/database/
-- textsearch.go). Without it terms are matched at the start of the text,
-- which call_texts_start_idx serves.
--
-- Messages are cut to their first 200 characters (the platform's are
-- short), so no btree key can grow past PostgreSQL's limit; callback
-- addresses are at most 200 characters (forms and API alike) and are kept
-- whole.
--
-- Terms are matched ignoring case against folded, stored lower-cased: LIKE
-- on it costs a fraction of ILIKE on value, which matters when the planner
-- reads a small call_texts whole.
CREATE TABLE IF NOT EXISTS call_texts (
    kind   text NOT NULL CHECK (kind IN ('callback', 'message')),
    value  text NOT NULL CHECK (value <> ''),
    folded text NOT NULL GENERATED ALWAYS AS (lower(value)) STORED,
    PRIMARY KEY (kind, value)
);
CREATE INDEX IF NOT EXISTS call_texts_start_idx ON call_texts (kind, folded text_pattern_ops);

-- Kept by statement triggers: one INSERT per statement, so a bulk load
-- pays one pass, not a function call per row. A value already there is
-- skipped by a look-up before ON CONFLICT, whose speculative insertion costs
-- more (a single-row insert of calls pays 10–35 µs for the trigger, against
-- 80 µs without the look-up). Values are added in a fixed order, so two
-- transactions adding the same new values cannot deadlock. Rows deleted
-- from calls leave their values behind: a value without calls costs a
-- look-up that finds nothing.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION call_texts_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO call_texts (kind, value)
    SELECT DISTINCT t.kind, t.value
    FROM new_calls, LATERAL (VALUES ('callback', new_calls.callback_uri),
                                    ('message', left(new_calls.message, 200))) t(kind, value)
    WHERE t.value <> ''
        AND NOT EXISTS (SELECT 1 FROM call_texts c WHERE c.kind = t.kind AND c.value = t.value)
    ORDER BY t.kind, t.value
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
DROP TRIGGER IF EXISTS calls_texts_inserted ON calls;
CREATE TRIGGER calls_texts_inserted AFTER INSERT ON calls
    REFERENCING NEW TABLE AS new_calls FOR EACH STATEMENT EXECUTE FUNCTION call_texts_add();
DROP TRIGGER IF EXISTS calls_texts_updated ON calls;
CREATE TRIGGER calls_texts_updated AFTER UPDATE ON calls
    REFERENCING NEW TABLE AS new_calls FOR EACH STATEMENT EXECUTE FUNCTION call_texts_add();

-- The values of the calls written before the triggers (after them, so none
-- is missed).
INSERT INTO call_texts (kind, value)
SELECT DISTINCT 'callback', callback_uri FROM calls WHERE callback_uri <> ''
ON CONFLICT DO NOTHING;
INSERT INTO call_texts (kind, value)
SELECT DISTINCT 'message', left(message, 200) FROM calls WHERE message <> ''
ON CONFLICT DO NOTHING;
ANALYZE call_texts;

-- Each value's calls newest first: the LATERAL reads of store.ListCalls
-- walk these backwards and stop after a page. calls_callback_idx is read
-- alone (an index-only scan: started_at and id are in it); the planner of
-- PostgreSQL 15 does not read an expression index alone, so the message's
-- costs a visit to the table per call read.
DROP INDEX CONCURRENTLY IF EXISTS calls_callback_idx;
CREATE INDEX CONCURRENTLY calls_callback_idx ON calls (callback_uri, started_at, id)
    WHERE callback_uri <> '';
DROP INDEX CONCURRENTLY IF EXISTS calls_message_idx;
CREATE INDEX CONCURRENTLY calls_message_idx ON calls (left(message, 200), started_at, id)
    WHERE message <> '';

-- serverId: text_pattern_ops compares bytes, so the index serves both
-- "server_id = x" (newest first, no sort) and "server_id LIKE 'x%'" (a
-- range, read from the index alone) whatever the database's collation. It
-- replaces calls_server_id_idx, which served equality only.
DROP INDEX CONCURRENTLY IF EXISTS calls_server_id_prefix_idx;
CREATE INDEX CONCURRENTLY calls_server_id_prefix_idx ON calls (server_id text_pattern_ops, started_at, id)
    WHERE server_id <> '';
DROP INDEX CONCURRENTLY IF EXISTS calls_server_id_idx;

-- +goose Down
CREATE INDEX CONCURRENTLY IF NOT EXISTS calls_server_id_idx ON calls (server_id, started_at, id) WHERE server_id <> '';
DROP INDEX CONCURRENTLY IF EXISTS calls_server_id_prefix_idx;
DROP INDEX CONCURRENTLY IF EXISTS calls_message_idx;
DROP INDEX CONCURRENTLY IF EXISTS calls_callback_idx;
DROP TRIGGER IF EXISTS calls_texts_updated ON calls;
DROP TRIGGER IF EXISTS calls_texts_inserted ON calls;
DROP FUNCTION IF EXISTS call_texts_add();
DROP TABLE IF EXISTS call_texts;
