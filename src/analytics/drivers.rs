//! Reliability (Cronbach's alpha), key drivers (each item's correlation with
//! overall satisfaction) and importance-performance analysis, per year.

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::Serialize;

use super::Collect;
use super::metrics::Key;
use super::snapshot::{col, item_column};
use super::stats::{self, PairSums, Tally};
use super::{AnalyticsError, FormItems, Options};

/// Cronbach's alpha of one year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reliability {
    pub year: i32,
    /// The items the scale was taken over: the non-overall items required in
    /// every version of the form in the data (so a mid-year change of form
    /// keeps to the items both versions ask).
    pub items: Vec<String>,
    /// Responses with every one of those items answered (listwise).
    pub n: u64,
    pub alpha: Option<f64>,
    /// Alpha below the floor (0.7 by default).
    pub below_floor: bool,
}

fn get_f64(df: &DataFrame, name: &str, row: usize) -> Result<f64, AnalyticsError> {
    Ok(df.column(name)?.get(row)?.extract::<f64>().unwrap_or(0.0))
}

fn year_expr() -> Expr {
    (col(col::DAY).dt().year() - lit(1911)).alias("year")
}

fn years_of(df: &DataFrame) -> Result<Vec<i32>, AnalyticsError> {
    Ok(df
        .column("year")?
        .as_materialized_series()
        .cast(&DataType::Int32)?
        .i32()?
        .into_no_null_iter()
        .collect())
}

/// Tallies by year and item from finer ones (e.g. by year, office and item).
pub fn by_year_item(finer: &BTreeMap<Key, Tally>) -> BTreeMap<Key, Tally> {
    let mut out: BTreeMap<Key, Tally> = BTreeMap::new();
    for (k, t) in finer {
        let key = Key {
            year: k.year,
            item: k.item,
            ..Key::default()
        };
        out.entry(key).or_default().add(t);
    }
    out
}

/// The items alpha is computed over: not the overall item, required in every
/// version of the form in the selection, and answered at all in it (paper
/// surveys imported from spreadsheets may carry fewer items).
pub fn scale_items(
    items: &FormItems,
    versions: usize,
    answered: &std::collections::HashSet<String>,
) -> Vec<String> {
    items
        .items
        .iter()
        .filter(|i| !i.overall && i.required && i.versions >= versions.max(1))
        .filter(|i| answered.contains(&i.key))
        .map(|i| i.key.clone())
        .collect()
}

/// Cronbach's alpha per year over `scale` (listwise complete responses).
pub fn reliability(
    lf: LazyFrame,
    scale: &[String],
    options: &Options,
) -> Result<Vec<Reliability>, AnalyticsError> {
    if scale.len() < 2 {
        return Ok(Vec::new());
    }
    let complete = scale
        .iter()
        .map(|k| col(item_column(k).as_str()).is_not_null())
        .reduce(|a, b| a.and(b))
        .expect("two or more items");
    // Derived per-row columns first, then plain sums (polars' fast path).
    let total = scale
        .iter()
        .map(|k| col(item_column(k).as_str()).cast(DataType::UInt16))
        .reduce(|a, b| a + b)
        .expect("two or more items");
    let mut inputs = vec![total.alias("tot")];
    for k in scale {
        let x = col(item_column(k).as_str());
        inputs.push((x.clone() * x).alias(format!("q|{k}")));
    }
    let mut aggs = vec![
        col(col::RESPONSE_ID).count().alias("n"),
        col("tot").sum().alias("st"),
        col("tot2").sum().alias("qt"),
    ];
    for k in scale {
        aggs.push(col(item_column(k).as_str()).sum().alias(format!("s|{k}")));
        aggs.push(col(format!("q|{k}")).sum());
    }
    let df = lf
        .filter(complete)
        .with_columns(inputs)
        .with_columns([
            (col("tot").cast(DataType::UInt32) * col("tot").cast(DataType::UInt32)).alias("tot2"),
            year_expr(),
        ])
        .group_by([col("year")])
        .agg(aggs)
        .sort(["year"], Default::default())
        .run()?;
    let years = years_of(&df)?;
    let mut out = Vec::new();
    for (row, year) in years.into_iter().enumerate() {
        let n = get_f64(&df, "n", row)?;
        let var = |s: f64, q: f64| (n > 1.0).then(|| (q - s * s / n) / (n - 1.0));
        let total_var = var(get_f64(&df, "st", row)?, get_f64(&df, "qt", row)?);
        let item_vars: Option<Vec<f64>> = scale
            .iter()
            .map(|k| {
                Ok(var(
                    get_f64(&df, &format!("s|{k}"), row)?,
                    get_f64(&df, &format!("q|{k}"), row)?,
                ))
            })
            .collect::<Result<Vec<_>, AnalyticsError>>()?
            .into_iter()
            .collect();
        let alpha = item_vars
            .zip(total_var)
            .and_then(|(iv, tv)| stats::cronbach_alpha(&iv, tv));
        out.push(Reliability {
            year,
            items: scale.to_vec(),
            n: n as u64,
            alpha,
            below_floor: alpha.is_some_and(|a| a < options.alpha_floor),
        });
    }
    Ok(out)
}

/// IPA quadrant, split at the grand means of importance and performance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quadrant {
    /// High importance, high performance: 繼續保持.
    KeepUpTheGoodWork,
    /// High importance, low performance: 優先改善.
    ConcentrateHere,
    /// Low importance, low performance: 次要改善.
    LowPriority,
    /// Low importance, high performance: 過度投入.
    PossibleOverkill,
}

impl Quadrant {
    pub fn of(importance: f64, performance: f64, grand_i: f64, grand_p: f64) -> Self {
        match (importance >= grand_i, performance >= grand_p) {
            (true, true) => Quadrant::KeepUpTheGoodWork,
            (true, false) => Quadrant::ConcentrateHere,
            (false, false) => Quadrant::LowPriority,
            (false, true) => Quadrant::PossibleOverkill,
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Quadrant::KeepUpTheGoodWork => "繼續保持",
            Quadrant::ConcentrateHere => "優先改善",
            Quadrant::LowPriority => "次要改善",
            Quadrant::PossibleOverkill => "過度投入",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Quadrant::KeepUpTheGoodWork => "Keep up the good work",
            Quadrant::ConcentrateHere => "Concentrate here",
            Quadrant::LowPriority => "Low priority",
            Quadrant::PossibleOverkill => "Possible overkill",
        }
    }
}

/// One item's importance and performance in one year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriverRow {
    pub year: i32,
    pub item: String,
    pub label_zh: String,
    pub label_en: String,
    /// Pearson's r of the item with the overall item (pairwise complete).
    pub importance: Option<f64>,
    pub pairs: u64,
    /// 1 = the strongest driver of overall satisfaction that year.
    pub rank: Option<usize>,
    /// Mean score 1-5 (the performance axis of the IPA).
    pub performance: Option<f64>,
    pub rate: Option<f64>,
    pub quadrant: Option<Quadrant>,
    pub quadrant_zh: Option<&'static str>,
    /// The year's split points: mean importance and mean performance over its items.
    pub grand_importance: Option<f64>,
    pub grand_performance: Option<f64>,
}

/// Key drivers and IPA quadrants per year. Without an overall item there is
/// nothing to correlate with, and the result is empty.
/// `perf` holds the item tallies keyed by year and item (see [`by_year_item`]).
pub fn drivers(
    lf: LazyFrame,
    items: &FormItems,
    perf: &BTreeMap<Key, Tally>,
) -> Result<Vec<DriverRow>, AnalyticsError> {
    let Some(overall) = items.overall.clone() else {
        return Ok(Vec::new());
    };
    let candidates: Vec<String> = items
        .items
        .iter()
        .filter(|i| !i.overall)
        .map(|i| i.key.clone())
        .collect();
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let o = col(item_column(&overall).as_str());
    // Per item: both answers, or null (x + o·0 is null when o is, and x
    // otherwise); their squares and product fit in 8 bits (≤ 25).
    let mut inputs = vec![year_expr()];
    let mut aggs = Vec::new();
    for k in &candidates {
        let x = col(item_column(k).as_str());
        let xm = x.clone() + o.clone() * lit(0u8);
        let om = o.clone() + x * lit(0u8);
        inputs.push(xm.clone().alias(format!("x|{k}")));
        inputs.push(om.clone().alias(format!("y|{k}")));
        inputs.push((xm.clone() * xm.clone()).alias(format!("xx|{k}")));
        inputs.push((om.clone() * om.clone()).alias(format!("yy|{k}")));
        inputs.push((xm * om).alias(format!("xy|{k}")));
        aggs.push(col(format!("x|{k}")).count().alias(format!("n|{k}")));
        aggs.push(col(format!("x|{k}")).sum().alias(format!("sx|{k}")));
        aggs.push(col(format!("y|{k}")).sum().alias(format!("sy|{k}")));
        aggs.push(col(format!("xx|{k}")).sum().alias(format!("sxx|{k}")));
        aggs.push(col(format!("yy|{k}")).sum().alias(format!("syy|{k}")));
        aggs.push(col(format!("xy|{k}")).sum().alias(format!("sxy|{k}")));
    }
    let df = lf
        .with_columns(inputs)
        .group_by([col("year")])
        .agg(aggs)
        .sort(["year"], Default::default())
        .run()?;
    let mut out = Vec::new();
    for (row, year) in years_of(&df)?.into_iter().enumerate() {
        let mut rows: Vec<DriverRow> = Vec::new();
        for k in &candidates {
            let s = PairSums {
                n: get_f64(&df, &format!("n|{k}"), row)? as u64,
                sx: get_f64(&df, &format!("sx|{k}"), row)?,
                sy: get_f64(&df, &format!("sy|{k}"), row)?,
                sxx: get_f64(&df, &format!("sxx|{k}"), row)?,
                syy: get_f64(&df, &format!("syy|{k}"), row)?,
                sxy: get_f64(&df, &format!("sxy|{k}"), row)?,
            };
            let idx = items.items.iter().position(|i| &i.key == k);
            let tally = perf
                .get(&Key {
                    year: Some(year),
                    item: idx,
                    ..Key::default()
                })
                .copied()
                .unwrap_or_default();
            if tally.n == 0 {
                continue;
            }
            let info = items.item(k).expect("candidate is an item");
            rows.push(DriverRow {
                year,
                item: k.clone(),
                label_zh: info.zh_tw.clone(),
                label_en: info.en.clone(),
                importance: stats::pearson(&s),
                pairs: s.n,
                rank: None,
                performance: tally.mean(),
                rate: tally.rate(),
                quadrant: None,
                quadrant_zh: None,
                grand_importance: None,
                grand_performance: None,
            });
        }
        let scored: Vec<(f64, f64)> = rows
            .iter()
            .filter_map(|r| r.importance.zip(r.performance))
            .collect();
        if !scored.is_empty() {
            let gi = scored.iter().map(|x| x.0).sum::<f64>() / scored.len() as f64;
            let gp = scored.iter().map(|x| x.1).sum::<f64>() / scored.len() as f64;
            let mut order: Vec<usize> = (0..rows.len())
                .filter(|&i| rows[i].importance.is_some())
                .collect();
            order.sort_by(|&a, &b| {
                rows[b]
                    .importance
                    .unwrap()
                    .total_cmp(&rows[a].importance.unwrap())
                    .then(a.cmp(&b))
            });
            for (rank, i) in order.into_iter().enumerate() {
                rows[i].rank = Some(rank + 1);
            }
            for r in &mut rows {
                r.grand_importance = Some(gi);
                r.grand_performance = Some(gp);
                if let (Some(i), Some(p)) = (r.importance, r.performance) {
                    let q = Quadrant::of(i, p, gi, gp);
                    r.quadrant = Some(q);
                    r.quadrant_zh = Some(q.label_zh());
                }
            }
        }
        out.extend(rows);
    }
    Ok(out)
}
