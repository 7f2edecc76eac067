-- +goose Up
-- Issue 10, point 2: the subscriptions list at 100,000 subscriptions, with
-- filters, keyset paging and counts by state (internal/store/
-- subscriptions_list.go). Plain builds in one transaction, not
-- CONCURRENTLY: the table holds a row per serverId (100,000 build in about
-- a second, during which the keep-alive engine's writes wait), and the
-- counters below must be filled under the same lock that installs their
-- trigger, or a change in between would be counted twice or not at all.

-- Newest first, unfiltered: the keyset (created_at, id).
CREATE INDEX subscriptions_created_idx ON subscriptions (created_at, id);
-- One state, or a few (ranges of it, sorted when the planner prefers).
CREATE INDEX subscriptions_state_created_idx ON subscriptions (state, created_at, id);
-- A gateway, with or without states.
CREATE INDEX subscriptions_gateway_state_created_idx ON subscriptions (gateway_id, state, created_at, id);
-- Text at the start of the serverId or of the callback address (every
-- term without pg_trgm, and terms too short for a trigram with it), as the
-- history does (00009). The trigram index that finds a term anywhere,
-- subscriptions_text_trgm_idx, is built by database.Migrate when pg_trgm
-- can be created (internal/database/textsearch.go).
CREATE INDEX subscriptions_server_id_prefix_idx ON subscriptions (server_id text_pattern_ops) WHERE server_id <> '';
CREATE INDEX subscriptions_callback_prefix_idx ON subscriptions (lower(callback_uri) text_pattern_ops);

-- Counts by state, per gateway, kept by triggers: counting 100,000 rows
-- takes 20-30 ms on every page view, reading these rows well under one.
-- Each (gateway, state) has 16 slots, and a change adds to the slot of its
-- database session: the keep-alive engine's concurrent state changes then
-- rarely wait for one another's commit on a shared counter row. A count is
-- the sum of the slots.
CREATE TABLE subscription_counts (
    gateway_id bigint NOT NULL,
    state      text NOT NULL,
    slot       smallint NOT NULL,
    n          bigint NOT NULL,
    PRIMARY KEY (gateway_id, state, slot)
);

-- Rows inserted or deleted are counted once per statement, grouped: a
-- bulk load (COPY, INSERT … SELECT) or a batch of deletions updates each
-- counter row once, not once per row, which within one transaction would
-- grow a chain of row versions to walk at every update. Rows are locked in
-- key order, so two statements cannot deadlock on them.
-- +goose StatementBegin
CREATE FUNCTION subscription_counts_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO subscription_counts AS c (gateway_id, state, slot, n)
    SELECT gateway_id, state, pg_backend_pid() % 16, count(*) FROM inserted
    GROUP BY gateway_id, state ORDER BY gateway_id, state
    ON CONFLICT (gateway_id, state, slot) DO UPDATE SET n = c.n + excluded.n;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION subscription_counts_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO subscription_counts AS c (gateway_id, state, slot, n)
    SELECT gateway_id, state, pg_backend_pid() % 16, -count(*) FROM deleted
    GROUP BY gateway_id, state ORDER BY gateway_id, state
    ON CONFLICT (gateway_id, state, slot) DO UPDATE SET n = c.n + excluded.n;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
-- A move is counted per row: the keep-alive engine and the actions move
-- one subscription per statement. (A statement with a transition table
-- would run on every handshake, which writes state = 'active' over
-- 'active' every two minutes per subscription; a row trigger's WHEN test
-- costs nearly nothing.) Its two counter rows are locked in key order.
-- +goose StatementBegin
CREATE FUNCTION subscription_counts_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO subscription_counts AS c (gateway_id, state, slot, n)
    SELECT k.gateway_id, k.state, pg_backend_pid() % 16, k.n
    FROM (VALUES (OLD.gateway_id, OLD.state, -1), (NEW.gateway_id, NEW.state, 1)) AS k (gateway_id, state, n)
    ORDER BY k.gateway_id, k.state
    ON CONFLICT (gateway_id, state, slot) DO UPDATE SET n = c.n + excluded.n;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION subscription_counts_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM subscription_counts;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

LOCK TABLE subscriptions IN SHARE ROW EXCLUSIVE MODE;
CREATE TRIGGER subscriptions_count_inserted AFTER INSERT ON subscriptions
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION subscription_counts_inserted();
CREATE TRIGGER subscriptions_count_deleted AFTER DELETE ON subscriptions
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION subscription_counts_deleted();
CREATE TRIGGER subscriptions_count_moved AFTER UPDATE OF state, gateway_id ON subscriptions
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.gateway_id IS DISTINCT FROM NEW.gateway_id)
    EXECUTE FUNCTION subscription_counts_moved();
CREATE TRIGGER subscriptions_count_truncated AFTER TRUNCATE ON subscriptions
    FOR EACH STATEMENT EXECUTE FUNCTION subscription_counts_truncated();
INSERT INTO subscription_counts (gateway_id, state, slot, n)
    SELECT gateway_id, state, 0, count(*) FROM subscriptions GROUP BY gateway_id, state;

-- +goose Down
DROP TRIGGER subscriptions_count_truncated ON subscriptions;
DROP TRIGGER subscriptions_count_moved ON subscriptions;
DROP TRIGGER subscriptions_count_deleted ON subscriptions;
DROP TRIGGER subscriptions_count_inserted ON subscriptions;
DROP FUNCTION subscription_counts_truncated();
DROP FUNCTION subscription_counts_moved();
DROP FUNCTION subscription_counts_deleted();
DROP FUNCTION subscription_counts_inserted();
DROP TABLE subscription_counts;
DROP INDEX subscriptions_callback_prefix_idx;
DROP INDEX subscriptions_server_id_prefix_idx;
DROP INDEX subscriptions_gateway_state_created_idx;
DROP INDEX subscriptions_state_created_idx;
DROP INDEX subscriptions_created_idx;
