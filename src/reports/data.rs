//! What a yearly report says, gathered from the analytics results of five
//! years (the report's year and the four before it), the complaint register
//! and the improvement measures: one serialisable [`Report`] that every format
//! renders. No personal data: counts, rates, terms and comment excerpts only
//! (comments are anonymous by design of the survey; a number or address
//! someone typed into one is masked by [`super::mask`], in every format).

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::Serialize;

use super::ReportError;
use crate::analytics::complaints::{self, CaseDim};
use crate::analytics::drivers::Quadrant;
use crate::analytics::{self, Analysis, Dim, Filter, Options, RocYear};
use crate::cases::mask_excerpt;
use crate::db::DbConnection;
use crate::offices::Office;
use crate::plans::measures::{self, Measure, SubjectKind};
use crate::warehouse::Source;

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
    pub scope: String,
    pub scope_zh: String,
    pub scope_en: String,
    pub county_report: bool,
    pub offices: Vec<OfficeRef>,
    pub generated_at: String,
    pub headline: Headline,
    pub years: Vec<YearRow>,
    pub quarters: Vec<QuarterRow>,
    pub items: Vec<ItemRow>,
    /// Per office and item this year (county reports).
    pub office_items: Vec<OfficeItemRow>,
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

/// The steps of gathering, for progress.
pub const GATHER_STEPS: [&str; 5] = [
    "快照與資料 snapshot and data",
    "題項與趨勢 items and trends",
    "各所比較 offices",
    "陳情案件 complaints",
    "改善計畫 improvement plan",
];

/// Gathers a report. `visible` are the caller's offices (scope checked here);
/// `step` is told the index of each step of [`GATHER_STEPS`] as it starts.
pub fn gather(
    conn: &mut DbConnection,
    source: &Source,
    request: &Request,
    visible: &[Office],
    options: &Options,
    step: &mut dyn FnMut(usize),
) -> Result<Report, ReportError> {
    let year = request.year.get();
    let offices = request.scope.offices(visible)?;
    let office_ids: Vec<i32> = offices.iter().map(|o| o.id).collect();
    let first = RocYear::new((year - 4).max(1))?;
    step(0);
    let filter = Filter {
        form: request.form.clone(),
        from: Some(first),
        to: Some(request.year),
        offices: office_ids.clone(),
        channels: Vec::new(),
    };
    let allowed: Vec<i32> = visible.iter().map(|o| o.id).collect();
    let prepared = crate::warehouse::prepare(conn, source, filter, &allowed)?;
    let input = &prepared.input;

    step(1);
    let by_item = analytics::analyze(input, &[Dim::Year, Dim::Item], &prepared.standards, options)?;
    let by_quarter = analytics::analyze(input, &[Dim::Year, Dim::Quarter], &[], options)?;
    let this_year = input.responses.clone().filter(
        col(analytics::frame::col::DAY)
            .dt()
            .year()
            .eq(lit(request.year.gregorian())),
    );
    let answers = analytics::summary::distribution(this_year, &input.items.keys())?;

    step(2);
    let county_report = offices.len() > 1;
    let by_office = if county_report {
        Some(analytics::analyze(
            input,
            &[Dim::Year, Dim::Office, Dim::Item],
            &prepared.standards,
            options,
        )?)
    } else {
        None
    };

    step(3);
    let previous = RocYear::new((year - 1).max(1))?;
    let cases =
        crate::warehouse::load_complaints(conn, &office_ids, Some(previous), Some(request.year))?;
    let categories = category_names(conn)?;
    let complaints = complaint_summary(&cases, year, &categories)?;

    step(4);
    let measures = measures::list(conn, &office_ids, &[year, year - 1])?;

    let (scope_zh, scope_en) = match &request.scope {
        Scope::Office(_) => (offices[0].name_zh.clone(), offices[0].name_en.clone()),
        Scope::County(_) => (
            format!("{}（{} 所）", offices[0].county_zh, offices.len()),
            format!("{} ({} offices)", offices[0].county_en, offices.len()),
        ),
        Scope::All => (
            format!("全部戶政事務所（{} 所）", offices.len()),
            format!("All offices ({})", offices.len()),
        ),
    };
    let office_refs: Vec<OfficeRef> = offices
        .iter()
        .map(|o| OfficeRef {
            id: o.id,
            code: o.code.clone(),
            name_zh: o.name_zh.clone(),
            name_en: o.name_en.clone(),
        })
        .collect();
    let mut report = assemble(Parts {
        year,
        form: &request.form,
        by_item: &by_item,
        by_quarter: &by_quarter,
        by_office: by_office.as_ref(),
        answers: &answers,
        overall: input.items.overall.clone(),
        labels: input
            .items
            .items
            .iter()
            .map(|i| (i.key.clone(), (i.zh_tw.clone(), i.en.clone())))
            .collect(),
        complaints,
        measures: &measures,
        offices: &office_refs,
        categories: &categories,
    });
    report.scope = request.scope.key();
    report.scope_zh = scope_zh;
    report.scope_en = scope_en;
    report.county_report = county_report;
    report.generated_at = crate::calendar::taipei::minutes(chrono::Utc::now().naive_utc());
    Ok(report)
}

fn category_names(
    conn: &mut DbConnection,
) -> Result<BTreeMap<String, (String, String)>, ReportError> {
    Ok(crate::cases::categories(conn, false)?
        .into_iter()
        .map(|c| (c.code, (c.name_zh, c.name_en)))
        .collect())
}

fn outcome_zh(s: &str) -> &'static str {
    match s {
        "answered" => "已回復",
        "not_accepted" => "不受理",
        "transferred" => "移送他機關",
        "open" => "處理中",
        _ => "其他",
    }
}

fn timeliness_zh(s: &str) -> &'static str {
    match s {
        "on_time" => "如期",
        "late" => "逾期",
        "pending" => "未到期",
        "not_applicable" => "不適用",
        _ => "其他",
    }
}

/// The complaint figures of the year (and the previous year's counts).
fn complaint_summary(
    cases: &DataFrame,
    year: i32,
    names: &BTreeMap<String, (String, String)>,
) -> Result<ComplaintSummary, ReportError> {
    let name = |code: &str| {
        names
            .get(code)
            .cloned()
            .unwrap_or_else(|| (code.to_owned(), code.to_owned()))
    };
    let y = year.to_string();
    let mut out = ComplaintSummary::default();
    for row in complaints::figures(cases.clone().lazy(), &[CaseDim::Year])? {
        if row.group.get("year") == Some(&y) {
            out.received = row.received;
            out.accepted = row.accepted;
            out.on_time_rate = row.on_time_rate;
            out.median_days_to_first_reply = row.median_days_to_first_reply;
            out.p90_days_to_first_reply = row.p90_days_to_first_reply;
            out.median_days_to_close = row.median_days_to_close;
            out.overdue = row.overdue;
        }
    }
    let mut cats: BTreeMap<String, CategoryRow> = BTreeMap::new();
    for row in complaints::figures(cases.clone().lazy(), &[CaseDim::Year, CaseDim::Category])? {
        let code = row.group.get("category").cloned().unwrap_or_default();
        let (zh, en) = name(&code);
        let c = cats.entry(code.clone()).or_insert_with(|| CategoryRow {
            code,
            name_zh: zh,
            name_en: en,
            ..Default::default()
        });
        if row.group.get("year") == Some(&y) {
            c.received = row.received;
            c.on_time_rate = row.on_time_rate;
            c.median_days_to_first_reply = row.median_days_to_first_reply;
            c.overdue = row.overdue;
        } else {
            c.previous_received = row.received;
        }
    }
    let mut categories: Vec<CategoryRow> = cats.into_values().collect();
    categories.sort_by(|a, b| b.received.cmp(&a.received).then(a.code.cmp(&b.code)));
    out.categories = categories;
    let year_col = cases.column("year")?.cast(&DataType::Int32)?;
    let this_year = cases.filter(&year_col.i32()?.equal(year))?;
    for cell in complaints::review(this_year.clone().lazy())? {
        out.review.push(ReviewRow {
            category_zh: name(&cell.category).0,
            outcome_zh: outcome_zh(&cell.outcome).to_owned(),
            timeliness_zh: timeliness_zh(&cell.timeliness).to_owned(),
            count: cell.count,
        });
    }
    for row in complaints::figures(
        this_year.clone().lazy(),
        &[CaseDim::Year, CaseDim::Quarter, CaseDim::Category],
    )? {
        let q = row
            .group
            .get("quarter")
            .and_then(|q| q.parse::<i32>().ok())
            .unwrap_or(0);
        let code = row.group.get("category").cloned().unwrap_or_default();
        out.per_quarter.push((q, code, row.received));
    }
    let days = this_year.column("reply_days")?.cast(&DataType::Int64)?;
    out.reply_days = days.i64()?.iter().flatten().collect();
    out.reply_days.sort_unstable();
    Ok(out)
}

struct Parts<'a> {
    year: i32,
    form: &'a str,
    by_item: &'a Analysis,
    by_quarter: &'a Analysis,
    by_office: Option<&'a Analysis>,
    answers: &'a BTreeMap<String, [u64; 5]>,
    overall: Option<String>,
    /// Every item of the form's versions: key → (zh-TW, English).
    labels: BTreeMap<String, (String, String)>,
    complaints: ComplaintSummary,
    measures: &'a [Measure],
    offices: &'a [OfficeRef],
    categories: &'a BTreeMap<String, (String, String)>,
}

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// Puts the report together from the analytics results (pure).
fn assemble(p: Parts<'_>) -> Report {
    let year = p.year;
    let this = year.to_string();
    // Items this year, with last year's rate, the change and the IPA.
    let mut items = Vec::new();
    for m in p
        .by_item
        .metrics
        .iter()
        .filter(|m| m.group.year == Some(year))
    {
        let Some(key) = m.group.item.clone() else {
            continue;
        };
        let change = p
            .by_item
            .changes
            .iter()
            .find(|c| c.period == this && c.group.item.as_deref() == Some(&key));
        let driver = p
            .by_item
            .drivers
            .iter()
            .find(|d| d.year == year && d.item == key);
        let f = &m.figures;
        items.push(ItemRow {
            label_zh: m.group.label_zh.clone().unwrap_or_else(|| key.clone()),
            label_en: m.group.label_en.clone().unwrap_or_else(|| key.clone()),
            overall: false,
            n: f.n,
            mean: f.mean,
            rate: f.rate,
            rate_low: f.rate_ci.map(|c| c.low),
            rate_high: f.rate_ci.map(|c| c.high),
            dissatisfied_rate: f.dissatisfied_rate,
            previous_rate: change.and_then(|c| c.rate_previous),
            change_points: change.and_then(|c| c.rate_diff).map(|d| d * 100.0),
            change_p: change.and_then(|c| c.rate_p_adjusted),
            change: match change {
                Some(c) if c.rate_significant => {
                    if c.rate_diff.unwrap_or(0.0) > 0.0 {
                        1
                    } else {
                        -1
                    }
                }
                _ => 0,
            },
            importance: driver.and_then(|d| d.importance),
            quadrant_zh: driver
                .and_then(|d| d.quadrant)
                .map(|q| q.label_zh().to_owned()),
            quadrant_en: driver
                .and_then(|d| d.quadrant)
                .map(|q| q.label_en().to_owned()),
            answers: p.answers.get(&key).copied().unwrap_or_default(),
            key,
        });
    }
    for i in items.iter_mut() {
        i.overall = p.overall.as_deref() == Some(i.key.as_str());
    }
    let overall = items.iter().position(|i| i.overall);
    let overall_key = p.overall.clone();

    // Five years of the overall item (by_item rows of the overall item, or
    // pooled when the form has none: the by-quarter analysis is of the same).
    let mut years = Vec::new();
    for m in &p.by_item.metrics {
        if m.group.item.is_some() && m.group.item == overall_key {
            years.push(YearRow {
                year: m.group.year.unwrap_or(0),
                n: m.figures.n,
                rate: m.figures.rate,
                rate_low: m.figures.rate_ci.map(|c| c.low),
                rate_high: m.figures.rate_ci.map(|c| c.high),
                mean: m.figures.mean,
            });
        }
    }
    years.sort_by_key(|y| y.year);
    let quarters: Vec<QuarterRow> = p
        .by_quarter
        .metrics
        .iter()
        .filter(|m| m.figures.n > 0)
        .map(|m| QuarterRow {
            year: m.group.year.unwrap_or(0),
            quarter: m.group.quarter.unwrap_or(0),
            n: m.figures.n,
            rate: m.figures.rate,
            rate_low: m.figures.rate_ci.map(|c| c.low),
            rate_high: m.figures.rate_ci.map(|c| c.high),
        })
        .collect();

    // Headline.
    let mut headline = Headline {
        responses: 0,
        ..Default::default()
    };
    if let Some(o) = overall.map(|i| &items[i]) {
        headline.n = o.n;
        headline.rate = o.rate;
        headline.rate_low = o.rate_low;
        headline.rate_high = o.rate_high;
        headline.mean = o.mean;
        headline.previous_rate = o.previous_rate;
        headline.change_points = o.change_points;
        headline.change_p = o.change_p;
        headline.change_significant = o.change != 0;
        headline.sampling_error_points = p
            .by_item
            .metrics
            .iter()
            .find(|m| m.group.year == Some(year) && m.group.item.as_deref() == Some(&o.key))
            .and_then(|m| m.figures.sampling_error_points);
    }
    headline.responses = p
        .by_quarter
        .metrics
        .iter()
        .filter(|m| m.group.year == Some(year))
        .map(|m| m.figures.n)
        .sum::<u64>()
        .max(headline.n);
    if let Some(r) = p.by_item.reliability.iter().find(|r| r.year == year) {
        headline.alpha = r.alpha;
        headline.alpha_n = r.n;
    }

    // Per office (county reports).
    let office_items: Vec<OfficeItemRow> = p
        .by_office
        .map(|a| {
            a.metrics
                .iter()
                .filter(|m| m.group.year == Some(year) && m.figures.n > 0)
                .map(|m| OfficeItemRow {
                    office: m.group.office.clone().unwrap_or_default(),
                    office_name: m.group.office_name.clone().unwrap_or_default(),
                    item: m.group.item.clone().unwrap_or_default(),
                    label_zh: m.group.label_zh.clone().unwrap_or_default(),
                    n: m.figures.n,
                    rate: m.figures.rate,
                    mean: m.figures.mean,
                })
                .collect()
        })
        .unwrap_or_default();

    let shortfalls: Vec<ShortfallRow> = p
        .by_item
        .shortfalls
        .iter()
        .filter(|s| s.year == year)
        .map(|s| ShortfallRow {
            office: s.office.clone(),
            office_name: s.office_name.clone(),
            item: s.item.clone(),
            label_zh: s.label_zh.clone(),
            label_en: s.label_en.clone(),
            n: s.n,
            rate: s.rate,
            standard: s.standard,
            gap_points: s.gap_points,
            significantly_below: s.significantly_below,
        })
        .collect();

    let drivers_this: Vec<_> = p
        .by_item
        .drivers
        .iter()
        .filter(|d| d.year == year)
        .collect();
    let terms = p
        .by_item
        .terms
        .periods
        .iter()
        .find(|t| t.year == year)
        .map(|t| {
            t.top
                .iter()
                .filter(|t| is_plain_term(&t.term))
                .map(|t| TermRow {
                    term: t.term.clone(),
                    count: t.count,
                    comments: t.comments,
                })
                .collect()
        })
        .unwrap_or_default();
    let key_terms = p
        .by_item
        .terms
        .dissatisfied
        .iter()
        .filter(|t| is_plain_term(&t.term))
        .map(|t| KeyTermRow {
            term: t.term.clone(),
            dissatisfied_count: t.dissatisfied_count,
            satisfied_count: t.satisfied_count,
            log_odds: t.log_odds_weighted,
            examples: t.examples.iter().map(|e| mask_excerpt(e)).collect(),
        })
        .collect();

    // The improvement plan: subjects and why.
    let office_name = |code: &str| {
        p.offices
            .iter()
            .find(|o| o.code == code)
            .map(|o| o.name_zh.clone())
            .unwrap_or_default()
    };
    let mut plan: BTreeMap<(SubjectKind, String), PlanEntry> = BTreeMap::new();
    let label_of = |key: &str| {
        p.labels
            .get(key)
            .cloned()
            .unwrap_or_else(|| (key.to_owned(), key.to_owned()))
    };
    let mut add =
        |kind: SubjectKind, key: &str, label: (String, String), zh: String, en: String| {
            let e = plan
                .entry((kind, key.to_owned()))
                .or_insert_with(|| PlanEntry {
                    kind,
                    key: key.to_owned(),
                    label_zh: label.0,
                    label_en: label.1,
                    reasons_zh: Vec::new(),
                    reasons_en: Vec::new(),
                    measures: Vec::new(),
                });
            e.reasons_zh.push(zh);
            e.reasons_en.push(en);
        };
    for s in &shortfalls {
        let who = if p.offices.len() > 1 {
            format!("{}：", s.office_name)
        } else {
            String::new()
        };
        add(
            SubjectKind::Item,
            &s.item,
            (s.label_zh.clone(), s.label_en.clone()),
            format!(
                "{who}滿意度 {}，低於標準 {}（差 {:.1} 個百分點{}）",
                pct(s.rate),
                pct(s.standard),
                s.gap_points,
                if s.significantly_below {
                    "，顯著"
                } else {
                    ""
                }
            ),
            format!(
                "{}{} below the standard {} by {:.1} points{}",
                if p.offices.len() > 1 {
                    format!("{}: ", s.office)
                } else {
                    String::new()
                },
                pct(s.rate),
                pct(s.standard),
                s.gap_points,
                if s.significantly_below {
                    ", significant"
                } else {
                    ""
                }
            ),
        );
    }
    for i in items.iter().filter(|i| i.change < 0) {
        add(
            SubjectKind::Item,
            &i.key,
            (i.label_zh.clone(), i.label_en.clone()),
            format!(
                "較去年顯著下降 {:.1} 個百分點（{} → {}）",
                -i.change_points.unwrap_or(0.0),
                i.previous_rate.map(pct).unwrap_or_default(),
                i.rate.map(pct).unwrap_or_default()
            ),
            format!(
                "significant decline of {:.1} points on last year",
                -i.change_points.unwrap_or(0.0)
            ),
        );
    }
    for d in drivers_this
        .iter()
        .filter(|d| d.quadrant == Some(Quadrant::ConcentrateHere))
    {
        add(
            SubjectKind::Item,
            &d.item,
            label_of(&d.item),
            format!(
                "重要度高而表現低於平均（IPA 優先改善；r = {:.2}，平均 {:.2} 分）",
                d.importance.unwrap_or(0.0),
                d.performance.unwrap_or(0.0)
            ),
            "important but below-average performance (IPA: concentrate here)".into(),
        );
    }
    let total_cases = p.complaints.received.max(1);
    for c in p
        .complaints
        .categories
        .iter()
        .filter(|c| c.received > 0)
        .take(3)
    {
        add(
            SubjectKind::Category,
            &c.code,
            (c.name_zh.clone(), c.name_en.clone()),
            format!(
                "陳情 {} 件，占 {:.0}%（去年 {} 件）",
                c.received,
                c.received as f64 * 100.0 / total_cases as f64,
                c.previous_received
            ),
            format!(
                "{} complaints, {:.0}% of all (last year {})",
                c.received,
                c.received as f64 * 100.0 / total_cases as f64,
                c.previous_received
            ),
        );
    }
    let code_of = |id: i32| p.offices.iter().find(|o| o.id == id);
    for m in p.measures.iter().filter(|m| m.year == year) {
        if let (Some(e), Some(o)) = (plan.get_mut(&(m.kind, m.key.clone())), code_of(m.office_id)) {
            e.measures.push(MeasureText {
                office: o.code.clone(),
                office_name: o.name_zh.clone(),
                measure: m.measure.clone(),
                responsible: m.responsible.clone(),
            });
        }
    }
    // Subjects with a measure but no trigger this year are still planned work.
    for m in p.measures.iter().filter(|m| m.year == year) {
        let key = (m.kind, m.key.clone());
        if plan.contains_key(&key) {
            continue;
        }
        let Some(o) = code_of(m.office_id) else {
            continue;
        };
        let label = match m.kind {
            SubjectKind::Item => label_of(&m.key),
            SubjectKind::Category => p
                .categories
                .get(&m.key)
                .cloned()
                .unwrap_or_else(|| (m.key.clone(), m.key.clone())),
        };
        plan.insert(
            key,
            PlanEntry {
                kind: m.kind,
                key: m.key.clone(),
                label_zh: label.0,
                label_en: label.1,
                reasons_zh: vec!["自訂改善項目".into()],
                reasons_en: vec!["chosen by the office".into()],
                measures: vec![MeasureText {
                    office: o.code.clone(),
                    office_name: o.name_zh.clone(),
                    measure: m.measure.clone(),
                    responsible: m.responsible.clone(),
                }],
            },
        );
    }

    // Closing the loop: last year's measures and this year's result.
    let mut follow_up = Vec::new();
    for m in p.measures.iter().filter(|m| m.year == year - 1) {
        let Some(o) = code_of(m.office_id) else {
            continue;
        };
        let (label_zh, before, after, verdict) = match m.kind {
            SubjectKind::Item => {
                // The office's own change when the report covers several.
                let change =
                    p.by_office
                        .and_then(|a| {
                            a.changes.iter().find(|c| {
                                c.period == this
                                    && c.group.item.as_deref() == Some(&m.key)
                                    && c.group.office.as_deref() == Some(&o.code)
                            })
                        })
                        .or_else(|| {
                            p.by_item.changes.iter().find(|c| {
                                c.period == this && c.group.item.as_deref() == Some(&m.key)
                            })
                        });
                let verdict = match change {
                    Some(c) if c.rate.is_none() || c.rate_previous.is_none() => "no_data",
                    Some(c) if c.rate_significant && c.rate_diff.unwrap_or(0.0) > 0.0 => "improved",
                    Some(c) if c.rate_significant => "declined",
                    Some(_) => "no_significant_change",
                    None => "no_data",
                };
                (
                    label_of(&m.key).0,
                    change.and_then(|c| c.rate_previous),
                    change.and_then(|c| c.rate),
                    verdict,
                )
            }
            SubjectKind::Category => {
                let c = p.complaints.categories.iter().find(|c| c.code == m.key);
                let (b, a) = c.map_or((0, 0), |c| (c.previous_received, c.received));
                let verdict = if a < b {
                    "improved"
                } else if a > b {
                    "declined"
                } else {
                    "no_significant_change"
                };
                (
                    p.categories
                        .get(&m.key)
                        .map_or(m.key.clone(), |n| n.0.clone()),
                    Some(b as f64),
                    Some(a as f64),
                    verdict,
                )
            }
        };
        follow_up.push(FollowUp {
            kind: m.kind,
            key: m.key.clone(),
            label_zh,
            office: o.code.clone(),
            office_name: office_name(&o.code),
            measure: m.measure.clone(),
            before,
            after,
            verdict,
            verdict_zh: match verdict {
                "improved" => "已改善",
                "declined" => "退步",
                "no_significant_change" => "無顯著變化",
                _ => "無資料",
            },
        });
    }

    let grand = drivers_this.first();
    let mut notes = p.by_item.notes.clone();
    notes.retain(|n| !n.starts_with("figures are of"));
    Report {
        year,
        gregorian: year + 1911,
        first_year: (year - 4).max(1),
        form: p.form.to_owned(),
        scope: String::new(),
        scope_zh: String::new(),
        scope_en: String::new(),
        county_report: false,
        offices: p.offices.to_vec(),
        generated_at: String::new(),
        headline,
        years,
        quarters,
        items,
        office_items,
        ipa_grand_performance: grand.and_then(|d| d.grand_performance),
        ipa_grand_importance: grand.and_then(|d| d.grand_importance),
        shortfalls,
        complaints: p.complaints,
        terms,
        key_terms,
        plan: plan.into_values().collect(),
        follow_up,
        notes,
    }
}

/// A comment term fit to print: one the excerpt mask leaves alone (an ID
/// number or an e-mail address cut out of a comment is no term to count).
fn is_plain_term(term: &str) -> bool {
    mask_excerpt(term) == term
}

#[cfg(test)]
mod tests {
    use super::is_plain_term;

    #[test]
    fn terms_that_are_numbers_or_addresses_are_left_out() {
        assert!(is_plain_term("櫃檯") && is_plain_term("15分鐘") && is_plain_term("QR code"));
        assert!(!is_plain_term("A123456789"));
        assert!(!is_plain_term("wang@example.com"));
    }
}
