//! Console pages for the front line: kiosk enrolment and devices, one-time
//! staff-survey links, and dissatisfaction alerts with their live stream.

use std::time::Duration as StdDuration;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use serde_json::json;

use super::ApiError;
use super::console::{Chrome, db, render, require};
use super::session::{PageError, Staff, StaffForm, client_addr};
use super::state::AppState;
use crate::auth::{AuthError, Scope};
use crate::db::DbError;
use crate::forms::{Channel, Text};
use crate::offices::{self, Office};
use crate::survey::alerts::{self, Alert};
use crate::survey::devices::{self, DeviceError};
use crate::survey::tokens;

fn may_manage(staff: &Staff) -> Result<(), PageError> {
    require(staff, staff.user.role().can_view_users())
}

fn device_error(e: DeviceError, staff: &Staff) -> PageError {
    match e {
        DeviceError::Auth(a) => PageError::from_auth(a, staff.tr.lang),
        DeviceError::Db(d) => PageError::internal(d),
        DeviceError::BadCode => PageError::bad_request(staff.tr.lang, "code", &e.to_string()),
    }
}

// ---------------------------------------------------------------- kiosks

struct CounterLine {
    id: i32,
    office: String,
    name: String,
}

struct DeviceLine {
    id: i32,
    label: String,
    office: String,
    counter: String,
    created: String,
    revoked: bool,
}

struct LinkLine {
    office_code: String,
    office: String,
    form_key: String,
    form: String,
    issued: i64,
    used: i64,
}

#[derive(Template)]
#[template(path = "kiosks.html")]
struct KiosksPage {
    chrome: Chrome,
    counters: Vec<CounterLine>,
    devices: Vec<DeviceLine>,
    links: Vec<LinkLine>,
    new_code: Option<(String, String)>,
    new_links: Vec<String>,
}

fn taipei(t: chrono::NaiveDateTime) -> String {
    (t + chrono::Duration::hours(8))
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn base_url(req: &HttpRequest) -> String {
    super::origin::policy(req).base_url(req)
}

async fn kiosks_page_with(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    staff: &Staff,
    new_code: Option<(String, String)>,
    new_links: Vec<String>,
) -> Result<HttpResponse, PageError> {
    may_manage(staff)?;
    let scope = staff.scope.clone();
    let internal_forms: Vec<(String, Text)> = state
        .catalog
        .iter()
        .filter(|f| f.form.accepts(Channel::Internal) && !f.form.accepts(Channel::Counter))
        .filter(|f| {
            f.form
                .items
                .iter()
                .any(|i| matches!(i.kind, crate::forms::ItemKind::Likert5 { .. }))
        })
        .map(|f| (f.form.key.clone(), f.form.title.clone()))
        .collect();
    let t = staff.tr;
    let (offices_in, counters, devices, counts) = db(state, move |conn| {
        let ids = scope.office_ids(conn)?;
        let offices_in: Vec<Office> = offices::list_offices(conn)?
            .into_iter()
            .filter(|o| ids.contains(&o.id))
            .collect();
        let mut counters = Vec::new();
        for o in &offices_in {
            counters.extend(offices::counters_of(conn, o.id)?);
        }
        let devices = devices::list_devices(conn, &scope)?;
        let mut counts = Vec::new();
        for o in &offices_in {
            for (key, _) in &internal_forms {
                counts.push((o.id, key.clone(), tokens::token_counts(conn, o.id, key)?));
            }
        }
        Ok((offices_in, counters, devices, counts))
    })
    .await?;
    let office_name = |id: i32| {
        offices_in
            .iter()
            .find(|o| o.id == id)
            .map(|o| t.pick(&o.name_zh, &o.name_en).to_owned())
            .unwrap_or_default()
    };
    let counter_name = |id: Option<i32>| {
        counters
            .iter()
            .find(|c| Some(c.id) == id)
            .map(|c| t.pick(&c.name_zh, &c.name_en).to_owned())
            .unwrap_or_default()
    };
    let forms: Vec<(String, Text)> = state
        .catalog
        .iter()
        .map(|f| (f.form.key.clone(), f.form.title.clone()))
        .collect();
    render(&KiosksPage {
        counters: counters
            .iter()
            .map(|c| CounterLine {
                id: c.id,
                office: office_name(c.office_id),
                name: t.pick(&c.name_zh, &c.name_en).to_owned(),
            })
            .collect(),
        devices: devices
            .iter()
            .map(|d| DeviceLine {
                id: d.id,
                label: d.label.clone(),
                office: office_name(d.office_id),
                counter: counter_name(d.counter_id),
                created: taipei(d.created_at),
                revoked: d.revoked_at.is_some(),
            })
            .collect(),
        links: counts
            .into_iter()
            .map(|(office_id, key, (issued, used))| LinkLine {
                office_code: offices_in
                    .iter()
                    .find(|o| o.id == office_id)
                    .map(|o| o.code.clone())
                    .unwrap_or_default(),
                office: office_name(office_id),
                form: forms
                    .iter()
                    .find(|f| f.0 == key)
                    .map(|f| f.1.get(t.lang).to_owned())
                    .unwrap_or_default(),
                form_key: key,
                issued,
                used,
            })
            .collect(),
        chrome: Chrome::new(staff, "kiosks", req),
        new_code,
        new_links,
    })
}

pub async fn kiosks_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, PageError> {
    kiosks_page_with(&req, &state, &staff, None, Vec::new()).await
}

#[derive(Deserialize)]
pub struct EnrolForm {
    counter_id: String,
    #[serde(default)]
    label: String,
}

pub async fn create_enrolment(
    req: HttpRequest,
    state: web::Data<AppState>,
    post: StaffForm<EnrolForm>,
) -> Result<HttpResponse, PageError> {
    let StaffForm { staff, form } = post;
    may_manage(&staff)?;
    let counter_id: i32 = form
        .counter_id
        .parse()
        .map_err(|_| PageError::bad_request(staff.tr.lang, "counter_id", "not a number"))?;
    let actor = staff.user.clone();
    let addr = client_addr(&req);
    let lang = staff.tr.lang;
    let outcome = db(&state, move |conn| {
        Ok(devices::create_enrolment(
            conn,
            &actor,
            counter_id,
            &form.label,
            Some(&addr),
        ))
    })
    .await?;
    let (code, _) = outcome.map_err(|e| match e {
        DeviceError::Auth(AuthError::NotFound) => PageError::not_found(lang),
        other => device_error(other, &staff),
    })?;
    let url = format!("{}/kiosk/enrol?code={code}", base_url(&req));
    kiosks_page_with(&req, &state, &staff, Some((code, url)), Vec::new()).await
}

pub async fn revoke_device(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    post: StaffForm<super::console::Empty>,
) -> Result<HttpResponse, PageError> {
    let staff = post.staff;
    may_manage(&staff)?;
    let (actor, addr, id) = (staff.user.clone(), client_addr(&req), id.into_inner());
    let outcome = db(&state, move |conn| {
        Ok(devices::revoke_device(conn, &actor, id, Some(&addr)))
    })
    .await?;
    outcome.map_err(|e| device_error(e, &staff))?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/console/kiosks"))
        .finish())
}

#[derive(Deserialize)]
pub struct LinksForm {
    office: String,
    form: String,
    count: String,
}

pub async fn create_links(
    req: HttpRequest,
    state: web::Data<AppState>,
    post: StaffForm<LinksForm>,
) -> Result<HttpResponse, PageError> {
    let StaffForm { staff, form } = post;
    may_manage(&staff)?;
    let lang = staff.tr.lang;
    let count: usize = form
        .count
        .trim()
        .parse()
        .ok()
        .filter(|n| (1..=500).contains(n))
        .ok_or_else(|| PageError::bad_request(lang, "count", "a number from 1 to 500"))?;
    let internal = state
        .catalog
        .get(&form.form)
        .is_some_and(|f| f.form.accepts(Channel::Internal));
    if !internal {
        return Err(PageError::bad_request(
            lang,
            "form",
            "not an internal survey",
        ));
    }
    let (actor, addr) = (staff.user.clone(), client_addr(&req));
    let (office_code, form_key) = (form.office.clone(), form.form.clone());
    let made = db(&state, move |conn| {
        let office = actor
            .scope()
            .office_by_code(conn, &office_code)
            .map_err(|e| PageError::from_auth(e, lang))?;
        tokens::create_survey_tokens(conn, &actor, office.id, &form_key, count, Some(&addr))
            .map_err(|e| PageError::from_auth(e, lang))
    })
    .await?;
    let base = base_url(&req);
    let links = made
        .into_iter()
        .map(|t| format!("{base}/survey/{}/{}?t={t}", form.office, form.form))
        .collect();
    kiosks_page_with(&req, &state, &staff, None, links).await
}

// ---------------------------------------------------------------- alerts

struct AlertLine {
    id: i32,
    at: String,
    office: String,
    lowest: i16,
    items: String,
    response_id: i64,
    acknowledged: bool,
    note: String,
}

struct ThresholdLine {
    code: String,
    office: String,
    threshold: i16,
}

#[derive(Template)]
#[template(path = "alerts.html")]
struct AlertsPage {
    chrome: Chrome,
    alerts: Vec<AlertLine>,
    thresholds: Vec<ThresholdLine>,
}

/// Item keys → item texts of the forms, in the page's language.
fn item_names(state: &AppState, keys: &str, t: &super::i18n::Tr) -> String {
    keys.split(',')
        .map(|k| {
            state
                .catalog
                .iter()
                .find_map(|f| f.form.item(k).map(|i| i.text.get(t.lang).to_owned()))
                .unwrap_or_else(|| k.to_owned())
        })
        .collect::<Vec<_>>()
        .join("、")
}

pub async fn alerts_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, PageError> {
    require(&staff, staff.user.role().can_view_audit())?;
    let scope = staff.scope.clone();
    let (list, all, visible) = db(&state, move |conn| {
        Ok((
            alerts::list_alerts(conn, &scope, false, 200)?,
            offices::list_offices(conn)?,
            scope.office_ids(conn)?,
        ))
    })
    .await?;
    let t = staff.tr;
    let thresholds = all
        .iter()
        .filter(|o| visible.contains(&o.id))
        .map(|o| ThresholdLine {
            code: o.code.clone(),
            office: t.pick(&o.name_zh, &o.name_en).to_owned(),
            threshold: o.alert_threshold,
        })
        .collect();
    let alerts = list
        .iter()
        .map(|a| AlertLine {
            id: a.id,
            at: taipei(a.created_at),
            office: all
                .iter()
                .find(|o| o.id == a.office_id)
                .map(|o| t.pick(&o.name_zh, &o.name_en).to_owned())
                .unwrap_or_default(),
            lowest: a.lowest_score,
            items: item_names(&state, &a.items, &t),
            response_id: a.response_id,
            acknowledged: a.acknowledged_at.is_some(),
            note: a.note.clone().unwrap_or_default(),
        })
        .collect();
    render(&AlertsPage {
        chrome: Chrome::new(&staff, "alerts", &req),
        alerts,
        thresholds,
    })
}

#[derive(Deserialize)]
pub struct AckForm {
    #[serde(default)]
    note: String,
}

pub async fn acknowledge(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    post: StaffForm<AckForm>,
) -> Result<HttpResponse, PageError> {
    let StaffForm { staff, form } = post;
    require(&staff, staff.user.role().can_view_audit())?;
    let lang = staff.tr.lang;
    if form.note.chars().count() > 1000 {
        return Err(PageError::bad_request(
            lang,
            "note",
            "at most 1000 characters",
        ));
    }
    let (actor, addr, id) = (staff.user.clone(), client_addr(&req), id.into_inner());
    db(&state, move |conn| {
        alerts::acknowledge_alert(conn, &actor, id, &form.note, Some(&addr))
            .map_err(|e| PageError::from_auth(e, lang))
    })
    .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/console/alerts"))
        .finish())
}

#[derive(Deserialize)]
pub struct ThresholdForm {
    threshold: String,
}

pub async fn set_threshold(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
    post: StaffForm<ThresholdForm>,
) -> Result<HttpResponse, PageError> {
    let StaffForm { staff, form } = post;
    require(&staff, staff.user.role().can_view_users())?;
    let lang = staff.tr.lang;
    let threshold: i16 = form
        .threshold
        .trim()
        .parse()
        .ok()
        .filter(|t| (1..=4).contains(t))
        .ok_or_else(|| PageError::bad_request(lang, "threshold", "a score from 1 to 4"))?;
    let (actor, addr, code) = (staff.user.clone(), client_addr(&req), code.into_inner());
    db(&state, move |conn| {
        let office = actor
            .scope()
            .office_by_code(conn, &code)
            .map_err(|e| PageError::from_auth(e, lang))?;
        alerts::set_alert_threshold(conn, &actor, office.id, threshold, Some(&addr))
            .map_err(|e| PageError::from_auth(e, lang))
    })
    .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/console/alerts"))
        .finish())
}

fn alert_json(
    a: &Alert,
    offices: &[Office],
    state: &AppState,
    t: &super::i18n::Tr,
) -> serde_json::Value {
    let office = offices.iter().find(|o| o.id == a.office_id);
    json!({
        "id": a.id,
        "office": office.map(|o| o.code.as_str()),
        "office_name": office.map(|o| t.pick(&o.name_zh, &o.name_en)),
        "created_at": a.created_at,
        "at": taipei(a.created_at),
        "lowest_score": a.lowest_score,
        "items": a.items,
        "item_names": item_names(state, &a.items, t),
        "response_id": a.response_id,
        "acknowledged_at": a.acknowledged_at,
        "note": a.note,
    })
}

/// Dissatisfaction alerts of the scope, newest first.
#[utoipa::path(get, path = "/api/v1/console/alerts", tag = "console", security(("session" = [])), responses((status = 200, description = "Alerts"), (status = 401, description = "Not logged in", body = super::responses::ErrorBody), (status = 403, description = "The role may not see this", body = super::responses::ErrorBody)))]
pub async fn alerts_api(
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, ApiError> {
    if !staff.user.role().can_view_audit() {
        return Err(ApiError::Forbidden("your role may not see alerts".into()));
    }
    let scope = staff.scope.clone();
    let (list, all) = super::with_conn(&state.pool, move |conn| {
        Ok::<_, ApiError>((
            alerts::list_alerts(conn, &scope, false, 200)?,
            offices::list_offices(conn)?,
        ))
    })
    .await?;
    let t = staff.tr;
    let items: Vec<_> = list
        .iter()
        .map(|a| alert_json(a, &all, &state, &t))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "alerts": items })))
}

struct StreamState {
    state: web::Data<AppState>,
    scope: Scope,
    last_id: i32,
    tr: super::i18n::Tr,
    first: bool,
    /// The viewer's session: checked before every delivery.
    session_id: i32,
}

/// Server-sent events: `event: alert` with the alert as JSON, as soon as a
/// response raises one (other instances' alerts arrive within 5 s).
pub async fn alerts_stream(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, PageError> {
    require(&staff, staff.user.role().can_view_audit())?;
    let resume: Option<i32> = req
        .headers()
        .get("Last-Event-ID")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let scope = staff.scope.clone();
    let last_id = match resume {
        Some(id) => id,
        None => {
            let scope = scope.clone();
            db(&state, move |conn| {
                Ok(alerts::latest_alert_id(conn, &scope)?)
            })
            .await?
        }
    };
    let init = StreamState {
        state: state.clone(),
        scope,
        last_id,
        tr: staff.tr,
        first: true,
        session_id: staff.session_id,
    };
    let stream = futures_util::stream::unfold(init, |mut s| async move {
        if s.first {
            s.first = false;
            return Some((
                Ok::<_, actix_web::Error>(Bytes::from_static(b"retry: 3000\n\n")),
                s,
            ));
        }
        let notified = s.state.alert_signal.notified();
        let _ = tokio::time::timeout(StdDuration::from_secs(5), notified).await;
        let (pool, scope, after) = (s.state.pool.clone(), s.scope.clone(), s.last_id);
        let (session_id, policy) = (s.session_id, s.state.session_policy);
        let found = web::block(move || {
            let mut conn = pool.get().map_err(DbError::Pool)?;
            // Logged out, expired or deactivated: the stream ends with the session.
            if !crate::auth::session_alive(&mut conn, session_id, &policy)? {
                return Ok(None);
            }
            Ok::<_, ApiError>(Some((
                alerts::alerts_after(&mut conn, &scope, after)?,
                offices::list_offices(&mut conn)?,
            )))
        })
        .await;
        let mut out = String::new();
        match found {
            Ok(Ok(Some((list, all)))) => {
                for a in &list {
                    s.last_id = s.last_id.max(a.id);
                    let data = alert_json(a, &all, &s.state, &s.tr);
                    out.push_str(&format!("id: {}\nevent: alert\ndata: {data}\n\n", a.id));
                }
            }
            _ => return None,
        }
        if out.is_empty() {
            out.push_str(": keep-alive\n\n");
        }
        Some((Ok(Bytes::from(out)), s))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(stream))
}
