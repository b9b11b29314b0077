//! Password login with throttling and audit.

use super::throttle::{Throttled, begin_attempt, record_success};
use super::{
    AuditEntry, LoginThrottle, User, find_user_by_username, record_attempt, record_audit,
    verify_password,
};
use crate::db::DbConnection;

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Wrong username or password: the message never says which.
    #[error("wrong username or password")]
    BadCredentials,
    /// Too many failures lately: try again after the wait (the password was not checked).
    #[error("too many attempts; try again in {} s", .0.retry_after_seconds)]
    Throttled(Throttled),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// Takes the throttle's gate, then checks the password; records the attempt
/// and audits it. Slow on purpose (argon2): call off the async threads.
pub fn login(
    conn: &mut DbConnection,
    throttle: &LoginThrottle,
    username: &str,
    password: &str,
    client_addr: &str,
) -> Result<User, LoginError> {
    let username = username.trim().to_lowercase();
    if username.chars().count() > super::users::MAX_USERNAME_CHARS {
        // No account has such a name: refused like a wrong password, at the
        // same cost, without a throttle row keyed on megabytes of text.
        super::password::burn_verification(password);
        return Err(LoginError::BadCredentials);
    }
    if let Err(wait) = begin_attempt(conn, throttle, &username, client_addr)? {
        let office_id = find_user_by_username(conn, &username)?.and_then(|u| u.office_id);
        record_audit(
            conn,
            &AuditEntry {
                actor: None,
                action: "login_throttled",
                office_id,
                target: &format!("user:{username}"),
                detail: &format!(
                    "{}; retry after {} s",
                    if wait.by_address {
                        "client address"
                    } else {
                        "account"
                    },
                    wait.retry_after_seconds
                ),
                client_addr: Some(client_addr),
            },
        )?;
        return Err(LoginError::Throttled(wait));
    }
    let user = find_user_by_username(conn, &username)?;
    let ok = match &user {
        Some(u) if u.active => verify_password(&u.password_hash, password),
        _ => {
            super::password::burn_verification(password);
            false
        }
    };
    match user {
        Some(u) if ok => {
            record_success(conn, &username, client_addr)?;
            record_audit(
                conn,
                &AuditEntry {
                    actor: Some(&u),
                    action: "login",
                    office_id: u.office_id,
                    target: &format!("user:{}", u.username),
                    detail: "",
                    client_addr: Some(client_addr),
                },
            )?;
            Ok(u)
        }
        other => {
            record_attempt(conn, &username, client_addr, false)?;
            record_audit(
                conn,
                &AuditEntry {
                    actor: None,
                    action: "login_failed",
                    office_id: other.and_then(|u| u.office_id),
                    target: &format!("user:{username}"),
                    detail: "",
                    client_addr: Some(client_addr),
                },
            )?;
            Err(LoginError::BadCredentials)
        }
    }
}
