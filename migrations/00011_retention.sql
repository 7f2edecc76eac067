-- +goose Up
-- Issue 10 §3: retention. Each kind of row (calls, notifications, refused
-- pushes, heartbeats, failed handshakes, and the audit trail only when an
-- administrator sets a window) is deleted once older than its window, in
-- small batches, by internal/retention. Every run is a row here: the
-- policy it applied, what it deleted, how it ended. The admin page shows
-- the latest; each run is also one audit entry.
CREATE TABLE retention_runs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at  timestamptz NOT NULL DEFAULT now(),
    -- Written as the run goes: a run whose process died stops moving and
    -- is marked abandoned by the next claim.
    progress_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    trigger     text NOT NULL CHECK (trigger IN ('schedule', 'manual', 'cli')),
    actor       text NOT NULL,
    -- The one-time key of the "Run now" form, so a second submit starts
    -- nothing.
    form_key    text,
    status      text NOT NULL DEFAULT 'running'
                CHECK (status IN ('running', 'done', 'failed', 'stopped', 'abandoned')),
    -- kind → seconds kept (a kind kept for ever is absent)
    policy      jsonb NOT NULL,
    -- kind → rows deleted so far
    deleted     jsonb NOT NULL DEFAULT '{}',
    error       text NOT NULL DEFAULT '',
    CHECK ((finished_at IS NULL) = (status = 'running'))
);
-- One run at a time, whichever process asks.
CREATE UNIQUE INDEX retention_runs_one_running ON retention_runs ((true)) WHERE finished_at IS NULL;
CREATE UNIQUE INDEX retention_runs_form_key ON retention_runs (form_key) WHERE form_key IS NOT NULL;

-- Retention keeps the register call of every subscription (its page links
-- to it): each batch asks whether a call is one. submissions rows go with
-- their call. Both tables are small (a row per subscription, per register
-- form), so plain builds are short.
CREATE INDEX subscriptions_register_call_idx ON subscriptions (register_call_id);
CREATE INDEX submissions_call_idx ON submissions (call_id);

-- When an administrator gives the audit trail a window, its oldest entries
-- are deleted from the start of the chain. The hash of the last entry
-- deleted is kept here, so verification starts from it instead of from
-- the genesis hash and the rest of the chain still proves itself.
CREATE TABLE audit_anchor (
    one        boolean PRIMARY KEY DEFAULT true CHECK (one),
    through_id bigint NOT NULL,     -- the last entry deleted
    hash       bytea NOT NULL,      -- its hash: the prev_hash of the first entry kept
    at         timestamptz NOT NULL DEFAULT now()
);

-- The audit trail stays append-only, except for the deletes retention
-- makes in a transaction that says so (SET LOCAL ccsub.audit_retention);
-- only internal/store's DeleteAuditBefore does, and only when a window is
-- set. TRUNCATE and UPDATE are refused as before.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('ccsub.audit_retention', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd
DROP TABLE audit_anchor;
DROP INDEX submissions_call_idx;
DROP INDEX subscriptions_register_call_idx;
DROP TABLE retention_runs;
