//! The citizen-facing questionnaire pages: the counter kiosk (`/kiosk`, an
//! enrolled tablet) and the web questionnaire (`/survey/{office}/{form}`).
//! Both render the same questionnaire; `assets/questionnaire.js` submits it to
//! `POST /api/v1/responses`, queueing it in localStorage until acknowledged.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::{Deserialize, Serialize};

use crate::forms::{Channel, Form, ItemKind, Text};
use crate::offices::{self, Office};
use crate::survey::devices::{self, DeviceError};
use crate::web::ApiError;
use crate::web::api::responses::DEVICE_COOKIE;
use crate::web::session::{client_addr, cookie_secure};
use crate::web::state::AppState;

const SCRIPT: &str = include_str!("../../../assets/questionnaire.js");

pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(SCRIPT)
}

/// One answer option as the page shows it.
struct OptionView {
    value: String,
    text: Text,
    /// 1-5 for the faces of a 5-point scale.
    face: Option<u8>,
}

impl OptionView {
    /// An inline SVG face for a 5-point answer (decorative: the label names it).
    fn face_svg(&self) -> String {
        self.face.map(face_svg).unwrap_or_default()
    }
}

/// The face of a score on the 5-point scale (5 smiles, 1 frowns), as inline SVG.
pub(super) fn face_svg(n: u8) -> String {
    let (colour, mouth) = match n {
        5 => ("#1b7f3b", "M18 38 Q32 54 46 38"),
        4 => ("#3f8f2a", "M20 40 Q32 48 44 40"),
        3 => ("#6b6b00", "M20 42 L44 42"),
        2 => ("#b35900", "M20 46 Q32 38 44 46"),
        _ => ("#b3261e", "M18 48 Q32 34 46 48"),
    };
    format!(
        "<svg class=\"face\" viewBox=\"0 0 64 64\" aria-hidden=\"true\" focusable=\"false\">\
         <circle cx=\"32\" cy=\"32\" r=\"29\" fill=\"#fff\" stroke=\"{colour}\" stroke-width=\"4\"/>\
         <circle cx=\"23\" cy=\"25\" r=\"4\" fill=\"{colour}\"/><circle cx=\"41\" cy=\"25\" r=\"4\" fill=\"{colour}\"/>\
         <path d=\"{mouth}\" stroke=\"{colour}\" stroke-width=\"4\" fill=\"none\" stroke-linecap=\"round\"/></svg>"
    )
}

struct ItemView {
    key: String,
    text: Text,
    help: Option<Text>,
    required: bool,
    /// likert5, single, multiple, nps, points, text, service_type
    kind: &'static str,
    options: Vec<OptionView>,
    max_length: u32,
}

/// What the script needs, embedded as JSON.
#[derive(Serialize)]
struct Config<'a> {
    form: &'a str,
    version: &'a str,
    channel: Channel,
    office: Option<&'a str>,
    survey_token: Option<&'a str>,
    idle_seconds: u32,
    kiosk: bool,
    required: Vec<&'a str>,
}

#[derive(Template)]
#[template(path = "questionnaire.html")]
struct QuestionnairePage<'a> {
    title: &'a Text,
    description: Option<&'a Text>,
    thanks: Text,
    place: Text,
    items: Vec<ItemView>,
    kiosk: bool,
    /// The office's code, for the next steps after a web questionnaire.
    office_code: Option<String>,
    config_json: String,
}

fn items(form: &Form, service_types: &[offices::ServiceType]) -> Vec<ItemView> {
    form.items
        .iter()
        .map(|item| {
            let mut max_length = 0;
            let options = match &item.kind {
                ItemKind::Likert5 { scale, allow_na } => {
                    let mut o: Vec<OptionView> = scale
                        .labels()
                        .into_iter()
                        .zip((1..=5u8).rev())
                        .map(|(text, n)| OptionView {
                            value: n.to_string(),
                            text,
                            face: Some(n),
                        })
                        .collect();
                    if *allow_na {
                        o.push(OptionView {
                            value: "na".into(),
                            text: Text::new("不適用", "Not applicable"),
                            face: None,
                        });
                    }
                    o
                }
                ItemKind::Single { options } | ItemKind::Multiple { options, .. } => options
                    .iter()
                    .map(|c| OptionView {
                        value: c.key.clone(),
                        text: c.text.clone(),
                        face: None,
                    })
                    .collect(),
                ItemKind::Nps => (0..=10)
                    .map(|n| OptionView {
                        value: n.to_string(),
                        text: Text::new(&n.to_string(), &n.to_string()),
                        face: None,
                    })
                    .collect(),
                ItemKind::Points { max, levels } if levels.is_empty() => (0..=*max)
                    .rev()
                    .map(|n| OptionView {
                        value: n.to_string(),
                        text: Text::new(&format!("{n} 分"), &format!("{n} pts")),
                        face: None,
                    })
                    .collect(),
                ItemKind::Points { levels, .. } => levels
                    .iter()
                    .map(|l| OptionView {
                        value: l.points.to_string(),
                        text: l.text.clone(),
                        face: None,
                    })
                    .collect(),
                ItemKind::Text { max_length: m } => {
                    max_length = *m;
                    Vec::new()
                }
                ItemKind::ServiceType => service_types
                    .iter()
                    .map(|t| OptionView {
                        value: t.code.clone(),
                        text: Text::new(&t.name_zh, &t.name_en),
                        face: None,
                    })
                    .collect(),
            };
            ItemView {
                key: item.key.to_string(),
                text: item.text.clone(),
                help: item.help.clone(),
                required: item.required,
                kind: item.kind.type_name(),
                options,
                max_length,
            }
        })
        .collect()
}

fn page_html(status: StatusCode, t: &impl Template) -> Result<HttpResponse, ApiError> {
    let body = t.render().map_err(ApiError::internal)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

#[allow(clippy::too_many_arguments)]
fn questionnaire(
    state: &AppState,
    form_key: &str,
    channel: Channel,
    office: &Office,
    place: Text,
    kiosk: bool,
    survey_token: Option<&str>,
    service_types: &[offices::ServiceType],
) -> Result<HttpResponse, ApiError> {
    let loaded = state
        .catalog
        .get(form_key)
        .ok_or_else(|| ApiError::NotFound(format!("no form `{form_key}`")))?;
    let form = &loaded.form;
    let config = Config {
        form: &form.key,
        version: &loaded.version_hash,
        channel,
        office: (channel != Channel::Counter).then_some(office.code.as_str()),
        survey_token,
        idle_seconds: state.kiosk_idle_seconds,
        kiosk,
        required: form
            .items
            .iter()
            .filter(|i| i.required)
            .map(|i| i.key.as_str())
            .collect(),
    };
    // Inside <script type="application/json">: keep `</` from closing it.
    let config_json = serde_json::to_string(&config)
        .map_err(ApiError::internal)?
        .replace("</", "<\\/");
    page_html(
        StatusCode::OK,
        &QuestionnairePage {
            title: &form.title,
            description: form.description.as_ref(),
            thanks: form
                .thanks
                .clone()
                .unwrap_or_else(|| Text::new("謝謝您的寶貴意見！", "Thank you for your feedback!")),
            place,
            items: items(form, service_types),
            kiosk,
            office_code: Some(office.code.to_string()),
            config_json,
        },
    )
}

#[derive(Template)]
#[template(path = "kiosk_enrol.html")]
struct EnrolPage {
    message: Option<Text>,
}

/// The kiosk: the counter questionnaire on an enrolled tablet, or the
/// enrolment page on a tablet that is not (yet, or any more) enrolled.
pub async fn kiosk(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let token = req.cookie(DEVICE_COOKIE).map(|c| c.value().to_owned());
    let found = crate::web::with_conn(&state.pool, move |conn| {
        let Some(token) = token else {
            return Ok::<_, ApiError>(None);
        };
        let Some(device) = devices::device_by_token(conn, &token)? else {
            return Ok(None);
        };
        let office = offices::list_offices(conn)?
            .into_iter()
            .find(|o| o.id == device.office_id)
            .ok_or_else(|| ApiError::internal("device of a missing office"))?;
        let counter = offices::counters_of(conn, office.id)?
            .into_iter()
            .find(|c| Some(c.id) == device.counter_id);
        let types = offices::service_types(conn)?;
        Ok(Some((office, counter, types)))
    })
    .await?;
    let Some((office, counter, types)) = found else {
        return page_html(StatusCode::OK, &EnrolPage { message: None });
    };
    let place = match &counter {
        Some(c) => Text::new(
            &format!("{} · {}", office.name_zh, c.name_zh),
            &format!("{} · {}", office.name_en, c.name_en),
        ),
        None => Text::new(&office.name_zh, &office.name_en),
    };
    questionnaire(
        &state,
        "counter",
        Channel::Counter,
        &office,
        place,
        true,
        None,
        &types,
    )
}

#[derive(Deserialize)]
pub struct EnrolQuery {
    code: Option<String>,
}

/// Redeems a one-time enrolment code; the tablet keeps a device token cookie.
pub async fn enrol(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<EnrolQuery>,
) -> Result<HttpResponse, ApiError> {
    let Some(code) = q.code.clone().filter(|c| !c.trim().is_empty()) else {
        return page_html(StatusCode::OK, &EnrolPage { message: None });
    };
    let addr = client_addr(&req);
    if !state.limits.allow_address(&addr) {
        return Err(ApiError::TooManyRequests(
            "too many attempts; wait a minute".into(),
        ));
    }
    let outcome = crate::web::with_conn(&state.pool, move |conn| {
        match devices::enrol(conn, &code, Some(&addr)) {
            Ok((_, token)) => Ok(Some(token)),
            Err(DeviceError::BadCode) => Ok(None),
            Err(DeviceError::Db(e)) => Err(ApiError::internal(e)),
            Err(DeviceError::Auth(e)) => Err(e.into()),
            Err(e @ DeviceError::Label) => Err(ApiError::internal(e)),
        }
    })
    .await?;
    match outcome {
        Some(token) => {
            let cookie = Cookie::build(DEVICE_COOKIE, token)
                .path("/")
                .http_only(true)
                .secure(cookie_secure(&req, &state))
                .same_site(SameSite::Strict)
                .max_age(actix_web::cookie::time::Duration::days(5 * 365))
                .finish();
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/kiosk"))
                .cookie(cookie)
                .finish())
        }
        None => page_html(
            StatusCode::BAD_REQUEST,
            &EnrolPage {
                message: Some(Text::new(
                    "啟用碼無效、已使用或已過期，請向主任索取新的啟用碼。",
                    "The enrolment code is unknown, used or expired; ask the director for a new one.",
                )),
            },
        ),
    }
}

#[derive(Deserialize)]
pub struct SurveyQuery {
    t: Option<String>,
}

/// The web questionnaire of an office (`web` forms), or an internal survey
/// (`internal` forms, usually through a one-time link `?t=…`).
pub async fn survey(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    q: web::Query<SurveyQuery>,
) -> Result<HttpResponse, super::problem::Problem> {
    use super::problem::Problem;
    let (office_code, form_key) = path.into_inner();
    let Some(loaded) = state.catalog.get(&form_key) else {
        return Err(Problem::unknown_form());
    };
    let channel = if loaded.form.accepts(Channel::Web) {
        Channel::Web
    } else if loaded.form.accepts(Channel::Internal) {
        Channel::Internal
    } else {
        return Err(Problem::unknown_form());
    };
    let found = crate::web::with_conn(&state.pool, move |conn| {
        let Ok(code) = offices::OfficeCode::parse(&office_code) else {
            return Ok(None);
        };
        let Some(office) = offices::find_office_by_code(conn, &code)?.filter(|o| o.active) else {
            return Ok(None);
        };
        Ok::<_, ApiError>(Some((office, offices::service_types(conn)?)))
    })
    .await?;
    let (office, types) = found.ok_or_else(Problem::unknown_office)?;
    let place = Text::new(&office.name_zh, &office.name_en);
    Ok(questionnaire(
        &state,
        &form_key,
        channel,
        &office,
        place,
        false,
        q.t.as_deref(),
        &types,
    )?)
}
