"""What the two peers share: reading the snapshot's manifest and the reference
tables, the form's items as manyi derives them, and the statistics on the
small aggregated results (intervals, tests, Holm, alpha, IPA), ending in JSON
shaped like `manyi analyze --json` (its `metrics[]`, `changes[]`,
`reliability[]` and `drivers[]`).

The engines (duckdb_peer.py, polars_peer.py) do the work over the rows: each
gives per group and item n, mean, sample variance and the top-2 / bottom-2
counts, per year the complete-case variances of the reliability scale, and
per year and item Pearson's r with the overall item. Everything here runs on
a few hundred or thousand aggregated rows.

Definitions follow src/analytics (mod.rs, stats.rs, drivers.rs, summary.rs,
input.rs, metrics/): see the comments at each step.
"""

import argparse
import datetime
import fcntl
import json
import math
import os
import sqlite3
import sys

from scipy import special

# 95% two-sided normal quantile, as manyi's stats::Z95 (= special.ndtri(0.975)).
Z95 = 1.959963984540054
# Options::default(): alpha_floor 0.7, significance 0.05 (staff_min_n only
# matters when grouping by staff, which the peers do not do).
ALPHA_FLOOR = 0.7
SIGNIFICANCE = 0.05
ITEM_PREFIX = "i:"

GROUPINGS = {"year,item": ("year", "item"), "year,office,item": ("year", "office", "item")}


def parse_args(engine):
    p = argparse.ArgumentParser(
        description=f"{engine} peer of `manyi analyze --json`: the same figures from the same snapshot"
    )
    p.add_argument("snapshot", help="the snapshot directory (MANYI_SNAPSHOT_DIR), format 4")
    p.add_argument(
        "--database",
        required=True,
        help="the SQLite file manyi reads (reference tables only: offices, form versions, tallies)",
    )
    p.add_argument("--form", default="counter")
    p.add_argument("--from", dest="from_", type=int, required=True, help="first ROC year")
    p.add_argument("--to", type=int, required=True, help="last ROC year")
    p.add_argument("--by", default="year,item", choices=sorted(GROUPINGS))
    a = p.parse_args()
    if a.from_ > a.to:
        p.error(f"--from {a.from_} is after --to {a.to}")
    return a


def fail(msg):
    print(f"peer: {msg}", file=sys.stderr)
    sys.exit(2)


class Setup:
    """The request, the manifest's files of the years asked, reference data."""

    def __init__(self, args):
        self.args = args
        self.form = args.form
        self.year_from, self.year_to = args.from_, args.to
        self.by = GROUPINGS[args.by]
        self.by_office = "office" in self.by
        self.dir = args.snapshot
        # manyi holds an exclusive lock on .lock while it refreshes or analyses;
        # a shared one keeps it from rewriting the files under us.
        self._lock = open(os.path.join(self.dir, ".lock"), "a")
        fcntl.flock(self._lock, fcntl.LOCK_SH)
        with open(os.path.join(self.dir, "manifest.json"), encoding="utf-8") as f:
            manifest = json.load(f)
        if manifest.get("format") != 4:
            fail(f"snapshot format {manifest.get('format')}, these scripts read format 4")
        self.snapshot_items = manifest["items"]
        # Partitioned by ROC year (of the Taipei date): only the years asked are read.
        self.files = [
            os.path.join(self.dir, p["responses"])
            for p in manifest["parts"]
            if self.year_from <= p["year"] <= self.year_to
        ]
        # Taipei calendar days, as input::select filters them.
        self.first_day = datetime.date(self.year_from + 1911, 1, 1)
        self.last_day = datetime.date(self.year_to + 1911, 12, 31)
        db = sqlite3.connect(f"file:{args.database}?mode=ro", uri=True)
        self.offices = {
            i: (code, name) for i, code, name in db.execute("SELECT id, code, name_zh FROM offices")
        }
        # Every version of the form, oldest first (ids ascend with loading).
        self.form_versions = {
            i: json.loads(d)
            for i, d in db.execute(
                "SELECT id, definition FROM form_versions WHERE form_key = ? ORDER BY id", (self.form,)
            )
        }
        if not self.form_versions:
            fail(f"no form `{self.form}`")
        marks = ",".join("?" * len(self.form_versions))
        (tallied,) = db.execute(
            f"SELECT count(*) FROM tallies WHERE form_version_id IN ({marks}) AND roc_year BETWEEN ? AND ?",
            (*self.form_versions, self.year_from, self.year_to),
        ).fetchone()
        db.close()
        if tallied:
            # manyi adds aggregated tallies as counts to every count-based figure;
            # the peers read the snapshot only, which has no tallies.
            fail(f"{tallied} tally rows in the selection: the peers cover individual responses only")
        self.versions = list(self.form_versions)

    def items_of(self, used):
        """FormItems::from_versions over the versions with responses (all of the
        form's when none has): newest version first, its order and texts win."""
        ids = [v for v in self.versions if v in used] or self.versions
        items, overall = [], None
        for vid in reversed(ids):
            for it in self.form_versions[vid]["items"]:
                if it.get("type") != "likert5":
                    continue
                req = bool(it.get("required")) and not it.get("allow_na", False)
                if it.get("overall") and overall is None:
                    overall = it["key"]
                have = next((x for x in items if x["key"] == it["key"]), None)
                if have:
                    have["versions"] += 1
                    have["required"] = have["required"] and req
                else:
                    items.append(
                        {
                            "key": it["key"],
                            "zh": it["text"]["zh-TW"],
                            "en": it["text"]["en"],
                            "overall": bool(it.get("overall")),
                            "required": req,
                            "versions": 1,
                        }
                    )
        missing = [i["key"] for i in items if i["key"] not in self.snapshot_items]
        if missing:
            fail(f"the snapshot has no column for {missing}: run `manyi snapshot refresh`")
        return Items(items, overall, len([v for v in self.versions if v in used]))


class Items:
    def __init__(self, items, overall, used_versions):
        self.list = items
        self.keys = [i["key"] for i in items]
        self.index = {k: n for n, k in enumerate(self.keys)}
        self.by_key = {i["key"]: i for i in items}
        self.overall = overall
        self.used_versions = used_versions
        # drivers::candidates: every other 5-point item, when there is an overall one.
        self.candidates = [i["key"] for i in items if not i["overall"]] if overall else []

    def scale(self, answered):
        """drivers::scale_items: not the overall item, required (no 不適用) in every
        version of the selection, and answered at all in the selection."""
        need = max(self.used_versions, 1)
        return [
            i["key"]
            for i in self.list
            if not i["overall"] and i["required"] and i["versions"] >= need and answered.get(i["key"], 0) > 0
        ]


def column(key):
    return ITEM_PREFIX + key


def num(x):
    """A float from an engine, None for SQL NULL and NaN (a constant variable's r)."""
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


# --- stats.rs -------------------------------------------------------------


def wilson(x, n):
    if n == 0:
        return None
    p = x / n
    z2 = Z95 * Z95
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denom
    half = Z95 * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denom
    return {"low": max(centre - half, 0.0), "high": min(centre + half, 1.0)}


def t_interval(n, mean, var):
    if n < 2 or var is None:
        return None
    half = float(special.stdtrit(n - 1, 0.975)) * math.sqrt(var / n)
    return {"low": mean - half, "high": mean + half}


def two_proportion_z(x1, n1, x2, n2):
    """Pooled two-proportion z test (statsmodels proportions_ztest); None
    without variance."""
    if n1 == 0 or n2 == 0:
        return None
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
    if se == 0.0 or not math.isfinite(se):
        return None
    z = (x1 / n1 - x2 / n2) / se
    return {"statistic": z, "p_value": min(2.0 * float(special.ndtr(-abs(z))), 1.0)}


def welch_t(a, b):
    """Welch's t (scipy ttest_ind(equal_var=False)) of a's mean minus b's."""
    if a["var"] is None or b["var"] is None:
        return None
    sa, sb = a["var"] / a["n"], b["var"] / b["n"]
    se2 = sa + sb
    if se2 <= 0.0:
        return None
    t = (a["mean"] - b["mean"]) / math.sqrt(se2)
    df = se2 * se2 / (sa * sa / (a["n"] - 1) + sb * sb / (b["n"] - 1))
    p = 2.0 * float(special.stdtr(df, -abs(t)))
    return {"statistic": t, "p_value": min(p, 1.0), "df": df}


def holm(ps):
    """statsmodels multipletests(method="holm"); None stays None and does not count."""
    idx = sorted((i for i, p in enumerate(ps) if p is not None), key=lambda i: (ps[i], i))
    m = len(idx)
    out = [None] * len(ps)
    running = 0.0
    for rank, i in enumerate(idx):
        running = max(running, min((m - rank) * ps[i], 1.0))
        out[i] = running
    return out


# --- assembling the figures ------------------------------------------------


class Aggregates:
    """What an engine hands to [`assemble`]:

    cells:  {(year, office_id or None, item): {"n", "mean", "var", "sd", "top2", "bottom2"}}
            at the grouping asked (office None when not grouped by it);
    by_year_item: the same at year x item (the drivers' performance);
    responses: selected responses;
    scale_items: the reliability scale; scale: {year: {"n", "vars": [...], "total_var"}}
            over its complete cases;
    pairs: {year: {item: (pairs, r)}}; years: every year with a selected response.
    """

    def __init__(self, **kw):
        self.__dict__.update(kw)


def figures_of(c):
    n = c["n"]
    return {
        "n": n,
        "mean": c["mean"],
        "mean_ci": t_interval(n, c["mean"], c["var"]),
        "sd": c["sd"] if n >= 2 else None,
        "rate": c["top2"] / n,
        "rate_ci": wilson(c["top2"], n),
        "dissatisfied_rate": c["bottom2"] / n,
        "dissatisfied_ci": wilson(c["bottom2"], n),
        "sampling_error_points": Z95 * math.sqrt(0.25 / n) * 100.0,
        "suppressed": False,
    }


def assemble(setup, items, f):
    offices = setup.offices

    def group(year, office, item):
        g = {}
        if year is not None:
            g["year"] = year
        if office is not None:
            code, name = offices.get(office, ("(none)", None))
            g["office"] = code
            if name is not None:
                g["office_name"] = name
        g["item"] = item
        g["label_zh"] = items.by_key[item]["zh"]
        g["label_en"] = items.by_key[item]["en"]
        return g

    def order(k):
        year, office, item = k
        return (year, -1 if office is None else office, items.index[item])

    metrics = [
        {**group(*k), **figures_of(f.cells[k])} for k in sorted(f.cells, key=order) if f.cells[k]["n"] > 0
    ]

    # Changes: year over year per group (office, when grouped by it) and item;
    # Holm across the items of one group and year, each test on its own.
    def rest_order(r):
        return -1 if r is None else r

    families = {}
    for (year, office, item), c in f.cells.items():
        if c["n"] > 0:
            families.setdefault((office, year), {})[item] = c
    changes = []
    for office, year in sorted(families, key=lambda k: (rest_order(k[0]), k[1])):
        before = families.get((office, year - 1))
        if before is None:
            continue
        rows = []
        for item in sorted(families[(office, year)], key=items.index.get):
            now, then = families[(office, year)][item], before.get(item)
            if then is None:
                continue
            rate, rate_prev = now["top2"] / now["n"], then["top2"] / then["n"]
            row = {
                "period": str(year),
                "previous": str(year - 1),
                **group(None, office, item),
                "n": now["n"],
                "n_previous": then["n"],
                "rate": rate,
                "rate_previous": rate_prev,
                "rate_diff": rate - rate_prev,
                "rate_test": two_proportion_z(now["top2"], now["n"], then["top2"], then["n"]),
                "rate_p_adjusted": None,
                "rate_significant": False,
                "mean": now["mean"],
                "mean_previous": then["mean"],
                "mean_diff": now["mean"] - then["mean"],
                "mean_test": welch_t(now, then),
                "mean_p_adjusted": None,
                "mean_significant": False,
                "dissatisfied_rate": now["bottom2"] / now["n"],
                "dissatisfied_rate_previous": then["bottom2"] / then["n"],
                "dissatisfied_test": two_proportion_z(now["bottom2"], now["n"], then["bottom2"], then["n"]),
                "dissatisfied_p_adjusted": None,
                "dissatisfied_significant": False,
            }
            rows.append(row)
        for test, adj, sig in [
            ("rate_test", "rate_p_adjusted", "rate_significant"),
            ("mean_test", "mean_p_adjusted", "mean_significant"),
            ("dissatisfied_test", "dissatisfied_p_adjusted", "dissatisfied_significant"),
        ]:
            ps = [r[test]["p_value"] if r[test] else None for r in rows]
            for r, a in zip(rows, holm(ps)):
                r[adj] = a
                r[sig] = a is not None and a < SIGNIFICANCE
        changes.extend(rows)

    # Reliability: Cronbach's alpha per year over the complete cases of the scale.
    reliability = []
    if len(f.scale_items) >= 2:
        k = len(f.scale_items)
        for year in sorted(f.scale):
            s = f.scale[year]
            if s["n"] == 0:
                continue
            alpha = None
            if s["n"] > 1 and all(v is not None for v in s["vars"]):
                tv = s["total_var"]
                if tv is not None and tv > 0 and math.isfinite(tv):
                    alpha = k / (k - 1) * (1.0 - sum(s["vars"]) / tv)
            reliability.append(
                {
                    "year": year,
                    "items": list(f.scale_items),
                    "n": s["n"],
                    "alpha": alpha,
                    "below_floor": alpha is not None and alpha < ALPHA_FLOOR,
                }
            )

    # Drivers and IPA per year: r with the overall item (pairwise complete,
    # at least 3 pairs), the item's mean and rate over all its answers.
    quadrants = {
        (True, True): ("keep_up_the_good_work", "繼續保持"),
        (True, False): ("concentrate_here", "優先改善"),
        (False, False): ("low_priority", "次要改善"),
        (False, True): ("possible_overkill", "過度投入"),
    }
    drivers = []
    if items.overall:
        for year in sorted(f.years):
            rows = []
            for item in items.candidates:
                perf = f.by_year_item.get((year, None, item))
                if perf is None or perf["n"] == 0:
                    continue
                pairs, r = f.pairs.get(year, {}).get(item, (0, None))
                if pairs < 3 or r is None:
                    r = None
                else:
                    r = min(max(r, -1.0), 1.0)
                rows.append(
                    {
                        "year": year,
                        "item": item,
                        "label_zh": items.by_key[item]["zh"],
                        "label_en": items.by_key[item]["en"],
                        "importance": r,
                        "pairs": pairs,
                        "rank": None,
                        "performance": perf["mean"],
                        "rate": perf["top2"] / perf["n"],
                        "quadrant": None,
                        "quadrant_zh": None,
                        "grand_importance": None,
                        "grand_performance": None,
                    }
                )
            scored = [(x["importance"], x["performance"]) for x in rows if x["importance"] is not None]
            if scored:
                gi = sum(s[0] for s in scored) / len(scored)
                gp = sum(s[1] for s in scored) / len(scored)
                ranked = sorted(
                    (i for i, x in enumerate(rows) if x["importance"] is not None),
                    key=lambda i: (-rows[i]["importance"], i),
                )
                for rank, i in enumerate(ranked):
                    rows[i]["rank"] = rank + 1
                for x in rows:
                    x["grand_importance"], x["grand_performance"] = gi, gp
                    if x["importance"] is not None:
                        q = quadrants[(x["importance"] >= gi, x["performance"] >= gp)]
                        x["quadrant"], x["quadrant_zh"] = q
            drivers.extend(rows)

    return {
        "form": setup.form,
        "from": setup.year_from,
        "to": setup.year_to,
        "by": list(setup.by),
        "responses": f.responses,
        "metrics": metrics,
        "changes": changes,
        "reliability": reliability,
        "drivers": drivers,
    }


def empty(setup):
    """No part file in the years asked: no responses, no figures."""
    agg = Aggregates(cells={}, by_year_item={}, responses=0, scale_items=[], scale={}, pairs={}, years=set())
    return assemble(setup, setup.items_of(set()), agg)


def emit(out):
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1, allow_nan=False)
    sys.stdout.write("\n")
