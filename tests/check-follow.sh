#!/usr/bin/env bash
# check-follow.sh SRCDIR BUILDDIR: `search --follow` and `hunt --follow`
# against a log that grows, gets a half-written line, is rotated (mv, then a
# new file, the old one still written to), truncated (copytruncate), and
# then SIGINT.  Every step waits for the output it expects (at most 20 s
# each), never a blind sleep: the one pause, before a half line is finished,
# only gives cquery the chance to ingest it too early.
set -u
src=$1 build=$2
cq=$build/cquery
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cquery-follow.XXXXXX")
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fail() { echo "check-follow: $*"; [ -f err ] && sed 's/^/  stderr: /' err; exit 1; }

# line N: a dockerd debug line of second N
line() { printf 'time="2026-03-01T10:00:%02d.000000000Z" level=debug msg="Calling GET /v1.43/info" seq=%d\n' "$1" "$1"; }
# waits until file $1 has at least $2 lines
wait_lines() {
    local i
    for ((i = 0; i < 400; i++)); do
        [ "$(wc -l < "$1")" -ge "$2" ] && return 0
        kill -0 "$pid" 2>/dev/null || fail "cquery exited early (waiting for $2 lines in $1)"
        sleep 0.05
    done
    fail "no $2 lines in $1 after 20 s: $(wc -l < "$1")"
}

# ---- search --follow
for n in 1 2 3; do line $n; done > app.log
"$cq" search --index i.db --follow app.log --follow-interval 20 --format json \
    'search seq=* | eval n=seq | table n _raw' > out 2> err &
pid=$!
wait_lines out 3                                # what the file held at the start
line 4 >> app.log; line 5 >> app.log
wait_lines out 5                                # growth
l6=$(line 6)
printf '%s' "${l6:0:30}" >> app.log             # half a line: not an event yet
sleep 0.2
printf '%s\n' "${l6:30}" >> app.log
wait_lines out 6
mv app.log app.log.1                            # rotation: the writer still has the old file
line 7 >> app.log.1
line 8 > app.log                                # ... then a new one
wait_lines out 8
line 9 >> app.log
wait_lines out 9                                # the new file grows
cp app.log app.log.2 && : > app.log && line 10 >> app.log   # copytruncate
wait_lines out 10
kill -INT "$pid"
wait "$pid"
rc=$?
pid=
[ "$rc" = 130 ] || fail "exit status $rc after SIGINT, expected 130"
[ -s err ] && fail "unexpected stderr"
got=$(sed 's/.*"n":"\([0-9]*\)".*/\1/' out | sort -n | tr '\n' ' ')
[ "$got" = "1 2 3 4 5 6 7 8 9 10 " ] || fail "search --follow printed events $got"
grep -qF "\"_raw\":\"${l6//\"/\\\"}\"" out || fail "the half-written line came out cut: $(grep seq=6 out)"
"$cq" search --index i.db --format csv 'search * | stats count' | tail -1 | grep -qx 10 ||
    fail "events besides the 10 lines (the half line alone?)"
count=$("$cq" search --index i.db --format csv 'search seq=* | stats count dc(seq) as d' | tail -1)
[ "$count" = "10,10" ] || fail "the index holds count,distinct $count after SIGINT, expected 10,10"

# a query that needs every event is refused
"$cq" search --index i.db --follow app.log 'search * | stats count' > out2 2> err2
[ $? = 2 ] && grep -q 'not supported with --follow: stats' err2 ||
    fail "stats with --follow: $(cat err2)"

# ---- hunt --follow: an exec through the Docker API, as T1609-001 sees it
line 1 > d.log
"$cq" hunt --index h.db --follow d.log --follow-interval 20 --format json T1609-001 \
    > hout 2> err &
pid=$!
sleep 0.1
printf '%s\n' 'time="2026-03-01T10:01:00.000000000Z" level=debug msg="Calling POST /v1.43/containers/ab12/exec"' \
    'time="2026-03-01T10:01:00.000100000Z" level=debug msg="form data: {\"Cmd\":[\"sh\",\"-c\",\"id\"],\"User\":\"root\"}"' >> d.log
wait_lines hout 2
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ "$rc" = 143 ] || fail "hunt --follow: exit status $rc after SIGTERM, expected 143"
grep -q '"type":"summary","analytic_id":"T1609-001".*"hits":1' hout ||
    fail "hunt --follow: no summary of one hit: $(cat hout)"
grep -q '"analytic_id":"T1609-001".*POST /v1.43/containers/ab12/exec' hout ||
    fail "hunt --follow: no hit: $(cat hout)"
# csv: each batch's hits under one header (not the json it is captured as)
"$cq" hunt --index h.db --follow d.log --follow-interval 20 --format csv T1609-001 \
    > cout 2> err &
pid=$!
printf '%s\n' 'time="2026-03-01T10:02:00.000000000Z" level=debug msg="Calling POST /v1.43/containers/cd34/exec"' >> d.log
wait_lines cout 2
kill -INT "$pid"
wait "$pid"
rc=$?
pid=
[ "$rc" = 130 ] || fail "hunt --follow --format csv: exit status $rc after SIGINT"
head -1 cout | grep -q '^analytic_id,analytic_technique,analytic_severity,_time,' ||
    fail "hunt --follow --format csv: no csv header: $(head -1 cout)"
grep -q '^T1609-001,.*/containers/cd34/exec' cout || fail "hunt --follow --format csv: no hit: $(cat cout)"
echo "check-follow: search and hunt --follow saw growth, a half line, rotation, truncation and signals"
