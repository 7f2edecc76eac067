-- +goose Up
-- Issue 9 §6: a one-time key (a form's idempotencyKey, the API's
-- Idempotency-Key) answers a repeat of the same request with the first
-- call, and refuses the same key with another request. The fingerprint is
-- SHA-256 of the canonical request's non-secret fields (see
-- subscribe.fingerprint); the service token is compared by opening the
-- first call's sealed token, so no unkeyed hash of a secret is stored.
-- NULL (keys claimed before this migration) compares equal to anything:
-- such a repeat is replayed, as before.
ALTER TABLE submissions ADD COLUMN fingerprint bytea;

-- A call ccsub itself refused before sending anything (an address outside
-- CCSUB_GATEWAY_NETWORKS, an unusable gateway address or CA bundle, no
-- serverId, a login refusal it will not repeat): its outcome word stays
-- what it was (failed, or rejected for a remembered refusal), and this
-- says that nothing was sent. A constant default adds no table rewrite.
ALTER TABLE calls ADD COLUMN refused_by_ccsub boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE calls DROP COLUMN refused_by_ccsub;
ALTER TABLE submissions DROP COLUMN fingerprint;
