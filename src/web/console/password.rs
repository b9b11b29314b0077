//! Changing one's own password.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{Chrome, MessageQuery, PageResult, db, render};
use crate::auth;
use crate::web::session::{PageError, Staff, StaffForm, client_addr};
use crate::web::state::AppState;

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
    let problem = (form.new != form.confirm).then(|| t.s("password-mismatch"));
    let user = staff.user.clone();
    let (session_id, addr) = (staff.session_id, client_addr(&req));
    let error = match problem {
        Some(p) => Some(p),
        None => {
            let changed = db(&state, move |conn| {
                Ok(auth::set_password(
                    conn,
                    &user,
                    Some(&form.current),
                    &form.new,
                    Some(session_id),
                    Some(&addr),
                ))
            })
            .await?;
            match changed {
                Ok(()) => {
                    return Ok(HttpResponse::SeeOther()
                        .insert_header((header::LOCATION, "/console/password?done=1"))
                        .finish());
                }
                Err(auth::PasswordChangeError::WrongCurrent) => Some(t.s("password-wrong")),
                Err(auth::PasswordChangeError::Policy(e)) => Some(e.to_string()),
                Err(auth::PasswordChangeError::Db(e)) => return Err(PageError::internal(e)),
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
