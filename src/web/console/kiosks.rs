//! Counter tablets (enrolment, revocation) and one-time survey links.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{Chrome, db, render, require};
use crate::auth::AuthError;
use crate::forms::Text;
use crate::offices::{self, Office};
use crate::survey::devices::{self, DeviceError};
use crate::survey::tokens;
use crate::web::IntoPage;
use crate::web::session::{PageError, Staff, StaffForm, client_addr};
use crate::web::state::AppState;

fn may_manage(staff: &Staff) -> Result<(), PageError> {
    require(staff, staff.user.role().can_view_users())
}

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

fn base_url(req: &HttpRequest) -> String {
    crate::web::origin::policy(req).base_url(req)
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
        .filter(|f| f.form.access == crate::forms::Access::Token)
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
                created: crate::calendar::taipei::minutes(d.created_at),
                revoked: d.revoked_at.is_some(),
            })
            .collect(),
        links: counts
            .into_iter()
            .map(|(office_id, key, (issued, used))| LinkLine {
                office_code: offices_in
                    .iter()
                    .find(|o| o.id == office_id)
                    .map(|o| o.code.to_string())
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
        other => other.page(staff.tr.lang),
    })?;
    let url = format!("{}/kiosk/enrol?code={code}", base_url(&req));
    kiosks_page_with(&req, &state, &staff, Some((code, url)), Vec::new()).await
}

pub async fn revoke_device(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    post: StaffForm<super::login::Empty>,
) -> Result<HttpResponse, PageError> {
    let staff = post.staff;
    may_manage(&staff)?;
    let (actor, addr, id) = (staff.user.clone(), client_addr(&req), id.into_inner());
    let outcome = db(&state, move |conn| {
        Ok(devices::revoke_device(conn, &actor, id, Some(&addr)))
    })
    .await?;
    outcome.map_err(|e| e.page(staff.tr.lang))?;
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
    // Links are for the forms answered through them (access = "token").
    let by_link = state
        .catalog
        .get(&form.form)
        .is_some_and(|f| f.form.access == crate::forms::Access::Token);
    if !by_link {
        return Err(PageError::bad_request(
            lang,
            "form",
            "not a survey answered through one-time links",
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
