//! Citizen-facing pages of the register: the director's mailbox (首長信箱),
//! which gives a case number and a secret, and the lookup that shows the
//! status and published reply (no personal data) and takes a rating.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::problem::Problem;
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
    /// The field refused and why, in zh-TW and English.
    error: Option<(String, String, String)>,
    kept: MailboxForm,
}

impl MailboxPage {
    /// The message for a field, when it was the one refused: (zh-TW, English).
    fn err(&self, field: &str) -> Option<(&str, &str)> {
        self.error
            .as_ref()
            .filter(|(f, _, _)| f == field)
            .map(|(_, zh, en)| (zh.as_str(), en.as_str()))
    }
}

#[derive(Template)]
#[template(path = "mailbox_done.html")]
struct MailboxDone {
    office: Office,
    case_no: String,
    secret: String,
    due: String,
    due_en: String,
    /// The web questionnaire to offer next.
    web_form: Option<String>,
}

async fn mailbox_office(
    state: &web::Data<AppState>,
    code: String,
) -> Result<(Office, Vec<Category>), Problem> {
    crate::web::with_conn(&state.pool, move |conn| {
        let office = offices::OfficeCode::parse(&code)
            .ok()
            .map(|c| offices::find_office_by_code(conn, &c))
            .transpose()?
            .flatten()
            .filter(|o| o.active);
        let Some(office) = office else {
            return Ok(None);
        };
        let categories = cases::categories(conn, true)?
            .into_iter()
            .map(|c| Category {
                code: c.code,
                zh: c.name_zh,
                en: c.name_en,
            })
            .collect();
        Ok::<_, ApiError>(Some((office, categories)))
    })
    .await?
    .ok_or_else(Problem::unknown_office)
}

pub async fn mailbox_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let (office, categories) = mailbox_office(&state, code.into_inner()).await?;
    let csrf = random_hex();
    Ok(html(
        StatusCode::OK,
        &MailboxPage {
            office,
            categories,
            csrf: csrf.clone(),
            error: None,
            kept: MailboxForm::default(),
        },
        &req,
        &state,
        Some(&csrf),
    )?)
}

#[derive(Deserialize, Default, Clone)]
pub struct MailboxForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
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
) -> Result<HttpResponse, Problem> {
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
            due_en: "—".into(),
            web_form: None,
        };
        return Ok(html(StatusCode::OK, &done, &req, &state, None)?);
    }
    // Refused: the same form again, the message at the field, the text kept.
    let refuse = |office: Office,
                  categories: Vec<Category>,
                  field: &str,
                  zh: String,
                  en: String|
     -> Result<HttpResponse, Problem> {
        let csrf = random_hex();
        let page = MailboxPage {
            office,
            categories,
            csrf: csrf.clone(),
            error: Some((field.to_owned(), zh, en)),
            kept: MailboxForm {
                csrf: String::new(),
                ..form.clone()
            },
        };
        Ok(html(
            StatusCode::BAD_REQUEST,
            &page,
            &req,
            &state,
            Some(&csrf),
        )?)
    };
    for (field, value, max) in [
        ("subject", &form.subject, 200),
        ("content", &form.content, 5000),
        ("name", &form.name, 100),
        ("contact", &form.contact, 200),
    ] {
        if value.chars().count() > max {
            return refuse(
                office,
                categories,
                field,
                format!("最多 {max} 個字。"),
                format!("At most {max} characters."),
            );
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
        Ok(case) => Ok(html(
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
                due: crate::calendar::roc::roc_date(case.due_on),
                due_en: crate::calendar::roc::english_date(case.due_on),
                web_form: super::web_form_key(&state),
            },
            &req,
            &state,
            None,
        )?),
        Err(CaseError::Invalid { field, message, zh }) => {
            refuse(office, categories, field, zh, message)
        }
        Err(e) => Err(ApiError::internal(e).into()),
    }
}

/// A case as the citizen reads it: words and ROC dates, nothing personal.
struct CaseView {
    case_no: String,
    subject: String,
    received: (String, String),
    due: (String, String),
    status: (&'static str, &'static str),
    reply: Option<String>,
    /// The citizen's rating, as its face.
    rated: Option<Face>,
}

impl CaseView {
    fn of(c: &Case) -> Self {
        use crate::calendar::roc::{english_date, roc_date};
        CaseView {
            case_no: c.case_no.clone(),
            subject: c.subject.clone(),
            received: (roc_date(c.received_on), english_date(c.received_on)),
            due: (roc_date(c.due_on), english_date(c.due_on)),
            status: (c.status.label_zh(), c.status.label_en()),
            reply: c.published_reply.clone(),
            rated: c
                .citizen_rating
                .and_then(|r| faces().into_iter().find(|f| i16::from(f.value) == r)),
        }
    }
}

/// One of the five labelled faces, as on the questionnaire.
struct Face {
    value: u8,
    svg: String,
    zh: String,
    en: String,
}

fn faces() -> Vec<Face> {
    crate::forms::LikertScale::Satisfaction
        .labels()
        .into_iter()
        .zip((1..=5u8).rev())
        .map(|(text, n)| Face {
            value: n,
            svg: super::kiosk::face_svg(n),
            zh: text.zh_tw,
            en: text.en,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "lookup.html")]
struct LookupPage {
    csrf: String,
    case: Option<CaseView>,
    case_no: String,
    secret: String,
    /// What happened, in both languages; `error` when it is a refusal.
    message: Option<(String, String)>,
    error: bool,
    faces: Vec<Face>,
    comment: String,
}

pub async fn lookup_form(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let csrf = random_hex();
    let page = LookupPage {
        csrf: csrf.clone(),
        case: None,
        case_no: String::new(),
        secret: String::new(),
        message: None,
        error: false,
        faces: faces(),
        comment: String::new(),
    };
    Ok(html(StatusCode::OK, &page, &req, &state, Some(&csrf))?)
}

#[derive(Deserialize)]
pub struct LookupForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    case_no: String,
    #[serde(default)]
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
) -> Result<HttpResponse, Problem> {
    let form = form.into_inner();
    public_post_guard(&req, &state, &form.csrf, "too many attempts; wait a minute")?;
    let (case_no, secret, rating, comment) = (
        form.case_no.trim().to_uppercase(),
        form.secret.trim().to_uppercase(),
        form.rating.clone(),
        form.comment.clone(),
    );
    let (case, message, error) = crate::web::with_conn(&state.pool, move |conn| {
        let mut message = None;
        let mut error = false;
        if let Some(r) = rating.as_deref() {
            let outcome = match r.parse::<i16>() {
                Ok(r) => cases::citizen_rate(conn, &case_no, &secret, r, &comment),
                Err(_) => Err(CaseError::Invalid {
                    field: "rating",
                    message: "Please choose one of the five faces.".into(),
                    zh: "請選擇一個表情評分。".into(),
                }),
            };
            match outcome {
                Ok(_) => {
                    message = Some((
                        "感謝您的評分！".to_owned(),
                        "Thank you for your rating!".to_owned(),
                    ))
                }
                Err(CaseError::Invalid {
                    message: en, zh, ..
                }) => {
                    message = Some((zh, en));
                    error = true;
                }
                Err(CaseError::Auth(_)) => {}
                Err(e) => return Err(ApiError::internal(e)),
            }
        }
        Ok((
            cases::citizen_lookup(conn, &case_no, &secret)?,
            message,
            error,
        ))
    })
    .await?;
    let status = if case.is_none() {
        StatusCode::NOT_FOUND
    } else if error {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let message = message.or_else(|| {
        case.is_none().then(|| {
            (
                "查無此案件，請確認案件編號與查詢碼（送出意見時顯示的 10 碼）。".to_owned(),
                "No case matches this number and code (the code shown when you sent your message)."
                    .to_owned(),
            )
        })
    });
    let csrf = random_hex();
    let page = LookupPage {
        csrf: csrf.clone(),
        error: error || case.is_none(),
        case: case.as_ref().map(CaseView::of),
        case_no: form.case_no,
        secret: if case.is_some() {
            form.secret
        } else {
            String::new()
        },
        message,
        faces: faces(),
        comment: if error { form.comment } else { String::new() },
    };
    Ok(html(status, &page, &req, &state, Some(&csrf))?)
}
