#!/bin/sh
# check-layers.sh SRCDIR: the one-way rules of ARCHITECTURE.md, checked on
# every #include "..." of the tree.  Each rule: a folder, then the include
# prefixes no file directly in that folder may use.  Exits 1 on any
# violation, and when it finds no source file at all (a wrong SRCDIR must
# not pass).
set -u
src=${1:-.}
fail=0
checked=0

rule() {
    dir=$1; shift
    for f in "$src/$dir"/*.c "$src/$dir"/*.h "$src/$dir"/*.l "$src/$dir"/*.y; do
        [ -f "$f" ] || continue
        checked=$((checked + 1))
        for bad in "$@"; do
            if grep -n "^#include \"$bad" "$f" >/dev/null; then
                grep -n "^#include \"$bad" "$f" | sed "s|^|${f#$src/}:|;s|$|  (not allowed in $dir/)|"
                fail=1
            fi
        done
    done
}

# Below everything: knows nothing of SPL, logs or the index.
rule common   lexer/ grammar/ engine/ index/ ingest/ cli/
# The front end never reaches into what runs or stores queries.
rule lexer    engine/ index/ ingest/ cli/
rule grammar  engine/ index/ ingest/ cli/
# The store knows nothing of the language or of log formats.
rule index    lexer/ grammar/ engine/ ingest/ cli/
# Ingest knows nothing of the language; it writes through index.h.
rule ingest   lexer/ grammar/ engine/ cli/ index/index_int.h
# The engine: the AST is its interface to the grammar, never the bison
# header; never ingest or the CLI.
for d in engine engine/expr engine/fn engine/agg engine/ops; do
    rule "$d" cli/ ingest/ lexer/ grammar/parser.h index/index_int.h
done
# Expressions and functions never see operators or the planner.
for d in engine/expr engine/fn; do
    rule "$d" engine/ops/ engine/agg/ engine/op.h engine/plan.h engine/exec.h \
        engine/query.h engine/subsearch.h
done
rule engine/agg engine/ops/ engine/op.h engine/plan.h engine/query.h engine/subsearch.h
# The CLI uses the engine's and the index's public headers only.
rule cli index/index_int.h index/colenc.h ingest/ingest_int.h engine/op.h \
    engine/ops/ engine/agg/ engine/fn/

# Only the command table names operators: cq_prepare_<x>/cq_open_<x> appear
# in engine/op.h, engine/commands.c and engine/ops/ alone.
# Sources only: an in-tree build leaves objects that hold the names too.
names=$(grep -rln --include='*.[chly]' 'cq_prepare_[a-z]\|cq_open_[a-z]' "$src"/common "$src"/lexer \
    "$src"/grammar "$src"/index "$src"/ingest "$src"/cli "$src"/engine 2>/dev/null |
    grep -v '/engine/op\.h$\|/engine/commands\.c$\|/engine/ops/')
if [ -n "$names" ]; then
    echo "$names" | sed 's|$|: names an operator (only engine/commands.c may)|'
    fail=1
fi

# Operators plan a nested query through engine/subsearch.h alone: only the
# planner, the query compiler and subsearch.c call cq_plan_build.
calls=$(grep -rln --include='*.[chly]' 'cq_plan_build(' "$src"/engine "$src"/cli 2>/dev/null |
    grep -v '/engine/planner\.c$\|/engine/query\.c$\|/engine/subsearch\.c$\|/engine/plan\.h$')
if [ -n "$calls" ]; then
    echo "$calls" | sed 's|$|: plans a query itself (use cq_subsearch_plan, engine/subsearch.h)|'
    fail=1
fi

if [ "$checked" -lt 50 ]; then
    echo "check-layers: only $checked files under $src: wrong source directory?"
    exit 1
fi
[ "$fail" = 0 ] && echo "check-layers: $checked files keep the one-way rules"
exit "$fail"
