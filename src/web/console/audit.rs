//! The audit log of the scope.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde_json::json;

use super::{Chrome, OfficeQuery, PageResult, db, render, require};
use crate::auth::{self, AuthError, Scope};
use crate::web::ApiError;
use crate::web::session::{PageError, Staff};
use crate::web::state::AppState;

struct AuditLine {
    at: String,
    actor: String,
    action: String,
    target: String,
    detail: String,
    addr: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    entries: Vec<AuditLine>,
}

fn scoped_audit(
    conn: &mut crate::db::DbConnection,
    scope: &Scope,
    office: Option<&str>,
) -> Result<Vec<auth::AuditRecord>, AuthError> {
    let office_id = match office {
        Some(code) => Some(scope.office_by_code(conn, code)?.id),
        None => None,
    };
    Ok(auth::list_audit(conn, scope, office_id, 500)?)
}

pub async fn audit_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    q: web::Query<OfficeQuery>,
) -> PageResult {
    require(&staff, staff.user.role().can_view_audit())?;
    let (lang, scope, office) = (staff.tr.lang, staff.scope.clone(), q.office.clone());
    let records = db(&state, move |conn| {
        scoped_audit(conn, &scope, office.as_deref()).map_err(|e| PageError::from_auth(e, lang))
    })
    .await?;
    let entries = records
        .into_iter()
        .map(|r| AuditLine {
            at: crate::calendar::taipei::local(r.at)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
            actor: r.actor,
            action: {
                let (zh, en) = crate::auth::audit_action_label(&r.action);
                staff.tr.pick(&zh, &en).to_owned()
            },
            target: {
                let (zh, en) = crate::auth::audit_target_label(&r.target);
                staff.tr.pick(&zh, &en).to_owned()
            },
            detail: {
                let (zh, en) = crate::auth::audit_detail_label(&r.action, &r.detail);
                staff.tr.pick(&zh, &en).to_owned()
            },
            addr: r.client_addr.unwrap_or_default(),
        })
        .collect();
    render(&AuditPage {
        chrome: Chrome::new(&staff, "audit", &req),
        entries,
    })
}

/// The audit log of the scope (directors and administrators).
#[utoipa::path(get, path = "/api/v1/console/audit", tag = "console", security(("session" = [])), params(("office" = Option<String>, Query, description = "One office's code")), responses((status = 200, description = "Audit entries, newest first"), (status = 401, description = "Not logged in", body = crate::web::api::responses::ErrorBody), (status = 403, description = "The role may not see this", body = crate::web::api::responses::ErrorBody), (status = 404, description = "No office of that code in the caller's scope", body = crate::web::api::responses::ErrorBody)))]
pub async fn audit_api(
    state: web::Data<AppState>,
    staff: Staff,
    q: web::Query<OfficeQuery>,
) -> Result<HttpResponse, ApiError> {
    if !staff.user.role().can_view_audit() {
        return Err(ApiError::Forbidden(
            "your role may not read the audit log".into(),
        ));
    }
    let (scope, office) = (staff.scope.clone(), q.office.clone());
    let records = crate::web::with_conn(&state.pool, move |conn| {
        scoped_audit(conn, &scope, office.as_deref()).map_err(ApiError::from)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "entries": records })))
}
