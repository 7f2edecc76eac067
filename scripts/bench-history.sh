#!/usr/bin/env bash
# Loopback load run of the history pages (docs/benchmarks.md).
#
# Creates a scratch database on the local PostgreSQL, seeds it with
# `ccsub dev seed` (ROWS calls over a year; few subscriptions, so the
# console's keep-alive finding the seeded gateways unreachable adds next to
# no writes), builds and starts ccsub on 127.0.0.1 with the built-in
# simulator, adds a user, signs in with curl, runs hey on the first page
# and on a page 90% down, then stops ccsub and drops the database, whatever
# happens.
#
# Usage: scripts/bench-history.sh        (from the repository root)
# Knobs: PG_SERVER (no database name), PORT, ROWS, REQUESTS, CONCURRENCY, KEEP_LOGS=1
set -euo pipefail

PG_SERVER=${PG_SERVER:-postgres://postgres@127.0.0.1:5432}
PORT=${PORT:-18080}
ROWS=${ROWS:-100000}
REQUESTS=${REQUESTS:-2000}
CONCURRENCY=${CONCURRENCY:-8}

BASE="http://127.0.0.1:${PORT}"
DB="ccsub_bench_$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
PGADMIN_URL="${PG_SERVER}/postgres?sslmode=disable"
DB_URL="${PG_SERVER}/${DB}?sslmode=disable"
WORK=$(mktemp -d /tmp/ccsub-bench.XXXXXX)
CCSUB_PID=""

for tool in go psql curl hey; do
	command -v "$tool" >/dev/null || { echo "missing tool: $tool (apt-get install -y hey postgresql-client curl)" >&2; exit 1; }
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

step "building ccsub"
go build -o "$WORK/ccsub" ./cmd/ccsub

step "creating database $DB"
psql -q "$PGADMIN_URL" -c "CREATE DATABASE ${DB}"
export DATABASE_URL="$DB_URL" CCSUB_DATA_DIR="$WORK/data" LISTEN_ADDR="127.0.0.1:${PORT}" CCSUB_SIMULATOR=on
"$WORK/ccsub" migrate >/dev/null 2>"$WORK/migrate.log"

step "seeding $ROWS calls"
"$WORK/ccsub" dev seed --calls "$ROWS" --subscriptions 100 --notifications 1000 --audit 1000 >"$WORK/seed.out" 2>"$WORK/seed.log" ||
	{ cat "$WORK/seed.log" >&2; exit 1; }
# The cursor ("<unix micro>.<id>", as the history's Older links carry it) of
# the call 90% down the newest-first history.
DEEP=$(psql -Atq "$DB_URL" -c "SELECT (extract(epoch FROM started_at) * 1000000)::bigint || '.' || id
	FROM calls ORDER BY started_at DESC, id DESC OFFSET $((ROWS * 90 / 100)) LIMIT 1")
[[ -n "$DEEP" ]] || { echo "no call 90% down the history" >&2; exit 1; }

PASSWORD="bench-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
printf '%s\n' "$PASSWORD" | "$WORK/ccsub" user add --username bench --role auditor --password-stdin >/dev/null

step "starting ccsub on $BASE"
if curl -s -o /dev/null "$BASE/"; then echo "something already listens on $BASE; set PORT" >&2; exit 1; fi
"$WORK/ccsub" serve >"$WORK/ccsub.out" 2>"$WORK/ccsub.log" &
CCSUB_PID=$!
for _ in $(seq 100); do
	curl -fsS -o /dev/null "$BASE/readyz" 2>/dev/null && break
	kill -0 "$CCSUB_PID" 2>/dev/null || { cat "$WORK/ccsub.log" >&2; exit 1; }
	sleep 0.1
done
curl -fsS -o /dev/null "$BASE/readyz"

step "signing in"
status=$(curl -sS -o /dev/null -w '%{http_code}' -c "$WORK/cookies" \
	--data-urlencode username=bench --data-urlencode "password=$PASSWORD" "$BASE/login")
[[ "$status" == 303 ]] || { echo "sign in answered $status, want 303" >&2; exit 1; }
COOKIE=$(awk '$6 == "ccsub_session" { print $6 "=" $7 }' "$WORK/cookies")
[[ -n "$COOKIE" ]] || { echo "no session cookie after sign in" >&2; exit 1; }

# load NAME PATH: check the page, warm every pooled connection past the
# fifth execution (generic plans), then the measured run.
load() {
	local name=$1 url="$BASE$2"
	status=$(curl -sS -o "$WORK/$name.html" -w '%{http_code}' -H "Cookie: $COOKIE" "$url")
	[[ "$status" == 200 ]] && grep -q 'rel="next"' "$WORK/$name.html" ||
		{ echo "$name: status $status or no full page" >&2; exit 1; }
	hey -n 200 -c "$CONCURRENCY" -H "Cookie: $COOKIE" "$url" >/dev/null
	hey -n "$REQUESTS" -c "$CONCURRENCY" -H "Cookie: $COOKIE" "$url" >"$WORK/$name.txt"
	# Every line "  [code] ..." of the status and error sections must be a 200.
	if grep -E '^\s+\[[0-9]+\]' "$WORK/$name.txt" | grep -qv '\[200\]'; then
		echo "$name: answers other than 200 or errors:" >&2
		cat "$WORK/$name.txt" >&2
		exit 1
	fi
	printf '%-6s %s\n' "$name" "$(summary "$WORK/$name.txt")"
}

# summary FILE prints req/s, p50 and p99 in milliseconds from hey's report.
summary() {
	awk '/Requests\/sec/ { rps = $2 }
		/ 50% in / { p50 = $3 * 1000 }
		/ 99% in / { p99 = $3 * 1000 }
		END { printf "req/s %.0f  p50 %.1f ms  p99 %.1f ms\n", rps, p50, p99 }' "$1"
}

step "hey -n $REQUESTS -c $CONCURRENCY (after 200 warm-up requests each)"
load first "/history"
load deep "/history?before=$DEEP"
