//! Dissatisfaction alerts: the page, acknowledgement, thresholds, the live stream.

use std::time::Duration as StdDuration;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use serde_json::json;

use super::{Chrome, db, render, require};
use crate::db::DbError;
use crate::offices::{self, Office};
use crate::survey::alerts::{self, Alert};
use crate::web::ApiError;
use crate::web::session::{PageError, Staff, StaffForm, client_addr};
use crate::web::state::AppState;

struct AlertLine {
    id: i32,
    at: String,
    office: String,
    lowest: i16,
    items: String,
    acknowledged: bool,
    note: String,
    /// Where it came from: "櫃檯平板 · 1 號櫃檯 · 戶籍謄本".
    source: String,
    /// Every score of the response: "櫃檯人員服務態度 2 · 等候時間 4".
    answers: String,
    comment: String,
}

/// An alert's details in the viewer's words: (source, answers, comment).
fn detail_words(
    d: Option<&alerts::AlertDetail>,
    state: &AppState,
    t: &crate::web::i18n::Tr,
) -> (String, String, String) {
    let Some(d) = d else {
        return Default::default();
    };
    let mut source = vec![
        crate::forms::Channel::parse(&d.channel)
            .map(|c| t.pick(c.label_zh(), c.label_en()).to_owned())
            .unwrap_or_default(),
    ];
    for (zh, en) in [&d.counter, &d.service_type].into_iter().flatten() {
        source.push(t.pick(zh, en).to_owned());
    }
    let answers = d
        .scores
        .iter()
        .map(|(k, s)| format!("{} {s}", item_names(state, k, t)))
        .collect::<Vec<_>>()
        .join(" · ");
    (
        source
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · "),
        answers,
        d.comment.clone(),
    )
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
fn item_names(state: &AppState, keys: &str, t: &crate::web::i18n::Tr) -> String {
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
    let (list, all, visible, details) = db(&state, move |conn| {
        let list = alerts::list_alerts(conn, &scope, false, 200)?;
        let ids: Vec<i64> = list.iter().map(|a| a.response_id).collect();
        Ok((
            list,
            offices::list_offices(conn)?,
            scope.office_ids(conn)?,
            alerts::alert_details(conn, &ids)?,
        ))
    })
    .await?;
    let t = staff.tr;
    let thresholds = all
        .iter()
        .filter(|o| visible.contains(&o.id))
        .map(|o| ThresholdLine {
            code: o.code.to_string(),
            office: t.pick(&o.name_zh, &o.name_en).to_owned(),
            threshold: o.alert_threshold,
        })
        .collect();
    let alerts = list
        .iter()
        .map(|a| {
            let (source, answers, comment) = detail_words(details.get(&a.response_id), &state, &t);
            AlertLine {
                source,
                answers,
                comment,
                id: a.id,
                at: crate::calendar::taipei::minutes(a.created_at),
                office: all
                    .iter()
                    .find(|o| o.id == a.office_id)
                    .map(|o| t.pick(&o.name_zh, &o.name_en).to_owned())
                    .unwrap_or_default(),
                lowest: a.lowest_score,
                items: item_names(&state, &a.items, &t),
                acknowledged: a.acknowledged_at.is_some(),
                note: a.note.clone().unwrap_or_default(),
            }
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
    // Every open console page's badge counts one fewer.
    state.alert_signal.notify_waiters();
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
    details: &std::collections::HashMap<i64, alerts::AlertDetail>,
    state: &AppState,
    t: &crate::web::i18n::Tr,
) -> serde_json::Value {
    let office = offices.iter().find(|o| o.id == a.office_id);
    let (source, answers, comment) = detail_words(details.get(&a.response_id), state, t);
    json!({
        "source": source,
        "answers": answers,
        "comment": comment,
        "id": a.id,
        "office": office.map(|o| o.code.as_str()),
        "office_name": office.map(|o| t.pick(&o.name_zh, &o.name_en)),
        "created_at": a.created_at,
        "at": crate::calendar::taipei::minutes(a.created_at),
        "lowest_score": a.lowest_score,
        "items": a.items,
        "item_names": item_names(state, &a.items, t),
        "response_id": a.response_id,
        "acknowledged_at": a.acknowledged_at,
        "note": a.note,
    })
}

/// Dissatisfaction alerts of the scope, newest first.
#[utoipa::path(get, path = "/api/v1/console/alerts", tag = "console", security(("session" = [])), responses((status = 200, description = "Alerts"), (status = 401, description = "Not logged in", body = crate::web::api::responses::ErrorBody), (status = 403, description = "The role may not see this", body = crate::web::api::responses::ErrorBody)))]
pub async fn alerts_api(
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, ApiError> {
    if !staff.user.role().can_view_audit() {
        return Err(ApiError::Forbidden("your role may not see alerts".into()));
    }
    let scope = staff.scope.clone();
    let (list, all, details) = crate::web::with_conn(&state.pool, move |conn| {
        let list = alerts::list_alerts(conn, &scope, false, 200)?;
        let ids: Vec<i64> = list.iter().map(|a| a.response_id).collect();
        Ok::<_, ApiError>((
            list,
            offices::list_offices(conn)?,
            alerts::alert_details(conn, &ids)?,
        ))
    })
    .await?;
    let t = staff.tr;
    let items: Vec<_> = list
        .iter()
        .map(|a| alert_json(a, &all, &details, &state, &t))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "alerts": items })))
}

struct StreamState {
    state: web::Data<AppState>,
    last_id: i32,
    tr: crate::web::i18n::Tr,
    first: bool,
    /// The viewer's session: checked before every delivery.
    session_id: i32,
    /// The unacknowledged count last sent.
    open: Option<i64>,
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
            db(&state, move |conn| {
                Ok(alerts::latest_alert_id(conn, &scope)?)
            })
            .await?
        }
    };
    let init = StreamState {
        state: state.clone(),
        last_id,
        tr: staff.tr,
        first: true,
        session_id: staff.session_id,
        open: None,
    };
    let stream = futures_util::stream::unfold(init, |mut s| async move {
        if s.first {
            s.first = false;
            return Some((
                Ok::<_, actix_web::Error>(Bytes::from_static(b"retry: 3000\n\n")),
                s,
            ));
        }
        // The first round answers at once (the badge's count); then each waits
        // for a new alert here or 5 s (another instance's).
        if s.open.is_some() {
            let notified = s.state.alert_signal.notified();
            let _ = tokio::time::timeout(StdDuration::from_secs(5), notified).await;
        }
        let (pool, after) = (s.state.pool.clone(), s.last_id);
        let (session_id, policy) = (s.session_id, s.state.session_policy);
        let found = web::block(move || {
            let mut conn = pool.get().map_err(DbError::Pool)?;
            // Logged out, expired, deactivated, or no longer a role that sees
            // alerts: the stream ends; a changed scope applies at once.
            let user = match crate::auth::session_user(&mut conn, session_id, &policy)? {
                Some(u) if u.role().can_view_audit() => u,
                _ => return Ok(None),
            };
            let scope = user.scope();
            let list = alerts::alerts_after(&mut conn, &scope, after)?;
            let ids: Vec<i64> = list.iter().map(|a| a.response_id).collect();
            Ok::<_, ApiError>(Some((
                list,
                offices::list_offices(&mut conn)?,
                alerts::alert_details(&mut conn, &ids)?,
                alerts::open_alert_total(&mut conn, &scope)?,
            )))
        })
        .await;
        let mut out = String::new();
        match found {
            Ok(Ok(Some((list, all, details, open)))) => {
                for a in &list {
                    s.last_id = s.last_id.max(a.id);
                    let data = alert_json(a, &all, &details, &s.state, &s.tr);
                    out.push_str(&format!("id: {}\nevent: alert\ndata: {data}\n\n", a.id));
                }
                // The menu's badge: unacknowledged alerts, whenever the number changes.
                if s.open != Some(open) {
                    s.open = Some(open);
                    out.push_str(&format!("event: count\ndata: {open}\n\n"));
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
