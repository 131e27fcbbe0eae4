#!/bin/sh
# check-report.sh - the HTML hunt report, as a browser shows it.
#
# Ingests the bundled sample, writes `cquery hunt --format html`, and checks:
#   - the page as written is the page Chromium parses (the counts of its
#     sections, table rows and cells, SVG rectangles and texts in
#     `chromium --dump-dom` equal the ones in the file: a stray or missing
#     tag makes the parser move or add elements), no script, the CSP there;
#   - the timeline has a shared axis with at least 4 tick labels, its rows
#     and the summary's are in severity order, the header says the time
#     range and when the report was made ($SOURCE_DATE_EPOCH);
#   - screenshots at 1400x900 and 800x1200 are PNGs of that size with
#     something drawn (a blank page compresses to a few KB).
# Without chromium it exits 77 (automake's "skipped"), loudly; with
# CQ_REPORT_REQUIRE=1 (make check-report, CI) that is a failure.
# Environment: CQUERY_BIN, CQUERY_SRCDIR (as make check sets them),
# CHROMIUM (default: chromium, else chromium-browser), CQ_REPORT_KEEP=DIR
# to keep the report and the screenshots there.
set -u

bin=${CQUERY_BIN:-./cquery}
src=${CQUERY_SRCDIR:-.}
fail=0
say() { echo "check-report: $*"; }
bad() { say "FAIL: $*"; fail=1; }

chromium=${CHROMIUM:-}
if [ -z "$chromium" ]; then
    for c in chromium chromium-browser; do
        if command -v "$c" >/dev/null 2>&1; then chromium=$c; break; fi
    done
fi
if [ -n "$chromium" ] && ! command -v "$chromium" >/dev/null 2>&1; then
    chromium=
fi
if [ -z "$chromium" ]; then
    if [ "${CQ_REPORT_REQUIRE:-0}" = 1 ]; then
        say "FAIL: chromium not found (apt-get install chromium)"
        exit 1
    fi
    say "SKIPPED: chromium not found, the HTML report was not rendered (apt-get install chromium; make check-report)"
    exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cquery-report.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
html=$tmp/report.html
export CQUERY_DATADIR="$src/data" SOURCE_DATE_EPOCH=1772668800
unset TZ
"$bin" ingest -i "$tmp/index.db" "$src/data/sample" >/dev/null 2>"$tmp/ingest.err" ||
    { cat "$tmp/ingest.err"; bad "ingest of data/sample failed"; exit 1; }
"$bin" hunt -i "$tmp/index.db" --format html -o "$html" || { bad "hunt --format html failed"; exit 1; }

# Chromium, headless, with a profile of its own; --no-sandbox as root only.
browse() {
    sandbox=
    [ "$(id -u)" = 0 ] && sandbox=--no-sandbox
    "$chromium" --headless $sandbox --disable-gpu --hide-scrollbars --no-first-run \
        --user-data-dir="$tmp/profile" "$@" 2>>"$tmp/chromium.err"
}

# --- the page as written is the page parsed
browse --dump-dom "file://$html" >"$tmp/dom.html"
[ -s "$tmp/dom.html" ] || { cat "$tmp/chromium.err"; bad "chromium --dump-dom printed nothing"; }
count() { grep -o "$1" "$2" | wc -l; }
for tag in '<section' '<tr>' '<td' '<th>' '<svg' '<rect' '<text' '<g ' '<table' '<details'; do
    a=$(count "$tag" "$html")
    b=$(count "$tag" "$tmp/dom.html")
    [ "$a" = "$b" ] || bad "$tag: $a in the file, $b in the page Chromium parsed"
done
grep -qi '<script' "$html" && bad "the report holds a script"
grep -q "Content-Security-Policy\" content=\"default-src 'none'" "$html" || bad "no CSP"

# --- what the report must say
ticks=$(count 'class="ax tick"' "$html")
[ "$ticks" -ge 4 ] || bad "the timeline's axis has $ticks tick labels (want 4 or more)"
ordered() { awk 'NR > 1 && $0 < prev {bad = 1} {prev = $0} END {exit bad}'; }
grep -o 'data-severity="[0-9]"' "$html" | tr -dc '0-9\n' | ordered ||
    bad "timeline rows not in severity order"
sed -n '/<table class="sum">/,/<\/table>/p' "$html" | grep -o 'class="sev b[0-9]"' |
    tr -dc '0-9\n' | ordered || bad "summary rows not in severity order"
lanes=$(count 'class="row"' "$html")
[ "$lanes" -ge 5 ] || bad "$lanes timeline rows (the sample has hits for 15 analytics)"
grep -q '<tr><th>Generated</th><td>2026-03-05 00:00:00' "$html" ||
    bad "the header does not say when the report was made (\$SOURCE_DATE_EPOCH)"
grep -q '<tr><th>Data</th><td>4,287 events from 2026-03-02 ' "$html" ||
    bad "the header does not give the data's time range"
# T1610-001 is a stats analytic: its first time comes from its rows' first_time.
grep -q 'T1610-001</a></td><td class="num hit">[0-9]*</td><td class="t">2026-' "$html" ||
    bad "T1610-001 (stats) has no first time in the summary"
hsize=$(wc -c <"$html")
[ "$hsize" -lt 1000000 ] || bad "the sample's report is $hsize bytes"

# --- screenshots at two sizes
for size in 1400,900 800,1200; do
    png=$tmp/report-${size%,*}.png
    browse --window-size="$size" --screenshot="$png" "file://$html" >/dev/null
    if [ ! -s "$png" ]; then
        cat "$tmp/chromium.err"
        bad "no screenshot at $size"
        continue
    fi
    sig=$(od -An -tx1 -N8 "$png" | tr -d ' \n')
    [ "$sig" = 89504e470d0a1a0a ] || bad "$png is not a PNG"
    dim=$(od -An -tu1 -j16 -N8 "$png" | awk '{print $3 * 256 + $4 "," $7 * 256 + $8}')
    [ "$dim" = "$size" ] || bad "screenshot is $dim, not $size"
    bytes=$(wc -c <"$png")
    [ "$bytes" -gt 30000 ] || bad "screenshot at $size is $bytes bytes: an empty page?"
    say "screenshot at $size: $bytes bytes"
done

if [ -n "${CQ_REPORT_KEEP:-}" ]; then
    mkdir -p "$CQ_REPORT_KEEP" && cp "$html" "$tmp"/*.png "$CQ_REPORT_KEEP"/
    say "kept the report and the screenshots in $CQ_REPORT_KEEP"
fi
[ "$fail" = 0 ] && say "the report ($hsize bytes, $lanes timeline rows, $ticks ticks) renders at 1400x900 and 800x1200"
exit "$fail"
