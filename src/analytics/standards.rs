//! Minimum satisfaction standards per year (for every office, a county or one
//! office; the most specific applies; stored by `crate::plans::standards`)
//! and the items and offices below them.
//!
//! Offices already score around 94-98%, so a shortfall lists the
//! dissatisfied share too, and whether the rate is significantly below the
//! standard (one-sided test against the standard).

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use serde::Serialize;

use super::metrics::Key;
use super::stats::{self, Tally, TestResult};
use super::{FormItems, Reference};

/// Where a standard applies.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum StandardScope {
    All,
    County(String),
    Office(i32),
}

impl StandardScope {
    /// The scope as stored (`""`, `county:NAME`, `office:ID`).
    pub fn key(&self) -> String {
        match self {
            StandardScope::All => String::new(),
            StandardScope::County(c) => format!("county:{c}"),
            StandardScope::Office(id) => format!("office:{id}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Standard {
    pub year: i32,
    pub scope: StandardScope,
    pub min_rate: f64,
    pub set_by: String,
    pub set_at: NaiveDateTime,
}

/// The standard that applies to an office in a year: its own, else its
/// county's, else the one for every office.
pub fn applicable(standards: &[Standard], year: i32, office_id: i32, county: &str) -> Option<f64> {
    let of = |s: &StandardScope| {
        standards
            .iter()
            .find(|x| x.year == year && &x.scope == s)
            .map(|x| x.min_rate)
    };
    of(&StandardScope::Office(office_id))
        .or_else(|| of(&StandardScope::County(county.to_owned())))
        .or_else(|| of(&StandardScope::All))
}

/// An item (or the overall item) of an office below its standard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shortfall {
    pub year: i32,
    pub office: String,
    pub office_name: String,
    pub item: String,
    pub label_zh: String,
    pub label_en: String,
    pub overall: bool,
    pub n: u64,
    pub rate: f64,
    pub standard: f64,
    /// Standard minus rate, in percentage points.
    pub gap_points: f64,
    pub dissatisfied_rate: f64,
    /// One-sided test of the rate against the standard.
    pub below_test: Option<TestResult>,
    pub significantly_below: bool,
}

/// Every (year, office, item) whose satisfaction rate is below the standard
/// that applies to it. `folded` must be keyed by year, office and item.
pub fn shortfalls(
    folded: &BTreeMap<Key, Tally>,
    standards: &[Standard],
    items: &FormItems,
    reference: &Reference,
    significance: f64,
) -> Vec<Shortfall> {
    let mut out = Vec::new();
    for (k, t) in folded {
        let (Some(year), Some(office), Some(item)) = (k.year, k.office, k.item) else {
            continue;
        };
        let Some(o) = reference.offices.get(&(office as i32)) else {
            continue;
        };
        let Some(standard) = applicable(standards, year, o.id, &o.county_zh) else {
            continue;
        };
        let Some(rate) = t.rate() else { continue };
        if rate >= standard {
            continue;
        }
        let info = &items.items[item];
        let test = stats::below_standard(t.top2, t.n, standard);
        out.push(Shortfall {
            year,
            office: o.code.to_string(),
            office_name: o.name_zh.clone(),
            item: info.key.clone(),
            label_zh: info.zh_tw.clone(),
            label_en: info.en.clone(),
            overall: info.overall,
            n: t.n,
            rate,
            standard,
            gap_points: (standard - rate) * 100.0,
            dissatisfied_rate: t.dissatisfied_rate().unwrap_or(0.0),
            below_test: test,
            significantly_below: test.is_some_and(|r| r.p_value < significance),
        });
    }
    out
}
