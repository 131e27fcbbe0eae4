#!/usr/bin/env python3
"""explain-rate.py - what share of detection searches cquery parses and plans.

Not part of `make check`: a measuring tool.  It runs `cquery explain` on
each search and counts those that exit 0, and prints the first error of
the others, grouped by message.

    tests/corpus/explain-rate.py --cquery ./cquery [--macros DIR] SOURCE...

SOURCE is a detection YAML file (its `search:` field, as in
splunk/security_content's detections/), a directory of them, or a text file
ending in .spl with one search per line.  Macros: data/macros.conf, then the
upstream macro YAML files in --macros DIR (name, arguments, definition),
then, with --stub, every other macro a search calls is defined with the
arity it is called with as what fits where it is called: `search *` as a
command (after `|`), `("stub")` after IN, else `sourcetype="stub"` (so a
search is not counted as failing only because a macro was not fetched; say
so when reporting a figure).  The files are written to a temporary data directory
that also holds data/sourcetypes.conf and data/datamodels.conf.
iplocation and lookup read tests/fixtures/geoip and tests/lookups unless
$CQUERY_GEOIP_DB and $CQUERY_LOOKUPS say otherwise.
"""
import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.exit("explain-rate.py needs PyYAML (Debian: python3-yaml)")

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CALL = re.compile(r"`([A-Za-z0-9_:.-]+)(?:\(([^`]*)\))?`")


def searches(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, _, files in os.walk(p):
                for f in sorted(files):
                    if f.endswith((".yml", ".yaml")):
                        yield from searches([os.path.join(root, f)])
        elif p.endswith(".spl"):
            with open(p) as fh:
                for i, line in enumerate(fh, 1):
                    if line.strip():
                        yield "%s:%d" % (p, i), line.strip()
        else:
            with open(p) as fh:
                doc = yaml.safe_load(fh)
            if isinstance(doc, dict) and isinstance(doc.get("search"), str):
                yield p, doc["search"]


def nargs(a):
    depth, n, quoted = 0, 1, False
    for c in a:
        if c == '"':
            quoted = not quoted
        elif not quoted and c == "(":
            depth += 1
        elif not quoted and c == ")":
            depth -= 1
        elif not quoted and depth == 0 and c == ",":
            n += 1
    return n


def macro_stanzas(macro_dir):
    out = []
    for f in sorted(os.listdir(macro_dir)) if macro_dir else []:
        if not f.endswith(".yml"):
            continue
        with open(os.path.join(macro_dir, f)) as fh:
            m = yaml.safe_load(fh)
        if not isinstance(m, dict) or "name" not in m:
            continue
        args = m.get("arguments") or []
        name = "%s(%d)" % (m["name"], len(args)) if args else m["name"]
        d = str(m.get("definition", "")).replace("\n", " ")
        out.append((name, args, d))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cquery", required=True)
    ap.add_argument("--macros", help="directory of upstream macro YAML files")
    ap.add_argument("--stub", action="store_true", help="stub macros that are not defined")
    ap.add_argument("-v", action="store_true", help="print each failing search")
    ap.add_argument("sources", nargs="+")
    o = ap.parse_args()
    items = list(searches(o.sources))
    tmp = tempfile.mkdtemp(prefix="cq-rate-")
    try:
        for f in ("sourcetypes.conf", "datamodels.conf"):
            if os.path.exists(os.path.join(SRC, "data", f)):
                shutil.copy(os.path.join(SRC, "data", f), tmp)
        with open(os.path.join(SRC, "data", "macros.conf")) as fh:
            conf = fh.read()
        defined = set(re.findall(r"^\[([^\]]+)\]", conf, re.M))
        extra = []
        for name, args, d in macro_stanzas(o.macros):
            if name in defined:
                continue
            defined.add(name)
            extra.append("[%s]\n%sdefinition = %s\n" % (
                name, "args = %s\n" % ", ".join(args) if args else "", d))
        if o.stub:
            for _, s in items:
                for m in CALL.finditer(s):
                    n = nargs(m.group(2)) if m.group(2) is not None else 0
                    name = "%s(%d)" % (m.group(1), n) if n else m.group(1)
                    if name in defined or m.group(1).endswith("_filter"):
                        continue
                    defined.add(name)
                    args = ", ".join("a%d" % i for i in range(n))
                    before = s[:m.start()].rstrip()
                    stub = ("search *" if before.endswith("|") or not before else
                            '("stub")' if before.upper().endswith(" IN") else
                            'sourcetype="stub"')
                    extra.append("[%s]\n%sdefinition = %s\n" % (
                        name, "args = %s\n" % args if n else "", stub))
        with open(os.path.join(tmp, "macros.conf"), "w") as fh:
            fh.write(conf + "\n" + "\n".join(extra))
        env = dict(os.environ, CQUERY_DATADIR=tmp)
        # iplocation and lookup need their files to plan: the test ones
        # unless the environment names others.
        env.setdefault("CQUERY_GEOIP_DB",
                       os.path.join(SRC, "tests/fixtures/geoip/cquery-test-city.mmdb"))
        env.setdefault("CQUERY_LOOKUPS", os.path.join(SRC, "tests/lookups"))
        ok, why = 0, collections.Counter()
        for where, s in items:
            r = subprocess.run([o.cquery, "explain", s], env=env, capture_output=True, text=True)
            if r.returncode == 0:
                ok += 1
                continue
            first = (r.stderr.splitlines() or ["?"])[0]
            msg = re.sub(r"^query:\d+:\d+: ", "", first)
            msg = re.sub(r'"[^"]*"', '"..."', msg)
            why[msg] += 1
            if o.v:
                print("%s: %s" % (where, first))
        n = len(items)
        print("%d of %d searches parse and plan (%.0f%%)" % (ok, n, 100.0 * ok / n if n else 0))
        for msg, k in why.most_common():
            print("  %4d  %s" % (k, msg))
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
