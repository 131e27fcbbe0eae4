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
so when reporting a figure); a lookup table the search names that is not in
the lookup directory is stubbed the same way, by an empty CSV whose header
holds the words written after the table's name (its fields).  The files are written to a temporary data directory
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


LOOKUP_WORDS = {"as", "output", "outputnew", "append", "local", "update"}


def stub_lookup(search, table, lookups):
    """Writes lookups/TABLE.csv with the fields written after TABLE in the
    search; False when it is there already or no field is found."""
    path = os.path.join(lookups, table + ".csv")
    if os.path.exists(path):
        return False
    fields = []
    for m in re.finditer(r"lookup\s+(?:\S+=\S+\s+)*" + re.escape(table) + r"\b([^|\]]*)",
                         search):
        for w in re.split(r"[\s,]+", m.group(1)):
            w = w.strip('"\'')
            if w and "=" not in w and w.lower() not in LOOKUP_WORDS and w not in fields:
                fields.append(w)
    if not fields:
        fields = ["stub"]
    with open(path, "w") as fh:
        fh.write(",".join(fields) + "\n")
    return True


def run(o, env, where, search, ran):
    r = subprocess.run([o.cquery, "search", "--index", o.run, "--format", "csv", search],
                       env=env, capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        ran["failed"] += 1
        print("%s: ran with exit %d: %s" % (where, r.returncode,
                                           (r.stderr.splitlines() or ["?"])[0]))
        return
    ran["ok"] += 1
    rows = max(0, len(r.stdout.splitlines()) - 1)
    ran["hits"] += rows > 0
    if o.v:
        print("%s: %d rows" % (where, rows))


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
    ap.add_argument("--run", metavar="INDEX",
                    help="also run each search that plans over this index, counting those "
                    "that end in an error (and the rows each finds, with -v)")
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
        lookups = os.path.join(tmp, "lookups")
        shutil.copytree(env.get("CQUERY_LOOKUPS", os.path.join(SRC, "tests/lookups")), lookups)
        env["CQUERY_LOOKUPS"] = lookups
        ok, why, stubbed = 0, collections.Counter(), set()
        ran = collections.Counter()
        for where, s in items:
            for _ in range(12):
                r = subprocess.run([o.cquery, "explain", s], env=env, capture_output=True,
                                   text=True)
                m = re.search(r'unknown lookup table "([^"]+)"', r.stderr)
                col = re.search(r'lookup table (\S+) has no column "([^"]+)"', r.stderr)
                if r.returncode == 0 or not o.stub:
                    break
                if m and stub_lookup(s, m.group(1), lookups):
                    stubbed.add(m.group(1))
                elif col and col.group(1) in stubbed:
                    with open(os.path.join(lookups, col.group(1) + ".csv")) as fh:
                        head = fh.read().strip()
                    with open(os.path.join(lookups, col.group(1) + ".csv"), "w") as fh:
                        fh.write(head + "," + col.group(2) + "\n")
                else:
                    break
            if r.returncode == 0:
                ok += 1
                if o.run:
                    run(o, env, where, s, ran)
                continue
            first = (r.stderr.splitlines() or ["?"])[0]
            msg = re.sub(r"^query:\d+:\d+: ", "", first)
            msg = re.sub(r'"[^"]*"', '"..."', msg)
            why[msg] += 1
            if o.v:
                print("%s: %s" % (where, first))
        n = len(items)
        print("%d of %d searches parse and plan (%.0f%%)" % (ok, n, 100.0 * ok / n if n else 0))
        # mstats, apply, fit and xmlkv stop by design (issue 13): no metrics
        # store, no ML Toolkit, no XML; the rate without them too.
        by_design = sum(k for msg, k in why.items()
                        if re.search(r"not supported yet: (mstats|apply|fit|xmlkv) \(", msg))
        if by_design:
            print("%d of the other %d need a metrics store, the ML Toolkit or XML; without "
                  "them %d of %d (%.0f%%)" % (by_design, n - ok, ok, n - by_design,
                                              100.0 * ok / (n - by_design)))
        for msg, k in why.most_common():
            print("  %4d  %s" % (k, msg))
        if o.run:
            print("ran over %s: %d without error, %d with hits, %d failed" % (
                o.run, ran["ok"], ran["hits"], ran["failed"]))
        if stubbed:
            print("lookup tables stubbed (not fetched): %s" % ", ".join(sorted(stubbed)))
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
