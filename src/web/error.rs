//! JSON errors for the API: validation and not-found are 4xx with a message
//! (and the field when there is one); anything unexpected is a 500 whose cause
//! is logged, never shown.

use actix_web::error::{JsonPayloadError, PathError};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    BadRequest {
        field: Option<String>,
        message: String,
    },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    /// Forbidden, about one field (`survey_token`, `session` …).
    #[error("{field}: {message}")]
    NotAllowed { field: String, message: String },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("payload too large: {0}")]
    TooLarge(String),
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    TooManyRequests(String),
    /// A conflict with what is stored; `response_id` names the first submission.
    #[error("{message}")]
    Conflict { message: String, response_id: i64 },
    #[error("internal error")]
    Internal(String),
}

#[derive(Serialize)]
struct Body<'a> {
    error: Detail<'a>,
}

#[derive(Serialize)]
struct Detail<'a> {
    code: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_id: Option<i64>,
}

impl ApiError {
    fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { .. } => "bad_request",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) | ApiError::NotAllowed { .. } => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::TooLarge(_) => "payload_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::TooManyRequests(_) => "too_many_requests",
            ApiError::Conflict { .. } => "conflict",
            ApiError::Internal(_) => "internal",
        }
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError::Internal(cause.to_string())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) | ApiError::NotAllowed { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            tracing::error!(%cause, "internal error");
        }
        let (field, response_id) = match self {
            ApiError::BadRequest { field, .. } => (field.as_deref(), None),
            ApiError::NotAllowed { field, .. } => (Some(field.as_str()), None),
            ApiError::Conflict { response_id, .. } => (Some("idempotency_key"), Some(*response_id)),
            _ => (None, None),
        };
        let mut res = HttpResponse::build(self.status_code());
        if let ApiError::TooManyRequests(_) = self {
            // Public limits refill within the minute.
            res.insert_header((actix_web::http::header::RETRY_AFTER, "60"));
        }
        res.json(Body {
            error: Detail {
                code: self.code(),
                message: self.to_string(),
                field,
                response_id,
            },
        })
    }
}

impl From<crate::db::DbError> for ApiError {
    fn from(e: crate::db::DbError) -> Self {
        ApiError::internal(e)
    }
}

impl From<crate::auth::AuthError> for ApiError {
    fn from(e: crate::auth::AuthError) -> Self {
        match e {
            crate::auth::AuthError::NotFound => ApiError::NotFound("not found".into()),
            crate::auth::AuthError::Forbidden => {
                ApiError::Forbidden("not allowed for this role".into())
            }
            crate::auth::AuthError::Db(e) => ApiError::internal(e),
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        ApiError::internal(e)
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::internal(e)
    }
}

pub(super) fn json_payload_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let api = match &err {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            ApiError::TooLarge("the body is over 64 KiB".into())
        }
        JsonPayloadError::ContentType => {
            ApiError::UnsupportedMediaType("send Content-Type: application/json".into())
        }
        JsonPayloadError::Deserialize(e) => ApiError::BadRequest {
            field: None,
            message: format!("malformed JSON: {e}"),
        },
        other => ApiError::BadRequest {
            field: None,
            message: other.to_string(),
        },
    };
    api.into()
}

/// A form body actix could not read: a page in the visitor's language.
pub(super) fn form_payload_error(
    err: actix_web::error::UrlencodedError,
    req: &HttpRequest,
) -> actix_web::Error {
    use actix_web::error::UrlencodedError as U;
    let lang = super::i18n::request_lang(req);
    let t = super::i18n::Tr::new(lang);
    match err {
        U::Overflow { .. } => {
            super::session::PageError::too_large(lang, &t.s("error-too-large")).into()
        }
        other => super::session::PageError::bad_request(lang, "form", &other.to_string()).into(),
    }
}

/// A query string that does not fit the handler's parameters: JSON on the
/// API, a page elsewhere, naming the parameter where serde says which.
pub(super) fn query_error(
    err: actix_web::error::QueryPayloadError,
    req: &HttpRequest,
) -> actix_web::Error {
    let message = err.to_string();
    let field = message
        .split('`')
        .nth(1)
        .map(str::to_owned)
        .unwrap_or_else(|| "query".to_owned());
    if req.path().starts_with("/api/") {
        ApiError::BadRequest {
            field: Some(field),
            message,
        }
        .into()
    } else {
        let lang = super::i18n::request_lang(req);
        super::session::PageError::bad_request(lang, &field, &message).into()
    }
}

/// A known path asked with a method it does not take.
pub(super) async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    let message = format!("{} is not allowed on {}", req.method(), req.path());
    if req.path().starts_with("/api/") {
        ApiError::MethodNotAllowed(message).error_response()
    } else {
        super::session::PageError::method_not_allowed(super::i18n::request_lang(&req))
            .error_response()
    }
}

pub(super) fn path_error(err: PathError, req: &HttpRequest) -> actix_web::Error {
    if req.path().starts_with("/api/") {
        ApiError::NotFound(err.to_string()).into()
    } else {
        super::session::PageError::not_found(super::i18n::request_lang(req)).into()
    }
}

impl From<crate::warehouse::WarehouseError> for ApiError {
    fn from(e: crate::warehouse::WarehouseError) -> Self {
        match e {
            crate::warehouse::WarehouseError::Analytics(a) => a.into(),
            other => ApiError::internal(other),
        }
    }
}

impl From<crate::plans::PlanError> for ApiError {
    fn from(e: crate::plans::PlanError) -> Self {
        match e {
            crate::plans::PlanError::Invalid { field, message } => ApiError::BadRequest {
                field: Some(field.to_owned()),
                message: format!("{field}: {message}"),
            },
            crate::plans::PlanError::Db(e) => ApiError::internal(e),
        }
    }
}

impl From<crate::analytics::AnalyticsError> for ApiError {
    fn from(e: crate::analytics::AnalyticsError) -> Self {
        use crate::analytics::AnalyticsError as A;
        match e {
            A::Invalid { field, message } => ApiError::BadRequest {
                field: Some(field.to_owned()),
                message: format!("{field}: {message}"),
            },
            A::NotFound(msg) => ApiError::NotFound(msg),
            other => ApiError::internal(other),
        }
    }
}

/// A domain error as a console page in the visitor's language: the one place
/// that decides what is a 400 (with its field), a 403, a 404 or a 500.
pub trait IntoPage {
    fn page(self, lang: crate::forms::Lang) -> super::session::PageError;
}

impl IntoPage for crate::cases::CaseError {
    fn page(self, lang: crate::forms::Lang) -> super::session::PageError {
        use super::session::PageError;
        use crate::cases::CaseError as C;
        match self {
            C::Invalid { field, message, .. } => PageError::bad_request(lang, field, &message),
            e @ C::IllegalTransition { .. } => {
                PageError::bad_request(lang, "action", &e.to_string())
            }
            C::Auth(a) => PageError::from_auth(a, lang),
            C::Data(d) => PageError::internal(d),
            C::Db(d) => PageError::internal(d),
        }
    }
}

impl IntoPage for crate::auth::UserError {
    fn page(self, lang: crate::forms::Lang) -> super::session::PageError {
        use super::session::PageError;
        use crate::auth::UserError as U;
        match (self.field(), self) {
            (_, U::Auth(a)) => PageError::from_auth(a, lang),
            (Some(field), e) => {
                let text = e.to_string();
                let message = text
                    .strip_prefix(&format!("{field}: "))
                    .unwrap_or(&text)
                    .to_owned();
                PageError::bad_request(lang, field, &message)
            }
            (None, e) => PageError::internal(e),
        }
    }
}

impl IntoPage for crate::survey::devices::DeviceError {
    fn page(self, lang: crate::forms::Lang) -> super::session::PageError {
        use super::session::PageError;
        use crate::survey::devices::DeviceError as D;
        match self {
            D::Auth(a) => PageError::from_auth(a, lang),
            D::Db(d) => PageError::internal(d),
            e @ D::BadCode => PageError::bad_request(lang, "code", &e.to_string()),
            e @ D::Label => PageError::bad_request(lang, "label", &e.to_string()),
        }
    }
}

impl IntoPage for crate::plans::PlanError {
    fn page(self, lang: crate::forms::Lang) -> super::session::PageError {
        use super::session::PageError;
        match self {
            crate::plans::PlanError::Invalid { field, message } => {
                PageError::bad_request(lang, field, &message)
            }
            crate::plans::PlanError::Db(e) => PageError::internal(e),
        }
    }
}

impl IntoPage for crate::admin::AdminError {
    fn page(self, lang: crate::forms::Lang) -> super::session::PageError {
        use super::session::PageError;
        use crate::admin::AdminError as A;
        match self {
            A::Invalid(errors) => {
                let field = errors.first().map(|e| e.field).unwrap_or("form");
                // The first field is named by the page; the others with their message.
                let message = errors
                    .iter()
                    .enumerate()
                    .map(|(i, e)| {
                        if i == 0 {
                            e.message.clone()
                        } else {
                            e.to_string()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                PageError::bad_request(lang, field, &message)
            }
            e @ A::OutsideCounty(_) => {
                let text = e.to_string();
                let message = text.strip_prefix("county_zh: ").unwrap_or(&text).to_owned();
                PageError::bad_request(lang, "county_zh", &message)
            }
            e @ A::Taken { .. } => {
                let text = e.to_string();
                let message = text.strip_prefix("code: ").unwrap_or(&text).to_owned();
                PageError::bad_request(lang, "code", &message)
            }
            // The console names offices, counters and staff members in the path.
            A::Unknown { .. } => PageError::not_found(lang),
            e @ A::Import(_) => PageError::bad_request(lang, "file", &e.to_string()),
            A::Auth(a) => PageError::from_auth(a, lang),
            A::Db(d) => PageError::internal(d),
        }
    }
}
