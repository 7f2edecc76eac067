-- +goose NO TRANSACTION
-- +goose Up
-- Issue 9 §5: refused pushes are kept for a while and in bounded number
-- (store.PruneRefusedNotifications: nothing older than 30 days, at most the
-- 100,000 newest). Pruning walks this partial index from the oldest refused
-- push, and finds the 100,000th newest here, without reading the accepted
-- pushes that make up most of the table. It is built CONCURRENTLY so the
-- receiver keeps storing pushes while it builds on a large table; a build
-- that failed half way leaves an invalid index, which the first statement
-- drops when the migration runs again.
DROP INDEX CONCURRENTLY IF EXISTS notifications_refused_idx;
CREATE INDEX CONCURRENTLY notifications_refused_idx ON notifications (received_at, id) WHERE NOT accepted;

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS notifications_refused_idx;
