-- +goose Up
-- Issue 11 §6: an administrator may disable a gateway (no new register,
-- no keep-alive login) or remove it, but only while no subscription on it
-- is live (any state but cancelled). Subscriptions reference gateways by a
-- foreign key and the history names them, so removing is soft: the row
-- stays, with removed_at, hidden from every list and picker, still named
-- on the calls and subscriptions it served. A removed gateway's name is
-- free for a new one.
ALTER TABLE gateways ADD COLUMN disabled boolean NOT NULL DEFAULT false,
                     ADD COLUMN removed_at timestamptz;
DROP INDEX gateways_name_key;
CREATE UNIQUE INDEX gateways_name_key ON gateways (lower(name)) WHERE removed_at IS NULL;

-- +goose Down
DROP INDEX gateways_name_key;
CREATE UNIQUE INDEX gateways_name_key ON gateways (lower(name));
ALTER TABLE gateways DROP COLUMN removed_at, DROP COLUMN disabled;
