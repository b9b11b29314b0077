#!/usr/bin/env python3
"""polars peer of `manyi analyze --json --by year,item | year,office,item`.

What a research analyst would write with Python polars over the snapshot's
Arrow IPC files: a lazy scan of the files of the years asked (the snapshot is
partitioned by ROC year), filtered to the form's versions and the years, then

  1. responses per form version (which versions the selection holds);
  2. the items unpivoted to one row per answer, grouped by year (office) and
     item: len, mean, var, std, the 4-5 and 1-2 counts (and the same by year
     and item for the drivers, collected together);
  3. per year: the complete cases of the reliability scale (var of each item
     and of the row total) and pl.corr() of each item with the overall item
     over the responses answering both,

all collected on polars' streaming engine. Intervals, tests, Holm, alpha and
IPA are then computed on those few rows in Python (common.py).

  polars_peer.py SNAPSHOT_DIR --database manyi.db --from 111 --to 113 --by year,item
"""

import polars as pl

import common

ENGINE = "streaming"


def main():
    args = common.parse_args("polars")
    setup = common.Setup(args)
    if not setup.files:
        common.emit(common.empty(setup))
        return
    sel = (
        pl.scan_ipc(setup.files)
        .filter(
            pl.col("form_version").is_in(setup.versions)
            & pl.col("day").is_between(setup.first_day, setup.last_day)
        )
        .with_columns(year=pl.col("day").dt.year().cast(pl.Int32) - 1911)
    )
    per_version = sel.group_by("form_version").agg(pl.len()).collect(engine=ENGINE)
    used = set(per_version["form_version"].to_list())
    responses = int(per_version["len"].sum())
    items = setup.items_of(used)
    cols = [common.column(k) for k in items.keys]

    score = pl.col("score")
    stats = [
        pl.len().alias("n"),
        score.mean().alias("mean"),
        score.var().alias("var"),
        score.std().alias("sd"),
        (score >= 4).sum().alias("top2"),
        (score <= 2).sum().alias("bottom2"),
    ]
    long = (
        sel.select(["year", "office", *cols])
        .unpivot(on=cols, index=["year", "office"], variable_name="item", value_name="score")
        .drop_nulls("score")
    )
    keys = ["year", "office", "item"] if setup.by_office else ["year", "item"]
    queries = [long.group_by(keys).agg(stats)]
    if setup.by_office:
        queries.append(long.group_by(["year", "item"]).agg(stats))

    fine, *coarse = pl.collect_all(queries, engine=ENGINE)

    def read(df, office):
        out = {}
        for r in df.iter_rows(named=True):
            item = r["item"][len(common.ITEM_PREFIX) :]
            out[(r["year"], r["office"] if office else None, item)] = {
                "n": r["n"],
                "mean": common.num(r["mean"]),
                "var": common.num(r["var"]),
                "sd": common.num(r["sd"]),
                "top2": r["top2"],
                "bottom2": r["bottom2"],
            }
        return out

    cells = read(fine, setup.by_office)
    by_year_item = read(coarse[0], False) if coarse else cells
    answered = {}
    for (_, _, item), c in by_year_item.items():
        answered[item] = answered.get(item, 0) + c["n"]

    scale = items.scale(answered)
    scale_cols = None
    per_year = [pl.len().alias("responses")]
    if len(scale) >= 2:
        scale_cols = [common.column(k) for k in scale]
        complete = pl.all_horizontal([pl.col(c).is_not_null() for c in scale_cols])
        total = pl.sum_horizontal([pl.col(c).cast(pl.Int32) for c in scale_cols])
        per_year.append(complete.sum().alias("r|n"))
        per_year += [pl.col(c).filter(complete).var().alias(f"r|{c}") for c in scale_cols]
        per_year.append(total.filter(complete).var().alias("r|total"))
    if items.overall:
        o = pl.col(common.column(items.overall))
        for k in items.candidates:
            x = pl.col(common.column(k))
            both = x.is_not_null() & o.is_not_null()
            per_year.append(both.sum().alias(f"p|n|{k}"))
            per_year.append(pl.corr(x.filter(both), o.filter(both)).alias(f"p|r|{k}"))
    yearly = sel.group_by("year").agg(per_year).collect(engine=ENGINE)
    scale_sums, pairs, years = {}, {}, set()
    for r in yearly.iter_rows(named=True):
        year = r["year"]
        years.add(year)
        if scale_cols:
            scale_sums[year] = {
                "n": r["r|n"],
                "vars": [common.num(r[f"r|{c}"]) for c in scale_cols],
                "total_var": common.num(r["r|total"]),
            }
        pairs[year] = {k: (r[f"p|n|{k}"], common.num(r[f"p|r|{k}"])) for k in items.candidates}
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
