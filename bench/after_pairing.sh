#!/usr/bin/env bash
# bench/after_pairing.sh CQUERY [N]: `after ... same container_id` pairing
# at its worst case: N docker `create` events, then N `start` events of other
# containers (none pairs), all in one second, so every create stays open for
# the whole file.  Prints the wall-clock seconds of `cquery ingest` of the
# gzipped file (default N 160000).  Not a test: speed targets live here.
#
#   bench/after_pairing.sh ./cquery 80000; bench/after_pairing.sh ./cquery 160000
set -euo pipefail
BIN=$1 N=${2:-160000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
awk -v n="$N" 'BEGIN {
    for (a = 0; a < 2; a++)
        for (i = 0; i < n; i++) {
            act = a ? "start" : "create"
            id = sprintf("%s%012d", a ? "b" : "a", i)
            printf "{\"status\":\"%s\",\"id\":\"%s\",\"from\":\"alpine\",\"Type\":\"container\",\"Action\":\"%s\",\"Actor\":{\"ID\":\"%s\"},\"time\":1772875800,\"timeNano\":1772875800%09d}\n", act, id, act, id, i
        }
}' | gzip -9 > "$dir/events.json.gz"
s=${EPOCHREALTIME/./}
"$BIN" ingest -q --index "$dir/idx.db" "$dir/events.json.gz"
e=${EPOCHREALTIME/./}
printf '%d creates + %d unmatched starts (%s bytes gzipped): %d.%03d s\n' "$N" "$N" \
    "$(stat -c %s "$dir/events.json.gz")" $(( (e - s) / 1000000 )) $(( (e - s) / 1000 % 1000 ))
