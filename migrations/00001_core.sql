-- +goose Up
CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      text NOT NULL,
    role          text NOT NULL CHECK (role IN ('admin', 'operator', 'auditor')),
    password_hash text NOT NULL,
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now()
);
-- Usernames are compared case-insensitively so "Admin" cannot shadow "admin".
CREATE UNIQUE INDEX users_username_key ON users (lower(username));

CREATE TABLE gateways (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name              text NOT NULL,
    base_url          text NOT NULL,
    agent_id          bigint NOT NULL,
    password_sealed   bytea NOT NULL,
    ca_pem            text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    last_test_at      timestamptz,
    last_test_outcome text NOT NULL DEFAULT '',
    last_test_message text NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX gateways_name_key ON gateways (lower(name));

-- calls is append-heavy (tens of millions of rows later): the primary key
-- leads with the timestamp so the table can be range-partitioned by month,
-- and it doubles as the newest-first keyset index. Nothing references it.
CREATE TABLE calls (
    id               bigint GENERATED ALWAYS AS IDENTITY,
    started_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at      timestamptz,
    duration_us      bigint NOT NULL DEFAULT 0,
    gateway_id       bigint NOT NULL,
    gateway_name     text NOT NULL,
    actor            text NOT NULL,
    operation        text NOT NULL,
    outcome          text NOT NULL DEFAULT 'pending'
                     CHECK (outcome IN ('pending', 'success', 'rejected', 'failed', 'unknown')),
    http_status      integer NOT NULL DEFAULT 0,
    retcode          text NOT NULL DEFAULT '',
    message          text NOT NULL DEFAULT '',
    server_id        text NOT NULL DEFAULT '',
    callback_uri     text NOT NULL DEFAULT '',
    subscribe_type   text NOT NULL DEFAULT '',
    nlp_flag         boolean NOT NULL DEFAULT false,
    flow_access_code text NOT NULL DEFAULT '',
    token_present    boolean NOT NULL DEFAULT false,
    token_sealed     bytea,
    request_body     text NOT NULL DEFAULT '',
    response_body    text NOT NULL DEFAULT '',
    error            text NOT NULL DEFAULT '',
    attempts         integer NOT NULL DEFAULT 0,
    subscription_id  bigint,
    PRIMARY KEY (started_at, id)
);
CREATE INDEX calls_id_idx ON calls (id);
CREATE INDEX calls_retcode_idx ON calls (retcode, started_at, id);
CREATE INDEX calls_outcome_idx ON calls (outcome, started_at, id);
CREATE INDEX calls_server_id_idx ON calls (server_id, started_at, id) WHERE server_id <> '';
CREATE INDEX calls_pending_idx ON calls (started_at) WHERE outcome = 'pending';
-- Every filter of the history but the callback fragment has an index that
-- yields its rows newest first, so a rare gateway or operation is paged
-- without walking the whole table.
CREATE INDEX calls_gateway_idx ON calls (gateway_id, started_at, id);
CREATE INDEX calls_operation_idx ON calls (operation, started_at, id);

-- A form carries a one-time key so a double submit cannot register twice.
CREATE TABLE submissions (
    key        text PRIMARY KEY,
    call_id    bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE subscriptions (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    gateway_id       bigint NOT NULL REFERENCES gateways (id),
    server_id        text NOT NULL,
    state            text NOT NULL
                     CHECK (state IN ('active', 'degraded', 'lapsed', 'cancelled', 'unknown')),
    state_reason     text NOT NULL DEFAULT '',
    subscribe_type   text NOT NULL,
    callback_uri     text NOT NULL,
    nlp_flag         boolean NOT NULL,
    flow_access_code text NOT NULL DEFAULT '',
    token_sealed     bytea,
    created_by       text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    register_call_id bigint NOT NULL,
    replaces_id      bigint REFERENCES subscriptions (id),
    UNIQUE (gateway_id, server_id)
);

-- Cookie signing/encryption keys, sealed with the secret keyring, shared by
-- every ccsub process on this database. Newest first signs; all verify.
CREATE TABLE session_keys (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sealed     bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE session_keys;
DROP TABLE subscriptions;
DROP TABLE submissions;
DROP TABLE calls;
DROP TABLE gateways;
DROP TABLE users;
