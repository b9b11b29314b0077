//! `/console/reports`: yearly reports generated in the background (progress
//! shown, files downloadable), and the improvement measures of each office
//! and year that the reports' improvement plans carry.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use serde_json::json;

use super::ApiError;
use super::console::{Chrome, db, render, require};
use super::session::{PageError, Staff, StaffForm};
use super::state::AppState;
use crate::analytics::RocYear;
use crate::auth::Role;
use crate::offices::{self, Office};
use crate::plans::measures::{self, SubjectKind};
use crate::reports::jobs::{self, Run};
use crate::reports::{self, Format, ReportError, Scope};

fn may_report(staff: &Staff) -> Result<(), PageError> {
    require(staff, staff.user.role() != Role::CounterStaff)
}

/// The offices the caller sees.
fn visible(
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
fn last_year() -> i32 {
    use chrono::Datelike;
    (chrono::Utc::now() + chrono::Duration::hours(8)).year() - 1911 - 1
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
    formats: Vec<&'static str>,
    runs: Vec<RunLine>,
    running: bool,
    offices: Vec<(String, String)>,
}

fn scope_options(visible: &[Office], t: crate::web::i18n::Tr) -> Vec<ScopeOption> {
    let mut out: Vec<ScopeOption> = visible
        .iter()
        .map(|o| ScopeOption {
            key: Scope::Office(o.code.clone()).key(),
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

pub async fn reports_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, PageError> {
    may_report(&staff)?;
    let scope = staff.scope.clone();
    let user_id = staff.user.id;
    let (visible, runs) = db(&state, move |conn| {
        let v = visible(conn, &scope)?;
        let runs = jobs::list_for(conn, user_id, 20).map_err(PageError::internal)?;
        Ok((v, runs))
    })
    .await?;
    let t = staff.tr;
    let dir = state.reports.reports_dir.clone();
    let year = last_year();
    render(&ReportsPage {
        chrome: Chrome::new(&staff, "reports", &req),
        years: (year - 9..=year + 1).rev().collect(),
        year,
        scopes: scope_options(&visible, t),
        formats: Format::ALL.iter().map(|f| f.as_str()).collect(),
        running: runs
            .iter()
            .any(|r| r.status == "queued" || r.status == "running"),
        runs: runs
            .into_iter()
            .map(|run| RunLine {
                scope_label: scope_label(&run.scope, &visible, t),
                requested: (run.requested_at + chrono::Duration::hours(8))
                    .format("%Y-%m-%d %H:%M")
                    .to_string(),
                files: jobs::files(&dir, &run)
                    .into_iter()
                    .filter(|f| !f.contains('/'))
                    .collect(),
                run,
            })
            .collect(),
        offices: visible
            .iter()
            .map(|o| (o.code.clone(), t.pick(&o.name_zh, &o.name_en).to_owned()))
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
    let (id, visible) = db(&state, move |conn| {
        let visible = visible(conn, &scope)?;
        scope_key
            .offices(&visible)
            .map_err(|_| PageError::not_found(lang))?;
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
        .insert_header((header::LOCATION, format!("/console/reports#run-{id}")))
        .finish())
}

/// The run, if the caller may see it: their own, within their offices.
async fn visible_run(state: &web::Data<AppState>, staff: &Staff, id: i32) -> Result<Run, ApiError> {
    let scope = staff.scope.clone();
    let user_id = staff.user.id;
    super::with_conn(&state.pool, move |conn| {
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

pub async fn run_file(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(i32, String)>,
) -> Result<HttpResponse, ApiError> {
    if staff.user.role() == Role::CounterStaff {
        return Err(ApiError::Forbidden(
            "counter staff may not run reports".into(),
        ));
    }
    let (id, name) = path.into_inner();
    let run = visible_run(&state, &staff, id).await?;
    let dir = state.reports.reports_dir.clone();
    let file = jobs::file_path(&dir, &run, &name)
        .ok_or_else(|| ApiError::NotFound(format!("no file `{name}` in report run {id}")))?;
    let bytes = web::block(move || std::fs::read(file))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
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

// ---------------------------------------------------------------- measures

struct Subject {
    kind: &'static str,
    key: String,
    label: String,
    reasons: Vec<String>,
    measure: String,
    responsible: String,
    in_plan: bool,
}

#[derive(Template)]
#[template(path = "measures.html")]
struct MeasuresPage {
    chrome: Chrome,
    office_code: String,
    office_name: String,
    year: i32,
    subjects: Vec<Subject>,
    saved: bool,
}

#[derive(Deserialize)]
pub struct MeasuresQuery {
    office: String,
    year: Option<String>,
    saved: Option<String>,
}

pub async fn measures_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    q: web::Query<MeasuresQuery>,
) -> Result<HttpResponse, PageError> {
    may_report(&staff)?;
    let lang = staff.tr.lang;
    let t = staff.tr;
    let year = match &q.year {
        Some(y) => {
            RocYear::parse(y).map_err(|e| PageError::bad_request(lang, "year", &e.to_string()))?
        }
        None => RocYear::new(last_year()).map_err(PageError::internal)?,
    };
    let code = q.office.trim().to_owned();
    let scope = staff.scope.clone();
    let env = state.reports.clone();
    let (office, report, stored, categories) = db(&state, move |conn| {
        let visible = visible(conn, &scope)?;
        let office = visible
            .iter()
            .find(|o| o.code == code)
            .cloned()
            .ok_or_else(|| PageError::not_found(lang))?;
        let request = reports::Request {
            year,
            scope: Scope::Office(code.clone()),
            form: env.form.clone(),
        };
        let report = reports::data::gather(
            conn,
            &env.source,
            &request,
            &visible,
            &env.options,
            &mut |_| {},
        )
        .map_err(|e| match e {
            ReportError::Invalid(m) => PageError::bad_request(lang, "year", &m),
            other => PageError::internal(other),
        })?;
        let stored =
            measures::list(conn, &[office.id], &[year.get()]).map_err(PageError::internal)?;
        let categories = category_list(conn).map_err(PageError::internal)?;
        Ok((office, report, stored, categories))
    })
    .await?;
    let find = |kind: SubjectKind, key: &str| {
        stored
            .iter()
            .find(|m| m.kind == kind && m.key == key)
            .map(|m| (m.measure.clone(), m.responsible.clone()))
            .unwrap_or_default()
    };
    let mut subjects = Vec::new();
    for e in &report.plan {
        let (measure, responsible) = find(e.kind, &e.key);
        subjects.push(Subject {
            kind: e.kind.as_str(),
            key: e.key.clone(),
            label: t.pick(&e.label_zh, &e.label_en).to_owned(),
            reasons: if t.lang == crate::forms::Lang::En {
                e.reasons_en.clone()
            } else {
                e.reasons_zh.clone()
            },
            measure,
            responsible,
            in_plan: true,
        });
    }
    // Every 5-point item of the form, asked or not this year.
    let form_items: Vec<(String, String, String)> = state
        .catalog
        .get(&state.reports.form)
        .map(|f| {
            f.form
                .items
                .iter()
                .filter(|i| matches!(i.kind, crate::forms::ItemKind::Likert5 { .. }))
                .map(|i| (i.key.clone(), i.text.zh_tw.clone(), i.text.en.clone()))
                .collect()
        })
        .unwrap_or_default();
    let report_items = report
        .items
        .iter()
        .map(|i| (i.key.clone(), i.label_zh.clone(), i.label_en.clone()));
    for (key, zh, en) in report_items.chain(form_items) {
        if subjects.iter().any(|s| s.kind == "item" && s.key == key) {
            continue;
        }
        let (measure, responsible) = find(SubjectKind::Item, &key);
        subjects.push(Subject {
            kind: "item",
            label: t.pick(&zh, &en).to_owned(),
            key,
            reasons: Vec::new(),
            measure,
            responsible,
            in_plan: false,
        });
    }
    for (code, zh, en) in &categories {
        if subjects
            .iter()
            .any(|s| s.kind == "category" && s.key == *code)
        {
            continue;
        }
        let (measure, responsible) = find(SubjectKind::Category, code);
        subjects.push(Subject {
            kind: "category",
            key: code.clone(),
            label: t.pick(zh, en).to_owned(),
            reasons: Vec::new(),
            measure,
            responsible,
            in_plan: false,
        });
    }
    render(&MeasuresPage {
        chrome: Chrome::new(&staff, "reports", &req),
        office_code: office.code.clone(),
        office_name: t.pick(&office.name_zh, &office.name_en).to_owned(),
        year: year.get(),
        subjects,
        saved: q.saved.is_some(),
    })
}

fn category_list(
    conn: &mut crate::db::DbConnection,
) -> diesel::QueryResult<Vec<(String, String, String)>> {
    Ok(crate::cases::categories(conn, true)?
        .into_iter()
        .map(|c| (c.code, c.name_zh, c.name_en))
        .collect())
}

#[derive(Deserialize)]
pub struct MeasureForm {
    office: String,
    year: String,
    kind: String,
    key: String,
    #[serde(default)]
    measure: String,
    #[serde(default)]
    responsible: String,
}

pub async fn save_measure(
    req: HttpRequest,
    state: web::Data<AppState>,
    post: StaffForm<MeasureForm>,
) -> Result<HttpResponse, PageError> {
    let StaffForm { staff, form } = post;
    may_report(&staff)?;
    let lang = staff.tr.lang;
    let year = RocYear::parse(&form.year)
        .map_err(|e| PageError::bad_request(lang, "year", &e.to_string()))?;
    let kind = SubjectKind::parse(&form.kind)
        .map_err(|e| PageError::bad_request(lang, "kind", &e.to_string()))?;
    let scope = staff.scope.clone();
    let actor = staff.user.clone();
    let addr = super::session::client_addr(&req);
    let code = form.office.trim().to_owned();
    let back = format!(
        "/console/reports/measures?office={}&year={}&saved=1",
        code,
        year.get()
    );
    db(&state, move |conn| {
        let visible = visible(conn, &scope)?;
        let office = visible
            .iter()
            .find(|o| o.code == code)
            .ok_or_else(|| PageError::not_found(lang))?;
        crate::db::write_transaction(conn, |conn| {
            measures::set_in(
                conn,
                office.id,
                year.get(),
                kind,
                &form.key,
                &form.measure,
                &form.responsible,
                &actor.username,
            )
            .map_err(|e| match e {
                crate::plans::PlanError::Invalid { field, message } => {
                    PageError::bad_request(lang, field, &message)
                }
                other => PageError::internal(other),
            })?;
            let target = format!("{}:{}:{}", year.get(), kind.as_str(), form.key.trim());
            crate::auth::record_audit(
                conn,
                &crate::auth::AuditEntry {
                    actor: Some(&actor),
                    action: "measure.set",
                    office_id: Some(office.id),
                    target: &target,
                    detail: form.measure.trim(),
                    client_addr: Some(&addr),
                },
            )
            .map_err(PageError::internal)?;
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, back))
        .finish())
}
