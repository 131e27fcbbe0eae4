#!/usr/bin/env bash
# check-completion.sh SRCDIR BUILDDIR: the bash completion (cli/cquery.bash)
# offers what cquery says it has.  Each check completes a command line and
# looks for one word in the answer; a missing word fails.
set -u
src=$1 build=$2
export PATH="$build:$PATH"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cquery-completion.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cquery ingest --quiet --index "$tmp/i.db" "$src/data/sample" || exit 1
# shellcheck source=/dev/null
source "$src/cli/cquery.bash"
fail=0 n=0
expect() {   # expect WORD CMDLINE...  (the last word is the one completed)
    local want=$1
    shift
    COMP_WORDS=("$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMPREPLY=()
    _cquery
    n=$((n + 1))
    if ! printf '%s\n' "${COMPREPLY[@]}" | grep -qxF -- "$want"; then
        echo "check-completion: '$*' does not offer '$want' (got: ${COMPREPLY[*]:0:8})"
        fail=1
    fi
}
expect hunt cquery hu
expect sources cquery so
expect shell cquery sh
expect --timeout cquery shell --ti
expect --fail-on-empty cquery search --fail
expect --query-file cquery explain --que
expect --no-cache cquery hunt --no
expect T1609-001 cquery hunt T1609-00
expect csv cquery search -f c
expect html cquery hunt --format h
expect kubernetes:apiserver cquery ingest -s kubernetes:a
expect T1610 cquery hunt -t T161
expect verb cquery search -i "$tmp/i.db" ver
expect objectRef.namespace cquery explain --index "$tmp/i.db" objectRef.na
expect forget cquery forg
expect --dry-run cquery forget --dry
expect --force cquery ingest --for
expect --follow-interval cquery search --follow-
expect --follow cquery hunt --fol
expect --summary cquery hunt --summ
expect --budget cquery hunt --summary --bud
expect attack-navigator cquery hunt --format att
expect "$src/data/sample/kubernetes/events.json" cquery forget -i "$tmp/i.db" --source "$src/data/sample/kubernetes/ev"
[ "$fail" = 0 ] && echo "check-completion: $n completions offer what cquery has"
exit "$fail"
