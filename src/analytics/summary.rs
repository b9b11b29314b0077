//! One pass over the responses for everything additive: per group (at least
//! year and office) the tallies of every item, the complete-case sums of the
//! reliability scale and the pair sums of each item with the overall item.
//! Every figure of an analysis is then folded from these sums, exactly, in
//! Rust: coarser groups, counties, dimensions, years for alpha and drivers.
//!
//! polars reads the snapshot once for this (plus a cheap count of answers per
//! item, which decides the scale), instead of once per figure.

use std::collections::BTreeMap;

use polars::prelude::*;

use super::Collect;
use super::frame::{col as c, item_column};
use super::metrics::{self, Cells};
use super::stats::PairSums;
use super::{AnalyticsError, Dim};

/// Which items each part of the pass covers.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Every 5-point item (tallies).
    pub items: Vec<String>,
    /// The reliability scale (complete cases over these); fewer than two: no alpha.
    pub scale: Vec<String>,
    /// The overall item and the items correlated with it.
    pub overall: Option<String>,
    pub candidates: Vec<String>,
}

/// Complete-case sums of one year, for Cronbach's alpha.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScaleSums {
    pub n: u64,
    /// Σ of the row totals and of their squares.
    pub total: f64,
    pub total_sq: f64,
    /// Per scale item: Σx and Σx².
    pub sums: Vec<f64>,
    pub sums_sq: Vec<f64>,
}

#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Per group (the row dimensions asked, with year and office) and item.
    pub cells: Cells,
    /// Per ROC year.
    pub scale: BTreeMap<i32, ScaleSums>,
    /// Per ROC year, one per candidate item.
    pub pairs: BTreeMap<i32, Vec<PairSums>>,
    /// Per ROC year: individual responses, and answers of aggregated
    /// tallies ([`add_tallies`]).
    pub individual: BTreeMap<i32, u64>,
    pub tallied: BTreeMap<i32, u64>,
}

/// The grouping of the pass: the row dimensions of `by`, with year and office.
pub fn keys_for(by: &[Dim]) -> Vec<Dim> {
    let mut with = by.to_vec();
    with.extend([Dim::Year, Dim::Office]);
    metrics::row_dims(&with)
}

/// Answers per item (and responses) of the selection: which items were asked.
pub fn answered(
    lf: LazyFrame,
    items: &[String],
) -> Result<(u64, BTreeMap<String, u64>), AnalyticsError> {
    let mut exprs = vec![col(c::RESPONSE_ID).count().alias("responses")];
    for k in items {
        exprs.push(col(item_column(k).as_str()).count().alias(k.as_str()));
    }
    let df = lf.select(exprs).run()?;
    let get = |name: &str| -> Result<u64, AnalyticsError> {
        Ok(df.column(name)?.get(0)?.extract::<u64>().unwrap_or(0))
    };
    let mut out = BTreeMap::new();
    for k in items {
        out.insert(k.clone(), get(k)?);
    }
    Ok((get("responses")?, out))
}

/// The one group-by, as a lazy query (the benchmark collects it as the floor).
pub fn query(lf: LazyFrame, keys: &[Dim], plan: &Plan) -> LazyFrame {
    let mut inputs: Vec<Expr> = keys.iter().map(|d| metrics::key_expr(*d)).collect();
    let mut aggs: Vec<Expr> = vec![col(c::RESPONSE_ID).count().alias("k|ind")];
    for k in &plan.items {
        inputs.extend(metrics::tally_inputs(k));
        aggs.extend(metrics::tally_aggs(k));
    }
    let x = |k: &str| col(item_column(k).as_str());
    // Columns that use columns of the step before.
    let mut second: Vec<Expr> = Vec::new();
    let mut third: Vec<Expr> = Vec::new();
    if plan.scale.len() >= 2 {
        // The row total is null unless every scale item is answered.
        let total = plan
            .scale
            .iter()
            .map(|k| x(k).cast(DataType::UInt16))
            .reduce(|a, b| a + b)
            .expect("two or more items");
        inputs.push(total.alias("r|tot"));
        // 64 bits: a total reaches 45² per row, so 32 bits would wrap at ~2 M rows.
        second.push(
            (col("r|tot").cast(DataType::UInt64) * col("r|tot").cast(DataType::UInt64))
                .alias("r|tot2"),
        );
        aggs.push(col("r|tot").count().alias("r|n"));
        aggs.push(col("r|tot").sum().alias("r|st"));
        aggs.push(col("r|tot2").sum().alias("r|qt"));
        for k in &plan.scale {
            // x where the row is complete, else null.
            second.push(
                (x(k).cast(DataType::UInt16) + col("r|tot") * lit(0u16)).alias(format!("r|x|{k}")),
            );
            third.push(
                (col(format!("r|x|{k}")) * col(format!("r|x|{k}"))).alias(format!("r|xx|{k}")),
            );
            aggs.push(col(format!("r|x|{k}")).sum().alias(format!("r|s|{k}")));
            aggs.push(col(format!("r|xx|{k}")).sum().alias(format!("r|q|{k}")));
        }
    }
    if let Some(o) = &plan.overall {
        for k in &plan.candidates {
            // Both answers, or null: x + o·0 is null when o is, and x otherwise.
            let xm = x(k) + x(o) * lit(0u8);
            let om = x(o) + x(k) * lit(0u8);
            inputs.push(xm.clone().alias(format!("p|x|{k}")));
            inputs.push(om.clone().alias(format!("p|y|{k}")));
            inputs.push((xm.clone() * xm.clone()).alias(format!("p|xx|{k}")));
            inputs.push((om.clone() * om.clone()).alias(format!("p|yy|{k}")));
            inputs.push((xm * om).alias(format!("p|xy|{k}")));
            aggs.push(col(format!("p|x|{k}")).count().alias(format!("p|n|{k}")));
            for p in ["x", "y", "xx", "yy", "xy"] {
                aggs.push(col(format!("p|{p}|{k}")).sum());
            }
        }
    }
    let names: Vec<Expr> = keys.iter().map(|d| col(metrics::key_name(*d))).collect();
    let mut lf = lf.with_columns(inputs);
    for step in [second, third] {
        if !step.is_empty() {
            lf = lf.with_columns(step);
        }
    }
    lf.group_by(names).agg(aggs)
}

fn f64_at(df: &DataFrame, name: &str, row: usize) -> Result<f64, AnalyticsError> {
    Ok(df.column(name)?.get(row)?.extract::<f64>().unwrap_or(0.0))
}

/// Runs the pass and reads its sums.
pub fn summarize(lf: LazyFrame, keys: &[Dim], plan: &Plan) -> Result<Summary, AnalyticsError> {
    debug_assert!(keys.contains(&Dim::Year));
    let df = query(lf, keys, plan).run()?;
    let mut out = Summary::default();
    for (row, key) in metrics::read_keys(&df, keys)?.into_iter().enumerate() {
        let year = key.year.unwrap_or_default();
        *out.individual.entry(year).or_default() += metrics::u64_at(&df, "k|ind", row)?;
        if plan.scale.len() >= 2 {
            let s = out.scale.entry(year).or_insert_with(|| ScaleSums {
                sums: vec![0.0; plan.scale.len()],
                sums_sq: vec![0.0; plan.scale.len()],
                ..ScaleSums::default()
            });
            s.n += metrics::u64_at(&df, "r|n", row)?;
            s.total += f64_at(&df, "r|st", row)?;
            s.total_sq += f64_at(&df, "r|qt", row)?;
            for (i, k) in plan.scale.iter().enumerate() {
                s.sums[i] += f64_at(&df, &format!("r|s|{k}"), row)?;
                s.sums_sq[i] += f64_at(&df, &format!("r|q|{k}"), row)?;
            }
        }
        if plan.overall.is_some() {
            let p = out
                .pairs
                .entry(year)
                .or_insert_with(|| vec![PairSums::default(); plan.candidates.len()]);
            for (i, k) in plan.candidates.iter().enumerate() {
                p[i].n += metrics::u64_at(&df, &format!("p|n|{k}"), row)?;
                p[i].sx += f64_at(&df, &format!("p|x|{k}"), row)?;
                p[i].sy += f64_at(&df, &format!("p|y|{k}"), row)?;
                p[i].sxx += f64_at(&df, &format!("p|xx|{k}"), row)?;
                p[i].syy += f64_at(&df, &format!("p|yy|{k}"), row)?;
                p[i].sxy += f64_at(&df, &format!("p|xy|{k}"), row)?;
            }
        }
        out.cells
            .insert(key, metrics::read_tallies(&df, row, &plan.items)?);
    }
    Ok(out)
}

/// Adds aggregated tallies to the sums of the pass, as counts in the cell of
/// their group: the group's key as the pass reads it (no counter, staff
/// member or service type: `-1`; the quarter's second month).
pub fn add_tallies(
    sums: &mut Summary,
    tallies: &[super::input::TalliedCounts],
    keys: &[Dim],
    items: &[String],
) {
    for t in tallies {
        let Some(index) = items.iter().position(|k| *k == t.item) else {
            continue;
        };
        let year = t.year.get();
        let mut key = metrics::Key::default();
        for d in keys {
            match d {
                Dim::Year => key.year = Some(year),
                Dim::Quarter => key.quarter = Some(i32::from(t.quarter)),
                Dim::Month => key.month = Some(i32::from(t.month())),
                Dim::Office | Dim::County => key.office = Some(i64::from(t.office)),
                Dim::Counter => key.counter = Some(-1),
                Dim::Staff => key.staff = Some(-1),
                Dim::ServiceType => key.service_type = Some(-1),
                Dim::Channel => {
                    key.channel = Some(i64::from(super::frame::channel_code(t.channel)))
                }
                Dim::Item | Dim::Dimension => {}
            }
        }
        let tally = t.tally();
        let cell = sums
            .cells
            .entry(key)
            .or_insert_with(|| vec![super::stats::Tally::default(); items.len()]);
        cell[index].add(&tally);
        *sums.tallied.entry(year).or_default() += tally.n;
        sums.individual.entry(year).or_default();
    }
}

/// Counts of the answers 1 to 5 of each item over the selection, in one pass.
pub fn distribution(
    lf: LazyFrame,
    items: &[String],
) -> Result<BTreeMap<String, [u64; 5]>, AnalyticsError> {
    if items.is_empty() {
        return Ok(BTreeMap::new());
    }
    let mut exprs = Vec::new();
    for k in items {
        for v in 1..=5u8 {
            exprs.push(
                col(item_column(k).as_str())
                    .eq(lit(v))
                    .cast(DataType::UInt32)
                    .sum()
                    .alias(format!("{k}#{v}")),
            );
        }
    }
    let df = lf.select(exprs).run()?;
    let mut out = BTreeMap::new();
    for k in items {
        let mut counts = [0u64; 5];
        for (i, c) in counts.iter_mut().enumerate() {
            *c = df
                .column(&format!("{k}#{}", i + 1))?
                .get(0)?
                .extract::<u64>()
                .unwrap_or(0);
        }
        out.insert(k.clone(), counts);
    }
    Ok(out)
}
