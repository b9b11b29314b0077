//! HTTP: thin handlers over the domain modules. `api` speaks JSON, `pages`
//! renders server-side HTML (zh-TW first, English second).

mod api;
mod error;
mod pages;

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
            .default_service(web::to(api::not_found)),
    )
    .route("/", web::get().to(pages::index))
    .route("/forms/{key}", web::get().to(pages::form_preview))
    .route("/assets/style.css", web::get().to(pages::stylesheet))
    .default_service(web::to(pages::not_found));
}
