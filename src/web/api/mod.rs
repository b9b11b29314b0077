//! JSON API, version 1: forms, offices and service types here; responses
//! (`POST /api/v1/responses` and the OpenAPI document) and analytics beside.

pub(super) mod analytics;
pub(super) mod responses;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use serde_json::json;

use super::ApiError;
use super::state::AppState;
use crate::db;
use crate::forms::{Channel, Form, Text};
use crate::offices;

#[derive(Serialize)]
struct FormSummary<'a> {
    key: &'a str,
    version: &'a str,
    title: &'a Text,
    channels: &'a [Channel],
    items: usize,
}

/// The survey forms with their current versions.
#[utoipa::path(get, path = "/api/v1/forms", tag = "forms", responses((status = 200, description = "Forms with key, version hash, title (zh-TW, en), channels and item count")))]
pub async fn list_forms(state: web::Data<AppState>) -> HttpResponse {
    let forms: Vec<FormSummary> = state
        .catalog
        .iter()
        .map(|f| FormSummary {
            key: &f.form.key,
            version: &f.version_hash,
            title: &f.form.title,
            channels: &f.form.channels,
            items: f.form.items.len(),
        })
        .collect();
    HttpResponse::Ok().json(json!({ "forms": forms }))
}

#[derive(Serialize)]
struct FormDetail<'a> {
    key: &'a str,
    version: &'a str,
    form: &'a Form,
}

/// One form in full: items, scales, options, dimensions.
#[utoipa::path(get, path = "/api/v1/forms/{key}", tag = "forms", params(("key" = String, Path, description = "Form key")), responses((status = 200, description = "The form"), (status = 404, description = "No such form")))]
pub async fn get_form(
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let f = state
        .catalog
        .get(&key)
        .ok_or_else(|| ApiError::NotFound(format!("no form `{key}`")))?;
    Ok(HttpResponse::Ok().json(FormDetail {
        key: &f.form.key,
        version: &f.version_hash,
        form: &f.form,
    }))
}

/// The offices: code, names (zh-TW, en), county, active.
#[utoipa::path(get, path = "/api/v1/offices", tag = "reference", responses((status = 200, description = "`{\"offices\": [...]}`")))]
pub async fn list_offices(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let pool = state.pool.clone();
    let list = web::block(move || {
        let mut conn = pool.get().map_err(db::DbError::Pool)?;
        Ok::<_, ApiError>(offices::list_offices(&mut conn)?)
    })
    .await??;
    Ok(HttpResponse::Ok().json(json!({ "offices": list })))
}

/// The service types (戶政業務) answers are grouped by.
#[utoipa::path(get, path = "/api/v1/service-types", tag = "reference", responses((status = 200, description = "`{\"service_types\": [...]}`")))]
pub async fn list_service_types(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let pool = state.pool.clone();
    let list = web::block(move || {
        let mut conn = pool.get().map_err(db::DbError::Pool)?;
        Ok::<_, ApiError>(offices::service_types(&mut conn)?)
    })
    .await??;
    Ok(HttpResponse::Ok().json(json!({ "service_types": list })))
}

/// Readiness (also served at `/healthz`): the database answers, every
/// migration of this release is applied and the survey forms are loaded.
#[utoipa::path(get, path = "/healthz/ready", tag = "operations", responses((status = 200, description = "`{\"status\": \"ok\", \"database\": \"SQLite\"|\"PostgreSQL\", \"forms\": n}`"), (status = 503, description = "Not ready: `{\"status\": \"not ready\", \"reason\": …}`")))]
pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.pool.clone();
    let forms = state.catalog.iter().count();
    let checked = web::block(move || {
        use diesel::connection::SimpleConnection;
        let mut conn = pool.get().map_err(|e| format!("database pool: {e}"))?;
        conn.batch_execute("SELECT 1")
            .map_err(|e| format!("database: {e}"))?;
        let pending = db::pending_migrations(&mut conn).map_err(|e| e.to_string())?;
        if pending > 0 {
            return Err(format!("{pending} migration(s) not applied"));
        }
        Ok::<_, String>(db::engine_of(&conn))
    })
    .await;
    let not_ready = |reason: String| {
        HttpResponse::ServiceUnavailable()
            .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
            .json(json!({ "status": "not ready", "reason": reason }))
    };
    match checked {
        Ok(Ok(_)) if forms == 0 => not_ready("no survey form loaded".into()),
        Ok(Ok(engine)) => HttpResponse::Ok()
            .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
            .json(json!({ "status": "ok", "database": engine.to_string(), "forms": forms })),
        Ok(Err(reason)) => not_ready(reason),
        Err(e) => not_ready(e.to_string()),
    }
}

/// Liveness: the process serves requests (no database asked), for a
/// supervisor deciding whether to restart it.
#[utoipa::path(get, path = "/healthz/live", tag = "operations", responses((status = 200, description = "`{\"status\": \"ok\"}`")))]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(json!({ "status": "ok" }))
}

pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!(
        "no such endpoint: {} {}",
        req.method(),
        req.path()
    )))
}
