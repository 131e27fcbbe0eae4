#!/usr/bin/env bash
# check-terminal.sh SRCDIR BUILDDIR: search's table on a terminal (issue 15):
# the event view is _time, sourcetype, host, _raw; rows are cut to the
# terminal's width with an ellipsis; a table longer than the screen goes
# through $PAGER (--no-pager: not); pipes get every column, uncut.  The
# terminal is a pseudo-terminal that util-linux's script(1) gives, sized
# with stty.  Each check can fail; a missing script(1) fails the suite.
set -u
src=$1 build=$2
cq=$build/cquery
command -v script >/dev/null || { echo "check-terminal: script(1) (util-linux) is missing"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cquery-terminal.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$cq" ingest --quiet --index "$tmp/i.db" "$src/data/sample" || exit 1
fail=0 n=0
bad() { echo "check-terminal: $*"; fail=1; }

# on_tty COLS ROWS CMD: runs CMD with stdout on a COLS x ROWS terminal and
# leaves what the terminal showed in $tmp/out (CRs dropped; $tmp/raw: as is).
on_tty() {
    local cols=$1 rows=$2
    shift 2
    printf '%s\n' "stty cols $cols rows $rows" "$*" > "$tmp/cmd.sh"
    timeout 60 script -qec "bash $tmp/cmd.sh" /dev/null < /dev/null > "$tmp/raw"
    tr -d '\r' < "$tmp/raw" > "$tmp/out"
}
widest() { LC_ALL=C.UTF-8 wc -L < "$1"; }   # in characters, not bytes

# 1. the event view, cut to 60 columns
n=$((n + 1))
on_tty 60 40 "'$cq' search --index '$tmp/i.db' 'sourcetype=docker:daemon | head 5'"
head -1 "$tmp/out" | grep -qE '^_time +sourcetype +_raw$' || bad "event view header: $(head -1 "$tmp/out")"
[ "$(widest "$tmp/out")" -le 60 ] || bad "a line is wider than 60: $(widest "$tmp/out")"
grep -q '…' "$tmp/out" || bad "no cut cell ends with an ellipsis"
[ "$(wc -l < "$tmp/out")" = 6 ] || bad "want a header and 5 rows, got $(wc -l < "$tmp/out") lines"
grep -qE '^2026-03-04T[0-9:.]+\+00:00  docker:daemon' "$tmp/out" || bad "times and sourcetypes are cut"

# 2. a pipe gets every column, whole
n=$((n + 1))
"$cq" search --index "$tmp/i.db" 'sourcetype=docker:daemon | head 5' > "$tmp/pipe"
head -1 "$tmp/pipe" | grep -q 'container_id' || bad "piped output lost the event view's fields"
grep -q '…' "$tmp/pipe" && bad "piped output is cut"
[ "$(widest "$tmp/pipe")" -gt 100 ] || bad "piped rows look cut"

# 3. longer than the screen: through $PAGER; --no-pager and short tables: not
n=$((n + 1))
on_tty 80 10 "PAGER='sed s/^/PAGED:/' '$cq' search --index '$tmp/i.db' '* | stats count by host'"
[ "$(grep -c '^PAGED:' "$tmp/out")" -gt 10 ] || bad "a long table was not paged: $(head -3 "$tmp/out")"
on_tty 80 10 "PAGER='sed s/^/PAGED:/' '$cq' search --no-pager --index '$tmp/i.db' '* | stats count by host'"
grep -q '^PAGED:' "$tmp/out" && bad "--no-pager paged"
[ "$(wc -l < "$tmp/out")" -gt 10 ] || bad "--no-pager lost rows"
on_tty 80 10 "PAGER='sed s/^/PAGED:/' '$cq' search --index '$tmp/i.db' '* | stats count by sourcetype'"
grep -q '^PAGED:' "$tmp/out" && bad "a table shorter than the screen was paged"

# 4. a pager that quits early ends the output, not with an error
n=$((n + 1))
on_tty 80 10 "PAGER='head -2' '$cq' search --index '$tmp/i.db' '* | table _time _raw'; echo \"rc=\$?\""
grep -qx 'rc=0' "$tmp/out" || bad "quitting the pager early: $(tail -3 "$tmp/out")"
grep -q 'cquery:' "$tmp/out" && bad "quitting the pager early printed an error: $(grep cquery: "$tmp/out")"

# 5. no less on \$PATH and no \$PAGER: printed to the terminal
n=$((n + 1))
on_tty 80 10 "env -u PAGER PATH=/nonexistent '$cq' search --index '$tmp/i.db' '* | stats count by host'"
[ "$(wc -l < "$tmp/out")" -gt 10 ] || bad "without a pager the table was lost: $(head -3 "$tmp/out")"

# 6. csv and json on a terminal are not cut
n=$((n + 1))
on_tty 40 40 "'$cq' search -f csv --index '$tmp/i.db' 'sourcetype=docker:daemon | head 2 | table _raw'"
grep -q '…' "$tmp/out" && bad "csv on a terminal was cut"

# 7. hunt's table report: cut to the width, paged as a whole
n=$((n + 1))
on_tty 80 20 "PAGER='sed s/^/PAGED:/' '$cq' hunt --index '$tmp/i.db'"
grep -E '^PAGED:(T1|SIG-)' "$tmp/out" | sed 's/^PAGED://' > "$tmp/summary"
[ "$(wc -l < "$tmp/summary")" -gt 20 ] || bad "hunt: the summary has $(wc -l < "$tmp/summary") lines"
[ "$(widest "$tmp/summary")" -le 80 ] || bad "hunt: a summary line is wider than 80: $(widest "$tmp/summary")"
grep -q '^PAGED:id  *technique  *hits  *first' "$tmp/out" || bad "hunt: the summary was not paged"
[ "$(grep -vc '^PAGED:' "$tmp/out")" = 0 ] || bad "hunt: lines outside the pager"
on_tty 80 20 "'$cq' hunt --no-pager --index '$tmp/i.db' T1609-001"
grep -q '^== T1609-001: Container administration command' "$tmp/out" || bad "hunt --no-pager: $(head -3 "$tmp/out")"
grep -qE '^_time +sourcetype +_raw$' "$tmp/out" || bad "hunt: the event view on a terminal"

# 7b. hunt --summary on a terminal: cut to the width (false_positives give
# first), paged when longer than the screen; a pipe gets every line whole
n=$((n + 1))
on_tty 80 20 "PAGER='sed s/^/PAGED:/' '$cq' hunt --summary --index '$tmp/i.db'"
grep -E '^PAGED:(T1|SIG-)' "$tmp/out" | sed 's/^PAGED://' > "$tmp/summary"
[ "$(wc -l < "$tmp/summary")" -gt 20 ] || bad "hunt --summary: $(wc -l < "$tmp/summary") lines"
[ "$(widest "$tmp/summary")" -le 80 ] || bad "hunt --summary: a line is wider than 80: $(widest "$tmp/summary")"
grep -q '^PAGED:id  *severity  *hits  *days  *per_day  *flag  *title' "$tmp/out" ||
    bad "hunt --summary: no paged header: $(head -6 "$tmp/out")"
grep -q '…' "$tmp/summary" || bad "hunt --summary: nothing was cut at 80 columns"
"$cq" hunt --summary --index "$tmp/i.db" > "$tmp/pipe"
grep -q '…' "$tmp/pipe" && bad "hunt --summary: piped output is cut"
[ "$(widest "$tmp/pipe")" -gt 120 ] || bad "hunt --summary: piped lines look cut"

# 8. ingest's progress line: percent of the file's bytes, never wider than
# the terminal (no half-lines left at each redraw), the path cut from the left
n=$((n + 1))
gen=$build/data/cquery-gen
"$gen" audit --count 150000 --seed 5 > "$tmp/a rather long file name for the progress line.json"
on_tty 60 20 "'$cq' ingest --index '$tmp/p.db' '$tmp/a rather long file name for the progress line.json' 2>&1 >/dev/null"
tr '\r' '\n' < "$tmp/raw" | sed 's/\x1b\[K//g' > "$tmp/lines"
grep -qE '^\.\.\..* +[0-9]+% of [0-9.]+ MB, [0-9]+ records' "$tmp/lines" ||
    bad "ingest: no progress line with a percent: $(head -3 "$tmp/lines")"
[ "$(widest "$tmp/lines")" -le 59 ] || bad "ingest: a line wider than the terminal: $(widest "$tmp/lines")"

[ "$fail" = 0 ] && echo "check-terminal: $n terminal checks pass"
exit "$fail"
