//! HTTP: thin handlers over the domain modules. `api/` speaks JSON,
//! `public/` renders the citizen's pages (home, form preview, kiosk and web
//! questionnaire, mailbox and lookup) and `console/` the staff's, server-side
//! HTML in Traditional Chinese first, English second.

mod api;
mod console;
mod error;
pub mod i18n;
pub mod input;
pub mod limits;
pub mod metrics;
pub mod origin;
mod public;
pub mod session;
pub mod state;

pub use api::responses::{check_body, device_token};

pub use error::{ApiError, IntoPage};

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
            .limit(input::MAX_BODY)
            .error_handler(error::json_payload_error),
    )
    .app_data(
        web::FormConfig::default()
            .limit(input::MAX_BODY)
            .error_handler(error::form_payload_error),
    )
    .app_data(web::QueryConfig::default().error_handler(error::query_error))
    .app_data(web::PathConfig::default().error_handler(error::path_error))
    .service(resource("/healthz").route(web::get().to(api::health)))
    .service(resource("/healthz/ready").route(web::get().to(api::health)))
    .service(resource("/healthz/live").route(web::get().to(api::live)))
    .service(resource("/metrics").route(web::get().to(metrics::metrics)))
    .service(resource("/api/openapi.json").route(web::get().to(api::responses::openapi)))
    .service(
        web::scope("/api/v1")
            .service(resource("/forms").route(web::get().to(api::list_forms)))
            .service(resource("/forms/{key}").route(web::get().to(api::get_form)))
            .service(resource("/responses").route(web::post().to(api::responses::submit)))
            .service(resource("/offices").route(web::get().to(api::list_offices)))
            .service(resource("/service-types").route(web::get().to(api::list_service_types)))
            .service(
                resource("/console/dashboard")
                    .route(web::get().to(console::dashboard::dashboard_api)),
            )
            .service(
                resource("/analytics/{part}").route(web::get().to(api::analytics::analytics_api)),
            )
            .service(resource("/console/users").route(web::get().to(console::users::users_api)))
            .service(resource("/console/audit").route(web::get().to(console::audit::audit_api)))
            .service(resource("/console/alerts").route(web::get().to(console::alerts::alerts_api)))
            .service(
                resource("/console/offices/{code}")
                    .route(web::get().to(console::offices::office_api)),
            )
            .default_service(web::to(api::not_found)),
    )
    .service(
        resource("/login")
            .route(web::get().to(console::login::login_page))
            .route(web::post().to(console::login::login_submit)),
    )
    .service(resource("/logout").route(web::post().to(console::login::logout)))
    .service(
        web::scope("/console")
            .service(resource("").route(web::get().to(console::dashboard::dashboard_page)))
            .service(resource("/lang").route(web::get().to(console::login::switch_lang)))
            .service(
                resource("/offices")
                    .route(web::get().to(console::setup::offices_page))
                    .route(web::post().to(console::setup::office_create)),
            )
            .service(
                resource("/offices/{code}")
                    .route(web::get().to(console::offices::office_page))
                    .route(web::post().to(console::setup::office_edit)),
            )
            .service(
                resource("/offices/{code}/active")
                    .route(web::post().to(console::setup::office_active)),
            )
            .service(
                resource("/offices/{code}/counters")
                    .route(web::post().to(console::setup::counter_save)),
            )
            .service(
                resource("/offices/{code}/counters/{counter}/active")
                    .route(web::post().to(console::setup::counter_active)),
            )
            .service(
                resource("/offices/{code}/staff").route(web::post().to(console::setup::staff_save)),
            )
            .service(
                resource("/offices/{code}/staff/{member}/active")
                    .route(web::post().to(console::setup::staff_active)),
            )
            .service(
                resource("/analytics").route(web::get().to(console::analytics::analytics_page)),
            )
            .service(
                resource("/analytics.{format}")
                    .route(web::get().to(console::analytics::analytics_download)),
            )
            .service(
                resource("/service-types")
                    .route(web::get().to(console::setup::service_types_page))
                    .route(web::post().to(console::setup::service_type_save)),
            )
            .service(
                resource("/service-types/{code}/active")
                    .route(web::post().to(console::setup::service_type_active)),
            )
            .service(resource("/forms").route(web::get().to(console::offices::forms_page)))
            .service(
                resource("/users")
                    .route(web::get().to(console::users::users_page))
                    .route(web::post().to(console::users::user_create)),
            )
            .service(resource("/users/{id}").route(web::get().to(console::users::user_page)))
            .service(resource("/users/{id}/role").route(web::post().to(console::users::user_role)))
            .service(resource("/audit").route(web::get().to(console::audit::audit_page)))
            .service(
                resource("/cases")
                    .route(web::get().to(console::cases::cases_page))
                    .route(web::post().to(console::cases::create_case)),
            )
            .service(resource("/cases.csv").route(web::get().to(console::cases::cases_csv)))
            .service(resource("/cases/{case_no}").route(web::get().to(console::case::case_page)))
            .service(
                resource("/offices/{code}/deadlines")
                    .route(web::post().to(console::case::set_rule)),
            )
            .service(
                resource("/cases/{case_no}/action")
                    .route(web::post().to(console::case::case_action)),
            )
            .service(resource("/kiosks").route(web::get().to(console::kiosks::kiosks_page)))
            .service(
                resource("/kiosks/enrol").route(web::post().to(console::kiosks::create_enrolment)),
            )
            .service(
                resource("/kiosks/{id}/revoke")
                    .route(web::post().to(console::kiosks::revoke_device)),
            )
            .service(resource("/survey-links").route(web::post().to(console::kiosks::create_links)))
            .service(resource("/alerts").route(web::get().to(console::alerts::alerts_page)))
            .service(
                resource("/alerts/stream").route(web::get().to(console::alerts::alerts_stream)),
            )
            .service(
                resource("/alerts/{id}/ack").route(web::post().to(console::alerts::acknowledge)),
            )
            .service(
                resource("/offices/{code}/alert-threshold")
                    .route(web::post().to(console::alerts::set_threshold)),
            )
            .service(
                resource("/reports")
                    .route(web::get().to(console::reports::reports_page))
                    .route(web::post().to(console::reports::start_report)),
            )
            .service(
                resource("/reports/measures")
                    .route(web::get().to(console::measures::measures_page))
                    .route(web::post().to(console::measures::save_measure)),
            )
            .service(
                resource("/reports/{id}/status").route(web::get().to(console::reports::run_status)),
            )
            .service(
                resource("/reports/{id}/all.zip").route(web::get().to(console::reports::run_zip)),
            )
            .service(
                resource("/reports/{id}/files/{name:.*}")
                    .route(web::get().to(console::reports::run_file)),
            )
            .service(
                resource("/password")
                    .route(web::get().to(console::password::password_page))
                    .route(web::post().to(console::password::password_submit)),
            ),
    )
    .service(resource("/").route(web::get().to(public::index)))
    .service(resource("/developers").route(web::get().to(public::developers)))
    .service(resource("/forms/{key}").route(web::get().to(public::form_preview)))
    .service(resource("/assets/style.css").route(web::get().to(public::stylesheet)))
    .service(resource("/assets/favicon.svg").route(web::get().to(public::favicon)))
    .service(resource("/assets/questionnaire.js").route(web::get().to(public::kiosk::script)))
    .service(resource("/assets/alerts.js").route(web::get().to(public::alerts_script)))
    .service(resource("/kiosk").route(web::get().to(public::kiosk::kiosk)))
    .service(resource("/kiosk/enrol").route(web::get().to(public::kiosk::enrol)))
    .service(resource("/survey/{office}/{form}").route(web::get().to(public::kiosk::survey)))
    .service(
        resource("/mailbox/{office}")
            .route(web::get().to(public::cases::mailbox_form))
            .route(web::post().to(public::cases::mailbox_submit)),
    )
    .service(
        resource("/cases/lookup")
            .route(web::get().to(public::cases::lookup_form))
            .route(web::post().to(public::cases::lookup_submit)),
    )
    .service(resource("/favicon.ico").route(web::get().to(public::favicon)))
    .default_service(web::to(public::not_found));
}

/// A path's routes; another method on it answers 405 (JSON on the API, a
/// page elsewhere), not 404.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(error::method_not_allowed))
}
