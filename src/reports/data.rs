//! What a yearly report says, gathered from the analytics results of five
//! years (the report's year and the four before it), the complaint register
//! and the improvement measures: one serialisable [`Report`] that every format
//! renders. No personal data: counts, rates, terms and comment excerpts only
//! (comments are anonymous by design of the survey; a number or address
//! someone typed into one is masked by [`crate::cases::mask_excerpt`], in
//! every format). [`super::gather`] collects it, [`super::assemble`] puts it
//! together.

use serde::Serialize;

use super::ReportError;
use crate::analytics::RocYear;
use crate::offices::Office;
use crate::plans::measures::SubjectKind;

/// Which offices a report covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Office(String),
    County(String),
    All,
}

impl Scope {
    pub fn key(&self) -> String {
        match self {
            Scope::Office(c) => format!("office:{c}"),
            Scope::County(c) => format!("county:{c}"),
            Scope::All => "all".into(),
        }
    }

    pub fn parse_key(s: &str) -> Result<Self, ReportError> {
        match s.split_once(':') {
            Some(("office", c)) if !c.trim().is_empty() => Ok(Scope::Office(c.trim().into())),
            Some(("county", c)) if !c.trim().is_empty() => Ok(Scope::County(c.trim().into())),
            None if s == "all" => Ok(Scope::All),
            _ => Err(ReportError::Invalid(format!(
                "scope: `{s}` is not office:CODE, county:NAME or all"
            ))),
        }
    }

    /// The offices of the scope among `visible` (the caller's); none is an error.
    pub fn offices<'a>(&self, visible: &'a [Office]) -> Result<Vec<&'a Office>, ReportError> {
        let found: Vec<&Office> = match self {
            Scope::Office(code) => visible.iter().filter(|o| o.code == *code).collect(),
            Scope::County(name) => visible
                .iter()
                .filter(|o| o.county_zh == *name || o.county_en == *name)
                .collect(),
            Scope::All => visible.iter().collect(),
        };
        if found.is_empty() {
            return Err(ReportError::NotFound(match self {
                Scope::Office(c) => format!("office: no office `{c}`"),
                Scope::County(c) => format!("county: no offices in `{c}`"),
                Scope::All => "office: no offices".into(),
            }));
        }
        Ok(found)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct OfficeRef {
    pub id: i32,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Headline {
    pub responses: u64,
    /// n of the overall item this year.
    pub n: u64,
    pub rate: Option<f64>,
    pub rate_low: Option<f64>,
    pub rate_high: Option<f64>,
    pub mean: Option<f64>,
    pub sampling_error_points: Option<f64>,
    pub previous_rate: Option<f64>,
    pub change_points: Option<f64>,
    pub change_p: Option<f64>,
    pub change_significant: bool,
    pub alpha: Option<f64>,
    pub alpha_n: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct YearRow {
    pub year: i32,
    pub n: u64,
    pub rate: Option<f64>,
    pub rate_low: Option<f64>,
    pub rate_high: Option<f64>,
    pub mean: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct QuarterRow {
    pub year: i32,
    pub quarter: i32,
    pub n: u64,
    pub rate: Option<f64>,
    pub rate_low: Option<f64>,
    pub rate_high: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemRow {
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
    pub overall: bool,
    pub n: u64,
    pub mean: Option<f64>,
    pub rate: Option<f64>,
    pub rate_low: Option<f64>,
    pub rate_high: Option<f64>,
    pub dissatisfied_rate: Option<f64>,
    pub previous_rate: Option<f64>,
    pub change_points: Option<f64>,
    /// Holm-adjusted p of the change in the rate.
    pub change_p: Option<f64>,
    /// +1 significant rise, -1 significant fall, 0 otherwise.
    pub change: i8,
    pub importance: Option<f64>,
    pub quadrant_zh: Option<String>,
    pub quadrant_en: Option<String>,
    /// Counts of the answers 1..=5 this year.
    pub answers: [u64; 5],
}

#[derive(Debug, Clone, Serialize)]
pub struct OfficeItemRow {
    pub office: String,
    pub office_name: String,
    pub item: String,
    pub label_zh: String,
    pub n: u64,
    pub rate: Option<f64>,
    pub mean: Option<f64>,
}

/// One office of a county report: its overall figures and its weakest item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OfficeRow {
    pub office: String,
    pub office_name: String,
    /// Answers to the overall item (or, without one, the most answered item).
    pub n: u64,
    pub rate: Option<f64>,
    pub mean: Option<f64>,
    /// The item with the lowest satisfied rate, and that rate.
    pub lowest_zh: String,
    pub lowest_rate: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShortfallRow {
    pub office: String,
    pub office_name: String,
    pub item: String,
    pub label_zh: String,
    pub label_en: String,
    pub n: u64,
    pub rate: f64,
    pub standard: f64,
    pub gap_points: f64,
    pub significantly_below: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CategoryRow {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub received: u64,
    pub previous_received: u64,
    pub on_time_rate: Option<f64>,
    pub median_days_to_first_reply: Option<f64>,
    pub overdue: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReviewRow {
    pub category_zh: String,
    pub outcome_zh: String,
    pub timeliness_zh: String,
    pub count: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ComplaintSummary {
    pub received: u64,
    pub accepted: u64,
    pub on_time_rate: Option<f64>,
    pub median_days_to_first_reply: Option<f64>,
    pub p90_days_to_first_reply: Option<i64>,
    pub median_days_to_close: Option<f64>,
    pub overdue: u64,
    pub categories: Vec<CategoryRow>,
    pub review: Vec<ReviewRow>,
    /// (quarter 1-4, category code, received) this year.
    pub per_quarter: Vec<(i32, String, u64)>,
    /// Working days to the first reply of each answered case this year.
    pub reply_days: Vec<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TermRow {
    pub term: String,
    pub count: u64,
    pub comments: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct KeyTermRow {
    pub term: String,
    pub dissatisfied_count: u64,
    pub satisfied_count: u64,
    pub log_odds: f64,
    pub examples: Vec<String>,
}

/// One office's measure for a plan subject.
#[derive(Debug, Clone, Serialize)]
pub struct MeasureText {
    pub office: String,
    pub office_name: String,
    pub measure: String,
    pub responsible: String,
}

/// A subject of the improvement plan, with why it is there and what is planned.
#[derive(Debug, Clone, Serialize)]
pub struct PlanEntry {
    pub kind: SubjectKind,
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
    pub reasons_zh: Vec<String>,
    pub reasons_en: Vec<String>,
    pub measures: Vec<MeasureText>,
}

/// Last year's measure and what became of its subject this year.
#[derive(Debug, Clone, Serialize)]
pub struct FollowUp {
    pub kind: SubjectKind,
    pub key: String,
    pub label_zh: String,
    pub office: String,
    pub office_name: String,
    pub measure: String,
    /// Rate (items) or cases received (categories), last year and this year.
    pub before: Option<f64>,
    pub after: Option<f64>,
    /// "improved", "declined", "no_significant_change", "no_data".
    pub verdict: &'static str,
    pub verdict_zh: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub year: i32,
    pub gregorian: i32,
    pub first_year: i32,
    pub form: String,
    /// The form's title (zh-TW, English), as people know it.
    pub form_title_zh: String,
    pub form_title_en: String,
    pub scope: String,
    pub scope_zh: String,
    pub scope_en: String,
    pub county_report: bool,
    /// Whether a satisfaction standard applies to any office of the report.
    pub standards_set: bool,
    /// Who answered this year: channels, services, counters.
    pub profile: crate::analytics::profile::Profile,
    pub offices: Vec<OfficeRef>,
    pub generated_at: String,
    pub headline: Headline,
    pub years: Vec<YearRow>,
    pub quarters: Vec<QuarterRow>,
    pub items: Vec<ItemRow>,
    /// Per office and item this year (county reports).
    pub office_items: Vec<OfficeItemRow>,
    /// County reports: one row per office, by name.
    pub office_rows: Vec<OfficeRow>,
    pub ipa_grand_performance: Option<f64>,
    pub ipa_grand_importance: Option<f64>,
    pub shortfalls: Vec<ShortfallRow>,
    pub complaints: ComplaintSummary,
    pub terms: Vec<TermRow>,
    pub key_terms: Vec<KeyTermRow>,
    pub plan: Vec<PlanEntry>,
    pub follow_up: Vec<FollowUp>,
    pub notes: Vec<String>,
}

/// What to report on.
#[derive(Debug, Clone)]
pub struct Request {
    pub year: RocYear,
    pub scope: Scope,
    pub form: String,
}
