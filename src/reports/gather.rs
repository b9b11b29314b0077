//! Gathering a report: the I/O (warehouse, analytics runs, the register, the
//! measures), then [`super::assemble`] puts it together.

use std::collections::BTreeMap;

use polars::prelude::*;

use super::ReportError;
use super::assemble::{Parts, assemble};
use super::data::*;
use crate::analytics::complaints::{self, CaseDim};
use crate::analytics::{self, Dim, Filter, Options, RocYear};
use crate::db::DbConnection;
use crate::offices::Office;
use crate::plans::measures;
use crate::warehouse::Source;

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

pub(super) fn category_names(
    conn: &mut DbConnection,
) -> Result<BTreeMap<String, (String, String)>, ReportError> {
    Ok(crate::cases::categories(conn, false)?
        .into_iter()
        .map(|c| (c.code, (c.name_zh, c.name_en)))
        .collect())
}

pub(super) fn outcome_zh(s: &str) -> &'static str {
    match s {
        "answered" => "已回復",
        "not_accepted" => "不受理",
        "transferred" => "移送他機關",
        "open" => "處理中",
        _ => "其他",
    }
}

pub(super) fn timeliness_zh(s: &str) -> &'static str {
    match s {
        "on_time" => "如期",
        "late" => "逾期",
        "pending" => "未到期",
        "not_applicable" => "不適用",
        _ => "其他",
    }
}

/// The complaint figures of the year (and the previous year's counts).
pub(super) fn complaint_summary(
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
