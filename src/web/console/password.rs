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
    let problem = if form.new != form.confirm {
        Some(t.s("password-mismatch"))
    } else {
        auth::check_password_policy(&form.new)
            .err()
            .map(|e| e.to_string())
    };
    let user = staff.user.clone();
    let (session_id, addr) = (staff.session_id, client_addr(&req));
    let error = match problem {
        Some(p) => Some(p),
        None => {
            let stored = user.password_hash.clone();
            let (current, new) = (form.current, form.new);
            let checked = web::block(move || {
                auth::verify_password(&stored, &current).then(|| auth::hash_password(&new))
            })
            .await?;
            match checked {
                None => Some(t.s("password-wrong")),
                Some(hash) => {
                    db(&state, move |conn| {
                        auth::change_password(conn, &user, &hash, None, Some(&addr))?;
                        auth::delete_other_sessions(conn, user.id, session_id)?;
                        Ok(())
                    })
                    .await?;
                    return Ok(HttpResponse::SeeOther()
                        .insert_header((header::LOCATION, "/console/password?done=1"))
                        .finish());
                }
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
