#!/usr/bin/env bash
# check-shell.sh SRCDIR BUILDDIR: `cquery shell` on a real pseudo-terminal.
# It runs in a detached tmux session of a fixed size (its own server
# socket, so it meets no other tmux), gets keys as a person types them
# (Tab, a query over two lines, Ctrl-X e, Ctrl-C, Up, Ctrl-D) and after each
# step waits for a line it must show; a line that does not come fails.
# Without tmux it fails under `make check` (CQ_MAKE_CHECK) and in CI, and
# only says so when run by hand.
set -u
src=$1 build=$2
if ! command -v tmux >/dev/null 2>&1; then
    if [ -n "${CQ_MAKE_CHECK:-}" ] || [ -n "${CI:-}" ]; then
        echo "check-shell: FAIL: tmux is not installed (apt-get install tmux)"
        exit 1
    fi
    echo "check-shell: skipped: tmux is not installed"
    exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cquery-shell.XXXXXX")
sock=$tmp/tmux.sock
t() { tmux -S "$sock" "$@"; }
trap 't kill-server 2>/dev/null; rm -rf "$tmp"' EXIT
"$build/cquery" ingest --quiet --index "$tmp/i.db" "$src/data/sample" || exit 1

fail=0 n=0
screen() { t capture-pane -p -J -S - -t shell | sed 's/ *$//'; }
# wait_for LINE: the screen shows LINE (whole, trailing blanks aside) within 20 s
wait_for() {
    local i
    n=$((n + 1))
    for ((i = 0; i < 200; i++)); do
        screen | grep -qxF -- "$1" && return 0
        sleep 0.1
    done
    echo "check-shell: step $n: the screen never showed: $1"
    echo "---- screen:"
    screen | tail -25
    echo "----"
    fail=1
    return 1
}
keys() { t send-keys -t shell "$@"; }
type_() { t send-keys -t shell -l -- "$1"; }
# libedit's own leak at exit, for the sanitizer build (tests/lsan-libedit.supp)
lsan="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$src/tests/lsan-libedit.supp"
# start ENV...: a shell on the index, its exit status into $tmp/rc
start() {
    rm -f "$tmp/rc"
    t new-session -d -s shell -x 100 -y 40 \
        "env HOME='$tmp' TZ= LSAN_OPTIONS='$lsan' $* '$build/cquery' shell --index '$tmp/i.db'; echo \$? > '$tmp/rc'; sleep 60"
    wait_for "cquery shell on $tmp/i.db: .help for help, Ctrl-D to quit" &&
        wait_for "cquery>"
}
ended() {
    local i
    for ((i = 0; i < 100; i++)); do
        [ -s "$tmp/rc" ] && return 0
        sleep 0.1
    done
    echo "check-shell: the shell did not end on Ctrl-D"
    fail=1
    return 1
}

start "CQUERY_HISTORY='$tmp/hist'" || exit 1
# Tab: a command after |, then a field name of the index
type_ 'sourcetype=kubernetes:apiserver | sta'
keys Tab
wait_for 'cquery> sourcetype=kubernetes:apiserver | stats'
type_ 'count by ver'
keys Tab
wait_for 'cquery> sourcetype=kubernetes:apiserver | stats count by verb'
keys Enter
wait_for 'update  934'
# Tab after field=: the values of the field, listed, then one completed
type_ 'sourcetype=kubernetes:apiserver verb='
keys Tab
wait_for 'create   delete   get      list     patch    update   watch'
type_ 'up'
keys Tab
wait_for 'cquery> sourcetype=kubernetes:apiserver verb=update'
# a query over two lines (| at the end continues it), an eval function by Tab
type_ '|'
keys Enter
wait_for '   ...>'
type_ 'eval n=len'
keys Tab
wait_for '   ...> eval n=len('
type_ 'verb) | stats count by n'
keys Enter
wait_for '6  934'
# a bad query: the caret diagnostic, and the shell goes on
type_ 'verb=get | bogus 3'
keys Enter
wait_for 'query:1:12: error: unknown command "bogus"'
wait_for '               ^^^^^'
# Ctrl-X e explains the line; Ctrl-C drops it
type_ 'sourcetype=docker:daemon | head 3'
keys C-x e
wait_for '  ?1 = "docker:daemon" (case-insensitive)'
keys C-c
type_ 'half a query |'
keys Enter
wait_for '   ...>'
keys C-c
wait_for '   ...> ^C'
# dot commands, then Ctrl-C stops a long query and the shell goes on
type_ '.format csv'
keys Enter
type_ 'sourcetype=docker:daemon | stats count'
keys Enter
wait_for '1899'
type_ '* | eval x=mvrange(0,1000) | mvexpand x | eval y=mvrange(0,1000) | mvexpand y | stats count'
keys Enter
sleep 1
keys C-c
wait_for 'query: error: search stopped: interrupted (Ctrl-C)'
wait_for 'cquery>'
# Up recalls the last query from history; Ctrl-D ends
keys C-c Up
wait_for 'cquery> * | eval x=mvrange(0,1000) | mvexpand x | eval y=mvrange(0,1000) | mvexpand y | stats count'
keys C-c C-d
ended && [ "$(cat "$tmp/rc")" = 0 ] || { echo "check-shell: exit status $(cat "$tmp/rc" 2>/dev/null), expected 0"; fail=1; }
t kill-session -t shell

# the history file: 0600, one line per query (the two-line one joined)
n=$((n + 1))
perm=$(stat -c %a "$tmp/hist" 2>/dev/null)
[ "$perm" = 600 ] || { echo "check-shell: history file mode '$perm', expected 600"; fail=1; }
grep -qxF 'sourcetype=kubernetes:apiserver verb=update | eval n=len(verb) | stats count by n' \
    "$tmp/hist" || { echo "check-shell: the two-line query is not in the history:"; cat "$tmp/hist"; fail=1; }

# a history file that is a symbolic link is refused, never written through
ln -s "$tmp/elsewhere" "$tmp/hist-link"
start "CQUERY_HISTORY='$tmp/hist-link'"
n=$((n + 1))
screen | grep -qF "hist-link: a symbolic link: history not kept" ||
    { echo "check-shell: a linked history file was not refused"; fail=1; }
type_ 'sourcetype=docker:daemon | stats count'
keys Enter
wait_for '1899'
keys C-d
ended
[ -e "$tmp/elsewhere" ] && { echo "check-shell: the history was written through a link"; fail=1; }

[ "$fail" = 0 ] && echo "check-shell: $n steps of cquery shell on a terminal show what they should"
exit "$fail"
