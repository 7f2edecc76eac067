-- +goose Up
-- Issue 11 §4: each user may choose the time zone the console shows times
-- and reads days in; '' means "my browser's" (reported by app.js in a
-- cookie). The name is an IANA zone, checked by ccsub when it is saved; it
-- is read with the session's own lookup, so it costs no query.
ALTER TABLE users ADD COLUMN time_zone text NOT NULL DEFAULT ''
    CONSTRAINT users_time_zone_len CHECK (length(time_zone) <= 64);

-- +goose Down
ALTER TABLE users DROP COLUMN time_zone;
