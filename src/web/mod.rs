//! HTTP: thin handlers over the domain modules. `api` speaks JSON, `pages`
//! renders server-side HTML (zh-TW first, English second).

mod analytics;
mod api;
mod console;
mod console_cases;
mod console_ops;
mod console_reports;
mod error;
pub mod i18n;
mod kiosk;
pub mod limits;
mod pages;
mod public_cases;
pub mod refcache;
mod responses;
pub mod session;

pub use error::ApiError;

use actix_web::web;

/// Runs blocking database work off the async threads, on a pooled connection.
pub(crate) async fn with_conn<T, E>(
    pool: &crate::db::Pool,
    f: impl FnOnce(&mut crate::db::DbConnection) -> Result<T, E> + Send + 'static,
) -> Result<T, E>
where
    T: Send + 'static,
    E: From<crate::db::DbError> + From<actix_web::error::BlockingError> + Send + 'static,
{
    let pool = pool.clone();
    web::block(move || {
        let mut conn = pool.get().map_err(crate::db::DbError::Pool)?;
        f(&mut conn)
    })
    .await?
}

/// Headers on every response: no framing, no sniffing, scripts and styles
/// from this origin only (the pages carry no inline script).
pub fn security_headers() -> actix_web::middleware::DefaultHeaders {
    actix_web::middleware::DefaultHeaders::new()
        .add((
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; \
             base-uri 'none'; form-action 'self'",
        ))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "same-origin"))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(64 * 1024)
            .error_handler(error::json_payload_error),
    )
    .app_data(web::PathConfig::default().error_handler(error::path_error))
    .route("/healthz", web::get().to(api::health))
    .route("/api/openapi.json", web::get().to(responses::openapi))
    .service(
        web::scope("/api/v1")
            .route("/forms", web::get().to(api::list_forms))
            .route("/forms/{key}", web::get().to(api::get_form))
            .route("/responses", web::post().to(responses::submit))
            .route("/offices", web::get().to(api::list_offices))
            .route("/service-types", web::get().to(api::list_service_types))
            .route("/console/dashboard", web::get().to(console::dashboard_api))
            .route("/analytics/{part}", web::get().to(analytics::analytics_api))
            .route("/console/users", web::get().to(console::users_api))
            .route("/console/audit", web::get().to(console::audit_api))
            .route("/console/alerts", web::get().to(console_ops::alerts_api))
            .route(
                "/console/offices/{code}",
                web::get().to(console::office_api),
            )
            .default_service(web::to(api::not_found)),
    )
    .route("/login", web::get().to(console::login_page))
    .route("/login", web::post().to(console::login_submit))
    .route("/logout", web::post().to(console::logout))
    .service(
        web::scope("/console")
            .route("", web::get().to(console::dashboard_page))
            .route("/lang", web::get().to(console::switch_lang))
            .route("/offices/{code}", web::get().to(console::office_page))
            .route("/forms", web::get().to(console::forms_page))
            .route("/users", web::get().to(console::users_page))
            .route("/users", web::post().to(console::user_create))
            .route("/users/{id}", web::get().to(console::user_page))
            .route("/users/{id}/role", web::post().to(console::user_role))
            .route("/audit", web::get().to(console::audit_page))
            .route("/cases", web::get().to(console_cases::cases_page))
            .route("/cases", web::post().to(console_cases::create_case))
            .route("/cases.csv", web::get().to(console_cases::cases_csv))
            .route("/cases/{case_no}", web::get().to(console_cases::case_page))
            .route(
                "/offices/{code}/deadlines",
                web::post().to(console_cases::set_rule),
            )
            .route(
                "/cases/{case_no}/action",
                web::post().to(console_cases::case_action),
            )
            .route("/kiosks", web::get().to(console_ops::kiosks_page))
            .route(
                "/kiosks/enrol",
                web::post().to(console_ops::create_enrolment),
            )
            .route(
                "/kiosks/{id}/revoke",
                web::post().to(console_ops::revoke_device),
            )
            .route("/survey-links", web::post().to(console_ops::create_links))
            .route("/alerts", web::get().to(console_ops::alerts_page))
            .route("/alerts/stream", web::get().to(console_ops::alerts_stream))
            .route("/alerts/{id}/ack", web::post().to(console_ops::acknowledge))
            .route(
                "/offices/{code}/alert-threshold",
                web::post().to(console_ops::set_threshold),
            )
            .route("/reports", web::get().to(console_reports::reports_page))
            .route("/reports", web::post().to(console_reports::start_report))
            .route(
                "/reports/measures",
                web::get().to(console_reports::measures_page),
            )
            .route(
                "/reports/measures",
                web::post().to(console_reports::save_measure),
            )
            .route(
                "/reports/{id}/status",
                web::get().to(console_reports::run_status),
            )
            .route(
                "/reports/{id}/files/{name:.*}",
                web::get().to(console_reports::run_file),
            )
            .route("/password", web::get().to(console::password_page))
            .route("/password", web::post().to(console::password_submit)),
    )
    .route("/", web::get().to(pages::index))
    .route("/forms/{key}", web::get().to(pages::form_preview))
    .route("/assets/style.css", web::get().to(pages::stylesheet))
    .route("/assets/favicon.svg", web::get().to(pages::favicon))
    .route("/assets/questionnaire.js", web::get().to(kiosk::script))
    .route("/assets/alerts.js", web::get().to(pages::alerts_script))
    .route("/kiosk", web::get().to(kiosk::kiosk))
    .route("/kiosk/enrol", web::get().to(kiosk::enrol))
    .route("/survey/{office}/{form}", web::get().to(kiosk::survey))
    .route(
        "/mailbox/{office}",
        web::get().to(public_cases::mailbox_form),
    )
    .route(
        "/mailbox/{office}",
        web::post().to(public_cases::mailbox_submit),
    )
    .route("/cases/lookup", web::get().to(public_cases::lookup_form))
    .route("/cases/lookup", web::post().to(public_cases::lookup_submit))
    .route("/favicon.ico", web::get().to(pages::favicon))
    .default_service(web::to(pages::not_found));
}
