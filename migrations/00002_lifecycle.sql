-- +goose Up
-- Keep-alive state lives on the subscription row (small, hot table); a
-- successful handshake is a counter update, never a history row.
ALTER TABLE subscriptions
    ADD COLUMN auto_reregister      boolean NOT NULL DEFAULT false,
    ADD COLUMN next_due_at          timestamptz,
    ADD COLUMN lease_owner          text NOT NULL DEFAULT '',
    ADD COLUMN lease_until          timestamptz,
    ADD COLUMN last_handshake_at    timestamptz,
    ADD COLUMN last_success_at      timestamptz,
    ADD COLUMN handshakes_ok        bigint NOT NULL DEFAULT 0,
    ADD COLUMN handshakes_failed    bigint NOT NULL DEFAULT 0,
    ADD COLUMN consecutive_failures integer NOT NULL DEFAULT 0,
    ADD COLUMN lapsed_at            timestamptz,
    ADD COLUMN replaced_by_id       bigint REFERENCES subscriptions (id),
    -- Set when ccsub itself is the callback target: the opaque key in the
    -- receiver URL (never the sequential id).
    ADD COLUMN receiver_key         text;
CREATE UNIQUE INDEX subscriptions_receiver_key_key ON subscriptions (receiver_key) WHERE receiver_key IS NOT NULL;
UPDATE subscriptions SET next_due_at = now(), last_success_at = created_at WHERE state IN ('active', 'degraded');
-- The keep-alive engine claims due work through this index.
CREATE INDEX subscriptions_due_idx ON subscriptions (next_due_at) WHERE state IN ('active', 'degraded');

-- A register whose outcome is unknown is listed as a subscription in state
-- unknown without a serverId, so "is it working?" shows it; only real
-- serverIds must be unique per gateway.
ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_gateway_id_server_id_key;
CREATE UNIQUE INDEX subscriptions_gateway_server_key ON subscriptions (gateway_id, server_id) WHERE server_id <> '';

-- A compact 24-hour timeline per subscription: one row per 5-minute bucket.
CREATE TABLE heartbeats (
    subscription_id bigint NOT NULL,
    bucket          timestamptz NOT NULL,
    ok              integer NOT NULL DEFAULT 0,
    failed          integer NOT NULL DEFAULT 0,
    PRIMARY KEY (subscription_id, bucket)
);

-- +goose Down
DROP TABLE heartbeats;
DROP INDEX subscriptions_gateway_server_key;
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_gateway_id_server_id_key UNIQUE (gateway_id, server_id);
DROP INDEX subscriptions_due_idx;
DROP INDEX subscriptions_receiver_key_key;
ALTER TABLE subscriptions
    DROP COLUMN auto_reregister, DROP COLUMN next_due_at, DROP COLUMN lease_owner, DROP COLUMN lease_until,
    DROP COLUMN last_handshake_at, DROP COLUMN last_success_at, DROP COLUMN handshakes_ok,
    DROP COLUMN handshakes_failed, DROP COLUMN consecutive_failures, DROP COLUMN lapsed_at,
    DROP COLUMN replaced_by_id, DROP COLUMN receiver_key;
