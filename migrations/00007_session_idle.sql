-- +goose Up
-- Issue 9 §7: a session's idle limit is its own, fixed at sign-in from the
-- signing-in process's CCSUB_SESSION_IDLE, like its absolute expiry
-- (expires_at). Every process decides "idle too long" and prunes from the
-- stored value, so a process with a shorter setting no longer ends the
-- sessions of the others. Sessions from before this migration get the
-- default setting (30 minutes); a process of an older version that inserts
-- without the column gets it too.
ALTER TABLE sessions ADD COLUMN idle_limit interval NOT NULL DEFAULT interval '30 minutes';

-- +goose Down
ALTER TABLE sessions DROP COLUMN idle_limit;
