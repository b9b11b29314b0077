//! Who is calling: the staff session extractor, CSRF-checked form posts, and
//! the errors of console pages.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use askama::Template;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use super::ApiError;
use super::i18n::{Tr, request_lang};
use super::state::AppState;
use crate::auth::{AuthError, Scope, User, lookup_session};
use crate::db::DbError;
use crate::forms::Lang;

pub const SESSION_COOKIE: &str = "manyi_session";
pub const LOGIN_CSRF_COOKIE: &str = "manyi_login_csrf";

/// A logged-in staff member, with the scope every office query must use.
pub struct Staff {
    pub user: User,
    pub scope: Scope,
    pub session_id: i32,
    pub csrf: String,
    pub tr: Tr,
    pub client_addr: String,
}

/// The client's address (behind a trusted proxy, the one it forwards).
pub fn client_addr(req: &HttpRequest) -> String {
    super::origin::policy(req).client_ip(req)
}

/// Secure cookies when configured so, else when the request came over TLS
/// (directly or through a trusted proxy).
pub fn cookie_secure(req: &HttpRequest, state: &AppState) -> bool {
    state
        .secure_cookies
        .unwrap_or_else(|| state.proxy.scheme(req) == "https")
}

pub fn session_cookie(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, value)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .finish()
}

fn is_api(req: &HttpRequest) -> bool {
    req.path().starts_with("/api/")
}

/// Where to send the browser back after login: console paths only, with no
/// control characters or spaces (a CR/LF would break the Location header).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with("/console")
                && !n.contains("//")
                && !n.contains('\\')
                && !n.chars().any(|c| c.is_control() || c.is_whitespace()) =>
        {
            n.to_owned()
        }
        _ => "/console".to_owned(),
    }
}

fn unauthenticated(req: &HttpRequest) -> actix_web::Error {
    if is_api(req) {
        return ApiError::Unauthorized("log in first".into()).into();
    }
    let next = match req.query_string() {
        "" => req.path().to_owned(),
        q => format!("{}?{q}", req.path()),
    };
    let target = format!("/login?next={}", urlencode(&safe_next(Some(&next))));
    PageError::redirect(&target).into()
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|x| x.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}

impl FromRequest for Staff {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .expect("AppState is registered")
                .clone();
            let Some(token) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()) else {
                return Err(unauthenticated(&req));
            };
            let policy = state.session_policy;
            let pool = state.pool.clone();
            let found = web::block(move || {
                let mut conn = pool.get().map_err(DbError::Pool)?;
                Ok::<_, DbError>(lookup_session(&mut conn, &token, &policy)?)
            })
            .await
            .map_err(ApiError::from)?
            .map_err(ApiError::from)?;
            match found {
                Some(s) => Ok(Staff {
                    scope: s.user.scope(),
                    user: s.user,
                    session_id: s.session_id,
                    csrf: s.csrf_token,
                    tr: Tr::new(request_lang(&req)),
                    client_addr: client_addr(&req),
                }),
                None => Err(unauthenticated(&req)),
            }
        })
    }
}

#[derive(Deserialize)]
struct WithCsrf<T> {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    inner: T,
}

/// A form post by a logged-in staff member, with its CSRF token checked
/// (and, when the browser sends one, its Origin). Every state-changing console
/// handler takes this extractor.
pub struct StaffForm<T> {
    pub staff: Staff,
    pub form: T,
}

/// `true` when the Origin (or Referer) header, if any, names this host.
fn same_origin(req: &HttpRequest) -> bool {
    let host = super::origin::policy(req).host(req);
    let header_host = |name: header::HeaderName| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split_once("://")
                    .map(|(_, rest)| rest.split('/').next().unwrap_or("").to_owned())
                    .unwrap_or_default()
            })
    };
    match header_host(header::ORIGIN).or_else(|| header_host(header::REFERER)) {
        Some(h) => h == host,
        None => true,
    }
}

pub fn tokens_match(a: &str, b: &str) -> bool {
    !a.is_empty() && a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

impl<T: DeserializeOwned + 'static> FromRequest for StaffForm<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let staff = Staff::from_request(req, payload);
        let form = web::Form::<WithCsrf<T>>::from_request(req, payload);
        let origin_ok = same_origin(req);
        let lang = request_lang(req);
        Box::pin(async move {
            let staff = staff.await?;
            if !origin_ok {
                return Err(PageError::csrf(lang).into());
            }
            let form = form
                .await
                .map_err(|e| PageError::bad_request(lang, "form", &e.to_string()))?
                .into_inner();
            if !tokens_match(&form.csrf, &staff.csrf) {
                return Err(PageError::csrf(lang).into());
            }
            Ok(StaffForm {
                staff,
                form: form.inner,
            })
        })
    }
}

/// An error of a console page, rendered as a page in the caller's language.
#[derive(Debug)]
pub struct PageError {
    status: StatusCode,
    lang: Lang,
    message: String,
    location: Option<String>,
}

#[derive(Template)]
#[template(path = "console_error.html")]
struct ErrorPage<'a> {
    t: Tr,
    status: u16,
    message: &'a str,
}

impl PageError {
    fn new(status: StatusCode, lang: Lang, message: String) -> Self {
        Self {
            status,
            lang,
            message,
            location: None,
        }
    }

    pub fn redirect(to: &str) -> Self {
        Self {
            status: StatusCode::SEE_OTHER,
            lang: Lang::ZhTw,
            message: String::new(),
            location: Some(to.to_owned()),
        }
    }

    pub fn not_found(lang: Lang) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            lang,
            Tr::new(lang).s("error-not-found"),
        )
    }

    pub fn forbidden(lang: Lang) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            lang,
            Tr::new(lang).s("error-forbidden"),
        )
    }

    pub fn csrf(lang: Lang) -> Self {
        Self::new(StatusCode::FORBIDDEN, lang, Tr::new(lang).s("error-csrf"))
    }

    pub fn bad_request(lang: Lang, field: &str, message: &str) -> Self {
        let t = Tr::new(lang);
        Self::new(
            StatusCode::BAD_REQUEST,
            lang,
            format!("{}：{field}: {message}", t.s("error-bad-request")),
        )
    }

    /// A request understood but refused, with the reason in the visitor's words (400).
    pub fn refused(lang: Lang, message: String) -> Self {
        Self::new(StatusCode::BAD_REQUEST, lang, message)
    }

    pub fn method_not_allowed(lang: Lang) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            lang,
            Tr::new(lang).s("error-method"),
        )
    }

    /// A body the service does not read (a compressed one), 415.
    pub fn unsupported(lang: Lang, message: &str) -> Self {
        Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, lang, message.to_owned())
    }

    /// A body over the size every form takes (413), in the visitor's language.
    pub fn too_large(lang: Lang, message: &str) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, lang, message.to_owned())
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            Lang::ZhTw,
            "系統錯誤 Internal error".into(),
        )
    }

    pub fn from_auth(e: AuthError, lang: Lang) -> Self {
        match e {
            AuthError::NotFound => Self::not_found(lang),
            AuthError::Forbidden => Self::forbidden(lang),
            AuthError::Db(e) => Self::internal(e),
        }
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status, self.message)
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(to) = &self.location {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, to.as_str()))
                .finish();
        }
        let body = ErrorPage {
            t: Tr::new(self.lang),
            status: self.status.as_u16(),
            message: &self.message,
        }
        .render()
        .unwrap_or_else(|_| self.message.clone());
        HttpResponse::build(self.status)
            .content_type("text/html; charset=utf-8")
            .body(body)
    }
}

impl From<DbError> for PageError {
    fn from(e: DbError) -> Self {
        PageError::internal(e)
    }
}

impl From<diesel::result::Error> for PageError {
    fn from(e: diesel::result::Error) -> Self {
        PageError::internal(e)
    }
}

impl From<actix_web::error::BlockingError> for PageError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        PageError::internal(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_inside_the_console() {
        assert_eq!(safe_next(Some("/console/users")), "/console/users");
        assert_eq!(safe_next(Some("https://evil.example/")), "/console");
        assert_eq!(safe_next(Some("/console//evil.example")), "/console");
        assert_eq!(safe_next(Some("/login")), "/console");
        assert_eq!(safe_next(None), "/console");
        for bad in [
            "/console\r\nSet-Cookie: x=1",
            "/console\u{b}",
            "/console\t",
            "/console a",
        ] {
            assert_eq!(safe_next(Some(bad)), "/console", "{bad:?}");
        }
    }

    #[test]
    fn token_comparison() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abc", "abd"));
        assert!(!tokens_match("", ""));
        assert!(!tokens_match("abc", "abcd"));
    }
}
