//! `POST /api/v1/responses`: the one way responses come in, from the counter
//! kiosk, the web questionnaire and internal surveys. Every bad input is a 4xx
//! whose JSON names the field; nothing is stored on any error.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::DbError;
use crate::forms::Channel;
use crate::survey::{self, AnswerValue, IdempotencyKey, SurveyError, devices};
use crate::web::ApiError;
use crate::web::session::client_addr;
use crate::web::state::AppState;

pub const DEVICE_COOKIE: &str = "manyi_device";
pub const DEVICE_HEADER: &str = "X-Device-Token";
pub const MAX_BODY: usize = 64 * 1024;

/// A questionnaire as submitted.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    /// Form key, e.g. `counter`.
    pub form: String,
    /// The form version (hash) the questionnaire was shown with; the current one when absent.
    #[serde(default)]
    pub version: Option<String>,
    /// A client-made key (a UUID): retries with the same key are stored once.
    pub idempotency_key: String,
    /// `counter` (needs an enrolled device), `web` or `internal`.
    #[schema(value_type = ChannelName)]
    pub channel: String,
    /// Office code; required for `web` and `internal`, taken from the device for `counter`.
    #[serde(default)]
    pub office: Option<String>,
    /// When the citizen answered (queued answers arrive later); server time when absent.
    #[serde(default)]
    pub answered_at: Option<DateTime<Utc>>,
    /// Item key → a score (number), a choice or text (string), or choices (list of strings).
    #[schema(value_type = Object)]
    pub answers: BTreeMap<String, serde_json::Value>,
    /// One-time link token of an internal survey.
    #[serde(default)]
    pub survey_token: Option<String>,
    /// Must stay empty (a field people never see).
    #[serde(default)]
    pub website: Option<String>,
}

/// Where a response comes from.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // a schema only: the field stays text, checked with its own message
pub enum ChannelName {
    Counter,
    Web,
    Internal,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubmitResponse {
    pub response_id: i64,
    /// `true` when this idempotency key was stored before (nothing new written).
    pub duplicate: bool,
}

/// The JSON body of every API error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    /// The offending field, e.g. `answers.waiting_time`.
    pub field: Option<String>,
}

fn too_many() -> ApiError {
    ApiError::TooManyRequests(
        "too many submissions; the answers are kept and can be sent again shortly".into(),
    )
}

fn bad(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::BadRequest {
        field: Some(field.to_owned()),
        message: message.into(),
    }
}

fn answer_value(key: &str, v: serde_json::Value) -> Result<AnswerValue, ApiError> {
    let field = format!("answers.{key}");
    match v {
        serde_json::Value::Number(n) => n
            .as_i64()
            .map(AnswerValue::Number)
            .ok_or_else(|| bad(&field, "must be a whole number")),
        serde_json::Value::String(s) => Ok(AnswerValue::Text(s)),
        serde_json::Value::Array(items) => items
            .into_iter()
            .map(|i| match i {
                serde_json::Value::String(s) => Ok(s),
                _ => Err(bad(
                    &field,
                    "a list of choices must hold option keys (text)",
                )),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(AnswerValue::List),
        _ => Err(bad(&field, "must be a number, a text or a list of texts")),
    }
}

async fn read_body(req: &HttpRequest, mut payload: web::Payload) -> Result<Vec<u8>, ApiError> {
    let too_large = || ApiError::TooLarge(format!("the body is over {} KiB", MAX_BODY / 1024));
    if let Some(len) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        && len > MAX_BODY
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| bad("body", e.to_string()))?;
        if body.len() + chunk.len() > MAX_BODY {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn parse_request(body: &[u8]) -> Result<SubmitRequest, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    let request = parse_fields(de)?;
    // One JSON document and nothing after it.
    de.end()
        .map_err(|e| bad("body", format!("malformed JSON: {e}")))?;
    Ok(request)
}

fn parse_fields(
    de: &mut serde_json::Deserializer<serde_json::de::SliceRead<'_>>,
) -> Result<SubmitRequest, ApiError> {
    serde_path_to_error::deserialize(de).map_err(|e| {
        let inner = e.inner().to_string();
        let path = e.path().to_string();
        let field = if let Some(rest) = inner.strip_prefix("unknown field `") {
            rest.split('`').next().unwrap_or("body").to_owned()
        } else if e.inner().is_syntax() || e.inner().is_eof() {
            "body".to_owned()
        } else if path == "." || path == "?" || path.is_empty() {
            match inner.split_once("missing field `") {
                Some((_, rest)) => rest.split('`').next().unwrap_or("body").to_owned(),
                None => "body".to_owned(),
            }
        } else {
            path
        };
        let message = if e.inner().is_syntax() || e.inner().is_eof() {
            format!("malformed JSON: {inner}")
        } else {
            inner
        };
        bad(&field, message)
    })
}

/// A body's fields parsed, before any database work.
struct Parsed {
    request: SubmitRequest,
    channel: Channel,
    key: IdempotencyKey,
    answers: BTreeMap<String, AnswerValue>,
}

fn parse_body(body: &[u8]) -> Result<Parsed, ApiError> {
    let mut request = parse_request(body)?;
    let channel = Channel::parse(&request.channel)
        .ok_or_else(|| bad("channel", "must be counter, web or internal"))?;
    let key = IdempotencyKey::parse(&request.idempotency_key).map_err(ApiError::from)?;
    let mut answers = BTreeMap::new();
    for (k, v) in std::mem::take(&mut request.answers) {
        let value = answer_value(&k, v)?;
        answers.insert(k, value);
    }
    Ok(Parsed {
        request,
        channel,
        key,
        answers,
    })
}

/// A body of `POST /api/v1/responses` checked as the handler checks it
/// before it needs the database (JSON, channel, key, each answer's shape),
/// then its answers against the current version of the form it names, as
/// [`survey::prepare`] checks them. The fuzz targets' way in; `Ok` is the
/// number of answers that would be stored.
pub fn check_body(catalog: &crate::forms::FormCatalog, body: &[u8]) -> Result<usize, ApiError> {
    let parsed = parse_body(body)?;
    let form = catalog
        .get(&parsed.request.form)
        .ok_or_else(|| bad("form", format!("no form `{}`", parsed.request.form)))?;
    let checked = survey::check_answers(&form.form, &parsed.answers)?;
    Ok(checked.answers.len())
}

/// Who sends a submission. Kiosks first: an unknown device token counts
/// against the client's address (rotating made-up tokens meets its limit), a
/// known device against its own budget. A staff session matters only to
/// `staff` forms: the caller passes its cookie only for those.
fn submitter(
    conn: &mut crate::db::DbConnection,
    app: &AppState,
    channel: Channel,
    device_token: Option<String>,
    session_token: Option<String>,
    addr: &str,
) -> Result<survey::Submitter, ApiError> {
    if channel == Channel::Counter {
        let device = match device_token.as_deref() {
            Some(t) => devices::device_by_token(conn, t)?,
            None => None,
        };
        let Some(device) = device else {
            if !app.limits.allow_address(addr) {
                return Err(too_many());
            }
            return Err(match device_token {
                Some(_) => ApiError::Unauthorized(
                    "this kiosk device is unknown or has been revoked; enrol it again".into(),
                ),
                None => ApiError::Forbidden(
                    "counter responses come from an enrolled kiosk device only".into(),
                ),
            });
        };
        if !app.limits.allow(true, &format!("device:{}", device.id)) {
            return Err(too_many());
        }
        return Ok(survey::Submitter::Kiosk(device));
    }
    Ok(match session_token {
        Some(token) => match crate::auth::lookup_session(conn, &token, &app.session_policy)? {
            Some(s) => survey::Submitter::Staff(s.user),
            None => survey::Submitter::Anonymous,
        },
        None => survey::Submitter::Anonymous,
    })
}

/// Who is submitting, as far as the request shows: a kiosk's device token.
pub fn device_token(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(DEVICE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.cookie(DEVICE_COOKIE).map(|c| c.value().to_owned()))
}

/// Submit a questionnaire.
#[utoipa::path(
    post,
    path = "/api/v1/responses",
    tag = "responses",
    request_body = SubmitRequest,
    responses(
        (status = 201, description = "Stored", body = SubmitResponse),
        (status = 200, description = "Stored before under this idempotency key; nothing new written", body = SubmitResponse),
        (status = 400, description = "Invalid input; `field` names it", body = ErrorBody),
        (status = 401, description = "Counter channel with an unknown or revoked device token", body = ErrorBody),
        (status = 403, description = "Counter channel without a device token", body = ErrorBody),
        (status = 409, description = "The idempotency key was used for a different submission; `response_id` is the first one's", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 429, description = "Too many submissions from this address or device", body = ErrorBody),
    )
)]
pub async fn submit(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(ApiError::UnsupportedMediaType(
            "send the questionnaire as Content-Type: application/json".into(),
        ));
    }
    let body = read_body(&req, payload).await?;
    let Parsed {
        request,
        channel,
        key,
        answers,
    } = parse_body(&body)?;
    let addr = client_addr(&req);

    // Rate limits: the web and internal channels by address before any
    // database work; kiosks by their device, once the device is known (below).
    let device_token = device_token(&req);
    if channel != Channel::Counter && !state.limits.allow_address(&addr) {
        return Err(too_many());
    }
    // Bots fill every field; people never see this one. Answer as if stored.
    if request
        .website
        .as_deref()
        .is_some_and(|w| !w.trim().is_empty())
    {
        tracing::info!(%addr, "honeypot field filled; submission dropped");
        return Ok(HttpResponse::Created().json(SubmitResponse {
            response_id: 0,
            duplicate: false,
        }));
    }

    let submission = survey::Submission {
        form: request.form,
        version: request.version,
        idempotency_key: key,
        channel,
        office: request.office,
        answered_at: request.answered_at,
        answers,
        survey_token: request.survey_token,
    };
    // A staff session matters only to forms filled in by staff: no lookup otherwise.
    let staff_form = state
        .catalog
        .get(&submission.form)
        .is_some_and(|f| f.form.access == crate::forms::Access::Staff);
    let session_token = req
        .cookie(crate::web::session::SESSION_COOKIE)
        .filter(|_| staff_form)
        .map(|c| c.value().to_owned());
    let app = state.clone();
    // Checked here; written by the group-commit writer with the other
    // submissions of the moment (or here, when group commit is off or the
    // answer comes through a one-time link).
    let step = web::block(move || -> Result<Step, ApiError> {
        let mut conn = app.pool.get().map_err(DbError::Pool)?;
        let conn = &mut conn;
        let by = submitter(conn, &app, channel, device_token, session_token, &addr)?;
        let prepared = survey::prepare(conn, &app.catalog, &app.refs, submission, &by, Utc::now())?;
        Ok(match &app.writer {
            Some(writer) if !prepared.has_token() => {
                Step::Queue(Box::new(prepared), writer.clone())
            }
            _ => Step::Stored(survey::write_response(conn, &prepared)?),
        })
    })
    .await??;
    let stored = match step {
        Step::Stored(stored) => stored,
        Step::Queue(prepared, writer) => writer.write(*prepared).await?,
    };
    state.metrics.submission(stored.duplicate);
    if let Some(alert_id) = stored.alert_id {
        tracing::info!(
            alert_id,
            response_id = stored.response_id,
            "dissatisfaction alert raised"
        );
        state.alert_signal.notify_waiters();
    }
    let body = SubmitResponse {
        response_id: stored.response_id,
        duplicate: stored.duplicate,
    };
    Ok(if stored.duplicate {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::Created().json(body)
    })
}

/// Where a checked submission goes.
enum Step {
    Stored(survey::Stored),
    Queue(Box<survey::Prepared>, survey::Writer),
}

impl From<survey::WriterError> for ApiError {
    fn from(e: survey::WriterError) -> Self {
        match e {
            survey::WriterError::Survey(e) => e.into(),
            survey::WriterError::Stopped => ApiError::internal(e),
        }
    }
}

impl From<SurveyError> for ApiError {
    fn from(e: SurveyError) -> Self {
        match e {
            SurveyError::Invalid { field, message } => ApiError::BadRequest {
                field: Some(field),
                message,
            },
            SurveyError::NotAllowed { field, message } => ApiError::NotAllowed { field, message },
            SurveyError::KeyReused { response_id } => ApiError::Conflict {
                message: e.to_string(),
                response_id,
            },
            SurveyError::Db(e) => ApiError::internal(e),
        }
    }
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "manyi 滿意 API",
        description = "Survey forms and responses of household registration offices (戶政事務所)."
    ),
    paths(
        submit,
        crate::web::api::list_forms,
        crate::web::api::get_form,
        crate::web::api::list_offices,
        crate::web::api::list_service_types,
        crate::web::api::health,
        crate::web::api::live,
        crate::web::console::dashboard::dashboard_api,
        crate::web::console::offices::office_api,
        crate::web::console::users::users_api,
        crate::web::console::audit::audit_api,
        crate::web::console::alerts::alerts_api,
        crate::web::api::analytics::analytics_api,
    ),
    components(schemas(SubmitRequest, SubmitResponse, ChannelName, ErrorBody, ErrorDetail)),
    modifiers(&SessionCookie, &InputChecks)
)]
pub struct ApiDoc;

/// The console endpoints take the staff session cookie.
struct SessionCookie;

impl utoipa::Modify for SessionCookie {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::web::session::SESSION_COOKIE,
            ))),
        );
    }
}

/// Every route sits behind the input check (`web::input`): a control
/// character or an over-long value in the path, query or headers is refused
/// with 400 before any handler runs, so every operation documents that 400.
struct InputChecks;

impl utoipa::Modify for InputChecks {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let refused = ResponseBuilder::new()
            .description(
                "Refused input: a field, parameter or header that does not parse or holds a \
                 control character, named in the error",
            )
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build();
        for item in openapi.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                op.responses
                    .responses
                    .entry("400".to_owned())
                    .or_insert_with(|| refused.clone().into());
            }
        }
    }
}

pub async fn openapi() -> HttpResponse {
    use utoipa::OpenApi;
    HttpResponse::Ok().json(ApiDoc::openapi())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(body: &str) -> String {
        match parse_request(body.as_bytes()) {
            Err(ApiError::BadRequest { field, .. }) => field.unwrap(),
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn parse_errors_name_the_field() {
        assert_eq!(field_of("{"), "body");
        assert_eq!(
            field_of(
                "{\"form\":\"x\",\"idempotency_key\":\"k\",\"channel\":\"web\",\"answers\":{}} {\"answers\":{}}"
            ),
            "body",
            "trailing data after the document"
        );
        assert_eq!(field_of(r#"{"form":"counter"}"#), "idempotency_key");
        assert_eq!(
            field_of(
                r#"{"form":"counter","idempotency_key":"k","channel":"web","answers":{},"colour":1}"#
            ),
            "colour"
        );
        assert_eq!(
            field_of(r#"{"form":1,"idempotency_key":"k","channel":"web","answers":{}}"#),
            "form"
        );
        assert_eq!(
            field_of(r#"{"form":"x","idempotency_key":"k","channel":"web","answers":[]}"#),
            "answers"
        );
    }

    #[test]
    fn answer_values() {
        assert_eq!(
            answer_value("a", serde_json::json!(4)).unwrap(),
            AnswerValue::Number(4)
        );
        assert!(answer_value("a", serde_json::json!(4.5)).is_err());
        assert!(answer_value("a", serde_json::json!(null)).is_err());
        assert!(answer_value("a", serde_json::json!([1])).is_err());
    }
}
