//! Reliability (Cronbach's alpha), key drivers (each item's correlation with
//! overall satisfaction) and importance-performance analysis, per year.

use std::collections::BTreeMap;

use serde::Serialize;

use super::metrics::Key;
use super::stats::{self, PairSums, Tally};
use super::summary::ScaleSums;
use super::{FormItems, Options};

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

/// Cronbach's alpha per year over `scale`, from the complete-case sums.
pub fn reliability(
    sums: &BTreeMap<i32, ScaleSums>,
    scale: &[String],
    options: &Options,
) -> Vec<Reliability> {
    if scale.len() < 2 {
        return Vec::new();
    }
    sums.iter()
        .filter(|(_, s)| s.n > 0)
        .map(|(&year, s)| {
            let n = s.n as f64;
            let var = |sum: f64, sq: f64| (n > 1.0).then(|| (sq - sum * sum / n) / (n - 1.0));
            let item_vars: Option<Vec<f64>> = s
                .sums
                .iter()
                .zip(&s.sums_sq)
                .map(|(a, b)| var(*a, *b))
                .collect();
            let alpha = item_vars
                .zip(var(s.total, s.total_sq))
                .and_then(|(iv, tv)| stats::cronbach_alpha(&iv, tv));
            Reliability {
                year,
                items: scale.to_vec(),
                n: s.n,
                alpha,
                below_floor: alpha.is_some_and(|a| a < options.alpha_floor),
            }
        })
        .collect()
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

/// The items correlated with the overall item: every other 5-point item.
pub fn candidates(items: &FormItems) -> Vec<String> {
    if items.overall.is_none() {
        return Vec::new();
    }
    items
        .items
        .iter()
        .filter(|i| !i.overall)
        .map(|i| i.key.clone())
        .collect()
}

/// Key drivers and IPA quadrants per year, from the pair sums of each
/// candidate with the overall item and the item tallies by year (`perf`, see
/// `metrics::fold` by year and item). Without an overall item the result is empty.
pub fn drivers(
    pairs: &BTreeMap<i32, Vec<PairSums>>,
    candidates: &[String],
    items: &FormItems,
    perf: &BTreeMap<Key, Tally>,
) -> Vec<DriverRow> {
    let mut out = Vec::new();
    for (&year, sums) in pairs {
        let mut rows: Vec<DriverRow> = Vec::new();
        for (k, s) in candidates.iter().zip(sums) {
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
                importance: stats::pearson(s),
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
    out
}
