#!/usr/bin/env python3
"""DuckDB peer of `manyi analyze --json --by year,item | year,office,item`.

What a research analyst would write with DuckDB over the snapshot's Arrow
IPC files: the files of the years asked (the snapshot is partitioned by ROC
year), opened as one pyarrow dataset (memory-mapped, scanned by DuckDB with
projection pushdown), then plain SQL:

  1. responses per form version (which versions the selection holds);
  2. the items unpivoted to one row per answer and grouped by year (office)
     and item: count, avg, var_samp, stddev_samp, count_if(4-5), count_if(1-2);
  3. per year: the complete cases of the reliability scale (var_samp of each
     item and of the row total) and corr() / regr_count() of each item with
     the overall item.

Intervals, tests, Holm, alpha and IPA are then computed on those few rows in
Python (common.py), as the analyst would with scipy.

  duckdb_peer.py SNAPSHOT_DIR --database manyi.db --from 111 --to 113 --by year,item
"""

import duckdb
import pyarrow.dataset as pads

import common


def q(name):
    return '"' + name.replace('"', '""') + '"'


def main():
    args = common.parse_args("DuckDB")
    setup = common.Setup(args)
    if not setup.files:
        common.emit(common.empty(setup))
        return
    con = duckdb.connect()
    con.register("snap", pads.dataset(setup.files, format="arrow"))
    versions = ",".join(str(v) for v in setup.versions)
    con.execute(
        f"""CREATE TEMP VIEW sel AS
            SELECT *, year(day) - 1911 AS year FROM snap
            WHERE form_version IN ({versions})
              AND day BETWEEN DATE '{setup.first_day}' AND DATE '{setup.last_day}'"""
    )
    per_version = con.execute("SELECT form_version, count(*) FROM sel GROUP BY 1").fetchall()
    used = {v for v, _ in per_version}
    responses = sum(n for _, n in per_version)
    items = setup.items_of(used)
    cols = ", ".join(q(common.column(k)) for k in items.keys)

    if setup.by_office:
        # The year x item totals for the drivers come along as a second grouping set.
        office, sets = "office, grouping(office)", "(year, office, item), (year, item)"
    else:
        office, sets = "NULL, 0", "(year, item)"
    rows = con.execute(
        f"""SELECT year, {office}, substr(item, {len(common.ITEM_PREFIX) + 1}) AS item,
                   count(score), avg(score), var_samp(score), stddev_samp(score),
                   count_if(score >= 4), count_if(score <= 2)
            FROM (UNPIVOT (SELECT year, office, {cols} FROM sel)
                  ON {cols} INTO NAME item VALUE score)
            GROUP BY GROUPING SETS ({sets})"""
    ).fetchall()
    cells, by_year_item, answered = {}, {}, {}
    for year, office, coarse, item, n, mean, var, sd, top2, bottom2 in rows:
        c = {
            "n": n,
            "mean": common.num(mean),
            "var": common.num(var),
            "sd": common.num(sd),
            "top2": top2,
            "bottom2": bottom2,
        }
        if coarse or not setup.by_office:
            by_year_item[(year, None, item)] = c
            answered[item] = answered.get(item, 0) + n
        if not coarse:
            cells[(year, office if setup.by_office else None, item)] = c

    scale = items.scale(answered)
    per_year = ["count(*) AS n"]
    if len(scale) >= 2:
        complete = " AND ".join(f"{q(common.column(k))} IS NOT NULL" for k in scale)
        total = " + ".join(f"{q(common.column(k))}::INTEGER" for k in scale)
        per_year.append(f"count(*) FILTER (WHERE {complete})")
        per_year += [f"var_samp({q(common.column(k))}) FILTER (WHERE {complete})" for k in scale]
        per_year.append(f"var_samp({total})")
    o = q(common.column(items.overall)) if items.overall else None
    for k in items.candidates:
        x = q(common.column(k))
        per_year += [f"regr_count({x}, {o})", f"corr({x}, {o})"]
    yearly = con.execute(f"SELECT year, {', '.join(per_year)} FROM sel GROUP BY year").fetchall()
    scale_sums, pairs, years = {}, {}, set()
    for row in yearly:
        year, rest = row[0], list(row[2:])
        years.add(year)
        if len(scale) >= 2:
            n, vars_, total_var = rest[0], rest[1 : 1 + len(scale)], rest[1 + len(scale)]
            rest = rest[2 + len(scale) :]
            scale_sums[year] = {
                "n": n,
                "vars": [common.num(v) for v in vars_],
                "total_var": common.num(total_var),
            }
        pairs[year] = {
            k: (rest[2 * i], common.num(rest[2 * i + 1])) for i, k in enumerate(items.candidates)
        }
    agg = common.Aggregates(
        cells=cells,
        by_year_item=by_year_item,
        responses=responses,
        scale_items=scale,
        scale=scale_sums,
        pairs=pairs,
        years=years,
    )
    common.emit(common.assemble(setup, items, agg))


if __name__ == "__main__":
    main()
