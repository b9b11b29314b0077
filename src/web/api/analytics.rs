//! `/api/v1/analytics/{part}`: the analytics results as JSON, for the console.
//! Scoped like every office query: a director or research officer sees their
//! office, a county administrator their county, a system administrator all;
//! counter staff see none of it.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use crate::analytics::AnalyzeRequest;
use crate::auth::Role;
use crate::web::ApiError;
use crate::web::session::Staff;
use crate::web::state::AppState;

const PARTS: [&str; 9] = [
    "all",
    "metrics",
    "changes",
    "reliability",
    "drivers",
    "shortfalls",
    "terms",
    "complaints",
    "summary",
];

/// Analytics results, scoped by the session (see the README for the query
/// parameters: year, years, by, office, county, form, channel …).
#[utoipa::path(get, path = "/api/v1/analytics/{part}", tag = "analytics", security(("session" = [])), params(("part" = String, Path, description = "all, summary, metrics, changes, reliability, drivers, shortfalls, terms or complaints")), responses((status = 200, description = "The part's results"), (status = 400, description = "A bad query parameter; `field` names it", body = crate::web::api::responses::ErrorBody), (status = 404, description = "Unknown part, or an office not in scope", body = crate::web::api::responses::ErrorBody), (status = 401, description = "Not logged in", body = crate::web::api::responses::ErrorBody), (status = 403, description = "The role may not see this", body = crate::web::api::responses::ErrorBody)))]
pub async fn analytics_api(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    part: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let part = part.into_inner();
    if !PARTS.contains(&part.as_str()) {
        return Err(ApiError::NotFound(format!(
            "no analytics part `{part}` (one of {})",
            PARTS.join(", ")
        )));
    }
    if staff.user.role() == Role::CounterStaff {
        return Err(ApiError::Forbidden(
            "counter staff may not view the analytics".into(),
        ));
    }
    let request: AnalyzeRequest =
        serde_urlencoded::from_str(req.query_string()).map_err(|e| ApiError::BadRequest {
            field: None,
            message: format!("query: {e}"),
        })?;
    let scope = staff.scope.clone();
    let analytics = state.analytics.clone();
    let analysis = crate::web::with_conn(&state.pool, move |conn| {
        let ids = scope.office_ids(conn)?;
        let visible: Vec<crate::offices::Office> = crate::offices::list_offices(conn)?
            .into_iter()
            .filter(|o| ids.contains(&o.id))
            .collect();
        Ok::<_, ApiError>(crate::warehouse::run_request(
            conn,
            &analytics.source,
            &analytics.options,
            &request,
            &visible,
        )?)
    })
    .await?;
    let body = match part.as_str() {
        "metrics" => json!({ "metrics": analysis.metrics }),
        "changes" => json!({ "changes": analysis.changes }),
        "reliability" => json!({ "reliability": analysis.reliability }),
        "drivers" => json!({ "drivers": analysis.drivers }),
        "shortfalls" => json!({ "shortfalls": analysis.shortfalls }),
        "terms" => json!({ "terms": analysis.terms }),
        "complaints" => json!({ "complaints": analysis.complaints }),
        "summary" => json!({
            "form": analysis.form,
            "from": analysis.from,
            "to": analysis.to,
            "by": analysis.by,
            "responses": analysis.responses,
            "notes": analysis.notes,
        }),
        _ => serde_json::to_value(&analysis).map_err(ApiError::internal)?,
    };
    Ok(HttpResponse::Ok().json(body))
}
