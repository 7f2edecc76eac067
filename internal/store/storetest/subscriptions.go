package storetest

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// seedSubscriptionsSQL writes n subscriptions for one gateway in a single
// statement, created over the last year, with a mix close to a large
// deployment: 85 % active, 5 % degraded, 3 % lapsed, 7 % cancelled, 0.1 %
// unknown (no serverId); serverIds shaped like the platform's
// ("<yyyyMMddHHmmss>-<node>-<seq>", unique per gateway for n up to
// 100,000); callbacks on five hosts with 2,000 paths
// (https://<crm|ivr|bot|qa|asr-test>.example.com/cc/events/<0-1999>).
const seedSubscriptionsSQL = `
WITH gw AS (SELECT id FROM gateways WHERE id = @gateway_id)
INSERT INTO subscriptions (gateway_id, server_id, state, state_reason, subscribe_type, callback_uri, nlp_flag,
	flow_access_code, token_sealed, created_by, created_at, updated_at, register_call_id,
	auto_reregister, next_due_at, last_handshake_at, last_success_at, handshakes_ok, handshakes_failed,
	consecutive_failures, lapsed_at)
SELECT gw.id,
	CASE WHEN s.state = 'unknown' THEN '' ELSE to_char(r.at AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISS') || '-'
		|| lpad((r.k % 1000)::text, 3, '0') || '-' || lpad((r.i % 100000)::text, 5, '0') END,
	s.state,
	CASE s.state WHEN 'degraded' THEN 'handshake failed: 107-032'
		WHEN 'lapsed' THEN 'no successful handshake for 5 minutes' WHEN 'cancelled' THEN 'cancelled by alice'
		WHEN 'unknown' THEN 'the register was sent but no answer was recorded' ELSE '' END,
	'1',
	'https://' || (ARRAY['crm', 'ivr', 'bot', 'qa', 'asr-test'])[1 + r.k % 5] || '.example.com/cc/events/' || (r.k % 2000),
	r.k % 2 = 0, CASE WHEN r.k % 3 = 0 THEN 'FAC' || (r.k % 90) ELSE '' END,
	CASE WHEN r.k % 4 <> 0 THEN '\x00'::bytea END,
	(ARRAY['admin', 'alice', 'bob', 'api'])[1 + r.k % 4],
	r.at, r.at, r.k,
	r.k % 5 = 0,
	CASE WHEN s.state IN ('active', 'degraded') THEN now() + random() * interval '2 minutes' END,
	CASE WHEN s.state <> 'unknown' THEN now() - random() * interval '2 minutes' END,
	CASE WHEN s.state <> 'unknown' THEN now() - random() * interval '2 minutes' END,
	r.k % 10000, r.k % 17, CASE WHEN s.state = 'degraded' THEN 1 + r.k % 3 ELSE 0 END,
	CASE WHEN s.state = 'lapsed' THEN now() - random() * interval '30 days' END
FROM gw,
	(SELECT i, now() - random() * interval '365 days' AS at, (random() * 1000000)::int AS k
		FROM generate_series(1, @n) i) r,
	LATERAL (SELECT CASE WHEN r.k % 1000 < 850 THEN 'active' WHEN r.k % 1000 < 900 THEN 'degraded'
		WHEN r.k % 1000 < 930 THEN 'lapsed' WHEN r.k % 1000 < 999 THEN 'cancelled' ELSE 'unknown' END AS state) s`

// SeedSubscriptions inserts n subscriptions for the gateway gatewayID, then
// refreshes the table's statistics and visibility map so the planner and
// index-only scans see the data as production would. Their service tokens
// are not sealed values: they only say "set".
func SeedSubscriptions(ctx context.Context, pool *pgxpool.Pool, n int, gatewayID int64) error {
	tag, err := pool.Exec(ctx, seedSubscriptionsSQL, pgx.NamedArgs{"n": n, "gateway_id": gatewayID})
	if err != nil {
		return fmt.Errorf("storetest.SeedSubscriptions %d for gateway %d: %w", n, gatewayID, err)
	}
	if tag.RowsAffected() != int64(n) {
		return fmt.Errorf("storetest.SeedSubscriptions %d for gateway %d: inserted %d rows (no such gateway?)",
			n, gatewayID, tag.RowsAffected())
	}
	if _, err := pool.Exec(ctx, "VACUUM ANALYZE subscriptions"); err != nil {
		return fmt.Errorf("storetest.SeedSubscriptions: vacuum: %w", err)
	}
	return nil
}
