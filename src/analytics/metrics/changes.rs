//! Changes between consecutive periods (year over year, quarter over
//! quarter), tested and Holm-adjusted per group.

use std::collections::BTreeMap;

use serde::Serialize;

use super::figures::{Group, group_of};
use super::tallies::Key;
use crate::analytics::stats::{self, Tally, TestResult};
use crate::analytics::{FormItems, Options, Reference};

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
