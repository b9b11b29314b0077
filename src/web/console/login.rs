//! Logging in and out, and the console language.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{PageResult, db};
use crate::auth::{self, LoginError};
use crate::forms::Lang;
use crate::web::i18n::{LANG_COOKIE, Tr, parse_lang, request_lang};
use crate::web::session::{
    LOGIN_CSRF_COOKIE, PageError, StaffForm, client_addr, cookie_secure, safe_next, session_cookie,
    tokens_match,
};
use crate::web::state::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: Tr,
    csrf: String,
    next: String,
    message: Option<String>,
    username: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    expired: Option<String>,
    out: Option<String>,
}

fn random_hex() -> String {
    use rand::RngExt;
    let b: [u8; 32] = rand::rng().random();
    hex::encode(b)
}

fn login_page_response(
    req: &HttpRequest,
    state: &AppState,
    status: actix_web::http::StatusCode,
    next: String,
    message: Option<String>,
    username: String,
) -> PageResult {
    let t = Tr::new(request_lang(req));
    let csrf = random_hex();
    let body = LoginPage {
        t,
        csrf: csrf.clone(),
        next,
        message,
        username,
    }
    .render()
    .map_err(PageError::internal)?;
    let cookie = Cookie::build(LOGIN_CSRF_COOKIE, csrf)
        .path("/")
        .http_only(true)
        .secure(cookie_secure(req, state))
        .same_site(SameSite::Strict)
        .finish();
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .cookie(cookie)
        .body(body))
}

pub async fn login_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<NextQuery>,
) -> PageResult {
    let t = Tr::new(request_lang(&req));
    let message = if q.out.is_some() {
        Some(t.s("logged-out"))
    } else if q.expired.is_some() {
        Some(t.s("login-expired"))
    } else {
        None
    };
    login_page_response(
        &req,
        &state,
        actix_web::http::StatusCode::OK,
        safe_next(q.next.as_deref()),
        message,
        String::new(),
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    csrf: String,
    next: Option<String>,
}

pub async fn login_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> PageResult {
    let lang = request_lang(&req);
    let t = Tr::new(lang);
    let cookie_csrf = req
        .cookie(LOGIN_CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    if !tokens_match(&form.csrf, &cookie_csrf) {
        return Err(PageError::csrf(lang));
    }
    let form = form.into_inner();
    let addr = client_addr(&req);
    let throttle = state.throttle;
    let policy = state.session_policy;
    let username = form.username.clone();
    let outcome = db(&state, move |conn| {
        match auth::login(conn, &throttle, &form.username, &form.password, &addr) {
            Ok(user) => {
                let s = auth::create_session(conn, &user, &policy, Some(&addr))?;
                Ok(Ok(s.token))
            }
            Err(LoginError::Db(e)) => Err(PageError::internal(e)),
            Err(e) => Ok(Err(e)),
        }
    })
    .await?;
    let next = safe_next(form.next.as_deref());
    match outcome {
        Ok(token) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, next))
            .cookie(session_cookie(token, cookie_secure(&req, &state)))
            .finish()),
        Err(e) => {
            let (status, message, retry_after) = match e {
                LoginError::Throttled(wait) => (
                    actix_web::http::StatusCode::TOO_MANY_REQUESTS,
                    t.with_seconds(
                        if wait.by_address {
                            "login-throttled-address"
                        } else {
                            "login-throttled-account"
                        },
                        wait.retry_after_seconds,
                    ),
                    Some(wait.retry_after_seconds),
                ),
                _ => (
                    actix_web::http::StatusCode::UNAUTHORIZED,
                    t.s("login-bad"),
                    None,
                ),
            };
            let mut res = login_page_response(&req, &state, status, next, Some(message), username)?;
            if let Some(s) = retry_after {
                res.headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from(s as u64));
            }
            Ok(res)
        }
    }
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    post: StaffForm<Empty>,
) -> PageResult {
    let staff = post.staff;
    let id = staff.session_id;
    db(&state, move |conn| {
        auth::delete_session(conn, id)?;
        Ok(())
    })
    .await?;
    let mut gone = session_cookie(String::new(), cookie_secure(&req, &state));
    gone.make_removal();
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/login?out=1"))
        .cookie(gone)
        .finish())
}

#[derive(Deserialize)]
pub struct LangQuery {
    to: String,
    next: Option<String>,
}

/// Switches the console language (a preference cookie only).
pub async fn switch_lang(req: HttpRequest, q: web::Query<LangQuery>) -> HttpResponse {
    let lang = parse_lang(&q.to).unwrap_or(Lang::ZhTw);
    let next = match q.next.as_deref() {
        Some("/login") => "/login".to_owned(),
        other => safe_next(other),
    };
    let cookie = Cookie::build(LANG_COOKIE, crate::web::i18n::lang_code(lang))
        .path("/")
        .same_site(SameSite::Lax)
        .secure(crate::web::origin::policy(&req).scheme(&req) == "https")
        .max_age(actix_web::cookie::time::Duration::days(365))
        .finish();
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, next))
        .cookie(cookie)
        .finish()
}
