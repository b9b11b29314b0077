//! Staff accounts: list, create, change role.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use serde_json::json;

use super::{Chrome, MessageQuery, PageResult, db, render, require};
use crate::auth::{self, NewUser, Role, User, UserError};
use crate::offices::{self, Office};
use crate::web::ApiError;
use crate::web::IntoPage;
use crate::web::i18n::Tr;
use crate::web::session::{PageError, Staff, StaffForm, client_addr};
use crate::web::state::AppState;

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
            value: o.code.to_string(),
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
#[utoipa::path(get, path = "/api/v1/console/users", tag = "console", security(("session" = [])), responses((status = 200, description = "Accounts"), (status = 401, description = "Not logged in", body = crate::web::api::responses::ErrorBody), (status = 403, description = "The role may not see this", body = crate::web::api::responses::ErrorBody)))]
pub async fn users_api(state: web::Data<AppState>, staff: Staff) -> Result<HttpResponse, ApiError> {
    if !staff.user.role().can_view_users() {
        return Err(ApiError::Forbidden(
            "your role may not list accounts".into(),
        ));
    }
    let scope = staff.scope.clone();
    let users = crate::web::with_conn(&state.pool, move |conn| {
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
                    .map_err(|e| UserError::from(e).page(lang))?
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
        auth::create_user(conn, &new, &hash, Some(&actor), Some(&addr)).map_err(|e| e.page(lang))
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
        auth::set_role(conn, &actor, id, role, Some(&addr)).map_err(|e| e.page(lang))
    })
    .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/console/users?done=role"))
        .finish())
}
