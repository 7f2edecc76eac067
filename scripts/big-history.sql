-- Rows of a big history for plan work (scripts/big-history.sh, docs/benchmarks.md
-- "Text search at 10 million calls"): calls :lo to :hi of :rows, in time
-- order over the 12 months before 2026-11-01, every value derived from the row
-- number by hashing, so a rebuild gives the same table.
--
-- Shape: 6 gateways (half the traffic on the first); about 16,000
-- subscriptions alive at any time, each for about a month (staggered), so a
-- serverId has ~50 calls within its month; 400 callback hosts, skewed (the
-- first hosts take most of the traffic, the last few are rare), 30 % of the
-- subscriptions moving to another host every month, every 20th subscription
-- on ccsub's own receiver (a URL of its own); one subscription on
-- rare-callback.example.io (28 calls at 10 million). Operations: 60 % handshake failures,
-- 15 % logins, 12 % registers, 5 % modifies, 5 % cancels, 3 % state changes,
-- with the contract's retcodes and the simulator's messages (107-027's names
-- the host). The last three calls are pending.
\set ON_ERROR_STOP on
SET synchronous_commit = off;
INSERT INTO calls (started_at, finished_at, duration_us, gateway_id, gateway_name, actor, operation, outcome,
	http_status, retcode, message, server_id, callback_uri, subscribe_type, nlp_flag, flow_access_code,
	token_present, token_sealed, request_body, response_body, error, attempts, subscription_id)
SELECT a.at, CASE WHEN o.outcome = 'pending' THEN NULL ELSE a.at + a.dur * interval '1 microsecond' END,
	CASE WHEN o.outcome = 'pending' THEN 0 ELSE a.dur END,
	s.gw, 'gateway-' || s.gw,
	CASE WHEN o.op IN ('handshake', 'state_change') THEN 'keepalive'
		ELSE (ARRAY['admin', 'alice', 'bob', 'crm-sync (API token #3)'])[1 + a.q % 4] END,
	o.op, o.outcome,
	CASE WHEN o.outcome IN ('success', 'rejected') THEN 200 WHEN o.outcome = 'unknown' THEN 502 ELSE 0 END,
	o.retcode, o.message,
	CASE WHEN o.op = 'login' OR o.op = 'register' AND o.outcome <> 'success' THEN '' ELSE s.server_id END,
	CASE WHEN o.op = 'login' THEN '' ELSE s.callback END,
	CASE WHEN o.op IN ('register', 'modify') THEN '1' ELSE '' END,
	o.op IN ('register', 'modify') AND s.sub % 3 = 0,
	CASE WHEN o.op IN ('register', 'modify') AND s.sub % 3 = 0 THEN 'FAC' || (s.sub % 90) ELSE '' END,
	o.op = 'register' AND s.sub % 4 <> 0,
	CASE WHEN o.op = 'register' AND s.sub % 4 <> 0 THEN decode(md5(s.sub::text) || md5(a.i::text) || md5(s.callback), 'hex') END,
	CASE o.op
		WHEN 'register' THEN '{"subscribeType":"1","serviceCallBackUri":"' || s.callback || '","nlpFlag":' || (s.sub % 3 = 0) || ',"serviceToken":"[redacted]"}'
		WHEN 'modify' THEN '{"serviceCallBackUri":"' || s.callback || '","nlpFlag":' || (s.sub % 3 = 0) || '}'
		WHEN 'unregister' THEN '{"serverId":"' || s.server_id || '"}'
		WHEN 'login' THEN '{"agentId":100001,"password":"[redacted]"}'
		ELSE '' END,
	CASE WHEN o.outcome IN ('success', 'rejected') AND o.op <> 'state_change'
		THEN '{"retcode":"' || o.retcode || '","message":"' || o.message || '"'
			|| CASE WHEN o.op = 'register' AND o.outcome = 'success' THEN ',"result":{"serverId":"' || s.server_id || '"}' ELSE '' END || '}'
		ELSE '' END,
	CASE o.outcome WHEN 'failed' THEN (ARRAY['dial tcp 10.20.30.40:443: connect: connection refused',
			'context deadline exceeded (Client.Timeout exceeded while awaiting headers)'])[1 + a.q % 2]
		WHEN 'unknown' THEN 'HTTP 502 Bad Gateway: the platform may have acted' ELSE '' END,
	CASE WHEN o.outcome = 'pending' THEN 0 ELSE 1 + a.q % 2 END,
	s.sub
FROM generate_series(:lo::bigint, :hi::bigint) g(i),
LATERAL (SELECT g.i AS i,
	timestamptz '2025-11-01 00:00:00+00' + (g.i - 1) * (interval '365 days' / :rows) AS at,
	20000 + abs(hashint8extended(g.i, 5)) % 2000000 AS dur,
	abs(hashint8extended(g.i, 1)) % 1000000 AS p,
	abs(hashint8extended(g.i, 2)) % 1000000 AS q,
	abs(hashint8extended(g.i, 3)) % 16000 AS slot) a,
LATERAL (SELECT (a.i + a.slot * (:rows / 12 / 16000)) / (:rows / 12) AS epoch) e,
LATERAL (SELECT e.epoch * 16000 + a.slot AS sub,
	timestamptz '2025-11-01 00:00:00+00'
		+ greatest(e.epoch * (:rows / 12) - a.slot * (:rows / 12 / 16000), 0) * (interval '365 days' / :rows) AS born,
	CASE WHEN a.slot % 10 < 5 THEN 1 WHEN a.slot % 10 < 7 THEN 2 WHEN a.slot % 10 = 7 THEN 3
		WHEN a.slot % 10 = 8 THEN 4 ELSE 5 + (a.slot / 10) % 2 END AS gw) b,
LATERAL (SELECT CASE WHEN abs(hashint8extended(b.sub, 6)) % 10 < 3
		THEN (floor(400 * power((abs(hashint8extended(b.sub, 4)) % 1000000) / 1e6, 3))::int + e.epoch * 13) % 400
		ELSE floor(400 * power((abs(hashint8extended(b.sub, 4)) % 1000000) / 1e6, 3))::int END AS host) h,
LATERAL (SELECT b.sub, b.gw,
	to_char(b.born AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISS') || '-' || lpad(b.gw::text, 3, '0') || '-'
		|| lpad((b.sub % 100000)::text, 5, '0') AS server_id,
	(ARRAY['crm', 'ivr', 'asr', 'bot', 'cc', 'voice', 'nlp', 'agent'])[1 + h.host % 8] || '-' || lpad(h.host::text, 3, '0')
		|| '.' || (ARRAY['example.com', 'corp.example.net', 'callcenter.example.org', 'example.cn'])[1 + (h.host / 8) % 4] AS hostname,
	CASE WHEN b.sub = 4242 THEN 'https://rare-callback.example.io/asr/events'
		WHEN b.sub % 20 = 0 THEN 'http://127.0.0.1:8080/receiver/' || md5(b.sub::text) || '/v100/subscribe/asrevent/asrresult'
		ELSE 'https://' || (ARRAY['crm', 'ivr', 'asr', 'bot', 'cc', 'voice', 'nlp', 'agent'])[1 + h.host % 8] || '-'
			|| lpad(h.host::text, 3, '0') || '.'
			|| (ARRAY['example.com', 'corp.example.net', 'callcenter.example.org', 'example.cn'])[1 + (h.host / 8) % 4]
			|| CASE h.host % 3 WHEN 0 THEN ':8443' ELSE '' END
			|| (ARRAY['/v100/asr/callback', '/asr/events', '/api/cc/asrresult', '/hooks/asr'])[1 + h.host % 4]
			|| '/' || (b.sub % 7) END AS callback) s,
LATERAL (SELECT o1.op, CASE WHEN a.i > :rows - 3 THEN 'pending' ELSE o2.outcome END AS outcome,
	CASE WHEN a.i > :rows - 3 THEN '' ELSE o2.retcode END AS retcode,
	CASE WHEN a.i > :rows - 3 THEN '' ELSE o2.message END AS message
	FROM (SELECT CASE WHEN a.p < 600000 THEN 'handshake' WHEN a.p < 750000 THEN 'login'
		WHEN a.p < 870000 THEN 'register' WHEN a.p < 920000 THEN 'modify'
		WHEN a.p < 970000 THEN 'unregister' ELSE 'state_change' END AS op) o1,
	LATERAL (SELECT * FROM (VALUES
		('handshake', 0, 700000, 'rejected', '107-032', 'handshake failed'),
		('handshake', 700000, 950000, 'failed', '', ''),
		('handshake', 950000, 1000000, 'unknown', '', ''),
		('login', 0, 900000, 'success', '0', 'success'),
		('login', 900000, 950000, 'rejected', '107-003', 'wrong administrator password'),
		('login', 950000, 1000000, 'failed', '', ''),
		('register', 0, 800000, 'success', '0', 'success'),
		('register', 800000, 880000, 'rejected', '107-027', 'subscription registration failed: ' || s.hostname
			|| ' is not a subscription server of this gateway'),
		('register', 880000, 920000, 'rejected', '107-002', 'parameter invalid'),
		('register', 920000, 970000, 'failed', '', ''),
		('register', 970000, 1000000, 'unknown', '107-029', 'the request to the platform timed out'),
		('modify', 0, 900000, 'success', '0', 'success'),
		('modify', 900000, 1000000, 'rejected', '107-002', 'no active subscription with this serverId'),
		('unregister', 0, 850000, 'success', '0', 'success'),
		('unregister', 850000, 1000000, 'rejected', '107-031', 'cancelling the subscription failed: no active subscription with this serverId'),
		('state_change', 0, 500000, 'success', '', 'degraded: handshake failed (107-032)'),
		('state_change', 500000, 800000, 'success', '', 'lapsed: no successful handshake for 5 minutes'),
		('state_change', 800000, 1000000, 'success', '', 'active: handshake succeeded')
		) v(op, lo, hi, outcome, retcode, message)
		WHERE v.op = o1.op AND a.q >= v.lo AND a.q < v.hi) o2) o;
