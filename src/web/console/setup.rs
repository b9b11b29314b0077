//! Setting up offices in the console: the offices of the scope (and a new
//! one, for administrators), an office's details, counters and staff
//! members, and the service types (system administrators). Every change goes
//! through `admin`, which checks the role and scope and audits it.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{Chrome, MessageQuery, PageResult, db, render, require};
use crate::admin::{self, Actor};
use crate::offices::details::{
    CounterDetails, CounterInput, OfficeDetails, OfficeInput, ServiceTypeDetails, ServiceTypeInput,
    StaffDetails, StaffInput,
};
use crate::offices::{self, Office, OfficeCode, ServiceType};
use crate::web::IntoPage;
use crate::web::session::{PageError, StaffForm, client_addr};
use crate::web::state::AppState;

fn see_other(location: String) -> PageResult {
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish())
}

/// An office code from a path: a malformed one names no office.
fn path_code(code: &str, lang: crate::forms::Lang) -> Result<OfficeCode, PageError> {
    OfficeCode::parse(code).map_err(|_| PageError::not_found(lang))
}

/// Runs a change as the logged-in staff member (from their address), off the
/// executor; a refused change is the page of its error.
async fn change<T: Send + 'static>(
    state: &web::Data<AppState>,
    staff: &crate::web::session::Staff,
    req: &HttpRequest,
    f: impl FnOnce(&mut crate::db::DbConnection, Actor<'_>) -> Result<T, admin::AdminError>
    + Send
    + 'static,
) -> Result<T, PageError> {
    let (user, addr, lang) = (staff.user.clone(), client_addr(req), staff.tr.lang);
    db(state, move |conn| {
        f(conn, Actor::staff(&user, Some(&addr))).map_err(|e| e.page(lang))
    })
    .await
}

#[derive(Template)]
#[template(path = "offices.html")]
struct OfficesPage {
    chrome: Chrome,
    offices: Vec<Office>,
    may_create: bool,
    /// A county administrator's county: the new office's, fixed.
    county: Option<String>,
    first_run: bool,
    message: Option<String>,
}

pub async fn offices_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: crate::web::session::Staff,
    q: web::Query<MessageQuery>,
) -> PageResult {
    let scope = staff.scope.clone();
    let offices = db(&state, move |conn| {
        let ids = scope.office_ids(conn)?;
        Ok(offices::list_offices(conn)?
            .into_iter()
            .filter(|o| ids.contains(&o.id))
            .collect::<Vec<_>>())
    })
    .await?;
    let role = staff.user.role();
    let t = staff.tr;
    render(&OfficesPage {
        first_run: offices.is_empty(),
        offices,
        may_create: admin::may_manage_offices(role),
        county: staff.user.county_zh.clone(),
        message: q.done.as_deref().map(|_| t.s("setup-saved")),
        chrome: Chrome::new(&staff, "offices", &req),
    })
}

pub async fn office_create(
    req: HttpRequest,
    state: web::Data<AppState>,
    post: StaffForm<OfficeInput>,
) -> PageResult {
    let StaffForm { staff, form } = post;
    let lang = staff.tr.lang;
    require(&staff, admin::may_manage_offices(staff.user.role()))?;
    let d = OfficeDetails::parse(&form).map_err(|e| admin::AdminError::from(e).page(lang))?;
    let office = change(&state, &staff, &req, move |conn, actor| {
        admin::create_office(conn, actor, &d)
    })
    .await?;
    see_other(format!("/console/offices/{}?done=created", office.code))
}

pub async fn office_edit(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
    post: StaffForm<OfficeInput>,
) -> PageResult {
    let StaffForm { staff, form } = post;
    let lang = staff.tr.lang;
    require(&staff, admin::may_manage_offices(staff.user.role()))?;
    let code = path_code(&code, lang)?;
    let d = OfficeDetails::parse(&OfficeInput {
        code: code.to_string(),
        ..form
    })
    .map_err(|e| admin::AdminError::from(e).page(lang))?;
    change(&state, &staff, &req, move |conn, actor| {
        // Only an office that exists and is in scope is edited here.
        let scope = actor
            .user
            .map(|u| u.scope())
            .unwrap_or(crate::auth::Scope::All);
        scope.office_by_code(conn, &d.code)?;
        admin::save_office(conn, actor, &d)
    })
    .await?;
    see_other(format!("/console/offices/{code}?done=saved"))
}

#[derive(Deserialize)]
pub struct ActiveForm {
    /// `1` opens, `0` closes.
    active: String,
}

impl ActiveForm {
    fn value(&self, lang: crate::forms::Lang) -> Result<bool, PageError> {
        match self.active.as_str() {
            "1" => Ok(true),
            "0" => Ok(false),
            _ => Err(PageError::bad_request(lang, "active", "must be 1 or 0")),
        }
    }
}

pub async fn office_active(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
    post: StaffForm<ActiveForm>,
) -> PageResult {
    let StaffForm { staff, form } = post;
    let lang = staff.tr.lang;
    let (code, active) = (path_code(&code, lang)?, form.value(lang)?);
    let c = code.clone();
    change(&state, &staff, &req, move |conn, actor| {
        admin::set_office_active(conn, actor, &c, active)
    })
    .await?;
    see_other(format!("/console/offices/{code}?done=saved"))
}

pub async fn counter_save(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
    post: StaffForm<CounterInput>,
) -> PageResult {
    let StaffForm { staff, form } = post;
    let lang = staff.tr.lang;
    let code = path_code(&code, lang)?;
    let d = CounterDetails::parse(&form).map_err(|e| admin::AdminError::from(e).page(lang))?;
    let c = code.clone();
    change(&state, &staff, &req, move |conn, actor| {
        admin::save_counter(conn, actor, &c, &d)
    })
    .await?;
    see_other(format!("/console/offices/{code}?done=saved#counters"))
}

pub async fn staff_save(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
    post: StaffForm<StaffInput>,
) -> PageResult {
    let StaffForm { staff, form } = post;
    let lang = staff.tr.lang;
    let code = path_code(&code, lang)?;
    let d = StaffDetails::parse(&form).map_err(|e| admin::AdminError::from(e).page(lang))?;
    let c = code.clone();
    change(&state, &staff, &req, move |conn, actor| {
        admin::save_staff(conn, actor, &c, &d)
    })
    .await?;
    see_other(format!("/console/offices/{code}?done=saved#staff"))
}

/// A counter or a staff member of an office, opened or closed.
#[derive(Clone, Copy)]
enum Member {
    Counter,
    Staff,
}

async fn member_active(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    post: StaffForm<ActiveForm>,
    which: Member,
) -> PageResult {
    let StaffForm { staff, form } = post;
    let lang = staff.tr.lang;
    let (code, member) = path.into_inner();
    let (code, active) = (path_code(&code, lang)?, form.value(lang)?);
    let c = code.clone();
    change(&state, &staff, &req, move |conn, actor| match which {
        Member::Counter => admin::set_counter_active(conn, actor, &c, &member, active).map(|_| ()),
        Member::Staff => admin::set_staff_active(conn, actor, &c, &member, active).map(|_| ()),
    })
    .await?;
    let anchor = match which {
        Member::Counter => "counters",
        Member::Staff => "staff",
    };
    see_other(format!("/console/offices/{code}?done=saved#{anchor}"))
}

pub async fn counter_active(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    post: StaffForm<ActiveForm>,
) -> PageResult {
    member_active(req, state, path, post, Member::Counter).await
}

pub async fn staff_active(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    post: StaffForm<ActiveForm>,
) -> PageResult {
    member_active(req, state, path, post, Member::Staff).await
}

#[derive(Template)]
#[template(path = "service_types.html")]
struct ServiceTypesPage {
    chrome: Chrome,
    types: Vec<ServiceType>,
    message: Option<String>,
}

pub async fn service_types_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: crate::web::session::Staff,
    q: web::Query<MessageQuery>,
) -> PageResult {
    require(&staff, admin::may_manage_service_types(staff.user.role()))?;
    let types = db(&state, |conn| {
        Ok(offices::details::all_service_types(conn)?)
    })
    .await?;
    let t = staff.tr;
    render(&ServiceTypesPage {
        types,
        message: q.done.as_deref().map(|_| t.s("setup-saved")),
        chrome: Chrome::new(&staff, "service-types", &req),
    })
}

pub async fn service_type_save(
    req: HttpRequest,
    state: web::Data<AppState>,
    post: StaffForm<ServiceTypeInput>,
) -> PageResult {
    let StaffForm { staff, form } = post;
    let lang = staff.tr.lang;
    require(&staff, admin::may_manage_service_types(staff.user.role()))?;
    let d = ServiceTypeDetails::parse(&form).map_err(|e| admin::AdminError::from(e).page(lang))?;
    change(&state, &staff, &req, move |conn, actor| {
        admin::save_service_type(conn, actor, &d)
    })
    .await?;
    see_other("/console/service-types?done=saved".into())
}

pub async fn service_type_active(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
    post: StaffForm<ActiveForm>,
) -> PageResult {
    let StaffForm { staff, form } = post;
    let lang = staff.tr.lang;
    let active = form.value(lang)?;
    let code = code.into_inner();
    change(&state, &staff, &req, move |conn, actor| {
        admin::set_service_type_active(conn, actor, &code, active)
    })
    .await?;
    see_other("/console/service-types?done=saved".into())
}
