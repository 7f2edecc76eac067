#!/usr/bin/env bash
# A scratch database with a big history, for query plans and EXPLAIN ANALYZE
# (docs/benchmarks.md, "Text search at 10 million calls").
#
# Creates database $DB on the local PostgreSQL, migrates it with ccsub, and
# writes $ROWS calls (scripts/big-history.sql: 12 months in time order,
# 6 gateways, ~200,000 serverIds, 400 callback hosts, the contract's
# retcodes and messages) in chunks of a million. The secondary indexes of
# calls are dropped while loading and built again afterwards (faster than
# keeping them up to date row by row), then the table is vacuumed and
# analysed. The database is kept: drop it yourself when done
# (psql -c 'DROP DATABASE ccsub_big').
#
# Usage: scripts/big-history.sh        (from the repository root)
# Knobs: PG_SERVER (no database name), DB (default ccsub_big), ROWS (default 10000000)
# 10 million rows take about 6.5 GB (3.1 GB of table) and, on 2 vCPUs, about half an hour.
set -euo pipefail

PG_SERVER=${PG_SERVER:-postgres://postgres@127.0.0.1:5432}
DB=${DB:-ccsub_big}
ROWS=${ROWS:-10000000}
CHUNK=1000000
DB_URL="${PG_SERVER}/${DB}?sslmode=disable"
WORK=$(mktemp -d /tmp/ccsub-big.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

step() { echo "== $(date -u +%T) $*" >&2; }

step "creating database $DB and migrating it"
psql -q "${PG_SERVER}/postgres?sslmode=disable" -c "CREATE DATABASE ${DB}"
go build -o "$WORK/ccsub" ./cmd/ccsub
DATABASE_URL="$DB_URL" CCSUB_DATA_DIR="$WORK/data" "$WORK/ccsub" migrate >/dev/null

step "dropping the secondary indexes of calls while loading"
psql -q -v ON_ERROR_STOP=1 "$DB_URL" <<'SQL'
CREATE TABLE big_history_indexes AS
	SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS def
	FROM pg_index WHERE indrelid = 'calls'::regclass AND NOT indisprimary;
SELECT format('DROP INDEX %s', name) FROM big_history_indexes \gexec
SQL

for ((lo = 1; lo <= ROWS; lo += CHUNK)); do
	hi=$((lo + CHUNK - 1 < ROWS ? lo + CHUNK - 1 : ROWS))
	step "calls $lo to $hi of $ROWS"
	psql -q -v ON_ERROR_STOP=1 -v lo="$lo" -v hi="$hi" -v rows="$ROWS" "$DB_URL" -f scripts/big-history.sql
done

step "building the secondary indexes again, vacuuming and analysing"
psql -q -v ON_ERROR_STOP=1 "$DB_URL" <<'SQL'
SET maintenance_work_mem = '512MB';
SELECT def FROM big_history_indexes \gexec
DROP TABLE big_history_indexes;
VACUUM (ANALYZE) calls;
SQL
psql -q "$DB_URL" -c "SELECT count(*) AS calls, pg_size_pretty(pg_table_size('calls')) AS table_size,
	pg_size_pretty(pg_indexes_size('calls')) AS indexes_size FROM calls"
step "done: DATABASE_URL=$DB_URL"
