-- +goose Up
-- Server-side sessions: the cookie carries only a random id, so a session
-- can be revoked (logout, role change, disable) on every process at once.
CREATE TABLE sessions (
    id           text PRIMARY KEY,            -- SHA-256 (hex) of the random token in the cookie
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,        -- absolute lifetime
    source_addr  text NOT NULL DEFAULT '',
    user_agent   text NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- Failed sign-ins, counted per account and per source address in a sliding
-- window; shared by every process.
CREATE TABLE login_failures (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    username    text NOT NULL,               -- lower-cased, as typed (may not exist)
    source_addr text NOT NULL
);
CREATE INDEX login_failures_user_idx ON login_failures (username, at);
CREATE INDEX login_failures_addr_idx ON login_failures (source_addr, at);

ALTER TABLE users ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- API tokens: shown once, stored as SHA-256 (they are 256-bit random, so a
-- fast hash is enough), scoped to a role, expiring.
CREATE TABLE api_tokens (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text NOT NULL,
    token_hash   bytea NOT NULL UNIQUE,
    prefix       text NOT NULL,              -- first characters, to recognise a token in lists
    role         text NOT NULL CHECK (role IN ('admin', 'operator', 'auditor')),
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at   timestamptz
);

-- The audit trail: append-only (a trigger refuses UPDATE and DELETE) and
-- hash-chained (each row's hash covers the previous row's hash and its own
-- content), so an edit made behind the trigger's back is detectable.
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor       text NOT NULL,
    source_addr text NOT NULL DEFAULT '',
    user_agent  text NOT NULL DEFAULT '',
    action      text NOT NULL,
    target_type text NOT NULL DEFAULT '',
    target_id   text NOT NULL DEFAULT '',
    target_name text NOT NULL DEFAULT '',
    outcome     text NOT NULL DEFAULT 'success',
    diff        text NOT NULL DEFAULT '{}',   -- exact JSON bytes that were hashed
    prev_hash   bytea NOT NULL,
    hash        bytea NOT NULL,
    PRIMARY KEY (at, id)
);
CREATE UNIQUE INDEX audit_log_id_key ON audit_log (id);
CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id, at, id);
CREATE INDEX audit_log_action_idx ON audit_log (action, at, id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor, at, id);

-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- +goose Down
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE api_tokens;
ALTER TABLE users DROP COLUMN updated_at;
DROP TABLE login_failures;
DROP TABLE sessions;
