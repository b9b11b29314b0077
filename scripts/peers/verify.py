#!/usr/bin/env python3
"""Checks that the peers compute manyi's figures: runs `manyi analyze --json`
(the binary in MANYI_BIN) and each peer over the same database and snapshot,
and compares every figure of `metrics[]`, `changes[]`, `reliability[]` and
`drivers[]` (and the top-level form, from, to, by, responses), row by row
matched on their keys. Exits 1 listing the first differences.

  MANYI_BIN=…/manyi verify.py --database manyi.db --snapshot DIR --from 111 --to 113

manyi runs first: it brings the snapshot up to date, so the peers then read
exactly the files it analysed.

Tolerance. Counts (n, pairs, rank, year), booleans, strings and nulls must be
equal. Floats must agree to a relative 1e-9, with an absolute floor of 1e-12
(|a - b| <= 1e-9 * max(|a|, |b|) + 1e-12). The answers are integers 1-5 and
every sum is exact on each side; what differs is only how the floats are then
combined: manyi folds means and variances from exact integer sums
(n·Σx² − (Σx)² in 128 bits), Pearson's r and alpha from f64 sums, and takes
the t quantile from its own Cornish–Fisher/Newton code, while DuckDB and polars
use streaming (Welford-type) variance and correlation updates and the peers
take quantiles and CDFs from scipy.special. Each of those is good to about
1e-15..1e-12 relative, so 1e-9 leaves three orders of magnitude of room while
any real difference of definition (another denominator, another set of rows,
a missed answer out of thousands) shows up at 1e-4 or more. The absolute
floor is for figures that are differences near zero (rate_diff, r ≈ 0) and
p-values below 1e-12, where relative digits mean nothing. The z tests'
p-values are the closest call: manyi's normal CDF is statrs 0.19's erfc, good
to only about 1e-10 relative (measured here: up to 1.0e-10 against scipy and
math.erfc, at |z| 0.5-1; a Python port of that erfc gives the same bound over
|z| 0-38), still ten times inside 1e-9. Welch's p-values
(`mean_test.p_value`, `mean_p_adjusted`) get a relative 1e-7: manyi takes them
from statrs' Student t CDF, whose relative error src/analytics/stats.rs
documents as up to 1.5e-10 at df 351,932 and 2e-8 up to df 1e8.
"""

import argparse
import json
import math
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = {"duckdb": "duckdb_peer.py", "polars": "polars_peer.py"}
KEYS = {
    "metrics": ("year", "office", "item"),
    "changes": ("period", "office", "item"),
    "reliability": ("year",),
    "drivers": ("year", "item"),
}
TOP = ("form", "from", "to", "by", "responses")
REL, ABS = 1e-9, 1e-12
WELCH_REL = 1e-7
WELCH_FIELDS = {"mean_test.p_value", "mean_p_adjusted"}


def close(a, b, rel):
    return abs(a - b) <= rel * max(abs(a), abs(b)) + ABS


def compare(path, field, a, b, diffs):
    """Appends (path, manyi, peer) for every difference between a and b."""
    if a is None or b is None:
        if a is not b:
            diffs.append((path, a, b))
    elif isinstance(a, bool) or isinstance(b, bool):
        if a is not b:
            diffs.append((path, a, b))
    elif isinstance(a, int) and isinstance(b, int):
        if a != b:
            diffs.append((path, a, b))
    elif isinstance(a, (int, float)) and isinstance(b, (int, float)):
        rel = WELCH_REL if field in WELCH_FIELDS else REL
        if not (math.isfinite(a) and math.isfinite(b) and close(float(a), float(b), rel)):
            diffs.append((path, a, b))
    elif isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                diffs.append((f"{path}.{k}", a.get(k, "<absent>"), b.get(k, "<absent>")))
            else:
                compare(f"{path}.{k}", f"{field}.{k}", a[k], b[k], diffs)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            diffs.append((path, a, b))
        else:
            for i, (x, y) in enumerate(zip(a, b)):
                compare(f"{path}[{i}]", field, x, y, diffs)
    elif a != b:
        diffs.append((path, a, b))


def rows_by_key(rows, keys, where):
    out = {}
    for r in rows:
        k = tuple(r.get(x) for x in keys)
        if k in out:
            raise SystemExit(f"verify: {where}: two rows with the key {k}")
        out[k] = r
    return out


def check(manyi, peer, name):
    """Differences of peer from manyi, and how many figures were compared."""
    diffs, compared = [], 0
    for k in TOP:
        compare(k, k, manyi.get(k), peer.get(k), diffs)
    for part, keys in KEYS.items():
        mine = rows_by_key(manyi[part], keys, f"manyi {part}")
        theirs = rows_by_key(peer[part], keys, f"{name} {part}")
        for k in sorted(set(mine) | set(theirs), key=repr):
            label = f"{part}[{', '.join(f'{x}={v}' for x, v in zip(keys, k) if v is not None)}]"
            if k not in theirs:
                diffs.append((label, "a row", "no row"))
                continue
            if k not in mine:
                diffs.append((label, "no row", "a row"))
                continue
            a, b = mine[k], theirs[k]
            for f in sorted(set(a) | set(b)):
                if f not in a or f not in b:
                    diffs.append((f"{label}.{f}", a.get(f, "<absent>"), b.get(f, "<absent>")))
                    continue
                compared += 1
                compare(f"{label}.{f}", f, a[f], b[f], diffs)
    return diffs, compared


def run_json(cmd, env=None):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3600)
    if p.returncode != 0:
        sys.stderr.write(p.stderr)
        raise SystemExit(f"verify: `{' '.join(cmd)}` exited {p.returncode}")
    return json.loads(p.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database", required=True, help="the SQLite file")
    ap.add_argument(
        "--snapshot", help="the snapshot directory (MANYI_SNAPSHOT_DIR; default: manyi's, DATABASE.snapshot)"
    )
    ap.add_argument("--from", dest="from_", required=True)
    ap.add_argument("--to", required=True)
    ap.add_argument("--form", default="counter")
    ap.add_argument(
        "--by", action="append", help="year,item and/or year,office,item (default: both)"
    )
    ap.add_argument("--peers", default="duckdb,polars")
    ap.add_argument("--show", type=int, default=25, help="differences listed per peer")
    a = ap.parse_args()
    a.snapshot = a.snapshot or a.database + ".snapshot"
    manyi_bin = os.environ.get("MANYI_BIN")
    if not manyi_bin or not os.access(manyi_bin, os.X_OK):
        raise SystemExit("verify: set MANYI_BIN to the manyi binary")
    env = dict(os.environ, MANYI_SNAPSHOT_DIR=os.path.abspath(a.snapshot), RUST_LOG="warn")
    database = os.path.abspath(a.database)
    failed = False
    for by in a.by or ["year,item", "year,office,item"]:
        manyi = run_json(
            [manyi_bin, "--database-url", f"sqlite://{database}", "analyze", "--from", a.from_,
             "--to", a.to, "--form", a.form, "--by", by, "--json"],
            env,
        )
        sizes = {p: len(manyi[p]) for p in KEYS}
        if not manyi["metrics"]:
            raise SystemExit(f"verify: manyi gave no metrics for --by {by}: nothing to compare")
        for p, n in sizes.items():
            if n == 0:
                print(f"verify: warning: manyi gave no {p} rows for --by {by}", file=sys.stderr)
        for name in a.peers.split(","):
            peer = run_json(
                [sys.executable, os.path.join(HERE, PEERS[name]), a.snapshot, "--database", database,
                 "--form", a.form, "--from", a.from_, "--to", a.to, "--by", by]
            )
            diffs, compared = check(manyi, peer, name)
            rows = ", ".join(f"{n} {p}" for p, n in sizes.items())
            if diffs:
                failed = True
                print(f"FAIL {name} --by {by}: {len(diffs)} differences (manyi | {name}):")
                for path, x, y in diffs[: a.show]:
                    print(f"  {path}: {json.dumps(x, ensure_ascii=False)} | {json.dumps(y, ensure_ascii=False)}")
                if len(diffs) > a.show:
                    print(f"  … and {len(diffs) - a.show} more")
            else:
                print(f"ok   {name} --by {by}: {manyi['responses']} responses; {rows}; {compared} fields equal")
    if failed:
        print("verify: FIGURES DIFFER", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
