// Package storetest fills a ccsub database with realistic bulk data for
// tests and benchmarks of the store. It is never imported by production
// code.
package storetest

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// seedCallsSQL writes n history rows for one gateway in a single statement
// (generate_series is far faster than n INSERTs or a client-side COPY).
// Rows spread over the last 30 days with a mix close to production: mostly
// handshake failures and registers, 80 % success, rejected calls with the
// contract's retcodes, failed and unknown calls without an HTTP answer,
// about 20 calls per serverId over 5,000 serverIds, 500 callback URIs.
const seedCallsSQL = `
WITH gw AS (SELECT id, name FROM gateways WHERE id = @gateway_id)
INSERT INTO calls (started_at, finished_at, duration_us, gateway_id, gateway_name, actor, operation,
	outcome, http_status, retcode, message, server_id, callback_uri, subscribe_type, nlp_flag,
	flow_access_code, request_body, response_body, error, attempts)
SELECT r.at, r.at + r.dur * interval '1 microsecond', r.dur, gw.id, gw.name,
	(ARRAY['admin', 'alice', 'bob', 'keepalive'])[1 + r.k % 4],
	o.op, o.outcome,
	CASE o.outcome WHEN 'success' THEN 200 WHEN 'rejected' THEN 200
		WHEN 'failed' THEN (ARRAY[0, 502, 503])[1 + r.k % 3] ELSE 0 END,
	CASE o.outcome WHEN 'success' THEN '0'
		WHEN 'rejected' THEN (ARRAY['107-002', '107-026', '107-027', '107-031', '107-032', '000-003'])[1 + r.k % 6]
		ELSE '' END,
	CASE o.outcome WHEN 'success' THEN 'success' WHEN 'rejected' THEN 'subscription failed' ELSE '' END,
	CASE WHEN o.op = 'register' AND o.outcome <> 'success' THEN ''
		ELSE '2025' || lpad((r.k % 5000)::text, 10, '0') || '-001-00101' END,
	'https://' || (ARRAY['crm', 'ivr', 'bot', 'qa', 'asr_test'])[1 + r.k % 5]
		|| '.example.com/cc/events/' || (r.k % 500),
	'1', r.k % 2 = 0, CASE WHEN r.k % 3 = 0 THEN 'FAC' || (r.k % 90) ELSE '' END,
	'{"subscribeType":"1","serviceToken":"[redacted]"}',
	CASE WHEN o.outcome IN ('success', 'rejected') THEN '{"retcode":"..."}' ELSE '' END,
	CASE o.outcome WHEN 'failed' THEN 'connection refused'
		WHEN 'unknown' THEN 'no answer before the deadline' ELSE '' END,
	1 + r.k % 2
FROM gw,
	(SELECT now() - random() * interval '30 days' AS at,
		(20000 + random() * 2000000)::bigint AS dur,
		(random() * 1000000)::int AS k,
		random() AS p
		FROM generate_series(1, @n)) r,
	LATERAL (SELECT
		CASE WHEN r.p < 0.30 THEN 'register' WHEN r.p < 0.40 THEN 'modify'
			WHEN r.p < 0.50 THEN 'unregister' WHEN r.p < 0.95 THEN 'handshake' ELSE 'state_change' END AS op,
		CASE WHEN (r.k * 7) % 100 < 80 THEN 'success' WHEN (r.k * 7) % 100 < 90 THEN 'rejected'
			WHEN (r.k * 7) % 100 < 97 THEN 'failed' ELSE 'unknown' END AS outcome) o`

// SeedCalls inserts n finished calls for the gateway gatewayID, started over
// the last 30 days, then refreshes the table's statistics so the planner
// sees the data as production would.
func SeedCalls(ctx context.Context, pool *pgxpool.Pool, n int, gatewayID int64) error {
	tag, err := pool.Exec(ctx, seedCallsSQL, pgx.NamedArgs{"n": n, "gateway_id": gatewayID})
	if err != nil {
		return fmt.Errorf("storetest.SeedCalls %d for gateway %d: %w", n, gatewayID, err)
	}
	if tag.RowsAffected() != int64(n) {
		return fmt.Errorf("storetest.SeedCalls %d for gateway %d: inserted %d rows (no such gateway?)",
			n, gatewayID, tag.RowsAffected())
	}
	if _, err := pool.Exec(ctx, "ANALYZE calls"); err != nil {
		return fmt.Errorf("storetest.SeedCalls: analyze: %w", err)
	}
	return nil
}
