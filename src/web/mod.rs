//! HTTP: thin handlers over the domain modules. `api` speaks JSON, `pages`
//! renders server-side HTML (zh-TW first, English second).

mod api;
mod console;
mod error;
pub mod i18n;
mod pages;
pub mod session;

pub use error::ApiError;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(64 * 1024)
            .error_handler(error::json_payload_error),
    )
    .app_data(web::PathConfig::default().error_handler(error::path_error))
    .route("/healthz", web::get().to(api::health))
    .service(
        web::scope("/api/v1")
            .route("/forms", web::get().to(api::list_forms))
            .route("/forms/{key}", web::get().to(api::get_form))
            .route("/offices", web::get().to(api::list_offices))
            .route("/service-types", web::get().to(api::list_service_types))
            .route("/console/dashboard", web::get().to(console::dashboard_api))
            .route("/console/users", web::get().to(console::users_api))
            .route("/console/audit", web::get().to(console::audit_api))
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
            .route("/password", web::get().to(console::password_page))
            .route("/password", web::post().to(console::password_submit)),
    )
    .route("/", web::get().to(pages::index))
    .route("/forms/{key}", web::get().to(pages::form_preview))
    .route("/assets/style.css", web::get().to(pages::stylesheet))
    .route("/assets/favicon.svg", web::get().to(pages::favicon))
    .route("/favicon.ico", web::get().to(pages::favicon))
    .default_service(web::to(pages::not_found));
}
