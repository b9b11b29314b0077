//! One office (its counters and staff members) and the survey forms.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde_json::json;

use super::{Chrome, PageResult, db, render};
use crate::auth::{AuthError, Scope};
use crate::offices::{self, Office};
use crate::web::ApiError;
use crate::web::session::{PageError, Staff};
use crate::web::state::AppState;

#[derive(Template)]
#[template(path = "office.html")]
struct OfficePage {
    chrome: Chrome,
    office: Office,
    counters: Vec<offices::Counter>,
    staff_list: Vec<offices::Staff>,
    /// Administrators: the details form and the open/close button.
    may_edit: bool,
    /// Directors and administrators: counters and staff members.
    may_keep: bool,
    message: Option<String>,
}

type OfficeDetail = (Office, Vec<offices::Counter>, Vec<offices::Staff>);

fn office_detail(
    conn: &mut crate::db::DbConnection,
    scope: &Scope,
    code: &str,
) -> Result<OfficeDetail, AuthError> {
    let office = scope.office_by_code(conn, code)?;
    let counters = offices::counters_of(conn, office.id)?;
    let staff = offices::staff_of(conn, office.id)?;
    Ok((office, counters, staff))
}

pub async fn office_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    code: web::Path<String>,
    q: web::Query<super::MessageQuery>,
) -> PageResult {
    let (lang, scope) = (staff.tr.lang, staff.scope.clone());
    let code = code.into_inner();
    let (office, counters, staff_list) = db(&state, move |conn| {
        office_detail(conn, &scope, &code).map_err(|e| PageError::from_auth(e, lang))
    })
    .await?;
    let role = staff.user.role();
    let t = staff.tr;
    render(&OfficePage {
        chrome: Chrome::new(&staff, "offices", &req),
        office,
        counters,
        staff_list,
        may_edit: crate::admin::may_manage_offices(role),
        may_keep: crate::admin::may_manage_counters(role),
        message: match q.done.as_deref() {
            Some("created") => Some(t.s("setup-office-created")),
            Some(_) => Some(t.s("setup-saved")),
            None => None,
        },
    })
}

/// One office in scope with its counters and staff members.
#[utoipa::path(get, path = "/api/v1/console/offices/{code}", tag = "console", security(("session" = [])), params(("code" = String, Path, description = "Office code")), responses((status = 200, description = "The office"), (status = 404, description = "Not in scope", body = crate::web::api::responses::ErrorBody), (status = 401, description = "Not logged in", body = crate::web::api::responses::ErrorBody), (status = 403, description = "The role may not see this", body = crate::web::api::responses::ErrorBody)))]
pub async fn office_api(
    state: web::Data<AppState>,
    staff: Staff,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let scope = staff.scope.clone();
    let code = code.into_inner();
    let (office, counters, staff_list) = crate::web::with_conn(&state.pool, move |conn| {
        office_detail(conn, &scope, &code).map_err(ApiError::from)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .json(json!({ "office": office, "counters": counters, "staff": staff_list })))
}

struct FormLine {
    key: String,
    title: String,
    version: String,
    items: usize,
    channels: String,
}

#[derive(Template)]
#[template(path = "console_forms.html")]
struct FormsPage {
    chrome: Chrome,
    forms: Vec<FormLine>,
}

pub async fn forms_page(req: HttpRequest, state: web::Data<AppState>, staff: Staff) -> PageResult {
    let t = staff.tr;
    let forms = state
        .catalog
        .iter()
        .map(|f| FormLine {
            key: f.form.key.clone(),
            title: f.form.title.get(t.lang).to_owned(),
            version: f.version_hash[..12].to_owned(),
            items: f.form.items.len(),
            channels: f
                .form
                .channels
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    render(&FormsPage {
        chrome: Chrome::new(&staff, "forms", &req),
        forms,
    })
}
