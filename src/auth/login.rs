//! Password login with throttling and audit.

use super::{
    AuditEntry, Lockout, LoginThrottle, User, check_lockout, find_user_by_username, record_attempt,
    record_audit, verify_password,
};
use crate::db::DbConnection;

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Wrong username or password: the message never says which.
    #[error("wrong username or password")]
    BadCredentials,
    #[error("locked")]
    Locked(Lockout),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// Checks the lock, then the password; records the attempt and audits it.
/// Slow on purpose (argon2): call off the async threads.
pub fn login(
    conn: &mut DbConnection,
    throttle: &LoginThrottle,
    username: &str,
    password: &str,
    client_addr: &str,
) -> Result<User, LoginError> {
    let username = username.trim().to_lowercase();
    if let Some(lock) = check_lockout(conn, throttle, &username, client_addr)? {
        let office_id = find_user_by_username(conn, &username)?.and_then(|u| u.office_id);
        record_audit(
            conn,
            &AuditEntry {
                actor: None,
                action: "login_locked",
                office_id,
                target: &format!("user:{username}"),
                detail: match lock {
                    Lockout::Account { .. } => "account locked",
                    Lockout::Address { .. } => "client address locked",
                },
                client_addr: Some(client_addr),
            },
        )?;
        return Err(LoginError::Locked(lock));
    }
    let user = find_user_by_username(conn, &username)?;
    let ok = match &user {
        Some(u) if u.active => verify_password(&u.password_hash, password),
        _ => {
            super::password::burn_verification(password);
            false
        }
    };
    record_attempt(conn, &username, client_addr, ok)?;
    match user {
        Some(u) if ok => {
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
