#!/usr/bin/env bash
# Loopback load run of the notification receiver (docs/benchmarks.md).
#
# Creates a scratch database on the local PostgreSQL, builds and starts
# ccsub on 127.0.0.1, adds a subscription whose callback is ccsub's own
# receiver (with a service token), then pushes to
# /receiver/<key>/v100/subscribe/asrevent/asrresult with the token header:
#   1. hey with one body file: the same push over and over, so after the
#      first every request takes the replay path (checked and not stored);
#   2. wrk with a Lua script that gives every request its own call ID, so
#      every push is stored (the figure the issue's target is about).
# Then stops ccsub and drops the database, whatever happens.
#
# Usage: scripts/bench-receiver.sh        (from the repository root)
# Knobs: PG_SERVER (no database name), PORT, REQUESTS, CONCURRENCY, DURATION, KEEP_LOGS=1
set -euo pipefail

PG_SERVER=${PG_SERVER:-postgres://postgres@127.0.0.1:5432}
PORT=${PORT:-18081}
REQUESTS=${REQUESTS:-20000}
CONCURRENCY=${CONCURRENCY:-16}
DURATION=${DURATION:-10s}

BASE="http://127.0.0.1:${PORT}"
DB="ccsub_bench_$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
PGADMIN_URL="${PG_SERVER}/postgres?sslmode=disable"
DB_URL="${PG_SERVER}/${DB}?sslmode=disable"
WORK=$(mktemp -d /tmp/ccsub-bench.XXXXXX)
CCSUB_PID=""

for tool in go psql curl hey wrk; do
	command -v "$tool" >/dev/null || { echo "missing tool: $tool (apt-get install -y hey wrk postgresql-client curl)" >&2; exit 1; }
done

cleanup() {
	if [[ -n "$CCSUB_PID" ]] && kill -0 "$CCSUB_PID" 2>/dev/null; then
		kill -INT "$CCSUB_PID"
		wait "$CCSUB_PID" || true
	fi
	psql -q "$PGADMIN_URL" -c "DROP DATABASE IF EXISTS ${DB} WITH (FORCE)" || true
	if [[ "${KEEP_LOGS:-}" == 1 ]]; then echo "logs kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

step() { echo "== $*" >&2; }
rand() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

step "building ccsub and the fixture tool"
go build -o "$WORK/ccsub" ./cmd/ccsub
go build -o "$WORK/receiversub" ./scripts/receiversub

step "creating database $DB"
psql -q "$PGADMIN_URL" -c "CREATE DATABASE ${DB}"
CCSUB_SECRET_KEY=$(head -c 32 /dev/urandom | base64)
export DATABASE_URL="$DB_URL" CCSUB_DATA_DIR="$WORK/data" LISTEN_ADDR="127.0.0.1:${PORT}" \
	CCSUB_PUBLIC_URL="$BASE" CCSUB_SIMULATOR=on CCSUB_SECRET_KEY
"$WORK/ccsub" migrate >/dev/null 2>"$WORK/migrate.log"

step "starting ccsub on $BASE"
"$WORK/ccsub" serve >"$WORK/ccsub.out" 2>"$WORK/ccsub.log" &
CCSUB_PID=$!
for _ in $(seq 100); do
	curl -fsS -o /dev/null "$BASE/readyz" 2>/dev/null && break
	kill -0 "$CCSUB_PID" 2>/dev/null || { cat "$WORK/ccsub.log" >&2; exit 1; }
	sleep 0.1
done
curl -fsS -o /dev/null "$BASE/readyz"

# The simulator gateway exists once ccsub has started; the subscription belongs to it.
KEY="bench$(rand 16)"
TOKEN="tok$(rand 16)"
SERVER_ID=$("$WORK/receiversub" -key "$KEY" -token "$TOKEN" -public-url "$BASE")
URL="$BASE/receiver/$KEY/v100/subscribe/asrevent/asrresult"
stored() { psql -qtA "$DB_URL" -c "SELECT count(*) FROM notifications WHERE receiver_key = '$KEY' AND accepted"; }

step "checking one push is accepted"
printf '{"serverid":"%s","subscribetype":"1","initialagentid":"30001","ccid":"1","vdnid":"101","curcallid":"hey-1","curuserdn":"13800138000","talkertype":"2","talkerid":"13800138000","result":[{"confidence":0.9,"content":"I would like to check my bill","iscontentenc":"0"}],"asrusercase":"0"}' \
	"$SERVER_ID" >"$WORK/body.json"
answer=$(curl -sS -H "Content-Type: application/json; charset=UTF-8" -H "service_token: $TOKEN" --data-binary @"$WORK/body.json" "$URL")
[[ "$answer" == '{"retcode":"0","message":"success"}' ]] || { echo "push answered $answer" >&2; exit 1; }

step "hey -n $REQUESTS -c $CONCURRENCY: the same push again and again (replay path)"
hey -n "$REQUESTS" -c "$CONCURRENCY" -m POST -T "application/json; charset=UTF-8" -H "service_token: $TOKEN" \
	-D "$WORK/body.json" "$URL" >"$WORK/hey.txt"
if grep -E '^\s+\[[0-9]+\]' "$WORK/hey.txt" | grep -qv '\[200\]'; then
	echo "hey: answers other than 200 or errors:" >&2; cat "$WORK/hey.txt" >&2; exit 1
fi
[[ "$(stored)" == 1 ]] || { echo "replays were stored: $(stored) rows, want 1" >&2; exit 1; }
awk '/Requests\/sec/ { rps = $2 } / 50% in / { p50 = $3 * 1000 } / 99% in / { p99 = $3 * 1000 }
	END { printf "replays (hey)   req/s %.0f  p50 %.1f ms  p99 %.1f ms\n", rps, p50, p99 }' "$WORK/hey.txt"

step "wrk -d $DURATION -c $CONCURRENCY: a new call in every push (every push stored)"
cat >"$WORK/push.lua" <<'LUA'
-- Every request is a new call ID: run id, thread number and a counter.
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
function init(args)
	run, serverid, token = args[1], args[2], args[3]
	n = 0
	wrk.method = "POST"
	wrk.headers["Content-Type"] = "application/json; charset=UTF-8"
	wrk.headers["service_token"] = token
end
function request()
	n = n + 1
	local body = string.format('{"serverid":"%s","subscribetype":"1","initialagentid":"30001","ccid":"1","vdnid":"101",' ..
		'"curcallid":"wrk-%s-%d-%d","curuserdn":"13800138000","talkertype":"2","talkerid":"13800138000",' ..
		'"result":[{"confidence":0.9,"content":"I would like to check my bill","iscontentenc":"0"}],"asrusercase":"0"}',
		serverid, run, tid, n)
	return wrk.format(nil, nil, nil, body)
end
LUA
before=$(stored)
wrk -t 2 -c "$CONCURRENCY" -d "$DURATION" --latency -s "$WORK/push.lua" "$URL" -- "$(rand 4)" "$SERVER_ID" "$TOKEN" >"$WORK/wrk.txt"
if grep -q -E 'Non-2xx|Socket errors' "$WORK/wrk.txt"; then
	echo "wrk: errors or answers other than 2xx:" >&2; cat "$WORK/wrk.txt" >&2; exit 1
fi
total=$(awk '/requests in/ { print $1 }' "$WORK/wrk.txt")
after=$(stored)
# wrk counts only completed requests; pushes still in flight when it stops may be stored too.
(( after - before >= total )) || { echo "wrk completed $total pushes but $((after - before)) were stored" >&2; exit 1; }
ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) printf "%.1f", v / 1000; else if (v ~ /ms$/) printf "%.1f", v + 0; else printf "%.1f", v * 1000 }'; }
rps=$(awk '/Requests\/sec/ { printf "%.0f", $2 }' "$WORK/wrk.txt")
p50=$(awk '$1 == "50%" { print $2 }' "$WORK/wrk.txt")
p99=$(awk '$1 == "99%" { print $2 }' "$WORK/wrk.txt")
printf 'stored (wrk)    req/s %s  p50 %s ms  p99 %s ms  (%s pushes stored)\n' "$rps" "$(ms "$p50")" "$(ms "$p99")" "$((after - before))"
