//! The staff console (`/console`) and its JSON twin (`/api/v1/console`):
//! the page kit here (`Chrome`, `render`, `require`, `db`), one file per area.
//! Handlers parse, authorize through the session's scope, call one domain
//! function and render.

pub mod alerts;
pub mod analytics;
pub mod audit;
pub mod case;
pub mod cases;
pub mod dashboard;
pub mod kiosks;
pub mod login;
pub mod measures;
pub mod offices;
pub mod password;
pub mod reports;
pub mod setup;
pub mod users;

use crate::web::i18n::Tr;
use crate::web::session::{PageError, Staff};
use crate::web::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
pub(super) type PageResult = Result<HttpResponse, PageError>;

pub(super) fn render(t: &impl Template) -> PageResult {
    let body = t.render().map_err(PageError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

/// A page with another status than 200: a form refused (400) shown again.
pub(super) fn render_status(status: actix_web::http::StatusCode, t: &impl Template) -> PageResult {
    let body = t.render().map_err(PageError::internal)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

/// Runs blocking database work for a page.
pub(super) async fn db<T: Send + 'static>(
    state: &web::Data<AppState>,
    f: impl FnOnce(&mut crate::db::DbConnection) -> Result<T, PageError> + Send + 'static,
) -> Result<T, PageError> {
    crate::web::with_conn(&state.pool, f).await
}

/// Navigation and page frame shared by every console page.
pub struct Chrome {
    pub t: Tr,
    pub user_name: String,
    pub role_name: String,
    pub csrf: String,
    pub active: &'static str,
    pub path: String,
    pub show_users: bool,
    pub show_audit: bool,
    pub show_kiosks: bool,
    pub show_alerts: bool,
    pub show_reports: bool,
    pub show_offices: bool,
    pub show_service_types: bool,
}

impl Chrome {
    pub(super) fn new(staff: &Staff, active: &'static str, req: &HttpRequest) -> Self {
        let role = staff.user.role();
        Chrome {
            t: staff.tr,
            user_name: staff.user.display_name.clone(),
            role_name: staff.tr.pick(role.name_zh(), role.name_en()).to_owned(),
            csrf: staff.csrf.clone(),
            active,
            path: req.path().to_owned(),
            show_users: role.can_view_users(),
            show_audit: role.can_view_audit(),
            show_kiosks: role.can_view_users(),
            show_alerts: role.can_view_audit(),
            show_reports: role != crate::auth::Role::CounterStaff,
            show_offices: crate::admin::may_manage_counters(role),
            show_service_types: crate::admin::may_manage_service_types(role),
        }
    }
}

pub(super) fn require(staff: &Staff, allowed: bool) -> Result<(), PageError> {
    if allowed {
        Ok(())
    } else {
        Err(PageError::forbidden(staff.tr.lang))
    }
}

/// `?office=CODE`: one office of the scope.
#[derive(serde::Deserialize)]
pub struct OfficeQuery {
    pub(super) office: Option<String>,
}

/// `?done=1` after a change: the page says it is done.
#[derive(serde::Deserialize)]
pub struct MessageQuery {
    pub(super) done: Option<String>,
}
