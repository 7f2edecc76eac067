#!/usr/bin/env bash
# Everything at 10 million rows (issue 10 §6; docs/benchmarks.md "Everything
# at 10 million rows"): one run measures every acceptance figure of "find
# anything in ten million rows" on loopback.
#
#  1. The big database: seeded with `ccsub dev seed` (CALLS calls over a
#     year, SUBSCRIPTIONS subscriptions, AUDIT audit entries, NOTIFICATIONS
#     pushes), or an existing one (REUSE_DB) left as it was found.
#  2. A 10,000-call database seeded the same way (same world: --seed), for the
#     "< 2x its time at 10 thousand calls" comparison; dropped afterwards.
#  3. One request at a time (keep-alive, after a warm-up), on each: every
#     history filter (first page and 90 % down); then on the big one the
#     unfiltered history, the audit trail and the inbox (first and 90 % down),
#     and the subscriptions list with its filters.
#  4. USERS concurrent users on a mix of pages for MIX_DURATION; then the same
#     mix during a retention pass (`ccsub retention run`) whose window puts
#     the oldest ~month of calls past it.
#  5. Peak RSS of the console (VmHWM), exports of >= EXPORT_ROWS calls.
#
# Latency is the client's, on loopback, to the last byte of the answer
# (scripts/scaleload, like hey): "server time" plus a loopback round trip.
# The single-request lines also record the server's own time (its
# Server-Timing header: until the answer's header, the page rendered), and
# the 10 K / 10 M comparison is made on those medians, as the acceptance
# asks ("median server time").
#
# Usage (from the repository root; PostgreSQL on 127.0.0.1:5432, trust auth):
#   scripts/bench-scale.sh                                  # seed, measure, drop
#   SEED_ONLY=1 DB=ccsub_scale_10m scripts/bench-scale.sh   # seed and keep, measure nothing
#   REUSE_DB=ccsub_scale_10m scripts/bench-scale.sh         # measure an existing seeded database
#   CALLS=200000 SUBSCRIPTIONS=10000 AUDIT=100000 NOTIFICATIONS=100000 scripts/bench-scale.sh
# Knobs: PG_SERVER (no database name), PORT, CALLS, SUBSCRIPTIONS, AUDIT,
#   NOTIFICATIONS, SMALL_CALLS (10000), SEED (random seed of the data, 1),
#   DB (name of the database to seed), REUSE_DB, SEED_ONLY=1, KEEP_DB=1,
#   SEED_NOW (where the seeded histories end; with REUSE_DB the big one's),
#   REQUESTS (timed requests per single-request line, 200), WARM (20),
#   USERS (20), MIX_DURATION (60s), RETENTION=0 (skip the retention pass),
#   RESTORE (1 with REUSE_DB: put the removed month back afterwards),
#   EXPORT_ROWS (1000000), OUT (folder for the raw output).
#
# The retention pass deletes the oldest month of the big database. With
# REUSE_DB it is saved to a side table first and put back afterwards
# (RESTORE=1, the default then), followed by VACUUM (ANALYZE), so the next
# run finds the same rows; with RESTORE=0 every run eats one more month.
set -euo pipefail

PG_SERVER=${PG_SERVER:-postgres://postgres@127.0.0.1:5432}
PORT=${PORT:-18090}
CALLS=${CALLS:-10000000}
SUBSCRIPTIONS=${SUBSCRIPTIONS:-100000}
AUDIT=${AUDIT:-1000000}
NOTIFICATIONS=${NOTIFICATIONS:-1000000}
SMALL_CALLS=${SMALL_CALLS:-10000}
SEED=${SEED:-1}
REQUESTS=${REQUESTS:-200}
WARM=${WARM:-20}
USERS=${USERS:-20}
MIX_DURATION=${MIX_DURATION:-60s}
RETENTION=${RETENTION:-1}
EXPORT_ROWS=${EXPORT_ROWS:-1000000}
REUSE_DB=${REUSE_DB:-}
SEED_ONLY=${SEED_ONLY:-}
KEEP_DB=${KEEP_DB:-}
if [[ -n "$REUSE_DB" ]]; then RESTORE=${RESTORE:-1}; else RESTORE=${RESTORE:-0}; fi
SEED_NOW=${SEED_NOW:-$(date -u +%FT%TZ)} # where both databases' histories end (dev seed --now)

rand() { od -An -N4 -tx4 /dev/urandom | tr -d ' '; }
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${OUT:-/tmp/ccsub-bench-scale-$STAMP}
WORK=$(mktemp -d /tmp/ccsub-bench-scale.XXXXXX)
PGADMIN_URL="${PG_SERVER}/postgres?sslmode=disable"
BIG_DB=${REUSE_DB:-${DB:-ccsub_scale_$(rand)}}
SMALL_DB="ccsub_scale_small_$(rand)"
BIG_URL="${PG_SERVER}/${BIG_DB}?sslmode=disable"
SMALL_URL="${PG_SERVER}/${SMALL_DB}?sslmode=disable"
BIG_BASE="http://127.0.0.1:${PORT}"
SMALL_BASE="http://127.0.0.1:$((PORT + 1))"
BIG_PID="" SMALL_PID="" MIX_PID="" SMALL_MADE="" BIG_MADE=""

for tool in go psql curl; do
	command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 1; }
done
[[ "$BIG_DB" =~ ^[a-z0-9_]+$ ]] || { echo "database name $BIG_DB: lower-case letters, digits and _ only" >&2; exit 1; }

stop_pid() {
	if [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; then
		kill -INT "$1"
		wait "$1" || true
	fi
}

cleanup() {
	stop_pid "$MIX_PID"
	stop_pid "$BIG_PID"
	stop_pid "$SMALL_PID"
	if [[ -n "$SMALL_MADE" ]]; then psql -q "$PGADMIN_URL" -c "DROP DATABASE IF EXISTS ${SMALL_DB} WITH (FORCE)" || true; fi
	if [[ -n "$BIG_MADE" && -z "$SEED_ONLY" && -z "$KEEP_DB" ]]; then
		psql -q "$PGADMIN_URL" -c "DROP DATABASE IF EXISTS ${BIG_DB} WITH (FORCE)" || true
		rm -rf "${BIG_DATA:?}"
	elif [[ -n "$BIG_MADE" ]]; then
		echo "kept database $BIG_DB (REUSE_DB=$BIG_DB scripts/bench-scale.sh)" >&2
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

step() { echo "== $(date -u +%H:%M:%S) $*" >&2; }
sql() { psql -Atq -v ON_ERROR_STOP=1 "$1" -c "$2"; }
mkdir -p "$OUT"

step "building ccsub and scripts/scaleload (raw output in $OUT)"
go build -o "$WORK/ccsub" ./cmd/ccsub
go build -o "$WORK/scaleload" ./scripts/scaleload
LOAD="$WORK/scaleload"

# Every ccsub command below runs on one of the two databases. Retention is
# off while serving: a console runs a pass at start and every hour, and on
# a reused database days old that would delete rows during the runs.
export CCSUB_SIMULATOR=off CCSUB_RETAIN_CALLS=off CCSUB_RETAIN_NOTIFICATIONS=off CCSUB_RETAIN_REFUSED_PUSHES=off \
	CCSUB_RETAIN_HEARTBEATS=off CCSUB_RETAIN_FAILED_HANDSHAKES=off CCSUB_RETAIN_AUDIT=off
# The big database's secret key (it seals the seeded gateways' passwords
# and service tokens) lives in a data dir kept beside it, for REUSE_DB runs.
STATE_DIR=${STATE_DIR:-/var/tmp/ccsub-bench-scale}
BIG_DATA="$STATE_DIR/$BIG_DB"
SMALL_DATA="$WORK/data-small"
datadir() { if [[ "$1" == "$BIG_URL" ]]; then echo "$BIG_DATA"; else echo "$SMALL_DATA"; fi; }
on() { # on DBURL PORT cmd...: run a ccsub command against a database
	local url=$1 port=$2
	shift 2
	DATABASE_URL="$url" CCSUB_DATA_DIR="$(datadir "$url")" LISTEN_ADDR="127.0.0.1:$port" "$WORK/ccsub" "$@"
}

# seed DBNAME DBURL CALLS SUBS AUDIT NOTIFICATIONS: create, migrate, seed
# (with the default retention windows, as a console would hold the data),
# vacuum; the parameters go into the database's comment for REUSE_DB runs.
seed_db() {
	local name=$1 url=$2 calls=$3 subs=$4 audit=$5 notes=$6 started
	sql "$PGADMIN_URL" "CREATE DATABASE ${name}"
	on "$url" 0 migrate >/dev/null 2>"$OUT/migrate-$name.log"
	started=$(date +%s)
	env -u CCSUB_RETAIN_CALLS -u CCSUB_RETAIN_NOTIFICATIONS -u CCSUB_RETAIN_REFUSED_PUSHES -u CCSUB_RETAIN_HEARTBEATS \
		-u CCSUB_RETAIN_FAILED_HANDSHAKES -u CCSUB_RETAIN_AUDIT \
		DATABASE_URL="$url" CCSUB_DATA_DIR="$(datadir "$url")" nice -n 10 "$WORK/ccsub" dev seed --seed "$SEED" --now "$SEED_NOW" \
		--calls "$calls" --subscriptions "$subs" --audit "$audit" --notifications "$notes" --vacuum \
		>"$OUT/seed-$name.out" 2>"$OUT/seed-$name.log" || { tail -20 "$OUT/seed-$name.log" >&2; exit 1; }
	# The seeded gateways are unreachable (192.0.2.x), so a console's keep-alive
	# engine would spend the runs failing handshakes (each a call written, and
	# states changed): the subscriptions' next handshake is put off for ever.
	sql "$url" "UPDATE subscriptions SET next_due_at = now() + interval '100 years' WHERE next_due_at IS NOT NULL"
	psql -q "$url" -c "VACUUM (ANALYZE) subscriptions"
	echo "seeded in $(($(date +%s) - started)) s (wall, including the index builds and VACUUM)" >>"$OUT/seed-$name.out"
	sql "$url" "COMMENT ON DATABASE ${name} IS 'scripts/bench-scale.sh seed=$SEED calls=$calls subscriptions=$subs audit=$audit notifications=$notes now=$SEED_NOW seeded=$(date -u +%FT%TZ)'"
	cat "$OUT/seed-$name.out" >&2
}

# restore_saved puts back the calls a retention pass removed (saved by the
# pass below), then VACUUM (ANALYZE) so index-only scans work again.
restore_saved() {
	step "putting the calls the retention pass removed back, then VACUUM (ANALYZE) calls"
	local started
	started=$(date +%s)
	sql "$BIG_URL" "INSERT INTO calls OVERRIDING SYSTEM VALUE SELECT * FROM bench_scale_saved_calls s
			WHERE NOT EXISTS (SELECT 1 FROM calls c WHERE c.id = s.id);
		INSERT INTO submissions SELECT * FROM bench_scale_saved_submissions ON CONFLICT DO NOTHING;
		DROP TABLE bench_scale_saved_calls, bench_scale_saved_submissions" >/dev/null
	psql -q "$BIG_URL" -c "VACUUM (ANALYZE) calls, submissions"
	echo "restore and VACUUM took $(($(date +%s) - started)) s" >&2
}

if [[ -n "$REUSE_DB" ]]; then
	comment=$(sql "$BIG_URL" "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = current_database()")
	[[ "$comment" == *"bench-scale.sh seed="* ]] ||
		{ echo "$REUSE_DB was not seeded by this script (its comment: '$comment'); refusing to touch it" >&2; exit 1; }
	SEED=$(sed -E 's/.*seed=([0-9]+).*/\1/' <<<"$comment")
	# The small database is seeded as of the big one's "now" (its seeding
	# time where the comment predates now=), so both hold the same world
	# and every run on this database compares with the same small one.
	SEED_NOW=$(grep -oE '(now|seeded)=[0-9TZ:-]+' <<<"$comment" | head -1 | cut -d= -f2)
	[[ -d "$BIG_DATA" ]] || { echo "$BIG_DATA (the secret key of $REUSE_DB) is missing; seed again" >&2; exit 1; }
	if [[ -n $(sql "$BIG_URL" "SELECT to_regclass('bench_scale_saved_calls')") ]]; then
		echo "an earlier run stopped before putting back the month its retention pass removed" >&2
		restore_saved
	fi
	step "reusing $REUSE_DB: $comment"
else
	step "seeding $BIG_DB: $CALLS calls, $SUBSCRIPTIONS subscriptions, $AUDIT audit entries, $NOTIFICATIONS pushes (seed $SEED)"
	BIG_MADE=1
	seed_db "$BIG_DB" "$BIG_URL" "$CALLS" "$SUBSCRIPTIONS" "$AUDIT" "$NOTIFICATIONS"
	if [[ -n "$SEED_ONLY" ]]; then
		step "SEED_ONLY: done; measure with REUSE_DB=$BIG_DB scripts/bench-scale.sh"
		exit 0
	fi
fi

step "seeding the small database $SMALL_DB ($SMALL_CALLS calls)"
SMALL_MADE=1
seed_db "$SMALL_DB" "$SMALL_URL" "$SMALL_CALLS" 1000 10000 10000 2>/dev/null

# ---- the machine and the data -------------------------------------------------
{
	echo "date: $(date -u +%FT%TZ)"
	echo "git: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo ' (with uncommitted changes)')"
	echo "cpu: $(nproc) x $(lscpu | sed -n 's/^Model name: *//p')"
	echo "memory: $(awk '/MemTotal/ {printf "%.1f GB", $2/1048576}' /proc/meminfo)"
	echo "os: $(. /etc/os-release && echo "$PRETTY_NAME"), Linux $(uname -r)"
	echo "go: $(go version | cut -d' ' -f3-)"
	echo "postgresql: $(sql "$BIG_URL" "SELECT version()" | cut -d, -f1), shared_buffers $(sql "$BIG_URL" 'SHOW shared_buffers'), work_mem $(sql "$BIG_URL" 'SHOW work_mem')"
	echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "big database $BIG_DB: $(sql "$BIG_URL" "SELECT 'calls ' || (SELECT count(*) FROM calls) || ', subscriptions ' || (SELECT count(*) FROM subscriptions) || ', audit_log ' || (SELECT count(*) FROM audit_log) || ', notifications ' || (SELECT count(*) FROM notifications) || ', size ' || pg_size_pretty(pg_database_size(current_database()))")"
	echo "small database: $(sql "$SMALL_URL" "SELECT 'calls ' || (SELECT count(*) FROM calls)")"
} | tee "$OUT/machine.txt" >&2

# ---- the request lists --------------------------------------------------------
enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

# The terms are chosen on the big database and used on both. Callback
# hosts: the rarest and the commonest (not ccsub's own receiver); messages:
# the rarest fixed text and the commonest.
step "choosing search terms on $BIG_DB"
# A rare term is the rarest of the big database's that the small one holds
# too: a term its 10 K calls lack would compare a search that finds nothing
# with one that finds a page (run 4's and the third pass's first run's
# "message rare").
SMALL_HOSTS=$(sql "$SMALL_URL" "SELECT string_agg(DISTINCT quote_literal(substring(callback_uri FROM '://([^/:]+)')), ',')
	FROM calls WHERE callback_uri <> ''")
SMALL_MSGS=$(sql "$SMALL_URL" "SELECT string_agg(DISTINCT quote_literal(message), ',') FROM calls WHERE message <> ''")
RARE_HOST=$(sql "$BIG_URL" "SELECT h FROM (SELECT substring(callback_uri FROM '://([^/:]+)') h, count(*) n FROM calls
	WHERE callback_uri <> '' GROUP BY 1) t WHERE h IN (${SMALL_HOSTS:-''}) ORDER BY n, h LIMIT 1")
COMMON_HOST=$(sql "$BIG_URL" "SELECT h FROM (SELECT substring(callback_uri FROM '://([^/:]+)') h, count(*) n FROM calls
	WHERE callback_uri <> '' GROUP BY 1) t WHERE h IS NOT NULL AND h <> '127.0.0.1' ORDER BY n DESC, h LIMIT 1")
RARE_MSG=$(sql "$BIG_URL" "SELECT message FROM calls WHERE message <> '' AND message !~ '[0-9]{3}\.[0-9]'
	AND message IN (${SMALL_MSGS:-''}) GROUP BY 1 HAVING count(*) >= 10 ORDER BY count(*), 1 LIMIT 1")
COMMON_MSG=$(sql "$BIG_URL" "SELECT message FROM calls WHERE message <> '' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
ABSENT=zzqx-nowhere
printf 'rare host: %s\ncommon host: %s\nrare message: %s\ncommon message: %s\nabsent: %s\n' \
	"$RARE_HOST" "$COMMON_HOST" "$RARE_MSG" "$COMMON_MSG" "$ABSENT" | tee "$OUT/terms.txt" >&2

# cursor URL WHERE TABLE TIME: the keyset cursor ("<unix micro>.<id>") of
# the row 90 % down the newest-first list of TABLE rows matching WHERE;
# empty when fewer than 20 match.
cursor() {
	local n
	n=$(sql "$1" "SELECT count(*) FROM $3 WHERE $2")
	((n >= 20)) || return 0
	sql "$1" "SELECT (extract(epoch FROM $4) * 1000000)::bigint || '.' || id FROM $3 WHERE $2
		ORDER BY $4 DESC, id DESC OFFSET $(((n * 9 + 9) / 10 - 1)) LIMIT 1"
}

# history_list URL FILE: every history filter, first page and 90 % down.
history_list() {
	local url=$1 file=$2 sid day newest from to gw
	sid=$(sql "$url" "SELECT server_id FROM calls WHERE server_id <> '' ORDER BY started_at DESC, id DESC
		OFFSET (SELECT count(*) / 2 FROM calls) LIMIT 1")
	day=${sid:0:8}
	newest=$(sql "$url" "SELECT max(started_at)::date FROM calls")
	from=$(date -u -d "$newest - 60 days" +%F)
	to=$(date -u -d "$from + 6 days" +%F)
	gw=$(sql "$url" "SELECT min(id) FROM gateways WHERE name <> 'simulator'")
	local -a rows=(
		"unfiltered|true|"
		"outcome=rejected|outcome = 'rejected'|outcome=rejected"
		"outcome=unknown|outcome = 'unknown'|outcome=unknown"
		"operation=register|operation = 'register'|operation=register"
		"operation=login|operation = 'login'|operation=login"
		"retcode=107-027|retcode = '107-027'|retcode=107-027"
		"outcome+operation|outcome = 'rejected' AND operation = 'register'|outcome=rejected&operation=register"
		"gateway|gateway_id = $gw|gateway=$gw"
		"date range (a week)|started_at >= '$from' AND started_at < date '$to' + 1|from=$from&to=$to"
		"serverId exact|server_id = '$sid'|serverId=$sid"
		"serverId day prefix|server_id LIKE '$day%'|serverId=$(enc "$day*")"
		"serverId absent prefix|false|serverId=$(enc "19990101*")"
		"callback rare|callback_uri ILIKE '%$RARE_HOST%'|callback=$(enc "$RARE_HOST")"
		"callback common|callback_uri ILIKE '%$COMMON_HOST%'|callback=$(enc "$COMMON_HOST")"
		"callback absent|false|callback=$ABSENT"
		"message rare|message ILIKE '%${RARE_MSG//\'/\'\'}%'|message=$(enc "$RARE_MSG")"
		"message common|message ILIKE '%${COMMON_MSG//\'/\'\'}%'|message=$(enc "$COMMON_MSG")"
		"message absent|false|message=$ABSENT"
	)
	: >"$file"
	local r name where query c sep
	for r in "${rows[@]}"; do
		IFS='|' read -r name where query <<<"$r"
		sep=${query:+&}
		printf '%s\thistory\t/history%s\n' "$name" "${query:+?$query}" >>"$file"
		c=$(cursor "$url" "$where" calls started_at)
		if [[ -n "$c" ]]; then printf '%s, 90%% down\thistory\t/history?%sbefore=%s\n' "$name" "$query$sep" "$c" >>"$file"; fi
	done
}

step "building the request lists (cursors 90 % down)"
history_list "$BIG_URL" "$OUT/urls-history-big.tsv"
history_list "$SMALL_URL" "$OUT/urls-history-small.tsv"

BIG_GW=$(sql "$BIG_URL" "SELECT gateway_id FROM subscriptions GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
SMALL_GW=$(sql "$BIG_URL" "SELECT gateway_id FROM subscriptions GROUP BY 1 ORDER BY count(*) LIMIT 1")
SUB_END=$(sql "$BIG_URL" "SELECT right(server_id, 9) FROM subscriptions ORDER BY created_at DESC, id DESC
	OFFSET (SELECT count(*) / 2 FROM subscriptions) LIMIT 1")
{
	printf 'audit, first\taudit\t/audit\n'
	printf 'audit, 90%% down\taudit\t/audit?before=%s\n' "$(cursor "$BIG_URL" true audit_log '"at"')"
	printf 'inbox, first\tinbox\t/inbox\n'
	printf 'inbox, 90%% down\tinbox\t/inbox?before=%s\n' "$(cursor "$BIG_URL" true notifications received_at)"
} >"$OUT/urls-pages.tsv"
sub_rows() { # name where query
	printf '%s\tsubscriptions\t/subscriptions%s\n' "$1" "${3:+?$3}"
	local c
	c=$(cursor "$BIG_URL" "$2" subscriptions created_at)
	if [[ -n "$c" ]]; then printf '%s, 90%% down\tsubscriptions\t/subscriptions?%sbefore=%s\n' "$1" "${3:+$3&}" "$c"; fi
}
{
	sub_rows "unfiltered" true ""
	sub_rows "state=lapsed" "state = 'lapsed'" "state=lapsed"
	sub_rows "state=degraded,lapsed,unknown" "state IN ('degraded', 'lapsed', 'unknown')" "state=degraded,lapsed,unknown"
	sub_rows "gateway (largest)" "gateway_id = $BIG_GW" "gateway=$BIG_GW"
	sub_rows "gateway (smallest)" "gateway_id = $SMALL_GW" "gateway=$SMALL_GW"
	sub_rows "text common" "server_id ILIKE '%$COMMON_HOST%' OR callback_uri ILIKE '%$COMMON_HOST%'" "q=$(enc "$COMMON_HOST")"
	sub_rows "text: end of a serverId" false "q=$SUB_END"
	sub_rows "text absent" false "q=$ABSENT"
	sub_rows "text+state+gateway" "state = 'active' AND gateway_id = $BIG_GW AND callback_uri ILIKE '%$COMMON_HOST%'" \
		"q=$(enc "$COMMON_HOST")&state=active&gateway=$BIG_GW"
} >"$OUT/urls-subscriptions.tsv"

# The mix: each kind is picked as often; within a kind, a line at random.
{
	awk -F'\t' '$1 == "unfiltered" { print "history first\thistory\t" $3 }
		$1 == "unfiltered, 90% down" { print "history deep\thistory-deep\t" $3 }
		$1 ~ /^(outcome|operation|retcode|date|serverId)/ { print $1 "\thistory-filter\t" $3 }
		$1 ~ /^(callback|message)/ { print $1 "\thistory-text\t" $3 }' "$OUT/urls-history-big.tsv"
	awk -F'\t' '$1 ~ /^unfiltered/ { print $1 "\tsubscriptions\t" $3; next } { print $1 "\tsubscriptions-filter\t" $3 }' "$OUT/urls-subscriptions.tsv"
	awk -F'\t' '{ print $1 "\t" $2 "\t" $3 }' "$OUT/urls-pages.tsv"
	# Calls of the last 300 days: the retention pass below removes the oldest month.
	sql "$BIG_URL" "SELECT 'call ' || id || E'\tcall\t/calls/' || id FROM calls TABLESAMPLE SYSTEM (1)
		WHERE started_at > now() - interval '300 days' LIMIT 200"
	sql "$BIG_URL" "SELECT 'subscription ' || id || E'\tsubscription\t/subscriptions/' || id FROM subscriptions TABLESAMPLE SYSTEM (5) LIMIT 50"
} >"$OUT/urls-mix.tsv"

# ---- the consoles -------------------------------------------------------------
# start DBURL PORT: serve, add (or reset) the user bench-scale, sign in;
# sets STARTED_PID and COOKIE.
start() {
	local url=$1 port=$2 base="http://127.0.0.1:$2" password status
	if curl -s -o /dev/null "$base/"; then echo "something already listens on $base; set PORT" >&2; exit 1; fi
	password="bench-$(rand)$(rand)"
	if ! printf '%s\n' "$password" | on "$url" "$port" user add --username bench-scale --role admin --password-stdin >/dev/null 2>&1; then
		on "$url" "$port" user set-role --username bench-scale --role admin >/dev/null 2>&1 || true
		on "$url" "$port" user enable --username bench-scale >/dev/null 2>&1 || true
		printf '%s\n' "$password" | on "$url" "$port" user reset-password --username bench-scale --password-stdin >/dev/null
	fi
	# Started directly (not through on), so that $! is ccsub itself: SIGINT
	# reaches it, and /proc/$!/status is its memory.
	DATABASE_URL="$url" CCSUB_DATA_DIR="$(datadir "$url")" LISTEN_ADDR="127.0.0.1:$port" "$WORK/ccsub" serve \
		>"$OUT/serve-$port.out" 2>"$OUT/serve-$port.log" &
	STARTED_PID=$!
	for _ in $(seq 300); do
		curl -fsS -o /dev/null "$base/readyz" 2>/dev/null && break
		kill -0 "$STARTED_PID" 2>/dev/null || { tail -20 "$OUT/serve-$port.log" >&2; exit 1; }
		sleep 0.1
	done
	curl -fsS -o /dev/null "$base/readyz"
	status=$(curl -sS -o /dev/null -w '%{http_code}' -c "$WORK/cookies-$port" \
		--data-urlencode username=bench-scale --data-urlencode "password=$password" "$base/login")
	[[ "$status" == 303 ]] || { echo "sign in on $base answered $status, want 303" >&2; exit 1; }
	COOKIE=$(awk '$6 == "ccsub_session" { print $6 "=" $7 }' "$WORK/cookies-$port")
	[[ -n "$COOKIE" ]] || { echo "no session cookie after sign in on $base" >&2; exit 1; }
}

step "starting a console on each database"
start "$SMALL_URL" $((PORT + 1))
SMALL_PID=$STARTED_PID SMALL_COOKIE=$COOKIE
start "$BIG_URL" "$PORT"
BIG_PID=$STARTED_PID BIG_COOKIE=$COOKIE

report() { echo; echo "### $*"; }
exec > >(tee "$OUT/report.txt")
echo "# scripts/bench-scale.sh, $(date -u +%FT%TZ)"
cat "$OUT/machine.txt" "$OUT/terms.txt"

# ---- one request at a time ----------------------------------------------------
step "history filters on the small database ($REQUESTS requests each, one at a time)"
"$LOAD" each -base "$SMALL_BASE" -cookie "$SMALL_COOKIE" -urls "$OUT/urls-history-small.tsv" -n "$REQUESTS" -warm "$WARM" \
	-out "$OUT/history-small.tsv" >"$OUT/history-small.txt"
stop_pid "$SMALL_PID"
SMALL_PID=""
psql -q "$PGADMIN_URL" -c "DROP DATABASE IF EXISTS ${SMALL_DB} WITH (FORCE)"
SMALL_MADE=""

step "history filters on the big database"
"$LOAD" each -base "$BIG_BASE" -cookie "$BIG_COOKIE" -urls "$OUT/urls-history-big.tsv" -n "$REQUESTS" -warm "$WARM" \
	-out "$OUT/history-big.tsv" >"$OUT/history-big.txt"
report "History filters, one request at a time: median at $SMALL_CALLS calls vs the big database (target: < 2x and < 50 ms)"
"$LOAD" compare -max-ms 50 -max-ratio 2 "$OUT/history-small.tsv" "$OUT/history-big.tsv"

step "audit trail and inbox"
"$LOAD" each -base "$BIG_BASE" -cookie "$BIG_COOKIE" -urls "$OUT/urls-pages.tsv" -n "$REQUESTS" -warm "$WARM" -out "$OUT/pages.tsv" >"$OUT/pages.txt"
report "Unfiltered pages, one request at a time (target: median <= 1 ms)"
grep -E '^ *(name|unfiltered)' "$OUT/history-big.txt"
tail -n +2 "$OUT/pages.txt"

step "subscriptions list"
"$LOAD" each -base "$BIG_BASE" -cookie "$BIG_COOKIE" -urls "$OUT/urls-subscriptions.tsv" -n "$REQUESTS" -warm "$WARM" \
	-out "$OUT/subscriptions.tsv" >"$OUT/subscriptions.txt"
report "Subscriptions list, one request at a time (target: median < 20 ms)"
cat "$OUT/subscriptions.txt"

# ---- concurrent users -----------------------------------------------------------
step "$USERS users on the mix for $MIX_DURATION"
"$LOAD" mix -base "$BIG_BASE" -cookie "$BIG_COOKIE" -urls "$OUT/urls-mix.tsv" -c "$USERS" -duration 10s >/dev/null # warm-up
"$LOAD" mix -base "$BIG_BASE" -cookie "$BIG_COOKIE" -urls "$OUT/urls-mix.tsv" -c "$USERS" -duration "$MIX_DURATION" \
	-out "$OUT/mix.tsv" >"$OUT/mix.txt"
report "$USERS concurrent users, $MIX_DURATION (target: p99 < 100 ms, no errors)"
cat "$OUT/mix.txt"
RSS_MIX=$(awk '/VmHWM/ { print $2 }' "/proc/$BIG_PID/status")

# ---- retention during the mix ---------------------------------------------------
if [[ "$RETENTION" == 1 ]]; then
	# The window that puts the oldest ~30 days past it.
	AGE_DAYS=$(sql "$BIG_URL" "SELECT floor(extract(epoch FROM now() - min(started_at)) / 86400)::int FROM calls")
	KEEP_DAYS=$((AGE_DAYS - 30))
	CUTOFF="now() - interval '$KEEP_DAYS days'"
	PAST=$(sql "$BIG_URL" "SELECT count(*) FROM calls WHERE started_at < $CUTOFF")
	CALLS_BEFORE=$(sql "$BIG_URL" "SELECT count(*) FROM calls")
	if [[ "$RESTORE" == 1 ]]; then
		step "saving the $PAST calls past the window (and their one-time keys) to put them back afterwards"
		# An hour beyond the cut-off: ccsub computes its own a few seconds later.
		sql "$BIG_URL" "CREATE TABLE bench_scale_saved_calls AS SELECT * FROM calls WHERE started_at < $CUTOFF + interval '1 hour';
			CREATE TABLE bench_scale_saved_submissions AS SELECT s.* FROM submissions s
				JOIN bench_scale_saved_calls c ON c.id = s.call_id"
	fi
	step "retention pass (CCSUB_RETAIN_CALLS=${KEEP_DAYS}d: $PAST calls past it) during the mix"
	"$LOAD" mix -base "$BIG_BASE" -cookie "$BIG_COOKIE" -urls "$OUT/urls-mix.tsv" -c "$USERS" -duration 0 \
		-out "$OUT/mix-retention.tsv" >"$OUT/mix-retention.txt" &
	MIX_PID=$!
	sleep 2
	started=$(date +%s.%N)
	CCSUB_RETAIN_CALLS="${KEEP_DAYS}d" on "$BIG_URL" 0 retention run >"$OUT/retention.out" 2>"$OUT/retention.log"
	took=$(echo "$(date +%s.%N) - $started" | bc)
	kill -INT "$MIX_PID"
	wait "$MIX_PID"
	MIX_PID=""
	CALLS_AFTER=$(sql "$BIG_URL" "SELECT count(*) FROM calls")
	report "Retention pass during the mix: CCSUB_RETAIN_CALLS=${KEEP_DAYS}d, $PAST calls past the window"
	cat "$OUT/retention.out"
	printf 'wall time of `ccsub retention run`: %.1f s; calls %s before, %s after (%s removed, %.0f rows/s)\n' \
		"$took" "$CALLS_BEFORE" "$CALLS_AFTER" $((CALLS_BEFORE - CALLS_AFTER)) "$(echo "($CALLS_BEFORE - $CALLS_AFTER) / $took" | bc -l)"
	echo "the mix meanwhile ($USERS users):"
	cat "$OUT/mix-retention.txt"
fi
RSS_RET=$(awk '/VmHWM/ { print $2 }' "/proc/$BIG_PID/status")

# ---- exports --------------------------------------------------------------------
FROM_DAY=$(sql "$BIG_URL" "SELECT started_at::date FROM calls ORDER BY started_at DESC, id DESC OFFSET $EXPORT_ROWS LIMIT 1")
EXPORT_Q=${FROM_DAY:+?from=$FROM_DAY}
report "Exports (target: >= 100,000 rows/s over >= 1,000,000 rows)"
for fmt in csv json; do
	step "export.$fmt$EXPORT_Q"
	started=$(date +%s.%N)
	lines=$(curl -fsS -H "Cookie: $BIG_COOKIE" "$BIG_BASE/history/export.$fmt$EXPORT_Q" | wc -l)
	took=$(echo "$(date +%s.%N) - $started" | bc)
	# Less the CSV header line; less the JSON array's "[" and "]" lines.
	if [[ $fmt == csv ]]; then rows=$((lines - 1)); else rows=$((lines - 2)); fi
	printf '/history/export.%s%s: %d rows in %.2f s: %.0f rows/s\n' "$fmt" "$EXPORT_Q" "$rows" "$took" "$(echo "$rows / $took" | bc -l)"
done
RSS_END=$(awk '/VmHWM/ { print $2 }' "/proc/$BIG_PID/status")

report "Peak RSS of the console (VmHWM, target < 150 MB)"
printf 'after the mix: %.1f MB; after the retention pass: %.1f MB; at the end (after the exports): %.1f MB\n' \
	"$(echo "$RSS_MIX / 1024" | bc -l)" "$(echo "$RSS_RET / 1024" | bc -l)" "$(echo "$RSS_END / 1024" | bc -l)"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

stop_pid "$BIG_PID"
BIG_PID=""

if [[ "$RETENTION" == 1 && "$RESTORE" == 1 ]]; then
	restore_saved
	echo "restored: calls $(sql "$BIG_URL" "SELECT count(*) FROM calls") (were $CALLS_BEFORE)"
elif [[ "$RETENTION" == 1 && -n "$REUSE_DB" ]]; then
	echo "note: $REUSE_DB lost $((CALLS_BEFORE - CALLS_AFTER)) calls to the retention pass (RESTORE=0)"
fi
echo
echo "raw output: $OUT"
