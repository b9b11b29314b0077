//! Improvement measures of an office and year, for the yearly report.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::reports::last_year;
use super::reports::may_report;
use super::reports::visible;
use super::{Chrome, db, render};
use crate::analytics::RocYear;
use crate::plans::measures::{self, SubjectKind};
use crate::reports::{self, ReportError, Scope};
use crate::web::IntoPage;
use crate::web::session::{PageError, Staff, StaffForm};
use crate::web::state::AppState;

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
        let report = reports::gather::gather(
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
                .map(|i| (i.key.to_string(), i.text.zh_tw.clone(), i.text.en.clone()))
                .collect()
        })
        .unwrap_or_default();
    let report_items = report
        .items
        .iter()
        .map(|i| (i.key.to_string(), i.label_zh.clone(), i.label_en.clone()));
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
        office_code: office.code.to_string(),
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
    let addr = crate::web::session::client_addr(&req);
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
            .map_err(|e| e.page(lang))?;
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
