//! The staff console (`/console`) and its JSON twin (`/api/v1/console`).
//! Handlers parse, authorize through the session's scope, call one domain
//! function and render.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;

use super::ApiError;
use super::i18n::{LANG_COOKIE, Tr, parse_lang, request_lang};
use super::session::{
    LOGIN_CSRF_COOKIE, PageError, Staff, StaffForm, client_addr, cookie_secure, safe_next,
    session_cookie, tokens_match,
};
use super::state::AppState;
use crate::auth::{self, AuthError, LoginError, NewUser, Role, Scope, User, UserError};
use crate::forms::Lang;
use crate::offices::{self, Office};
use crate::survey::dashboard::{self, OfficeFigures, Rate, taipei};

type PageResult = Result<HttpResponse, PageError>;

pub(super) fn render(t: &impl Template) -> PageResult {
    let body = t.render().map_err(PageError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

/// Runs blocking database work for a page.
pub(super) async fn db<T: Send + 'static>(
    state: &web::Data<AppState>,
    f: impl FnOnce(&mut crate::db::DbConnection) -> Result<T, PageError> + Send + 'static,
) -> Result<T, PageError> {
    super::with_conn(&state.pool, f).await
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
        }
    }
}

// ---------------------------------------------------------------- login

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
    let cookie = Cookie::build(LANG_COOKIE, super::i18n::lang_code(lang))
        .path("/")
        .same_site(SameSite::Lax)
        .secure(super::origin::policy(&req).scheme(&req) == "https")
        .max_age(actix_web::cookie::time::Duration::days(365))
        .finish();
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, next))
        .cookie(cookie)
        .finish()
}

// ---------------------------------------------------------------- dashboard

struct FigureRow {
    code: String,
    name: String,
    today: i64,
    month: i64,
    rate: String,
    last_year: String,
    change: String,
}

fn pct(r: &Rate, t: &Tr) -> String {
    match r.share() {
        Some(s) => format!("{:.1}%", s * 100.0),
        None => t.s("dash-no-data"),
    }
}

fn rows(figs: &[OfficeFigures], offices: &[Office], t: &Tr) -> Vec<FigureRow> {
    figs.iter()
        .filter_map(|f| {
            let o = offices.iter().find(|o| o.id == f.office_id)?;
            let change = match (f.month_rate.share(), f.last_year_month_rate.share()) {
                (Some(a), Some(b)) => format!("{:+.1}", (a - b) * 100.0),
                _ => String::new(),
            };
            Some(FigureRow {
                code: o.code.clone(),
                name: t.pick(&o.name_zh, &o.name_en).to_owned(),
                today: f.today,
                month: f.month,
                rate: pct(&f.month_rate, t),
                last_year: pct(&f.last_year_month_rate, t),
                change,
            })
        })
        .collect()
}

/// What needs a director's attention now, per office.
#[derive(serde::Serialize)]
struct Attention {
    code: String,
    name: String,
    overdue_cases: i64,
    due_today_cases: i64,
    open_alerts: i64,
}

fn attention(
    conn: &mut crate::db::DbConnection,
    scope: &Scope,
    offices: &[Office],
    lang: Lang,
) -> diesel::QueryResult<Vec<Attention>> {
    use crate::cases::views::{DueState, due_summary};
    let today = Utc::now().with_timezone(&taipei()).date_naive();
    let calendar = crate::calendar::Calendar::load(conn)?;
    let summary = due_summary(conn, scope, &calendar, today)?;
    let ids: Vec<i32> = offices.iter().map(|o| o.id).collect();
    let alerts = crate::survey::alerts::open_alert_counts(conn, &ids)?;
    Ok(offices
        .iter()
        .map(|o| Attention {
            code: o.code.clone(),
            name: if lang == Lang::En {
                o.name_en.clone()
            } else {
                o.name_zh.clone()
            },
            overdue_cases: summary
                .get(&(o.id, DueState::Overdue))
                .copied()
                .unwrap_or(0),
            due_today_cases: summary
                .get(&(o.id, DueState::DueToday))
                .copied()
                .unwrap_or(0),
            open_alerts: alerts.iter().find(|a| a.0 == o.id).map_or(0, |a| a.1),
        })
        .collect())
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    attention: Vec<Attention>,
    chrome: Chrome,
    rows: Vec<FigureRow>,
    total: Option<FigureRow>,
    today_label: String,
}

#[derive(Deserialize)]
pub struct OfficeQuery {
    office: Option<String>,
}

/// Offices in scope (optionally the one named), with their figures.
fn scoped_figures(
    conn: &mut crate::db::DbConnection,
    scope: &Scope,
    office: Option<&str>,
    overall_keys: &[String],
) -> Result<(Vec<Office>, Vec<OfficeFigures>), AuthError> {
    let ids = match office {
        Some(code) => vec![scope.office_by_code(conn, code)?.id],
        None => scope.office_ids(conn)?,
    };
    let offices: Vec<Office> = offices::list_offices(conn)?
        .into_iter()
        .filter(|o| ids.contains(&o.id))
        .collect();
    let figs = dashboard::office_figures(conn, &ids, overall_keys, Utc::now())?;
    Ok((offices, figs))
}

fn overall_keys(state: &AppState) -> Vec<String> {
    let mut keys: Vec<String> = state
        .catalog
        .iter()
        .filter_map(|f| f.form.overall_item().map(|i| i.key.clone()))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

pub async fn dashboard_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    q: web::Query<OfficeQuery>,
) -> PageResult {
    let lang = staff.tr.lang;
    let scope = staff.scope.clone();
    let keys = overall_keys(&state);
    let office = q.office.clone();
    let (offices, figs, attention) = db(&state, move |conn| {
        let (offices, figs) = scoped_figures(conn, &scope, office.as_deref(), &keys)
            .map_err(|e| PageError::from_auth(e, lang))?;
        let attention = attention(conn, &scope, &offices, lang)?;
        Ok((offices, figs, attention))
    })
    .await?;
    let t = staff.tr;
    let rows = rows(&figs, &offices, &t);
    let total = (figs.len() > 1).then(|| {
        let sum = |f: fn(&OfficeFigures) -> Rate| {
            figs.iter().fold(Rate::default(), |a, x| Rate {
                rated: a.rated + f(x).rated,
                satisfied: a.satisfied + f(x).satisfied,
            })
        };
        let (now, then) = (sum(|f| f.month_rate), sum(|f| f.last_year_month_rate));
        FigureRow {
            code: String::new(),
            name: t.s("all-offices"),
            today: figs.iter().map(|f| f.today).sum(),
            month: figs.iter().map(|f| f.month).sum(),
            rate: pct(&now, &t),
            last_year: pct(&then, &t),
            change: match (now.share(), then.share()) {
                (Some(a), Some(b)) => format!("{:+.1}", (a - b) * 100.0),
                _ => String::new(),
            },
        }
    });
    let today_label = Utc::now()
        .with_timezone(&taipei())
        .format("%Y-%m-%d")
        .to_string();
    render(&DashboardPage {
        attention,
        chrome: Chrome::new(&staff, "dashboard", &req),
        rows,
        total,
        today_label,
    })
}

/// The dashboard's figures for the offices in the caller's scope.
#[utoipa::path(get, path = "/api/v1/console/dashboard", tag = "console", security(("session" = [])), params(("office" = Option<String>, Query, description = "One office's code")), responses((status = 200, description = "Figures per office and what needs attention"), (status = 404, description = "Office not in scope", body = super::responses::ErrorBody), (status = 401, description = "Not logged in", body = super::responses::ErrorBody), (status = 403, description = "The role may not see this", body = super::responses::ErrorBody)))]
pub async fn dashboard_api(
    state: web::Data<AppState>,
    staff: Staff,
    q: web::Query<OfficeQuery>,
) -> Result<HttpResponse, ApiError> {
    let scope = staff.scope.clone();
    let keys = overall_keys(&state);
    let office = q.office.clone();
    let lang = staff.tr.lang;
    let (offices, figs, attention) = super::with_conn(&state.pool, move |conn| {
        let (offices, figs) =
            scoped_figures(conn, &scope, office.as_deref(), &keys).map_err(ApiError::from)?;
        let attention = attention(conn, &scope, &offices, lang)?;
        Ok::<_, ApiError>((offices, figs, attention))
    })
    .await?;
    let list: Vec<_> = figs
        .iter()
        .filter_map(|f| {
            let o = offices.iter().find(|o| o.id == f.office_id)?;
            Some(json!({
                "code": o.code, "name_zh": o.name_zh, "name_en": o.name_en,
                "today": f.today, "month": f.month,
                "month_rate": f.month_rate, "last_year_month_rate": f.last_year_month_rate,
            }))
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "offices": list, "attention": attention })))
}

// ---------------------------------------------------------------- offices

#[derive(Template)]
#[template(path = "office.html")]
struct OfficePage {
    chrome: Chrome,
    office: Office,
    counters: Vec<offices::Counter>,
    staff_list: Vec<offices::Staff>,
}

type OfficeDetail = (Office, Vec<offices::Counter>, Vec<offices::Staff>);

fn office_detail(
    conn: &mut crate::db::DbConnection,
    scope: &Scope,
    code: &str,
) -> Result<OfficeDetail, AuthError> {
    let office = scope.office_by_code(conn, code)?;
    let counters = offices::counters_of(conn, office.id)?;
    let staff = offices::staff_of(conn, office.id)?;
    Ok((office, counters, staff))
}

pub async fn office_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    code: web::Path<String>,
) -> PageResult {
    let (lang, scope) = (staff.tr.lang, staff.scope.clone());
    let code = code.into_inner();
    let (office, counters, staff_list) = db(&state, move |conn| {
        office_detail(conn, &scope, &code).map_err(|e| PageError::from_auth(e, lang))
    })
    .await?;
    render(&OfficePage {
        chrome: Chrome::new(&staff, "dashboard", &req),
        office,
        counters,
        staff_list,
    })
}

/// One office in scope with its counters and staff members.
#[utoipa::path(get, path = "/api/v1/console/offices/{code}", tag = "console", security(("session" = [])), params(("code" = String, Path, description = "Office code")), responses((status = 200, description = "The office"), (status = 404, description = "Not in scope", body = super::responses::ErrorBody), (status = 401, description = "Not logged in", body = super::responses::ErrorBody), (status = 403, description = "The role may not see this", body = super::responses::ErrorBody)))]
pub async fn office_api(
    state: web::Data<AppState>,
    staff: Staff,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let scope = staff.scope.clone();
    let code = code.into_inner();
    let (office, counters, staff_list) = super::with_conn(&state.pool, move |conn| {
        office_detail(conn, &scope, &code).map_err(ApiError::from)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .json(json!({ "office": office, "counters": counters, "staff": staff_list })))
}

// ---------------------------------------------------------------- forms

struct FormLine {
    key: String,
    title: String,
    version: String,
    items: usize,
    channels: String,
}

#[derive(Template)]
#[template(path = "console_forms.html")]
struct FormsPage {
    chrome: Chrome,
    forms: Vec<FormLine>,
}

pub async fn forms_page(req: HttpRequest, state: web::Data<AppState>, staff: Staff) -> PageResult {
    let t = staff.tr;
    let forms = state
        .catalog
        .iter()
        .map(|f| FormLine {
            key: f.form.key.clone(),
            title: f.form.title.get(t.lang).to_owned(),
            version: f.version_hash[..12].to_owned(),
            items: f.form.items.len(),
            channels: f
                .form
                .channels
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    render(&FormsPage {
        chrome: Chrome::new(&staff, "forms", &req),
        forms,
    })
}

// ---------------------------------------------------------------- users

struct UserLine {
    id: i32,
    username: String,
    name: String,
    role: String,
    office: String,
    active: bool,
}

fn user_lines(users: &[User], offices: &[Office], t: &Tr) -> Vec<UserLine> {
    users
        .iter()
        .map(|u| {
            let role = u.role();
            let office = match (u.office_id, &u.county_zh) {
                (Some(id), _) => offices
                    .iter()
                    .find(|o| o.id == id)
                    .map(|o| t.pick(&o.name_zh, &o.name_en).to_owned())
                    .unwrap_or_default(),
                (None, Some(c)) => c.clone(),
                (None, None) => "—".into(),
            };
            UserLine {
                id: u.id,
                username: u.username.clone(),
                name: u.display_name.clone(),
                role: t.pick(role.name_zh(), role.name_en()).to_owned(),
                office,
                active: u.active,
            }
        })
        .collect()
}

struct Choice {
    value: String,
    label: String,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<UserLine>,
    roles: Vec<Choice>,
    offices: Vec<Choice>,
    message: Option<String>,
}

fn role_choices(actor: Role, t: &Tr) -> Vec<Choice> {
    actor
        .may_grant()
        .iter()
        .map(|r| Choice {
            value: r.as_str().to_owned(),
            label: t.pick(r.name_zh(), r.name_en()).to_owned(),
        })
        .collect()
}

pub(super) fn require(staff: &Staff, allowed: bool) -> Result<(), PageError> {
    if allowed {
        Ok(())
    } else {
        Err(PageError::forbidden(staff.tr.lang))
    }
}

#[derive(Deserialize)]
pub struct MessageQuery {
    done: Option<String>,
}

pub async fn users_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    q: web::Query<MessageQuery>,
) -> PageResult {
    require(&staff, staff.user.role().can_view_users())?;
    let scope = staff.scope.clone();
    let (users, all_offices, visible) = db(&state, move |conn| {
        let users = auth::list_users(conn, &scope)?;
        let ids = scope.office_ids(conn)?;
        let all = offices::list_offices(conn)?;
        Ok((users, all, ids))
    })
    .await?;
    let t = staff.tr;
    let office_choices = all_offices
        .iter()
        .filter(|o| visible.contains(&o.id))
        .map(|o| Choice {
            value: o.code.clone(),
            label: t.pick(&o.name_zh, &o.name_en).to_owned(),
        })
        .collect();
    let message = match q.done.as_deref() {
        Some("created") => Some(t.s("users-created")),
        Some("role") => Some(t.s("users-role-changed")),
        _ => None,
    };
    render(&UsersPage {
        users: user_lines(&users, &all_offices, &t),
        roles: role_choices(staff.user.role(), &t),
        offices: office_choices,
        chrome: Chrome::new(&staff, "users", &req),
        message,
    })
}

/// The staff accounts in scope (directors and administrators).
#[utoipa::path(get, path = "/api/v1/console/users", tag = "console", security(("session" = [])), responses((status = 200, description = "Accounts"), (status = 401, description = "Not logged in", body = super::responses::ErrorBody), (status = 403, description = "The role may not see this", body = super::responses::ErrorBody)))]
pub async fn users_api(state: web::Data<AppState>, staff: Staff) -> Result<HttpResponse, ApiError> {
    if !staff.user.role().can_view_users() {
        return Err(ApiError::Forbidden(
            "your role may not list accounts".into(),
        ));
    }
    let scope = staff.scope.clone();
    let users = super::with_conn(&state.pool, move |conn| {
        Ok::<_, ApiError>(auth::list_users(conn, &scope)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "users": users })))
}

#[derive(Deserialize)]
pub struct NewUserForm {
    username: String,
    display_name: String,
    role: String,
    #[serde(default)]
    office: String,
    #[serde(default)]
    county: String,
    password: String,
}

fn user_error(e: UserError, lang: Lang) -> PageError {
    match e {
        UserError::Auth(a) => PageError::from_auth(a, lang),
        UserError::Db(d) => PageError::internal(d),
        other => {
            let text = other.to_string();
            let (field, msg) = text.split_once(": ").unwrap_or(("form", &text));
            PageError::bad_request(lang, field, msg)
        }
    }
}

pub async fn user_create(
    req: HttpRequest,
    state: web::Data<AppState>,
    post: StaffForm<NewUserForm>,
) -> PageResult {
    let StaffForm { staff, form } = post;
    let lang = staff.tr.lang;
    require(&staff, !staff.user.role().may_grant().is_empty())?;
    let role = Role::parse(&form.role)
        .ok_or_else(|| PageError::bad_request(lang, "role", "unknown role"))?;
    auth::check_password_policy(&form.password)
        .map_err(|e| PageError::bad_request(lang, "password", &e.to_string()))?;
    let hash = web::block(move || auth::hash_password(&form.password)).await?;
    let actor = staff.user.clone();
    let addr = client_addr(&req);
    db(&state, move |conn| {
        let office_id = match form.office.trim() {
            "" => None,
            code => Some(
                actor
                    .scope()
                    .office_by_code(conn, code)
                    .map_err(|e| user_error(e.into(), lang))?
                    .id,
            ),
        };
        let new = NewUser {
            username: form.username.trim().to_lowercase(),
            display_name: form.display_name,
            role,
            office_id,
            county_zh: Some(form.county.trim().to_owned()).filter(|c| !c.is_empty()),
        };
        auth::create_user(conn, &new, &hash, Some(&actor), Some(&addr))
            .map_err(|e| user_error(e, lang))
    })
    .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/console/users?done=created"))
        .finish())
}

#[derive(Template)]
#[template(path = "user.html")]
struct UserPage {
    chrome: Chrome,
    user: UserLine,
    current_role: String,
    roles: Vec<Choice>,
}

pub async fn user_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i32>,
) -> PageResult {
    require(&staff, staff.user.role().can_view_users())?;
    let (lang, scope, id) = (staff.tr.lang, staff.scope.clone(), id.into_inner());
    let (user, all) = db(&state, move |conn| {
        let user = auth::get_user(conn, &scope, id).map_err(|e| PageError::from_auth(e, lang))?;
        Ok((user, offices::list_offices(conn)?))
    })
    .await?;
    let t = staff.tr;
    render(&UserPage {
        current_role: user.role.clone(),
        user: user_lines(std::slice::from_ref(&user), &all, &t).remove(0),
        roles: role_choices(staff.user.role(), &t),
        chrome: Chrome::new(&staff, "users", &req),
    })
}

#[derive(Deserialize)]
pub struct RoleForm {
    role: String,
}

pub async fn user_role(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    post: StaffForm<RoleForm>,
) -> PageResult {
    let StaffForm { staff, form } = post;
    let lang = staff.tr.lang;
    let role = Role::parse(&form.role)
        .ok_or_else(|| PageError::bad_request(lang, "role", "unknown role"))?;
    let actor = staff.user.clone();
    let addr = client_addr(&req);
    let id = id.into_inner();
    db(&state, move |conn| {
        auth::set_role(conn, &actor, id, role, Some(&addr)).map_err(|e| user_error(e, lang))
    })
    .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/console/users?done=role"))
        .finish())
}

// ---------------------------------------------------------------- audit

struct AuditLine {
    at: String,
    actor: String,
    action: String,
    target: String,
    detail: String,
    addr: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    entries: Vec<AuditLine>,
}

fn scoped_audit(
    conn: &mut crate::db::DbConnection,
    scope: &Scope,
    office: Option<&str>,
) -> Result<Vec<auth::AuditRecord>, AuthError> {
    let office_id = match office {
        Some(code) => Some(scope.office_by_code(conn, code)?.id),
        None => None,
    };
    Ok(auth::list_audit(conn, scope, office_id, 500)?)
}

pub async fn audit_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    q: web::Query<OfficeQuery>,
) -> PageResult {
    require(&staff, staff.user.role().can_view_audit())?;
    let (lang, scope, office) = (staff.tr.lang, staff.scope.clone(), q.office.clone());
    let records = db(&state, move |conn| {
        scoped_audit(conn, &scope, office.as_deref()).map_err(|e| PageError::from_auth(e, lang))
    })
    .await?;
    let entries = records
        .into_iter()
        .map(|r| AuditLine {
            at: (r.at + chrono::Duration::hours(8))
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
            actor: r.actor,
            action: r.action,
            target: r.target,
            detail: r.detail,
            addr: r.client_addr.unwrap_or_default(),
        })
        .collect();
    render(&AuditPage {
        chrome: Chrome::new(&staff, "audit", &req),
        entries,
    })
}

/// The audit log of the scope (directors and administrators).
#[utoipa::path(get, path = "/api/v1/console/audit", tag = "console", security(("session" = [])), params(("office" = Option<String>, Query, description = "One office's code")), responses((status = 200, description = "Audit entries, newest first"), (status = 401, description = "Not logged in", body = super::responses::ErrorBody), (status = 403, description = "The role may not see this", body = super::responses::ErrorBody)))]
pub async fn audit_api(
    state: web::Data<AppState>,
    staff: Staff,
    q: web::Query<OfficeQuery>,
) -> Result<HttpResponse, ApiError> {
    if !staff.user.role().can_view_audit() {
        return Err(ApiError::Forbidden(
            "your role may not read the audit log".into(),
        ));
    }
    let (scope, office) = (staff.scope.clone(), q.office.clone());
    let records = super::with_conn(&state.pool, move |conn| {
        scoped_audit(conn, &scope, office.as_deref()).map_err(ApiError::from)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "entries": records })))
}

// ---------------------------------------------------------------- password

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    chrome: Chrome,
    message: Option<String>,
    error: Option<String>,
}

pub async fn password_page(
    req: HttpRequest,
    staff: Staff,
    q: web::Query<MessageQuery>,
) -> PageResult {
    let message = q.done.as_ref().map(|_| staff.tr.s("password-changed"));
    render(&PasswordPage {
        chrome: Chrome::new(&staff, "password", &req),
        message,
        error: None,
    })
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    new: String,
    confirm: String,
}

pub async fn password_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    post: StaffForm<PasswordForm>,
) -> PageResult {
    let StaffForm { staff, form } = post;
    let t = staff.tr;
    let problem = if form.new != form.confirm {
        Some(t.s("password-mismatch"))
    } else {
        auth::check_password_policy(&form.new)
            .err()
            .map(|e| e.to_string())
    };
    let user = staff.user.clone();
    let (session_id, addr) = (staff.session_id, client_addr(&req));
    let error = match problem {
        Some(p) => Some(p),
        None => {
            let stored = user.password_hash.clone();
            let (current, new) = (form.current, form.new);
            let checked = web::block(move || {
                auth::verify_password(&stored, &current).then(|| auth::hash_password(&new))
            })
            .await?;
            match checked {
                None => Some(t.s("password-wrong")),
                Some(hash) => {
                    db(&state, move |conn| {
                        auth::change_password(conn, &user, &hash, None, Some(&addr))?;
                        auth::delete_other_sessions(conn, user.id, session_id)?;
                        Ok(())
                    })
                    .await?;
                    return Ok(HttpResponse::SeeOther()
                        .insert_header((header::LOCATION, "/console/password?done=1"))
                        .finish());
                }
            }
        }
    };
    let body = PasswordPage {
        chrome: Chrome::new(&staff, "password", &req),
        message: None,
        error,
    }
    .render()
    .map_err(PageError::internal)?;
    Ok(HttpResponse::BadRequest()
        .content_type("text/html; charset=utf-8")
        .body(body))
}
