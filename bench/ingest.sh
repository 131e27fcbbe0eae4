#!/usr/bin/env bash
# bench/ingest.sh - ingest speed of cquery next to the sqlite3 shell's JSON
# functions, on the same generated Kubernetes audit events.
#
#   bench/ingest.sh [BUILD_DIR] [COUNT]      (make bench-ingest runs it)
#
# Generates COUNT events (default 1,100,000: ~1 GB, deterministic) with
# cquery-gen into $TMPDIR, then three times each (median reported):
#   cquery    cquery ingest into a fresh index (process wall time, WAL
#             checkpoint at close included)
#   sqlite3   one table of the raw lines (readfile + json_each split) with
#             the eight fields the README's questions use pulled out by
#             json_extract, in one transaction
# Prints a markdown table.  Big files are deleted at the end.
set -euo pipefail
build=${1:-.}
count=${2:-1100000}
cquery=$build/cquery
gen=$build/data/cquery-gen
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cq-bench-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$gen" audit --count "$count" > "$tmp/audit.json"
bytes=$(stat -c %s "$tmp/audit.json")

now() { date +%s.%N; }
median() { sort -g | sed -n 2p; }

run_cquery() {
    rm -f "$tmp/idx.db" "$tmp/idx.db-wal" "$tmp/idx.db-shm"
    local t0 t1
    t0=$(now)
    "$cquery" ingest -q --index "$tmp/idx.db" "$tmp/audit.json"
    t1=$(now)
    echo "$t1 - $t0" | bc -l
}

run_sqlite() {
    rm -f "$tmp/s.db" "$tmp/s.db-wal"
    local t0 t1
    t0=$(now)
    sqlite3 "$tmp/s.db" >/dev/null <<SQL
PRAGMA journal_mode=WAL;
CREATE TABLE ev(raw TEXT, verb TEXT, username TEXT, resource TEXT, subresource TEXT,
                namespace TEXT, name TEXT, useragent TEXT, ts TEXT);
BEGIN;
INSERT INTO ev SELECT value, value->>'verb', value->>'user.username',
       value->>'objectRef.resource', value->>'objectRef.subresource',
       value->>'objectRef.namespace', value->>'objectRef.name',
       value->>'userAgent', value->>'requestReceivedTimestamp'
  FROM (SELECT j.value AS value FROM json_each(
          '["' || replace(replace(replace(CAST(readfile('$tmp/audit.json') AS TEXT),
                 '\\', '\\\\'), '"', '\\"'), char(10), '","') || '"]') AS j)
 WHERE value <> '';
COMMIT;
SQL
    t1=$(now)
    echo "$t1 - $t0" | bc -l
}

c=$(for i in 1 2 3; do run_cquery; done | median)
ci=$(stat -c %s "$tmp/idx.db")
s=$(for i in 1 2 3; do run_sqlite; done | median)
si=$(stat -c %s "$tmp/s.db")
mb=$(echo "$bytes / 1000000" | bc -l)
printf '| %s events (%.0f MB audit JSON) | median of 3 | MB/s | index size |\n' "$count" "$mb"
printf '|---|---|---|---|\n'
printf '| `cquery ingest` | %.2f s | %.1f | %.0f MB |\n' "$c" "$(echo "$mb / $c" | bc -l)" \
    "$(echo "$ci / 1000000" | bc -l)"
printf '| `sqlite3` readfile + json_each + json_extract (8 fields) | %.2f s | %.1f | %.0f MB |\n' \
    "$s" "$(echo "$mb / $s" | bc -l)" "$(echo "$si / 1000000" | bc -l)"
