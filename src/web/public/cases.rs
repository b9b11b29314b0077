//! Citizen-facing pages of the register: the director's mailbox (首長信箱),
//! which gives a case number and a secret, and the lookup that shows the
//! status and published reply (no personal data) and takes a rating.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::calendar::Calendar;
use crate::cases::{self, Case, CaseChannel, CaseError, NewCase};
use crate::offices::{self, Office};
use crate::web::ApiError;
use crate::web::session::{client_addr, cookie_secure, tokens_match};
use crate::web::state::AppState;

const FORM_COOKIE: &str = "manyi_form_csrf";

fn random_hex() -> String {
    use rand::RngExt;
    let b: [u8; 16] = rand::rng().random();
    hex::encode(b)
}

fn html(
    status: StatusCode,
    t: &impl Template,
    req: &HttpRequest,
    state: &AppState,
    csrf: Option<&str>,
) -> Result<HttpResponse, ApiError> {
    let body = t.render().map_err(ApiError::internal)?;
    let mut res = HttpResponse::build(status);
    res.content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"));
    if let Some(token) = csrf {
        res.cookie(
            Cookie::build(FORM_COOKIE, token.to_owned())
                .path("/")
                .http_only(true)
                .secure(cookie_secure(req, state))
                .same_site(SameSite::Strict)
                .finish(),
        );
    }
    Ok(res.body(body))
}

fn check_form_token(req: &HttpRequest, given: &str) -> Result<(), ApiError> {
    let cookie = req
        .cookie(FORM_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    if tokens_match(given, &cookie) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "the form has expired; reload the page and send it again".into(),
        ))
    }
}

/// Every public form post: its form token, then the per-address rate limit.
fn public_post_guard(
    req: &HttpRequest,
    state: &AppState,
    csrf: &str,
    too_many: &str,
) -> Result<(), ApiError> {
    check_form_token(req, csrf)?;
    if state.limits.allow_address(&client_addr(req)) {
        Ok(())
    } else {
        Err(ApiError::TooManyRequests(too_many.to_owned()))
    }
}

struct Category {
    code: String,
    zh: String,
    en: String,
}

#[derive(Template)]
#[template(path = "mailbox.html")]
struct MailboxPage {
    office: Office,
    categories: Vec<Category>,
    csrf: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "mailbox_done.html")]
struct MailboxDone {
    office: Office,
    case_no: String,
    secret: String,
    due: String,
}

async fn mailbox_office(
    state: &web::Data<AppState>,
    code: String,
) -> Result<(Office, Vec<Category>), ApiError> {
    crate::web::with_conn(&state.pool, move |conn| {
        let office = offices::OfficeCode::parse(&code)
            .ok()
            .map(|c| offices::find_office_by_code(conn, &c))
            .transpose()?
            .flatten()
            .filter(|o| o.active)
            .ok_or_else(|| ApiError::NotFound(format!("no office `{code}`")))?;
        let categories = cases::categories(conn, true)?
            .into_iter()
            .map(|c| Category {
                code: c.code,
                zh: c.name_zh,
                en: c.name_en,
            })
            .collect();
        Ok((office, categories))
    })
    .await
}

pub async fn mailbox_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (office, categories) = mailbox_office(&state, code.into_inner()).await?;
    let csrf = random_hex();
    html(
        StatusCode::OK,
        &MailboxPage {
            office,
            categories,
            csrf: csrf.clone(),
            error: None,
        },
        &req,
        &state,
        Some(&csrf),
    )
}

#[derive(Deserialize)]
pub struct MailboxForm {
    #[serde(default)]
    csrf: String,
    category: String,
    subject: String,
    content: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    website: String,
}

pub async fn mailbox_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
    form: web::Form<MailboxForm>,
) -> Result<HttpResponse, ApiError> {
    let form = form.into_inner();
    public_post_guard(
        &req,
        &state,
        &form.csrf,
        "too many messages from this address; try again later",
    )?;
    let (office, categories) = mailbox_office(&state, code.into_inner()).await?;
    let secret = cases::new_secret();
    if !form.website.trim().is_empty() {
        // A bot: answer like a success, store nothing.
        let done = MailboxDone {
            office,
            case_no: "—".into(),
            secret: "—".into(),
            due: "—".into(),
        };
        return html(StatusCode::OK, &done, &req, &state, None);
    }
    for (field, value, max) in [
        ("subject", &form.subject, 200),
        ("content", &form.content, 5000),
        ("name", &form.name, 100),
        ("contact", &form.contact, 200),
    ] {
        if value.chars().count() > max {
            let csrf = random_hex();
            let page = MailboxPage {
                office,
                categories,
                csrf: csrf.clone(),
                error: Some(format!("{field}: 最多 {max} 字 at most {max} characters")),
            };
            return html(StatusCode::BAD_REQUEST, &page, &req, &state, Some(&csrf));
        }
    }
    let office_id = office.id;
    let new = NewCase {
        office_id,
        channel: CaseChannel::Mailbox,
        category_code: form.category.clone(),
        subject: form.subject.clone(),
        content: form.content.clone(),
        petitioner_name: Some(form.name.trim().to_owned()).filter(|s| !s.is_empty()),
        petitioner_contact: Some(form.contact.trim().to_owned()).filter(|s| !s.is_empty()),
        language: if form.language == "en" {
            "en".into()
        } else {
            "zh-TW".into()
        },
        confidential: false,
        received_on: crate::calendar::taipei::today(),
        lookup_secret_hash: Some(cases::secret_hash(&secret)),
        // The page's one-time form token: a form sent twice (a double tap, a
        // retry after a dropped connection) is stored once.
        idempotency_key: Some(format!(
            "mailbox:{}",
            crate::survey::devices::sha256_hex(&form.csrf)
        )),
    };
    let outcome = crate::web::with_conn(&state.pool, move |conn| {
        let cal = Calendar::load(conn)?;
        Ok::<_, ApiError>(cases::register_case(conn, &cal, &new, None))
    })
    .await?;
    match outcome {
        Ok(case) => html(
            StatusCode::OK,
            &MailboxDone {
                office,
                // A resent form: the lookup code was shown the first time only.
                secret: if case.lookup_secret_hash.as_deref() == Some(&cases::secret_hash(&secret))
                {
                    secret
                } else {
                    "（已於第一次送出時顯示 shown when first sent）".into()
                },
                case_no: case.case_no,
                due: case.due_on.to_string(),
            },
            &req,
            &state,
            None,
        ),
        Err(CaseError::Invalid { field, message }) => {
            let csrf = random_hex();
            let page = MailboxPage {
                office,
                categories,
                csrf: csrf.clone(),
                error: Some(format!("{field}: {message}")),
            };
            html(StatusCode::BAD_REQUEST, &page, &req, &state, Some(&csrf))
        }
        Err(CaseError::Db(e)) => Err(ApiError::internal(e)),
        Err(e) => Err(ApiError::internal(e)),
    }
}

#[derive(Template)]
#[template(path = "lookup.html")]
struct LookupPage {
    csrf: String,
    case: Option<Case>,
    case_no: String,
    secret: String,
    message: Option<String>,
}

pub async fn lookup_form(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let csrf = random_hex();
    let page = LookupPage {
        csrf: csrf.clone(),
        case: None,
        case_no: String::new(),
        secret: String::new(),
        message: None,
    };
    html(StatusCode::OK, &page, &req, &state, Some(&csrf))
}

#[derive(Deserialize)]
pub struct LookupForm {
    #[serde(default)]
    csrf: String,
    case_no: String,
    secret: String,
    rating: Option<String>,
    #[serde(default)]
    comment: String,
}

/// Shows a case to the citizen; with `rating`, records the rating first.
pub async fn lookup_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LookupForm>,
) -> Result<HttpResponse, ApiError> {
    let form = form.into_inner();
    public_post_guard(&req, &state, &form.csrf, "too many attempts; wait a minute")?;
    let (case_no, secret, rating, comment) = (
        form.case_no.clone(),
        form.secret.clone(),
        form.rating.clone(),
        form.comment.clone(),
    );
    let (case, message) = crate::web::with_conn(&state.pool, move |conn| {
        let mut message = None;
        if let Some(r) = rating.as_deref() {
            let r: i16 = r.parse().map_err(|_| ApiError::BadRequest {
                field: Some("rating".into()),
                message: "must be from 1 to 5".into(),
            })?;
            match cases::citizen_rate(conn, &case_no, &secret, r, &comment) {
                Ok(_) => message = Some("感謝您的評分！Thank you for your rating!".to_owned()),
                Err(CaseError::Invalid { field, message: m }) => {
                    return Err(ApiError::BadRequest {
                        field: Some(field.into()),
                        message: m,
                    });
                }
                Err(CaseError::Auth(_)) => {}
                Err(e) => return Err(ApiError::internal(e)),
            }
        }
        Ok((cases::citizen_lookup(conn, &case_no, &secret)?, message))
    })
    .await?;
    let status = if case.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    let message = message.or_else(|| {
        case.is_none().then(|| {
            "查無此案件，請確認案件編號與查詢碼。No case matches this number and code.".to_owned()
        })
    });
    let csrf = random_hex();
    let page = LookupPage {
        csrf: csrf.clone(),
        case,
        case_no: form.case_no,
        secret: form.secret,
        message,
    };
    html(status, &page, &req, &state, Some(&csrf))
}
