//! Improvement measures of an office and year, for the yearly report.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use std::collections::BTreeMap;

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

/// One subject's fields of the measures form: `kind`, `key`, `measure`,
/// `responsible`, each suffixed `.N` when the page sends every subject at
/// once (unsuffixed for a single subject).
struct Entry {
    kind: SubjectKind,
    key: String,
    measure: String,
    responsible: String,
}

/// The entries of a posted measures form, in the page's order; a field that
/// does not parse is named in the error.
fn entries(
    form: &BTreeMap<String, String>,
    lang: crate::forms::Lang,
) -> Result<Vec<Entry>, PageError> {
    let mut suffixes: Vec<(usize, String)> = form
        .keys()
        .filter_map(|k| {
            let rest = k.strip_prefix("key")?;
            if rest.is_empty() {
                Some((0, String::new()))
            } else {
                let n: usize = rest.strip_prefix('.')?.parse().ok()?;
                Some((n, rest.to_owned()))
            }
        })
        .collect();
    suffixes.sort();
    if suffixes.is_empty() {
        return Err(PageError::bad_request(lang, "key", "missing"));
    }
    suffixes
        .into_iter()
        .map(|(_, sfx)| {
            let get = |name: &str| {
                form.get(&format!("{name}{sfx}"))
                    .cloned()
                    .unwrap_or_default()
            };
            let kind = SubjectKind::parse(&get("kind"))
                .map_err(|e| PageError::bad_request(lang, &format!("kind{sfx}"), &e.to_string()))?;
            Ok(Entry {
                kind,
                key: get("key"),
                measure: get("measure"),
                responsible: get("responsible"),
            })
        })
        .collect()
}

/// Saves every subject of the page in one transaction: all are stored, or
/// (one refused) none; each changed measure is audited.
pub async fn save_measure(
    req: HttpRequest,
    state: web::Data<AppState>,
    post: StaffForm<BTreeMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    let StaffForm { staff, form } = post;
    may_report(&staff)?;
    let lang = staff.tr.lang;
    let year = RocYear::parse(form.get("year").map_or("", String::as_str))
        .map_err(|e| PageError::bad_request(lang, "year", &e.to_string()))?;
    let list = entries(&form, lang)?;
    let scope = staff.scope.clone();
    let actor = staff.user.clone();
    let addr = crate::web::session::client_addr(&req);
    let code = form
        .get("office")
        .map_or("", String::as_str)
        .trim()
        .to_owned();
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
        let before: BTreeMap<(String, String), (String, String)> =
            measures::list(conn, &[office.id], &[year.get()])
                .map_err(|e| e.page(lang))?
                .into_iter()
                .map(|m| {
                    (
                        (m.kind.as_str().to_owned(), m.key.clone()),
                        (m.measure.clone(), m.responsible.clone()),
                    )
                })
                .collect();
        crate::db::write_transaction(conn, |conn| {
            for e in &list {
                let was = before.get(&(e.kind.as_str().to_owned(), e.key.trim().to_owned()));
                let now = (e.measure.trim().to_owned(), e.responsible.trim().to_owned());
                if was.map_or(now.0.is_empty(), |w| *w == now) {
                    continue;
                }
                measures::set_in(
                    conn,
                    office.id,
                    year.get(),
                    e.kind,
                    &e.key,
                    &e.measure,
                    &e.responsible,
                    &actor.username,
                )
                .map_err(|err| err.page(lang))?;
                let target = format!("{}:{}:{}", year.get(), e.kind.as_str(), e.key.trim());
                crate::auth::record_audit(
                    conn,
                    &crate::auth::AuditEntry {
                        actor: Some(&actor),
                        action: "measure.set",
                        office_id: Some(office.id),
                        target: &target,
                        detail: e.measure.trim(),
                        client_addr: Some(&addr),
                    },
                )
                .map_err(PageError::internal)?;
            }
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, back))
        .finish())
}
