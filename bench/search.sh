#!/usr/bin/env bash
# bench/search.sh - cquery's search benchmarks (issue 5, "Performance"),
# side by side with the tools a user would pick instead: sqlite3 with
# json_extract over the raw JSON lines, rg, grep and jq, on the same file in
# the same run.  Not a test: it prints numbers, it never fails on them.
#
#   bench/search.sh [SIZE...]        default: 1000000 10000000
#
# Environment:
#   CQUERY, CQUERY_GEN   the binaries (default ./cquery, ./data/cquery-gen:
#                        run from the build tree, or `make bench`)
#   RUNS                 runs per measurement, the median is reported (3)
#   SLOW_S               a tool whose warm-up run takes longer than this many
#                        seconds is measured once more (default 30) instead of
#                        RUNS times; the table marks it "1 run"
#   SLOW_MAX             jq and sqlite3 json_extract run only on sizes up to
#                        this many events (default 1000000: on 10 M they take
#                        tens of minutes and scale linearly; 0 = always)
#   BENCH_DIR            scratch directory (default /tmp/cquery-bench.PID);
#                        removed at the end
#   PEERS_ONLY           1: only the peer questions Q1-Q6 (cquery and DuckDB)
#
# For each size: generate N audit events (cquery-gen audit --count N), ingest
# them once into a cquery index, once into an SQLite table raw(line TEXT)
# and once into a persisted DuckDB file (bench/duckdb.mjs, with the npm
# package @duckdb/node-api installed into the scratch directory; skipped
# without node), then time every question with every tool.  DuckDB, the peer
# to beat, answers the peer questions Q1-Q6 with 1 and 2 threads; its figure
# is open + query inside one node process (node's start not counted), best
# of RUNS, next to cquery's whole process (best of RUNS too).  Timing is wall clock of the whole
# process (date +%s%N around it); peak RSS is /usr/bin/time's %M (the largest
# process of a pipeline); CPU is its user+sys time (all processes of a
# pipeline), and rows/CPU-s the rate per core-second.  rows/s and MB/s are events and bytes of the raw
# JSON file divided by the median time, so every tool is measured against the
# same input.  Every tool's answer is normalized and compared with cquery's;
# a disagreement is printed and marked in the table.
#
# Output: progress on stderr, the markdown table on stdout (and in
# $BENCH_DIR/../cquery-bench-table.md).
set -euo pipefail

CQUERY=${CQUERY:-./cquery}
GEN=${CQUERY_GEN:-./data/cquery-gen}
RUNS=${RUNS:-3}
SLOW_S=${SLOW_S:-30}
SLOW_MAX=${SLOW_MAX:-1000000}
WORK=${BENCH_DIR:-/tmp/cquery-bench.$$}
SIZES=("$@")
HERE=$(cd "$(dirname "$0")" && pwd)
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1000000 10000000)

log() { printf '%s\n' "$*" >&2; }

for t in "$CQUERY" "$GEN"; do
    [ -x "$t" ] || { log "search.sh: $t is not built (run from the build tree or set CQUERY/CQUERY_GEN)"; exit 2; }
done
CQUERY=$(readlink -f "$CQUERY")
GEN=$(readlink -f "$GEN")
if ! command -v rg >/dev/null 2>&1; then
    log "search.sh: installing ripgrep"
    if [ "$(id -u)" = 0 ]; then apt-get install -y -q ripgrep >&2 || true
    else sudo apt-get install -y -q ripgrep >&2 || true; fi
fi
for t in sqlite3 jq rg grep /usr/bin/time; do
    command -v "$t" >/dev/null 2>&1 || log "search.sh: $t missing; its rows are skipped"
done

mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT
ROWS_MD="$WORK/rows.md"
: > "$ROWS_MD"
NOTES="$WORK/notes.txt"
: > "$NOTES"

# ---- measuring

# ms_now: wall clock in milliseconds (integer).
ms_now() { echo $(( $(date +%s%N) / 1000000 )); }

# measure NAME CMD: runs CMD (a bash command line) RUNS times, its stdout to
# $WORK/NAME.out; sets MED_MS (median wall time), CPU_MS (median user+sys
# time of the whole pipeline), RSS_KB (largest peak RSS over the runs) and
# NRUNS.  CPU time is the steadier figure on a shared machine.
measure() {
    local name=$1 cmd=$2 i t0 t1 r u sy times=() cpus=() rss=0
    NRUNS=$RUNS
    # One unmeasured run first, so that every tool finds its files in the
    # page cache (the 10 M index and JSON do not both fit); a tool slower
    # than SLOW_S is measured by that one run instead.
    t0=$(ms_now)
    bash -c "$cmd" > /dev/null 2>&1 || true
    t1=$(ms_now)
    if [ $((t1 - t0)) -gt $((SLOW_S * 1000)) ]; then NRUNS=1; fi
    for ((i = 0; i < NRUNS; i++)); do
        t0=$(ms_now)
        /usr/bin/time -f '%M %U %S' -o "$WORK/$name.rss" bash -c "$cmd" > "$WORK/$name.out" 2> "$WORK/$name.err" || {
            log "  $name: command failed: $cmd"; sed 's/^/    /' "$WORK/$name.err" | head -5 >&2; }
        t1=$(ms_now)
        times+=($((t1 - t0)))
        read -r r u sy < <(tail -n 1 "$WORK/$name.rss")
        [[ $r =~ ^[0-9]+$ ]] && [ "$r" -gt "$rss" ] && rss=$r
        cpus+=("$(awk -v u="$u" -v s="$sy" 'BEGIN { printf "%d", (u + s) * 1000 }')")
    done
    MED_MS=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    CPU_MS=$(printf '%s\n' "${cpus[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    RSS_KB=$rss
}

# fmt_ms MS: "124 ms" or "11.2 s".
fmt_ms() { awk -v m="$1" 'BEGIN { if (m < 10000) printf "%d ms", m; else printf "%.1f s", m/1000 }'; }
# fmt_rate N MS UNIT: N per second, human-sized.
fmt_rows() { awk -v n="$1" -v m="$2" 'BEGIN { if (m < 1) m = 1; r = n / (m/1000);
    if (r >= 1e6) printf "%.1f M/s", r/1e6; else printf "%.0f k/s", r/1e3 }'; }
fmt_mbs() { awk -v b="$1" -v m="$2" 'BEGIN { if (m < 1) m = 1; r = b / (m/1000) / 1e6;
    if (r >= 1000) printf "%.1f GB/s", r/1000; else printf "%.0f MB/s", r }'; }
fmt_n() { awk -v n="$1" 'BEGIN { if (n >= 1e6) printf "%g M", n/1e6; else printf "%g k", n/1e3 }'; }
fmt_rss() { awk -v k="$1" 'BEGIN { if (k >= 1048576) printf "%.2f GB", k/1048576;
    else if (k >= 1024) printf "%.0f MB", k/1024; else printf "%d KB", k }'; }

# ---- normalizing answers: every tool's output to sorted "key,...,count" lines

norm() {   # norm KIND FILE
    case $1 in
    csvh) tail -n +2 "$2" | tr -d '"' | sort ;;                 # cquery --format csv
    csv) tr -d '"' < "$2" | sort ;;                              # sqlite3 -csv
    uniq) sed -E 's/^ *([0-9]+) (.*)$/\2,\1/; s/\t/,/g; s/"user":\{"username":"([^"]*)"/\1/' "$2" | sort ;;
    count) awk '{ s += $NF } END { print s + 0 }' "$2" ;;        # a number per line (rg -c)
    lines) wc -l < "$2" | tr -d ' ' ;;
    rowsh) echo $(( $(wc -l < "$2") - 1 )) ;;                    # csv rows after the header
    esac
}

# row Q SIZE TOOL NAME KIND CMD: measures, checks the answer against the
# question's reference (the first tool of the question), adds a table row.
REF=""
row() {
    local q=$1 n=$2 tool=$3 name=$4 kind=$5 cmd=$6 note=""
    log "  [$n] $q / $tool"
    measure "$name" "$cmd"
    norm "$kind" "$WORK/$name.out" > "$WORK/$name.norm"
    if [ -z "$REF" ]; then
        REF="$WORK/$name.norm"
    elif ! cmp -s "$REF" "$WORK/$name.norm"; then
        note=" (answer differs!)"
        log "  ANSWER DIFFERS: $tool vs $(basename "$REF" .norm)"
        diff "$REF" "$WORK/$name.norm" | head -10 >&2 || true
    fi
    [ "$NRUNS" = 1 ] && note="$note (1 run)"
    tool=${tool//|/\\|}   # a pipe inside a markdown cell
    printf '| %s | %s | %s%s | %s | %s | %s | %s | %s | %s |\n' "$q" "$(fmt_n "$n")" \
        "$tool" "$note" "$(fmt_ms "$MED_MS")" "$(fmt_rows "$n" "$MED_MS")" \
        "$(fmt_mbs "$BYTES" "$MED_MS")" "$(fmt_rss "$RSS_KB")" \
        "$([ "$CPU_MS" -ge 10 ] && fmt_ms "$CPU_MS" || echo "< 10 ms")" \
        "$([ "$CPU_MS" -ge 10 ] && fmt_rows "$n" "$CPU_MS" || echo "-")" >> "$ROWS_MD"
}

have() { command -v "$1" >/dev/null 2>&1; }

# ---- DuckDB (bench/duckdb.mjs)

DUCK=""
setup_duckdb() {
    have node && have npm || { echo "- DuckDB not run: node/npm missing" >> "$NOTES"; return; }
    mkdir -p "$WORK/duck"
    cp "$HERE/duckdb.mjs" "$WORK/duck/"
    log "search.sh: installing @duckdb/node-api (npm)"
    if (cd "$WORK/duck" && npm init -y > /dev/null && npm install --silent @duckdb/node-api > /dev/null); then
        DUCK="node $WORK/duck/duckdb.mjs"
    else
        echo "- DuckDB not run: npm install @duckdb/node-api failed" >> "$NOTES"
    fi
}

# peer_row Q N TOOL MS RSS_KB CPU_MS NOTE: a table row for a figure measured
# elsewhere (DuckDB's in-process time).
peer_row() {
    printf '| %s | %s | %s%s | %s | %s | %s | %s | %s | %s |\n' "$1" "$(fmt_n "$2")" "$3" "$7" \
        "$(fmt_ms "$4")" "$(fmt_rows "$2" "$4")" "$(fmt_mbs "$BYTES" "$4")" "${5:--}" "${6:--}" "-" \
        >> "$ROWS_MD"
}

# peers N DB DUCKFILE: the peer questions, cquery against DuckDB.
peers() {
    local n=$1 db=$2 duck=$3 i name q line ms rows hash want note t
    local names=(Q1 Q2 Q3 Q4 Q5 Q6)
    local qs=("* | eval l=len(requestURI) | stats avg(l), count by verb"
              "* | stats count by user.username"
              "* | stats count"
              "verb=create objectRef.subresource=exec | stats count by user.username"
              "* | where 'responseStatus.code' >= 400 | stats count by objectRef.resource, verb"
              "* | table _time verb user.username | head 100000")
    for i in "${!names[@]}"; do
        name=${names[$i]} q=${qs[$i]}
        # cquery is timed like DuckDB, best of RUNS and without a wrapper
        # (bash -c and /usr/bin/time add 10-20 ms here), but as a whole
        # process; a warm-up run first.  1 and 2 scan threads, as DuckDB.
        for t in 1 2; do
            log "  [$n] $name / cquery $t thread(s)"
            local best="" t0 t1 r
            "$CQUERY" search --threads $t --index "$db" --format csv "$q" > "$WORK/p$name-cq-$n.out"
            for ((r = 0; r < RUNS; r++)); do
                t0=${EPOCHREALTIME/./}      # bash's clock: no fork for date
                "$CQUERY" search --threads $t --index "$db" --format csv "$q" > "$WORK/p$name-cq-$n.out"
                t1=${EPOCHREALTIME/./}
                t1=$(( (t1 - t0) / 1000 ))
                if [ -z "$best" ] || [ "$t1" -lt "$best" ]; then best=$t1; fi
            done
            # peak RSS from one more run under /usr/bin/time (not timed)
            local rss=""
            if [ -x /usr/bin/time ]; then
                /usr/bin/time -f '%M' -o "$WORK/p$name.rss" "$CQUERY" search --threads $t \
                    --index "$db" --format csv "$q" > /dev/null 2>&1 || true
                rss=$(fmt_rss "$(tail -n 1 "$WORK/p$name.rss")")
            fi
            local label=$name
            [ $t = 1 ] && label="$name \`${q//|/\\|}\`"
            peer_row "$label" "$n" \
                "cquery, $t thread$([ $t = 2 ] && echo s), whole process" "$best" "$rss" "" \
                " (best of $RUNS)"
        done
        [ -n "$DUCK" ] || continue
        read -r rows want < <($DUCK hashcsv "$WORK/p$name-cq-$n.out")
        for t in 1 2; do
            log "  [$n] $name / DuckDB $t thread(s)"
            line=$($DUCK query "$duck" "$t" "$RUNS" "$name") || { log "  DuckDB failed on $name"; continue; }
            read -r _ ms drows hash <<< "$line"
            note=""
            # Q6's rows are the newest 100,000 of equal-time ties: compare counts
            if [ "$name" = Q6 ]; then [ "$drows" = "$rows" ] || note=" (answer differs!)"
            elif [ "$hash" != "$want" ]; then note=" (answer differs!)"; fi
            [ -n "$note" ] && log "  ANSWER DIFFERS: DuckDB $name ($drows rows) vs cquery ($rows rows)"
            peer_row "$name" "$n" "DuckDB, $t thread$([ $t = 2 ] && echo s), in process" \
                "${ms%.*}" "" "" "$note (best of $RUNS)"
        done
    done
}

# ---- one size

bench_size() {
    local n=$1 dir="$WORK/$n"
    mkdir -p "$dir"
    local need_gb=$(( n * 2400 / 1000000000 + 1 ))   # JSON + SQLite copy + cquery index
    local avail_gb
    avail_gb=$(df -P -BG "$WORK" | awk 'NR==2 { sub("G", "", $4); print $4 }')
    if [ "$avail_gb" -lt "$need_gb" ]; then
        log "search.sh: skipping $n events: needs ~${need_gb} GB in $WORK, $avail_gb GB free"
        echo "- $n events skipped: needs ~${need_gb} GB of disk, $avail_gb GB free" >> "$NOTES"
        return
    fi
    local F="$dir/audit.jsonl" DB="$dir/cquery.db" SQ="$dir/raw.sqlite"
    log "[$n] generating"
    "$GEN" audit --count "$n" > "$F"
    BYTES=$(stat -c %s "$F")
    log "[$n] $BYTES bytes; ingesting into cquery"
    local t0 t1
    t0=$(ms_now)
    "$CQUERY" ingest --quiet --index "$DB" "$F"
    t1=$(ms_now)
    echo "- $n events, $BYTES bytes of JSON: cquery ingest $(fmt_ms $((t1 - t0))) ($(fmt_mbs "$BYTES" $((t1 - t0)))), index $(du -sh "$DB" | cut -f1)" >> "$NOTES"
    local DK="$dir/audit.duckdb"
    if [ -n "$DUCK" ]; then
        log "[$n] loading into DuckDB"
        t0=$(ms_now)
        $DUCK load "$F" "$DK" > /dev/null
        t1=$(ms_now)
        echo "- DuckDB read_json into a persisted file: $(fmt_ms $((t1 - t0))), file $(du -sh "$DK" | cut -f1)" >> "$NOTES"
    fi
    local slow=1
    if [ "$SLOW_MAX" -gt 0 ] && [ "$n" -gt "$SLOW_MAX" ]; then
        slow=0
        echo "- $n events: jq and sqlite3 json_extract not run (SLOW_MAX=$SLOW_MAX; they scale linearly)" >> "$NOTES"
    fi
    if have sqlite3 && [ $slow = 1 ] && [ "${PEERS_ONLY:-0}" != 1 ]; then
        log "[$n] loading raw lines into sqlite3"
        t0=$(ms_now)
        sqlite3 "$SQ" 'PRAGMA journal_mode=OFF;' 'PRAGMA synchronous=OFF;' \
            'CREATE TABLE raw(line TEXT);' '.mode ascii' '.separator "\037" "\n"' ".import $F raw" > /dev/null
        t1=$(ms_now)
        echo "- sqlite3 .import of the raw lines: $(fmt_ms $((t1 - t0)))" >> "$NOTES"
    fi
    sync
    # Warm the page cache for every tool the same way.
    cat "$F" > /dev/null
    [ -f "$SQ" ] && cat "$SQ" > /dev/null

    local CQ="'$CQUERY' search --index '$DB' --format csv"
    local SQL="sqlite3 -csv '$SQ'"

    # 0. the peer questions (issue 12), cquery against DuckDB
    peers "$n" "$DB" "$DK"
    if [ "${PEERS_ONLY:-0}" = 1 ]; then
        echo "- index sizes: cquery $(du -sh "$DB" | cut -f1), DuckDB $(du -sh "$DK" 2>/dev/null | cut -f1)" >> "$NOTES"
        rm -rf "$dir"
        return
    fi

    # 1. selective filter over indexed fields, count by user
    REF=""
    local q1="verb=create objectRef.subresource=exec | stats count by user.username"
    row "selective filter, count by user" "$n" "cquery" "q1-cq-$n" csvh "$CQ $(printf %q "$q1")"
    [ $slow = 1 ] && have sqlite3 && row "selective filter, count by user" "$n" "sqlite3 json_extract" "q1-sq-$n" csv \
        "$SQL \"SELECT json_extract(line,'\$.user.username') u, count(*) FROM raw WHERE json_extract(line,'\$.verb')='create' AND json_extract(line,'\$.objectRef.subresource')='exec' GROUP BY u\""
    have rg && row "selective filter, count by user" "$n" "rg | sort | uniq -c" "q1-rg-$n" uniq \
        "rg --no-mmap -N -F '\"subresource\":\"exec\"' '$F' | rg -N -F '\"verb\":\"create\"' | rg -N -o '\"user\":\\{\"username\":\"[^\"]*\"' | sort | uniq -c"
    [ $slow = 1 ] && have jq && row "selective filter, count by user" "$n" "jq | sort | uniq -c" "q1-jq-$n" uniq \
        "jq -r 'select(.verb==\"create\" and .objectRef.subresource==\"exec\") | .user.username' '$F' | sort | uniq -c"

    # 2. full scan: eval, then stats by a field that is not indexed
    REF=""
    local q2="* | eval ok=if('responseStatus.code'<400, \"ok\", \"err\") | stats count by ok, objectRef.resource"
    row "full scan, eval + stats by" "$n" "cquery" "q2-cq-$n" csvh "$CQ $(printf %q "$q2")"
    [ $slow = 1 ] && have sqlite3 && row "full scan, eval + stats by" "$n" "sqlite3 json_extract" "q2-sq-$n" csv \
        "$SQL \"SELECT CASE WHEN json_extract(line,'\$.responseStatus.code') < 400 THEN 'ok' ELSE 'err' END k, json_extract(line,'\$.objectRef.resource') r, count(*) FROM raw WHERE r IS NOT NULL GROUP BY k, r\""
    [ $slow = 1 ] && have jq && row "full scan, eval + stats by" "$n" "jq | sort | uniq -c" "q2-jq-$n" uniq \
        "jq -r 'select(.objectRef.resource != null) | [(if (.responseStatus.code != null and .responseStatus.code < 400) then \"ok\" else \"err\" end), .objectRef.resource] | @tsv' '$F' | sort | uniq -c"

    # 3. a rare term (exactly one event holds it)
    REF=""
    row "rare term" "$n" "cquery, quoted \"rare-pod-7f3a9c\"" "q3-cq-$n" rowsh \
        "$CQ '\"rare-pod-7f3a9c\" | table _time objectRef.name'"
    row "rare term" "$n" "cquery, bare rare-pod-7f3a9c" "q3-cb-$n" rowsh \
        "$CQ 'rare-pod-7f3a9c | table _time objectRef.name'"
    have rg && row "rare term" "$n" "rg -c" "q3-rg-$n" count "rg --no-mmap -c -F rare-pod-7f3a9c '$F'"
    have grep && row "rare term" "$n" "grep -c" "q3-gr-$n" count "grep -c -F rare-pod-7f3a9c '$F'"
    [ $slow = 1 ] && have sqlite3 && row "rare term" "$n" "sqlite3 instr" "q3-sq-$n" count \
        "$SQL \"SELECT count(*) FROM raw WHERE instr(line, 'rare-pod-7f3a9c') > 0\""
    [ $slow = 1 ] && have jq && row "rare term" "$n" "jq -R contains" "q3-jq-$n" lines \
        "jq -cR 'select(contains(\"rare-pod-7f3a9c\"))' '$F'"

    # 4. memory: a streaming pipeline over every event, stats with few and
    #    with one group per event (peak RSS is the figure to compare by size)
    REF=""
    row "memory: search/eval/where, every event" "$n" "cquery" "q4-cq-$n" rowsh \
        "$CQ '* | eval l=len(userAgent) | where l > 100000 | table l'"
    REF=""
    row "memory: head 100000" "$n" "cquery" "q5-cq-$n" rowsh "$CQ '* | head 100000 | table auditID verb'"
    REF=""
    row "memory: stats by verb (few groups)" "$n" "cquery" "q6-cq-$n" csvh "$CQ '* | stats count by verb'"
    REF=""
    row "memory: stats by auditID (a group per event)" "$n" "cquery" "q7-cq-$n" rowsh \
        "$CQ '* | stats count by auditID'"

    rm -rf "$dir"
}

BYTES=0
setup_duckdb
for n in "${SIZES[@]}"; do
    bench_size "$n"
done

TABLE="$(dirname "$WORK")/cquery-bench-table.md"
{
    echo "| question | events | tool | median | rows/s | MB/s | peak RSS | CPU (user+sys) | rows/CPU-s |"
    echo "|---|---:|---|---:|---:|---:|---:|---:|---:|"
    cat "$ROWS_MD"
    echo
    cat "$NOTES"
} | tee "$TABLE"
log "table also in $TABLE"
