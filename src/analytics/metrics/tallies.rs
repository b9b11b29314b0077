//! The group key, the one polars group-by that tallies every item per group,
//! reading its result back, and folding the cells into the groups asked for.

use std::collections::BTreeMap;

use polars::prelude::*;

use crate::analytics::Collect;
use crate::analytics::frame::{col, item_column};
use crate::analytics::stats::Tally;
use crate::analytics::{AnalyticsError, Dim, FormItems, Reference};

/// A group: the value of each grouping dimension (`None` = not grouped by it;
/// `Some(-1)` = the response had no value, e.g. no counter).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub year: Option<i32>,
    pub quarter: Option<i32>,
    pub month: Option<i32>,
    pub county: Option<String>,
    pub office: Option<i64>,
    pub counter: Option<i64>,
    pub staff: Option<i64>,
    pub service_type: Option<i64>,
    pub channel: Option<i64>,
    /// Index into the form's dimensions.
    pub dimension: Option<usize>,
    /// Index into the form's items.
    pub item: Option<usize>,
}

/// The tallies of one group-by: per group (row dimensions only) and item.
pub type Cells = BTreeMap<Key, Vec<Tally>>;

/// Dimensions that are columns of the snapshot (not derived afterwards).
pub(crate) fn row_dims(by: &[Dim]) -> Vec<Dim> {
    let mut out = Vec::new();
    for d in by {
        let d = match d {
            Dim::County => Dim::Office,
            Dim::Item | Dim::Dimension => continue,
            d => *d,
        };
        if !out.contains(&d) {
            out.push(d);
        }
    }
    out.sort();
    out
}

pub(crate) fn key_expr(d: Dim) -> Expr {
    match d {
        Dim::Year => (col(col::DAY).dt().year() - lit(1911)).alias("year"),
        Dim::Quarter => col(col::DAY).dt().quarter().alias("quarter"),
        Dim::Month => col(col::DAY).dt().month().alias("month"),
        Dim::Office | Dim::County => col(col::OFFICE).alias("office"),
        Dim::Counter => col(col::COUNTER).alias("counter"),
        Dim::Staff => col(col::STAFF).alias("staff"),
        Dim::ServiceType => col(col::SERVICE_TYPE).alias("service_type"),
        Dim::Channel => col(col::CHANNEL).alias("channel"),
        Dim::Item | Dim::Dimension => unreachable!("not a row dimension"),
    }
}

pub(crate) fn key_name(d: Dim) -> &'static str {
    match d {
        Dim::County => "office",
        d => d.as_str(),
    }
}

/// Per-row inputs of the tallies of one item: its square and its top-2 and
/// bottom-2 indicators, as narrow integer columns (null where unanswered).
/// Computed before the group-by so that the group-by itself only sums plain
/// columns, which polars aggregates on its fast path (an expression inside
/// an aggregation is evaluated group by group, several times slower).
pub fn tally_inputs(item: &str) -> [Expr; 3] {
    let c = item_column(item);
    let x = col(c.as_str());
    [
        (x.clone() * x.clone()).alias(format!("q|{item}")),
        x.clone()
            .gt_eq(lit(4u8))
            .cast(DataType::UInt8)
            .alias(format!("t|{item}")),
        x.lt_eq(lit(2u8))
            .cast(DataType::UInt8)
            .alias(format!("b|{item}")),
    ]
}

/// The aggregations of one item's tallies over [`tally_inputs`]: n, Σx, Σx²,
/// top-2, bottom-2 (polars sums 8-bit integers into 64 bits).
pub fn tally_aggs(item: &str) -> [Expr; 5] {
    let c = item_column(item);
    [
        col(c.as_str()).count().alias(format!("n|{item}")),
        col(c.as_str()).sum().alias(format!("s|{item}")),
        col(format!("q|{item}")).sum(),
        col(format!("t|{item}")).sum(),
        col(format!("b|{item}")).sum(),
    ]
}

pub(crate) fn u64_at(df: &DataFrame, name: &str, row: usize) -> Result<u64, AnalyticsError> {
    let v = df.column(name)?.get(row)?;
    Ok(v.extract::<u64>().unwrap_or(0))
}

/// The heavy step: one group-by over the responses giving each group's
/// tallies for every item. Groups come back sorted.
pub fn tallies(lf: LazyFrame, by: &[Dim], items: &[String]) -> Result<Cells, AnalyticsError> {
    let dims = row_dims(by);
    let inputs: Vec<Expr> = items.iter().flat_map(|i| tally_inputs(i)).collect();
    let aggs: Vec<Expr> = items.iter().flat_map(|i| tally_aggs(i)).collect();
    let lf = lf.with_columns(inputs);
    let df = if dims.is_empty() {
        lf.select(aggs).run()?
    } else {
        let keys: Vec<Expr> = dims.iter().map(|d| key_expr(*d)).collect();
        let names: Vec<Expr> = dims.iter().map(|d| col(key_name(*d))).collect();
        lf.with_columns(keys).group_by(names).agg(aggs).run()?
    };
    let keys = read_keys(&df, &dims)?;
    let mut cells = Cells::new();
    for (row, key) in keys.into_iter().enumerate() {
        cells.insert(key, read_tallies(&df, row, items)?);
    }
    Ok(cells)
}

/// The key of every row of a group-by's result over `dims` (row dimensions).
pub(crate) fn read_keys(df: &DataFrame, dims: &[Dim]) -> Result<Vec<Key>, AnalyticsError> {
    let key_cols: Vec<(Dim, Series)> = dims
        .iter()
        .map(|d| {
            Ok((
                *d,
                df.column(key_name(*d))?
                    .as_materialized_series()
                    .cast(&DataType::Int64)?,
            ))
        })
        .collect::<Result<_, AnalyticsError>>()?;
    let mut out = Vec::with_capacity(df.height());
    for row in 0..df.height() {
        let mut key = Key::default();
        for (d, s) in &key_cols {
            let v = s.i64()?.get(row).unwrap_or(-1);
            match d {
                Dim::Year => key.year = Some(v as i32),
                Dim::Quarter => key.quarter = Some(v as i32),
                Dim::Month => key.month = Some(v as i32),
                Dim::Office => key.office = Some(v),
                Dim::Counter => key.counter = Some(v),
                Dim::Staff => key.staff = Some(v),
                Dim::ServiceType => key.service_type = Some(v),
                Dim::Channel => key.channel = Some(v),
                _ => {}
            }
        }
        out.push(key);
    }
    Ok(out)
}

/// The tallies of every item in one row of a group-by's result.
pub(crate) fn read_tallies(
    df: &DataFrame,
    row: usize,
    items: &[String],
) -> Result<Vec<Tally>, AnalyticsError> {
    let mut t = Vec::with_capacity(items.len());
    for i in items {
        t.push(Tally {
            n: u64_at(df, &format!("n|{i}"), row)?,
            sum: u64_at(df, &format!("s|{i}"), row)?,
            sum_sq: u64_at(df, &format!("q|{i}"), row)?,
            top2: u64_at(df, &format!("t|{i}"), row)?,
            bottom2: u64_at(df, &format!("b|{i}"), row)?,
        });
    }
    Ok(t)
}

/// Folds the cells to the requested grouping: offices into counties (when
/// the office itself is not asked for), items into dimensions, or items into
/// the form's overall item. Returns one tally per final key.
pub fn fold(
    cells: &Cells,
    by: &[Dim],
    items: &FormItems,
    reference: &Reference,
) -> BTreeMap<Key, Tally> {
    let mut out: BTreeMap<Key, Tally> = BTreeMap::new();
    let overall = items
        .overall
        .as_ref()
        .and_then(|k| items.items.iter().position(|i| &i.key == k));
    for (key, tallies) in cells {
        // Keep only the dimensions asked for (cells may be finer).
        let keep = |d: Dim| by.contains(&d);
        let mut k = Key {
            year: key.year.filter(|_| keep(Dim::Year)),
            quarter: key.quarter.filter(|_| keep(Dim::Quarter)),
            month: key.month.filter(|_| keep(Dim::Month)),
            county: None,
            office: key
                .office
                .filter(|_| keep(Dim::Office) || keep(Dim::County)),
            counter: key.counter.filter(|_| keep(Dim::Counter)),
            staff: key.staff.filter(|_| keep(Dim::Staff)),
            service_type: key.service_type.filter(|_| keep(Dim::ServiceType)),
            channel: key.channel.filter(|_| keep(Dim::Channel)),
            dimension: None,
            item: None,
        };
        if by.contains(&Dim::County) {
            let county = k
                .office
                .and_then(|o| reference.offices.get(&(o as i32)))
                .map(|o| o.county_zh.clone())
                .unwrap_or_default();
            k.county = Some(county);
            if !by.contains(&Dim::Office) {
                k.office = None;
            }
        }
        for (idx, t) in tallies.iter().enumerate() {
            if t.n == 0 {
                continue;
            }
            let mut k = k.clone();
            if by.contains(&Dim::Item) {
                k.item = Some(idx);
            } else if by.contains(&Dim::Dimension) {
                let Some(dim) = items.items[idx]
                    .dimension
                    .as_ref()
                    .and_then(|d| items.dimensions.iter().position(|x| &x.0 == d))
                else {
                    continue;
                };
                k.dimension = Some(dim);
            } else if overall.is_some_and(|o| o != idx) {
                continue;
            } else {
                k.item = overall;
            }
            out.entry(k).or_default().add(t);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::frame::ResponseColumns;

    /// 300 answers of 5 and 200 of 1 in two years: sums beyond 8 and 16 bits
    /// must not wrap (polars sums 8-bit columns into 64 bits).
    fn frame() -> LazyFrame {
        let n = 500;
        let days: Vec<i32> = (0..n)
            .map(|i| if i < 300 { 19_723 } else { 19_358 })
            .collect();
        let scores: Vec<Option<u8>> = (0..n).map(|i| Some(if i < 300 { 5 } else { 1 })).collect();
        let cols = ResponseColumns {
            ids: (1..=n as i64).collect(),
            days,
            offices: vec![1; n],
            channels: vec![0; n],
            forms: vec![1; n],
            counters: vec![None; n],
            staff: vec![None; n],
            services: vec![None; n],
            scores: vec![scores],
        };
        let df = cols.into_frame(&["overall".to_owned()]).unwrap();
        df.lazy()
    }

    #[test]
    fn wide_sums_do_not_wrap() {
        let items = ["overall".to_owned()];
        let all = tallies(frame(), &[], &items).unwrap();
        let t = all.values().next().unwrap()[0];
        // 300·5 + 200·1 = 1700; 300·25 + 200·1 = 7700.
        assert_eq!(
            (t.n, t.sum, t.sum_sq, t.top2, t.bottom2),
            (500, 1700, 7700, 300, 200)
        );
        let by_year = tallies(frame(), &[Dim::Year], &items).unwrap();
        let years: Vec<(Option<i32>, u64, u64)> = by_year
            .iter()
            .map(|(k, t)| (k.year, t[0].sum, t[0].sum_sq))
            .collect();
        // 19_723 = 2024-01-01 (113), 19_358 = 2023-01-01 (112).
        assert_eq!(years, [(Some(112), 200, 200), (Some(113), 1500, 7500)]);
    }
}
