#!/usr/bin/env bash
# bench/ingest.sh - ingest speed of cquery next to the sqlite3 shell's JSON
# functions, on the same generated Kubernetes audit events.
#
#   bench/ingest.sh [BUILD_DIR] [COUNT] [RUNS]   (make bench-ingest runs it)
#
# Generates COUNT events (default 1,100,000: ~1 GB, deterministic) with
# cquery-gen into $TMPDIR, then RUNS times each (default 3, median reported):
#   cquery    cquery ingest into a fresh index (process wall time, WAL
#             checkpoint at close included)
#   sqlite3   the sqlite3 shell: .import of the lines into a staging table,
#             then one table of the raw lines with the eight fields the
#             README's questions use pulled out by ->> (json_extract), in
#             one transaction, the staging table dropped
# Wall time is `date` around the process; CPU is /usr/bin/time's user + sys
# (all threads).  On a shared machine CPU time is the steadier figure: MB per
# CPU-second, and "CPU-bound MB/s" = the rate this 2-core machine would give
# idle if CPU were the only limit: MB / (CPU / 2) for cquery (its parsers
# use both cores), MB / CPU for the single-threaded sqlite3 shell.  The load average is printed with the
# table.  Prints a markdown table.  Big files are deleted at the end.
set -euo pipefail
build=${1:-.}
count=${2:-1100000}
runs=${3:-3}
cquery=$build/cquery
gen=$build/data/cquery-gen
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cq-bench-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$gen" audit --count "$count" > "$tmp/audit.json"
bytes=$(stat -c %s "$tmp/audit.json")

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# timed CMD...: runs CMD, prints "wall cpu" (seconds).
timed() {
    local t0 t1
    t0=$(now)
    /usr/bin/time -f '%U %S' -o "$tmp/time" "$@"
    t1=$(now)
    awk -v w="$(echo "$t1 - $t0" | bc -l)" '{ printf "%.3f %.3f\n", w, $1 + $2 }' "$tmp/time"
}

run_cquery() {
    rm -f "$tmp/idx.db" "$tmp/idx.db-wal" "$tmp/idx.db-shm"
    timed "$cquery" ingest -q --index "$tmp/idx.db" "$tmp/audit.json"
}

run_sqlite() {
    rm -f "$tmp/s.db" "$tmp/s.db-wal"
    # .import in ascii mode with a unit separator that JSON Lines never
    # contain: one line per row, quotes untouched (readfile + json_each
    # stops at SQLite's 1 GB string limit).
    cat > "$tmp/load.sql" <<SQL
PRAGMA journal_mode=WAL;
CREATE TABLE raw(line TEXT);
.mode ascii
.separator "\037" "\n"
.import '$tmp/audit.json' raw
CREATE TABLE ev(raw TEXT, verb TEXT, username TEXT, resource TEXT, subresource TEXT,
                namespace TEXT, name TEXT, useragent TEXT, ts TEXT);
BEGIN;
INSERT INTO ev SELECT line, line->>'verb', line->>'user.username',
       line->>'objectRef.resource', line->>'objectRef.subresource',
       line->>'objectRef.namespace', line->>'objectRef.name',
       line->>'userAgent', line->>'requestReceivedTimestamp'
  FROM raw WHERE line <> '';
DROP TABLE raw;
COMMIT;
SQL
    timed sh -c "sqlite3 '$tmp/s.db' < '$tmp/load.sql' > /dev/null"
}

load=$(cut -d' ' -f1-3 /proc/loadavg)
for i in $(seq "$runs"); do run_cquery; done > "$tmp/c.txt"
ci=$(stat -c %s "$tmp/idx.db")
for i in $(seq "$runs"); do run_sqlite; done > "$tmp/s.txt"
si=$(stat -c %s "$tmp/s.db")
load2=$(cut -d' ' -f1-3 /proc/loadavg)
mb=$(echo "$bytes / 1000000" | bc -l)

row() {   # NAME FILE INDEX_BYTES CORES
    local w c
    w=$(awk '{print $1}' "$2" | median)
    c=$(awk '{print $2}' "$2" | median)
    printf '| %s | %.2f s | %.1f | %.1f s | %.1f | %.1f | %.0f MB |\n' "$1" "$w" \
        "$(echo "$mb / $w" | bc -l)" "$c" "$(echo "$mb / $c" | bc -l)" \
        "$(echo "$4 * $mb / $c" | bc -l)" "$(echo "$3 / 1000000" | bc -l)"
}
printf '| %s events (%.0f MB audit JSON), median of %s | wall | MB/s | CPU (user+sys) | MB per CPU-s | CPU-bound MB/s | index size |\n' \
    "$count" "$mb" "$runs"
printf '|---|---|---|---|---|---|---|\n'
row '`cquery ingest`' "$tmp/c.txt" "$ci" 2
row '`sqlite3` .import + 8 × ->> (json_extract)' "$tmp/s.txt" "$si" 1
printf '\nload average before / after: %s / %s\n' "$load" "$load2"
