//! Satisfaction figures per group and item, and the changes between periods.
//!
//! polars does the one heavy step: a single group-by over the snapshot that
//! yields, per group and item, the additive tallies (n, Σx, Σx², top-2,
//! bottom-2). Everything else (counties from offices, dimensions from items,
//! intervals, tests) is exact arithmetic on those tallies.

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::Serialize;

use super::Collect;
use super::frame::{col, item_column};
use super::stats::{self, Interval, Tally, TestResult};
use super::{AnalyticsError, Dim, FormItems, Options, Reference};
use crate::forms::Channel;

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

/// A group's identity in results: codes and names, stable field names.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Group {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quarter: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub month: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub county: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub office: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub office_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counter: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staff: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_type_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dimension: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// The item's or dimension's name: Traditional Chinese, English.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_zh: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_en: Option<String>,
}

const NONE_LABEL: &str = "(none)";

pub fn group_of(key: &Key, items: &FormItems, reference: &Reference) -> Group {
    let office = key.office.map(|o| reference.offices.get(&(o as i32)));
    let channel = key.channel.map(|c| match c {
        0 => Channel::Counter.as_str().to_owned(),
        1 => Channel::Web.as_str().to_owned(),
        2 => Channel::Internal.as_str().to_owned(),
        _ => NONE_LABEL.to_owned(),
    });
    let named = |id: Option<i64>, map: &BTreeMap<i32, (String, String)>| {
        id.map(|v| {
            map.get(&(v as i32))
                .map(|x| x.0.clone())
                .unwrap_or_else(|| NONE_LABEL.to_owned())
        })
    };
    let service = key
        .service_type
        .map(|v| reference.service_types.get(&(v as i32)));
    let (mut label_zh, mut label_en) = (None, None);
    let item = key.item.map(|i| {
        let info = &items.items[i];
        label_zh = Some(info.zh_tw.clone());
        label_en = Some(info.en.clone());
        info.key.clone()
    });
    let dimension = key.dimension.map(|d| {
        let (k, zh, en) = &items.dimensions[d];
        label_zh = Some(zh.clone());
        label_en = Some(en.clone());
        k.clone()
    });
    Group {
        year: key.year,
        quarter: key.quarter,
        month: key.month,
        county: key.county.clone(),
        office: office.map(|o| {
            o.map(|o| o.code.to_string())
                .unwrap_or_else(|| NONE_LABEL.into())
        }),
        office_name: office.and_then(|o| o.map(|o| o.name_zh.clone())),
        counter: named(key.counter, &reference.counters),
        staff: named(key.staff, &reference.staff),
        service_type: service.map(|s| s.map(|s| s.0.clone()).unwrap_or_else(|| NONE_LABEL.into())),
        service_type_name: service.and_then(|s| s.map(|s| s.1.clone())),
        channel,
        dimension,
        item,
        label_zh,
        label_en,
    }
}

/// Satisfaction figures of one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    pub n: u64,
    /// Mean score 1-5.
    pub mean: Option<f64>,
    pub mean_ci: Option<Interval>,
    pub sd: Option<f64>,
    /// Share answering 滿意 or 非常滿意 (top-2-box).
    pub rate: Option<f64>,
    pub rate_ci: Option<Interval>,
    /// Share answering 不滿意 or 非常不滿意 (bottom-2-box).
    pub dissatisfied_rate: Option<f64>,
    pub dissatisfied_ci: Option<Interval>,
    /// 95% 信心水準下抽樣誤差 ±x 個百分點 (at p = 0.5).
    pub sampling_error_points: Option<f64>,
    /// Figures withheld: a staff member's group below the minimum n.
    pub suppressed: bool,
}

impl Figures {
    pub fn of(t: &Tally, suppressed: bool) -> Self {
        if suppressed {
            return Figures {
                n: t.n,
                mean: None,
                mean_ci: None,
                sd: None,
                rate: None,
                rate_ci: None,
                dissatisfied_rate: None,
                dissatisfied_ci: None,
                sampling_error_points: None,
                suppressed: true,
            };
        }
        Figures {
            n: t.n,
            mean: t.mean(),
            mean_ci: stats::t_interval(t),
            sd: t.variance().map(f64::sqrt),
            rate: t.rate(),
            rate_ci: stats::wilson(t.top2, t.n),
            dissatisfied_rate: t.dissatisfied_rate(),
            dissatisfied_ci: stats::wilson(t.bottom2, t.n),
            sampling_error_points: stats::sampling_error_points(t.n),
            suppressed: false,
        }
    }

    /// "95% 信心水準下，抽樣誤差為 ±x 個百分點"
    pub fn sampling_error_statement(&self) -> Option<String> {
        self.sampling_error_points.map(|e| {
            format!(
                "95% 信心水準下，抽樣誤差為 ±{e:.1} 個百分點 (±{e:.1} points at 95% confidence)"
            )
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricRow {
    #[serde(flatten)]
    pub group: Group,
    #[serde(flatten)]
    pub figures: Figures,
}

/// Figures for every group, in key order.
pub fn metric_rows(
    folded: &BTreeMap<Key, Tally>,
    items: &FormItems,
    reference: &Reference,
    options: &Options,
) -> Vec<MetricRow> {
    folded
        .iter()
        .map(|(k, t)| MetricRow {
            group: group_of(k, items, reference),
            figures: Figures::of(t, k.staff.is_some() && t.n < options.staff_min_n),
        })
        .collect()
}

/// The change of one item between two consecutive periods of one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeRow {
    /// `113` (year over year) or `113Q2` (quarter over quarter).
    pub period: String,
    pub previous: String,
    #[serde(flatten)]
    pub group: Group,
    pub n: u64,
    pub n_previous: u64,
    pub rate: Option<f64>,
    pub rate_previous: Option<f64>,
    pub rate_diff: Option<f64>,
    pub rate_test: Option<TestResult>,
    /// Holm-adjusted across the items (or dimensions) of this group and period.
    pub rate_p_adjusted: Option<f64>,
    pub rate_significant: bool,
    pub mean: Option<f64>,
    pub mean_previous: Option<f64>,
    pub mean_diff: Option<f64>,
    pub mean_test: Option<TestResult>,
    pub mean_p_adjusted: Option<f64>,
    pub mean_significant: bool,
    pub dissatisfied_rate: Option<f64>,
    pub dissatisfied_rate_previous: Option<f64>,
    pub dissatisfied_test: Option<TestResult>,
    pub dissatisfied_p_adjusted: Option<f64>,
    pub dissatisfied_significant: bool,
}

fn period_of(k: &Key, quarterly: bool) -> Option<(i32, i32)> {
    let y = k.year?;
    if quarterly {
        Some((y, k.quarter?))
    } else {
        Some((y, 0))
    }
}

fn previous(p: (i32, i32), quarterly: bool) -> (i32, i32) {
    if !quarterly {
        (p.0 - 1, 0)
    } else if p.1 == 1 {
        (p.0 - 1, 4)
    } else {
        (p.0, p.1 - 1)
    }
}

fn period_label(p: (i32, i32), quarterly: bool) -> String {
    if quarterly {
        format!("{}Q{}", p.0, p.1)
    } else {
        p.0.to_string()
    }
}

/// Year-over-year (or, with `quarterly`, quarter-over-quarter) changes of
/// every item of `folded`, which must be keyed by year (and quarter) and by
/// item or dimension. Holm's adjustment runs over the items of one group and
/// period pair; suppressed staff groups are left out.
pub fn changes(
    folded: &BTreeMap<Key, Tally>,
    quarterly: bool,
    items: &FormItems,
    reference: &Reference,
    options: &Options,
) -> Vec<ChangeRow> {
    // (group without period and item, period) → item → tally
    type Family =
        BTreeMap<(Key, (i32, i32)), BTreeMap<(Option<usize>, Option<usize>), (Key, Tally)>>;
    let mut fam: Family = BTreeMap::new();
    for (k, t) in folded {
        let Some(p) = period_of(k, quarterly) else {
            continue;
        };
        let mut rest = k.clone();
        rest.year = None;
        rest.quarter = None;
        rest.month = None;
        rest.item = None;
        rest.dimension = None;
        fam.entry((rest, p))
            .or_default()
            .insert((k.item, k.dimension), (k.clone(), *t));
    }
    let mut out = Vec::new();
    for ((rest, p), members) in &fam {
        let prev = previous(*p, quarterly);
        let Some(before) = fam.get(&(rest.clone(), prev)) else {
            continue;
        };
        let mut rows = Vec::new();
        for (which, (key, now)) in members {
            let Some((_, then)) = before.get(which) else {
                continue;
            };
            if key.staff.is_some() && (now.n < options.staff_min_n || then.n < options.staff_min_n)
            {
                continue;
            }
            let diff = |a: Option<f64>, b: Option<f64>| a.zip(b).map(|(a, b)| a - b);
            rows.push(ChangeRow {
                period: period_label(*p, quarterly),
                previous: period_label(prev, quarterly),
                group: {
                    let mut g = group_of(key, items, reference);
                    g.year = None;
                    g.quarter = None;
                    g
                },
                n: now.n,
                n_previous: then.n,
                rate: now.rate(),
                rate_previous: then.rate(),
                rate_diff: diff(now.rate(), then.rate()),
                rate_test: stats::two_proportion_z(now.top2, now.n, then.top2, then.n),
                rate_p_adjusted: None,
                rate_significant: false,
                mean: now.mean(),
                mean_previous: then.mean(),
                mean_diff: diff(now.mean(), then.mean()),
                mean_test: stats::welch_t(now, then),
                mean_p_adjusted: None,
                mean_significant: false,
                dissatisfied_rate: now.dissatisfied_rate(),
                dissatisfied_rate_previous: then.dissatisfied_rate(),
                dissatisfied_test: stats::two_proportion_z(
                    now.bottom2,
                    now.n,
                    then.bottom2,
                    then.n,
                ),
                dissatisfied_p_adjusted: None,
                dissatisfied_significant: false,
            });
        }
        let adjust = |rows: &mut Vec<ChangeRow>,
                      get: fn(&ChangeRow) -> Option<f64>,
                      set: fn(&mut ChangeRow, Option<f64>, bool)| {
            let p: Vec<Option<f64>> = rows.iter().map(get).collect();
            for (row, adj) in rows.iter_mut().zip(stats::holm(&p)) {
                set(row, adj, adj.is_some_and(|a| a < options.significance));
            }
        };
        adjust(
            &mut rows,
            |r| r.rate_test.map(|t| t.p_value),
            |r, a, s| {
                r.rate_p_adjusted = a;
                r.rate_significant = s;
            },
        );
        adjust(
            &mut rows,
            |r| r.mean_test.map(|t| t.p_value),
            |r, a, s| {
                r.mean_p_adjusted = a;
                r.mean_significant = s;
            },
        );
        adjust(
            &mut rows,
            |r| r.dissatisfied_test.map(|t| t.p_value),
            |r, a, s| {
                r.dissatisfied_p_adjusted = a;
                r.dissatisfied_significant = s;
            },
        );
        out.extend(rows);
    }
    out
}

/// The figures as a frame (one row per group), for exports and charts.
pub fn metrics_frame(rows: &[MetricRow]) -> PolarsResult<DataFrame> {
    let s =
        |f: &dyn Fn(&Group) -> Option<String>| rows.iter().map(|r| f(&r.group)).collect::<Vec<_>>();
    let i =
        |f: &dyn Fn(&Group) -> Option<i32>| rows.iter().map(|r| f(&r.group)).collect::<Vec<_>>();
    let x = |f: &dyn Fn(&Figures) -> Option<f64>| {
        rows.iter().map(|r| f(&r.figures)).collect::<Vec<_>>()
    };
    DataFrame::new(
        rows.len(),
        vec![
            Column::new("year".into(), i(&|g| g.year)),
            Column::new("quarter".into(), i(&|g| g.quarter)),
            Column::new("month".into(), i(&|g| g.month)),
            Column::new("county".into(), s(&|g| g.county.clone())),
            Column::new("office".into(), s(&|g| g.office.clone())),
            Column::new("office_name".into(), s(&|g| g.office_name.clone())),
            Column::new("counter".into(), s(&|g| g.counter.clone())),
            Column::new("staff".into(), s(&|g| g.staff.clone())),
            Column::new("service_type".into(), s(&|g| g.service_type.clone())),
            Column::new("channel".into(), s(&|g| g.channel.clone())),
            Column::new("dimension".into(), s(&|g| g.dimension.clone())),
            Column::new("item".into(), s(&|g| g.item.clone())),
            Column::new("label_zh".into(), s(&|g| g.label_zh.clone())),
            Column::new("label_en".into(), s(&|g| g.label_en.clone())),
            Column::new(
                "n".into(),
                rows.iter().map(|r| r.figures.n).collect::<Vec<_>>(),
            ),
            Column::new("mean".into(), x(&|f| f.mean)),
            Column::new("mean_low".into(), x(&|f| f.mean_ci.map(|c| c.low))),
            Column::new("mean_high".into(), x(&|f| f.mean_ci.map(|c| c.high))),
            Column::new("rate".into(), x(&|f| f.rate)),
            Column::new("rate_low".into(), x(&|f| f.rate_ci.map(|c| c.low))),
            Column::new("rate_high".into(), x(&|f| f.rate_ci.map(|c| c.high))),
            Column::new("dissatisfied_rate".into(), x(&|f| f.dissatisfied_rate)),
            Column::new(
                "sampling_error_points".into(),
                x(&|f| f.sampling_error_points),
            ),
            Column::new(
                "suppressed".into(),
                rows.iter()
                    .map(|r| r.figures.suppressed)
                    .collect::<Vec<_>>(),
            ),
        ],
    )
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
