//! Gathering a report: the I/O (warehouse, analytics runs, the register, the
//! measures), then [`super::assemble`] puts it together.

use std::collections::BTreeMap;

use super::ReportError;
use super::assemble::{Parts, assemble};
use super::data::*;
use crate::analytics::complaints;
use crate::analytics::{self, Dim, Filter, Options, RocYear};
use crate::db::DbConnection;
use crate::offices::Office;
use crate::plans::measures;
use crate::warehouse::Source;

/// The steps of gathering, for progress.
pub const GATHER_STEPS: [&str; 5] = [
    "快照與資料 snapshot and data",
    "題項、季別與各所 items, quarters and offices",
    "答題分布 answer distributions",
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
    // One pass for every grouping the report shows: items, quarters and, in a
    // county report, offices × items.
    let county_report = offices.len() > 1;
    let mut groupings: Vec<&[Dim]> = vec![&[Dim::Year, Dim::Item], &[Dim::Year, Dim::Quarter]];
    if county_report {
        groupings.push(&[Dim::Year, Dim::Office, Dim::Item]);
    }
    let analyses = analytics::analyze_groupings(input, &groupings, &prepared.standards, options)?;
    step(2);
    let answers = analytics::answers_in_year(input, request.year)?;
    let mut profile = analytics::profile::profile(input, request.year)?;
    if county_report {
        // Counter names repeat from office to office ("1 號櫃檯"): the
        // county's profile stops at channels and services.
        profile.counters.clear();
    }

    step(3);
    let previous = RocYear::new((year - 1).max(1))?;
    let cases =
        crate::warehouse::load_complaints(conn, &office_ids, Some(previous), Some(request.year))?;
    let categories = category_names(conn)?;
    let complaints = complaints::year_summary(&cases, year)?;

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
            code: o.code.to_string(),
            name_zh: o.name_zh.clone(),
            name_en: o.name_en.clone(),
        })
        .collect();
    let mut report = assemble(Parts {
        year,
        form: &request.form,
        analyses: &analyses,
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
    report.profile = profile;
    // The newest version's title: what the office calls the questionnaire now.
    if let Some((_, form)) = input
        .reference
        .form_versions
        .iter()
        .rev()
        .find(|(_, (key, _))| *key == request.form)
        .map(|(_, v)| v)
    {
        report.form_title_zh = form.title.zh_tw.clone();
        report.form_title_en = form.title.en.clone();
    } else {
        report.form_title_zh = request.form.clone();
        report.form_title_en = request.form.clone();
    }
    report.standards_set = offices.iter().any(|o| {
        crate::analytics::standards::applicable(&prepared.standards, year, o.id, &o.county_zh)
            .is_some()
    });
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
