#!/usr/bin/env bash
# bench/bitflip.sh CQUERY [SAMPLE] [FLIPS] [SEED]: what single bit flips in
# an index file do to a query's answer (issue 14).
#
# Ingests SAMPLE (default data/sample) into a fresh index in a temporary
# directory, checkpoints it into the main file, runs QUERY once for the
# right answer, then FLIPS times (default 200): copies the index, flips one
# random bit of the copy (offsets from SEED, default 14, so two builds see
# the same flips when their files are the same size) and runs the query on
# it.  Each run is counted as
#   same       exit 0, the right answer (the bit was in a page the query
#              does not read, or in padding)
#   error      exit 1-3 with an error message: the damage reported
#   different  exit 0 and another answer: a wrong answer, what checksums
#              are for
#   crash      killed by a signal, or still running after 30 s
# and the last line is "same N, error N, different N, crash N".  Not a test
# (it takes a minute); `--threads 1` so that a run reads blocks in one order.
set -euo pipefail
BIN=$1
SAMPLE=${2:-$(dirname "$0")/../data/sample}
FLIPS=${3:-200}
SEED=${4:-14}
QUERY=${QUERY:-'* | table _time host source sourcetype _raw'}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$BIN" ingest --index "$dir/good.db" "$SAMPLE" > /dev/null 2>&1
sqlite3 "$dir/good.db" 'PRAGMA wal_checkpoint(TRUNCATE);' > /dev/null
rm -f "$dir/good.db-wal" "$dir/good.db-shm"
"$BIN" search --threads 1 --index "$dir/good.db" --format csv "$QUERY" > "$dir/want"
size=$(stat -c %s "$dir/good.db")
RANDOM=$SEED
same=0 error=0 different=0 crash=0
for ((i = 0; i < FLIPS; i++)); do
    off=$(( ((RANDOM << 30) | (RANDOM << 15) | RANDOM) % size ))
    bit=$(( RANDOM % 8 ))
    cp "$dir/good.db" "$dir/bad.db"
    byte=$(od -An -tu1 -j "$off" -N1 "$dir/bad.db" | tr -d ' ')
    printf "\\x$(printf %02x $(( byte ^ (1 << bit) )))" |
        dd of="$dir/bad.db" bs=1 seek="$off" conv=notrunc status=none
    rc=0
    timeout 30 "$BIN" search --threads 1 --index "$dir/bad.db" --format csv "$QUERY" \
        > "$dir/got" 2> "$dir/err" || rc=$?
    if [ "$rc" -eq 0 ] && cmp -s "$dir/want" "$dir/got"; then
        same=$((same + 1))
    elif [ "$rc" -eq 0 ]; then
        different=$((different + 1))
        echo "different: byte $off bit $bit" >&2
    elif [ "$rc" -le 3 ] && grep -q 'error\|damaged\|malformed' "$dir/err"; then
        error=$((error + 1))
    else
        crash=$((crash + 1))
        echo "crash (exit $rc): byte $off bit $bit: $(head -c 300 "$dir/err")" >&2
    fi
    rm -f "$dir/bad.db" "$dir/bad.db-wal" "$dir/bad.db-shm"
done
echo "index $size bytes, $FLIPS flips: same $same, error $error, different $different, crash $crash"
