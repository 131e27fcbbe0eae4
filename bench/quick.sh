#!/usr/bin/env bash
# bench/quick.sh CQUERY INDEX [RUNS]: the peer questions Q1-Q6 of
# bench/search.sh on an existing index, best of RUNS (default 5) wall-clock
# milliseconds of the whole process, and a hash of each answer, so that two
# builds (or two indexes) can be compared before and after a change:
#
#   bench/quick.sh ./cquery-before /tmp/a1m.db; bench/quick.sh ./cquery /tmp/a1m.db
#
# The index: data/cquery-gen audit --count 1000000 > /tmp/a1m.json;
# cquery ingest --index /tmp/a1m.db /tmp/a1m.json.  Not a test.
set -euo pipefail
BIN=$1 DB=$2 RUNS=${3:-5}
NAMES=(Q1 Q2 Q3 Q4 Q5 Q6)
QS=("* | eval l=len(requestURI) | stats avg(l), count by verb"
    "* | stats count by user.username"
    "* | stats count"
    "verb=create objectRef.subresource=exec | stats count by user.username"
    "* | where 'responseStatus.code' >= 400 | stats count by objectRef.resource, verb"
    "* | table _time verb user.username | head 100000")
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for i in "${!QS[@]}"; do
    best=
    for ((r = 0; r < RUNS; r++)); do
        s=${EPOCHREALTIME/./}          # bash's clock: no fork for date
        "$BIN" search --index "$DB" --format csv "${QS[$i]}" > "$out"
        e=${EPOCHREALTIME/./}
        t=$(( (e - s) / 1000 ))
        if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
    done
    printf '%s %6d ms  %s\n' "${NAMES[$i]}" "$best" "$(md5sum < "$out" | cut -c1-8)"
done
