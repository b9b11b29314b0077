//! What an analysis starts from: the small reference tables (offices,
//! counters, staff, service types, form versions, loaded by the warehouse)
//! and the response and comment frames, filtered here. Frames in, frames out.

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::Serialize;

use super::Collect;
use super::frame::{channel_code, col, terms_col};
use super::{AnalyticsError, Filter, FormItems};
use crate::forms::Form;
use crate::offices::Office;

/// Small reference tables, by id.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Reference {
    pub offices: BTreeMap<i32, Office>,
    /// id → (code, name)
    pub counters: BTreeMap<i32, (String, String)>,
    pub staff: BTreeMap<i32, (String, String)>,
    /// id → (code, name_zh, name_en)
    pub service_types: BTreeMap<i32, (String, String, String)>,
    /// form version id → (form key, definition)
    pub form_versions: BTreeMap<i32, (String, Form)>,
}

impl Reference {
    pub fn office_by_code(&self, code: &str) -> Option<&Office> {
        self.offices.values().find(|o| o.code == code)
    }

    /// Version ids of a form, oldest first.
    pub fn versions_of(&self, form: &str) -> Vec<i32> {
        self.form_versions
            .iter()
            .filter(|(_, (k, _))| k == form)
            .map(|(id, _)| *id)
            .collect()
    }

    /// The form's 5-point items over the given versions.
    pub fn form_items(&self, form: &str, versions: &[i32]) -> FormItems {
        let forms: Vec<&Form> = versions
            .iter()
            .filter_map(|id| self.form_versions.get(id).map(|(_, f)| f))
            .collect();
        FormItems::from_versions(form, &forms)
    }
}

/// Aggregated tallies of one office, quarter, channel and item: the counts
/// of the answers 1 to 5 kept instead of slips. The analysis adds them to
/// the sums of the one pass as counts (never as rows), so every count-based
/// figure comes out as for the same answers keyed in, at no cost per answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TalliedCounts {
    pub office: i32,
    pub form_version: i32,
    pub year: super::RocYear,
    /// 1-4.
    pub quarter: u8,
    pub channel: crate::forms::Channel,
    pub item: String,
    /// Answers 1 to 5.
    pub counts: [u64; 5],
}

impl TalliedCounts {
    /// The month the tallies count in when grouped by month: the quarter's second.
    pub fn month(&self) -> u8 {
        (self.quarter - 1) * 3 + 2
    }

    pub fn tally(&self) -> super::stats::Tally {
        let mut t = super::stats::Tally::default();
        for (score, n) in (1u64..=5).zip(self.counts) {
            t.n += n;
            t.sum += score * n;
            t.sum_sq += score * score * n;
            if score >= 4 {
                t.top2 += n;
            }
            if score <= 2 {
                t.bottom2 += n;
            }
        }
        t
    }
}

/// The filtered responses of one form, ready for the pure functions.
pub struct AnalysisInput {
    pub responses: LazyFrame,
    pub comments: LazyFrame,
    /// The comments' term counts of the selection (`frame::terms_col`), where
    /// the snapshot has them; without, the terms are counted from `comments`.
    pub term_counts: Option<LazyFrame>,
    pub items: FormItems,
    pub reference: Reference,
    pub filter: Filter,
    /// Form versions with responses in the selection.
    pub versions: Vec<i32>,
    /// Aggregated tallies of the selection (same form, offices, channels, years).
    pub tallies: Vec<TalliedCounts>,
}

impl AnalysisInput {
    /// The term counts, when they are keyed by the score the analysis splits
    /// on: every form version in the selection has the form's overall item as
    /// its own overall item (else the terms are counted from the comments).
    pub fn term_counts_by_overall(&self) -> Option<LazyFrame> {
        let same = self.versions.iter().all(|v| {
            self.reference
                .form_versions
                .get(v)
                .and_then(|(_, f)| f.overall_item())
                .map(|i| i.key.to_string())
                == self.items.overall
        });
        self.term_counts.clone().filter(|_| same)
    }
}

/// Applies the filter to the response and comment frames (as the snapshot
/// gives them). Office ids must already be limited to the caller's scope; an
/// empty list means every office of `reference` (which the caller loaded in scope).
pub fn select(
    responses: LazyFrame,
    comments: LazyFrame,
    term_counts: Option<LazyFrame>,
    tallies: Vec<TalliedCounts>,
    reference: Reference,
    filter: &Filter,
) -> Result<AnalysisInput, AnalyticsError> {
    let versions = reference.versions_of(&filter.form);
    if versions.is_empty() {
        return Err(AnalyticsError::invalid(
            "form",
            format!(
                "no form `{}` (known: {})",
                filter.form,
                reference
                    .form_versions
                    .values()
                    .map(|(k, _)| k.as_str())
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let offices: Vec<i32> = if filter.offices.is_empty() {
        reference.offices.keys().copied().collect()
    } else {
        filter.offices.clone()
    };
    // Form versions, offices and channels: the same columns in both frames.
    let mut pred = col(col::FORM_VERSION)
        .is_in(
            lit(Series::new(
                "v".into(),
                versions.iter().map(|v| *v as u16).collect::<Vec<_>>(),
            ))
            .implode(false),
            false,
        )
        .and(
            col(col::OFFICE).is_in(
                lit(Series::new(
                    "o".into(),
                    offices.iter().map(|v| *v as u16).collect::<Vec<_>>(),
                ))
                .implode(false),
                false,
            ),
        );
    if !filter.channels.is_empty() {
        let codes: Vec<u8> = filter.channels.iter().map(|c| channel_code(*c)).collect();
        pred = pred.and(
            col(col::CHANNEL).is_in(lit(Series::new("c".into(), codes)).implode(false), false),
        );
    }
    // Years: by day in the responses, by ROC year in the term counts.
    let (mut by_day, mut by_year) = (pred.clone(), pred);
    if let Some(from) = filter.from {
        let d = chrono::NaiveDate::from_ymd_opt(from.gregorian(), 1, 1).expect("valid year");
        by_day = by_day.and(col(col::DAY).gt_eq(lit(d)));
        by_year = by_year.and(col(terms_col::YEAR).gt_eq(lit(from.get())));
    }
    if let Some(to) = filter.to {
        let d = chrono::NaiveDate::from_ymd_opt(to.gregorian(), 12, 31).expect("valid year");
        by_day = by_day.and(col(col::DAY).lt_eq(lit(d)));
        by_year = by_year.and(col(terms_col::YEAR).lt_eq(lit(to.get())));
    }
    let responses = responses.filter(by_day);
    let term_counts = term_counts.map(|t| t.filter(by_year));
    let tallies: Vec<TalliedCounts> = tallies
        .into_iter()
        .filter(|t| {
            versions.contains(&t.form_version)
                && offices.contains(&t.office)
                && (filter.channels.is_empty() || filter.channels.contains(&t.channel))
                && filter.from.is_none_or(|f| t.year >= f)
                && filter.to.is_none_or(|to| t.year <= to)
        })
        .collect();
    let used: Vec<i32> = responses
        .clone()
        .select([col(col::FORM_VERSION).unique()])
        .run()?
        .column(col::FORM_VERSION)?
        .u16()?
        .into_no_null_iter()
        .map(i32::from)
        .chain(tallies.iter().map(|t| t.form_version))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let items = reference.form_items(
        &filter.form,
        if used.is_empty() { &versions } else { &used },
    );
    Ok(AnalysisInput {
        responses,
        comments,
        term_counts,
        items,
        reference,
        filter: filter.clone(),
        versions: used,
        tallies,
    })
}
