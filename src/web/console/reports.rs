//! `/console/reports`: yearly reports generated in the background (progress
//! shown, files downloadable), and the improvement measures of each office
//! and year that the reports' improvement plans carry.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use serde_json::json;

use super::{Chrome, db, render, require};
use crate::analytics::RocYear;
use crate::auth::Role;
use crate::offices::{self, Office};
use crate::reports::jobs::{self, Run};
use crate::reports::{Format, Scope};
use crate::web::ApiError;
use crate::web::session::{PageError, Staff, StaffForm};
use crate::web::state::AppState;

pub(super) fn may_report(staff: &Staff) -> Result<(), PageError> {
    require(staff, staff.user.role() != Role::CounterStaff)
}

/// The offices the caller sees.
pub(super) fn visible(
    conn: &mut crate::db::DbConnection,
    scope: &crate::auth::Scope,
) -> Result<Vec<Office>, PageError> {
    let ids = scope.office_ids(conn).map_err(PageError::internal)?;
    Ok(offices::list_offices(conn)
        .map_err(PageError::internal)?
        .into_iter()
        .filter(|o| ids.contains(&o.id))
        .collect())
}

/// The ROC year most reports are about: the last complete one.
pub(super) fn last_year() -> i32 {
    use chrono::Datelike;
    crate::calendar::taipei::today().year() - 1911 - 1
}

struct ScopeOption {
    key: String,
    label: String,
}

struct RunLine {
    run: Run,
    scope_label: String,
    requested: String,
    files: Vec<String>,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    chrome: Chrome,
    years: Vec<i32>,
    year: i32,
    scopes: Vec<ScopeOption>,
    /// No year has any data yet: the form is not offered.
    no_data: bool,
    formats: Vec<&'static str>,
    runs: Vec<RunLine>,
    running: bool,
    offices: Vec<(String, String)>,
}

fn scope_options(visible: &[Office], t: crate::web::i18n::Tr) -> Vec<ScopeOption> {
    let mut out: Vec<ScopeOption> = visible
        .iter()
        .map(|o| ScopeOption {
            key: Scope::Office(o.code.to_string()).key(),
            label: t.pick(&o.name_zh, &o.name_en).to_owned(),
        })
        .collect();
    let mut counties: Vec<(&str, &str)> = visible
        .iter()
        .map(|o| (o.county_zh.as_str(), o.county_en.as_str()))
        .collect();
    counties.sort();
    counties.dedup();
    for (zh, en) in counties {
        if visible.iter().filter(|o| o.county_zh == zh).count() > 1 {
            out.push(ScopeOption {
                key: Scope::County(zh.to_owned()).key(),
                label: format!("{}（{}）", t.pick(zh, en), t.pick("全縣市", "county")),
            });
        }
    }
    out
}

fn scope_label(key: &str, visible: &[Office], t: crate::web::i18n::Tr) -> String {
    match Scope::parse_key(key) {
        Ok(Scope::Office(c)) => visible
            .iter()
            .find(|o| o.code == c)
            .map(|o| t.pick(&o.name_zh, &o.name_en).to_owned())
            .unwrap_or(c),
        Ok(Scope::County(c)) => c,
        _ => t.pick("全部", "All").to_owned(),
    }
}

/// The year the page starts on, kept after a run.
#[derive(Deserialize)]
pub struct ReportsQuery {
    #[serde(default)]
    year: Option<String>,
}

pub async fn reports_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    q: web::Query<ReportsQuery>,
) -> Result<HttpResponse, PageError> {
    may_report(&staff)?;
    let scope = staff.scope.clone();
    let user_id = staff.user.id;
    let (visible, runs, years) = db(&state, move |conn| {
        let v = visible(conn, &scope)?;
        let runs = jobs::list_for(conn, user_id, 20).map_err(PageError::internal)?;
        let ids: Vec<i32> = v.iter().map(|o| o.id).collect();
        let years: Vec<i32> = jobs::years_with_data(conn, &ids)?
            .into_iter()
            .map(|y| y.get())
            .collect();
        Ok((v, runs, years))
    })
    .await?;
    let t = staff.tr;
    let dir = state.reports.reports_dir.clone();
    // The year asked for, else the last complete one, else the newest with data.
    let asked = q.year.as_deref().and_then(|y| y.trim().parse::<i32>().ok());
    let year = [asked, Some(last_year())]
        .into_iter()
        .flatten()
        .find(|y| years.contains(y))
        .or_else(|| years.first().copied())
        .unwrap_or_else(last_year);
    render(&ReportsPage {
        chrome: Chrome::new(&staff, "reports", &req),
        no_data: years.is_empty(),
        years,
        year,
        scopes: scope_options(&visible, t),
        formats: Format::ALL.iter().map(|f| f.as_str()).collect(),
        running: runs.iter().any(|r| r.status.is_pending()),
        runs: runs
            .into_iter()
            .map(|run| RunLine {
                scope_label: scope_label(&run.scope, &visible, t),
                requested: crate::calendar::taipei::minutes(run.requested_at),
                files: jobs::files(&dir, &run)
                    .into_iter()
                    .filter(|f| !f.contains('/'))
                    .collect(),
                run,
            })
            .collect(),
        offices: visible
            .iter()
            .map(|o| {
                (
                    o.code.to_string(),
                    t.pick(&o.name_zh, &o.name_en).to_owned(),
                )
            })
            .collect(),
    })
}

#[derive(Deserialize)]
pub struct RunForm {
    year: String,
    scope: String,
    html: Option<String>,
    pdf: Option<String>,
    odt: Option<String>,
    xlsx: Option<String>,
    ods: Option<String>,
    csv: Option<String>,
}

pub async fn start_report(
    state: web::Data<AppState>,
    post: StaffForm<RunForm>,
) -> Result<HttpResponse, PageError> {
    let StaffForm { staff, form } = post;
    may_report(&staff)?;
    let lang = staff.tr.lang;
    let year = RocYear::parse(&form.year)
        .map_err(|e| PageError::bad_request(lang, "year", &e.to_string()))?;
    let scope_key = Scope::parse_key(&form.scope)
        .map_err(|e| PageError::bad_request(lang, "scope", &e.to_string()))?;
    let chosen: Vec<&str> = [
        ("html", &form.html),
        ("pdf", &form.pdf),
        ("odt", &form.odt),
        ("xlsx", &form.xlsx),
        ("ods", &form.ods),
        ("csv", &form.csv),
    ]
    .into_iter()
    .filter(|(_, v)| v.is_some())
    .map(|(k, _)| k)
    .collect();
    if chosen.is_empty() {
        return Err(PageError::bad_request(
            lang,
            "formats",
            "choose at least one format",
        ));
    }
    let formats = Format::parse_list(&chosen.join(","))
        .map_err(|e| PageError::bad_request(lang, "formats", &e.to_string()))?;
    let scope = staff.scope.clone();
    let user_id = staff.user.id;
    let t = staff.tr;
    let (id, visible) = db(&state, move |conn| {
        let visible = visible(conn, &scope)?;
        let offices = scope_key
            .offices(&visible)
            .map_err(|_| PageError::not_found(lang))?;
        let ids: Vec<i32> = offices.iter().map(|o| o.id).collect();
        if !jobs::years_with_data(conn, &ids)?.contains(&year) {
            return Err(PageError::refused(
                lang,
                t.pick(
                    &format!("民國 {year} 年沒有任何問卷回覆、彙總計數或陳情案件，無法產製報告。請選擇有資料的年度。"),
                    &format!("There are no responses, tallies or cases in ROC year {year}: there is nothing to report. Choose a year with data."),
                )
                .to_owned(),
            ));
        }
        let id =
            jobs::create(conn, year, &scope_key, &formats, user_id).map_err(PageError::internal)?;
        Ok((id, visible))
    })
    .await?;
    let pool = state.pool.clone();
    let env = state.reports.clone();
    std::thread::Builder::new()
        .name(format!("report-{id}"))
        .spawn(move || jobs::execute(&pool, &env, id, &visible))
        .map_err(PageError::internal)?;
    Ok(HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("/console/reports?year={year}#run-{id}"),
        ))
        .finish())
}

/// The run, if the caller may see it: their own, within their offices.
/// A refusal of a run's files as a page (they are links people follow).
fn as_page(e: ApiError, lang: crate::forms::Lang) -> PageError {
    match e {
        ApiError::NotFound(_) => PageError::not_found(lang),
        ApiError::Forbidden(_) | ApiError::NotAllowed { .. } => PageError::forbidden(lang),
        other => PageError::internal(other),
    }
}

async fn visible_run(state: &web::Data<AppState>, staff: &Staff, id: i32) -> Result<Run, ApiError> {
    let scope = staff.scope.clone();
    let user_id = staff.user.id;
    crate::web::with_conn(&state.pool, move |conn| {
        let run = jobs::get(conn, id)
            .map_err(|e| ApiError::Internal(e.to_string()))?
            .ok_or_else(|| ApiError::NotFound(format!("no report run {id}")))?;
        let ids = scope.office_ids(conn)?;
        let visible: Vec<Office> = offices::list_offices(conn)?
            .into_iter()
            .filter(|o| ids.contains(&o.id))
            .collect();
        let in_scope = Scope::parse_key(&run.scope)
            .ok()
            .is_some_and(|s| s.offices(&visible).is_ok());
        if run.requested_by != user_id || !in_scope {
            return Err(ApiError::NotFound(format!("no report run {id}")));
        }
        Ok(run)
    })
    .await
}

pub async fn run_status(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    if staff.user.role() == Role::CounterStaff {
        return Err(ApiError::Forbidden(
            "counter staff may not run reports".into(),
        ));
    }
    let run = visible_run(&state, &staff, id.into_inner()).await?;
    let files = jobs::files(&state.reports.reports_dir, &run);
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({
            "id": run.id,
            "status": run.status,
            "progress": run.progress,
            "step": run.step,
            "error": run.error,
            "files": files,
        })))
}

/// Every file of a run as one ZIP.
pub async fn run_zip(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i32>,
) -> Result<HttpResponse, PageError> {
    // A link a person follows: refusals are pages in words, not JSON.
    may_report(&staff)?;
    let lang = staff.tr.lang;
    let page = |e: ApiError| as_page(e, lang);
    let run = visible_run(&state, &staff, id.into_inner())
        .await
        .map_err(page)?;
    if jobs::files(&state.reports.reports_dir, &run).is_empty() {
        return Err(PageError::not_found(lang));
    }
    let dir = state.reports.reports_dir.clone();
    let name = format!("manyi-report-{}-{}.zip", run.year, run.id);
    let bytes = web::block(move || jobs::zip_all(&dir, &run))
        .await
        .map_err(PageError::internal)?
        .map_err(PageError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(bytes))
}

pub async fn run_file(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(i32, String)>,
) -> Result<HttpResponse, PageError> {
    // A link a person follows: refusals are pages in words, not JSON.
    may_report(&staff)?;
    let lang = staff.tr.lang;
    let page = |e: ApiError| as_page(e, lang);
    let (id, name) = path.into_inner();
    let run = visible_run(&state, &staff, id).await.map_err(page)?;
    let dir = state.reports.reports_dir.clone();
    let file = jobs::file_path(&dir, &run, &name).ok_or_else(|| PageError::not_found(lang))?;
    let bytes = web::block(move || std::fs::read(file))
        .await
        .map_err(PageError::internal)?
        .map_err(PageError::internal)?;
    let ext = name.rsplit('.').next().unwrap_or("");
    let content_type = match ext {
        "html" => "text/html; charset=utf-8",
        "pdf" => "application/pdf",
        "odt" => "application/vnd.oasis.opendocument.text",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "csv" => "text/csv; charset=utf-8",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        _ => "application/octet-stream",
    };
    let base = name.rsplit('/').next().unwrap_or(&name).to_owned();
    let disposition = if ext == "html" || ext == "png" || ext == "svg" || ext == "pdf" {
        "inline"
    } else {
        "attachment"
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("{disposition}; filename=\"{base}\""),
        ))
        .body(bytes))
}
