#!/bin/sh
# run-fuzz.sh NAME BINARY SECONDS SRCDIR - runs one libFuzzer target for a
# bounded time from its seed corpus, after replaying every input that once
# made it fail.  Prints one line: target, seconds, executions, corpus size.
# Exit status 1 when the fuzzer found a crash, leak or timeout; the input is
# left in fuzz-work/NAME-crash-* (add it to the target's crashers directory
# once fixed).
name=$1 bin=$2 secs=$3 src=$4
seeds=$src/tests/fuzz/corpus_$name
crashers=$src/tests/fuzz/crashers_$name
[ "$name" = parse ] && crashers=$src/tests/fuzz/crashers
case $name in
ingest) maxlen=16384 ;;
*) maxlen=1024 ;;
esac
mkdir -p "fuzz-work/$name"
log=fuzz-work/$name.log
# the known bad inputs first: each must now pass
set --
for f in "$crashers"/*; do
    case $f in *README*|*'*') continue ;; esac
    set -- "$@" "$f"
done
if [ $# -gt 0 ] && ! "$bin" -timeout=20 "$@" >"$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz $name: a known crasher fails again"
    exit 1
fi
"$bin" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2560 -max_len=$maxlen \
    -print_final_stats=1 -artifact_prefix="fuzz-work/$name-" \
    "fuzz-work/$name" "$seeds" >"$log" 2>&1
rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
corpus=$(ls "fuzz-work/$name" | wc -l)
echo "fuzz $name: ${secs} s, ${execs:-?} executions (${rate:-?}/s), $cov, corpus $corpus"
if [ $rc -ne 0 ]; then
    grep -A30 -m1 'ERROR\|runtime error\|deadly signal' "$log"
    ls fuzz-work/$name-* 2>/dev/null
    exit 1
fi
