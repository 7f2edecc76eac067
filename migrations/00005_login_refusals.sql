-- +goose Up
-- A gateway login refused with 107-003 (wrong password) or 107-004 (invalid
-- account) is remembered on the gateway's row, so that every ccsub process,
-- and the same one after a restart, knows it: the gateway locks the account
-- after repeated wrong passwords, and a refusal kept in one process's memory
-- let the others (and the next start) send the same password again.
--
-- login_refused_password is the sealed password value the refused login was
-- made with, never the password or a hash of it. The refusal holds only
-- while it equals password_sealed: saving a new password seals a new value
-- (and clears the refusal explicitly), which is exactly when trying again is
-- right. `ccsub secrets rotate` re-seals it together with password_sealed.
--
-- login_retry_at reserves an administrator's one retry ("Try the login once
-- more"), so two clicks or two processes cannot turn it into two logins.
--
-- login_refusals_ended counts the refusals ended on purpose (a new password
-- or agent ID, a retry that logged in). Each process's gateway client also
-- remembers a refusal it saw, as a second guard; a memory from before a
-- later end no longer counts, so a retry that logged in in one process
-- frees the others too.
ALTER TABLE gateways
    ADD COLUMN login_refused_at       timestamptz,
    ADD COLUMN login_refused_retcode  text NOT NULL DEFAULT '',
    ADD COLUMN login_refused_message  text NOT NULL DEFAULT '',
    ADD COLUMN login_refused_password bytea,
    ADD COLUMN login_retry_at         timestamptz,
    ADD COLUMN login_refusals_ended   bigint NOT NULL DEFAULT 0,
    ADD CONSTRAINT gateways_login_refusal_whole
        CHECK ((login_refused_at IS NULL) = (login_refused_password IS NULL));

-- +goose Down
ALTER TABLE gateways
    DROP CONSTRAINT gateways_login_refusal_whole,
    DROP COLUMN login_refusals_ended,
    DROP COLUMN login_retry_at,
    DROP COLUMN login_refused_password,
    DROP COLUMN login_refused_message,
    DROP COLUMN login_refused_retcode,
    DROP COLUMN login_refused_at;
