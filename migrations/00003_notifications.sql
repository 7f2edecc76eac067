-- +goose Up
-- notifications is append-heavy (every recognition result the platform
-- pushes, tens of millions of rows): like calls, the primary key leads with
-- the timestamp, so it is the global newest-first keyset index and the table
-- can be range-partitioned by month later. Nothing references it, and it
-- references nothing: a push for an unknown receiver key is stored too
-- (subscription_id NULL), and a subscription row may go without breaking it.
CREATE TABLE notifications (
    id              bigint GENERATED ALWAYS AS IDENTITY,
    received_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    subscription_id bigint,
    receiver_key    text NOT NULL,
    accepted        boolean NOT NULL,
    reason          text NOT NULL DEFAULT '',
    http_status     integer NOT NULL,
    server_id       text NOT NULL DEFAULT '',
    call_id         text NOT NULL DEFAULT '',
    speaker         text NOT NULL DEFAULT '',
    talker_id       text NOT NULL DEFAULT '',
    -- The recognised content, segments joined. When the platform marks any
    -- segment as encrypted (iscontentenc "1") text holds the ciphertext as
    -- received and text_encrypted is set: it is never shown as prose.
    text            text NOT NULL DEFAULT '',
    text_encrypted  boolean NOT NULL DEFAULT false,
    cause_code      text NOT NULL DEFAULT '',
    confidence      text NOT NULL DEFAULT '',
    -- The raw body, capped. It holds no secret: the token is a header, and
    -- is never stored.
    body            text NOT NULL DEFAULT '',
    body_truncated  boolean NOT NULL DEFAULT false,
    remote_addr     text NOT NULL DEFAULT '',
    -- sha256(receiver key, canonical body); set on accepted pushes only.
    digest          bytea,
    PRIMARY KEY (received_at, id)
);
-- The per-subscription inbox, newest first.
CREATE INDEX notifications_subscription_idx ON notifications (subscription_id, received_at, id);

-- Replay detection without a unique index on the (later partitioned)
-- notifications table: an accepted push first claims its digest here; a
-- replay finds it taken and is not stored again. Rows are small and only
-- needed for the platform's retry window, so they are pruned in batches by
-- received_at.
CREATE TABLE notification_digests (
    subscription_id bigint NOT NULL,
    digest          bytea NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subscription_id, digest)
);
CREATE INDEX notification_digests_received_idx ON notification_digests (received_at);

-- +goose Down
DROP TABLE notification_digests;
DROP TABLE notifications;
