//! Staff accounts.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::{AuditEntry, AuthError, Role, Scope, record_audit};
use crate::db::schema::{offices, users};
use crate::db::{self, DbConnection};
use crate::offices::Office;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i32,
    pub username: String,
    pub display_name: String,
    #[serde(skip)]
    pub password_hash: String,
    pub role: String,
    pub office_id: Option<i32>,
    pub county_zh: Option<String>,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

impl User {
    pub fn role(&self) -> Role {
        // The CHECK constraint keeps the column to known roles; an unknown one
        // would get the least privilege.
        Role::parse(&self.role).unwrap_or(Role::CounterStaff)
    }

    pub fn scope(&self) -> Scope {
        Scope::for_user(self.role(), self.office_id, self.county_zh.as_deref())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("username: use 3 to 40 characters of a-z, 0-9, `.`, `_` or `-`")]
    Username,
    #[error("username: `{0}` is already taken")]
    UsernameTaken(String),
    #[error("display_name: must not be empty, and at most 100 characters")]
    DisplayName,
    #[error("office: a {0} belongs to one office")]
    OfficeRequired(Role),
    #[error("county: a county administrator needs a county or city")]
    CountyRequired,
    #[error("office: no office matches `{0}`")]
    UnknownOffice(String),
    #[error("office: `{0}` matches several offices ({1}); use the office code")]
    AmbiguousOffice(String, String),
    #[error("password: {0}")]
    Password(#[from] super::PasswordError),
    #[error("role: you may not give the role {0}")]
    RoleNotGrantable(Role),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl UserError {
    /// The field a refused account change is about (None: not the input's fault).
    pub fn field(&self) -> Option<&'static str> {
        Some(match self {
            UserError::Username | UserError::UsernameTaken(_) => "username",
            UserError::DisplayName => "display_name",
            UserError::OfficeRequired(_)
            | UserError::UnknownOffice(_)
            | UserError::AmbiguousOffice(..) => "office",
            UserError::CountyRequired => "county",
            UserError::Password(_) => "password",
            UserError::RoleNotGrantable(_) => "role",
            UserError::Auth(_) | UserError::Db(_) => return None,
        })
    }
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub office_id: Option<i32>,
    pub county_zh: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = users)]
struct UserRow<'a> {
    username: &'a str,
    display_name: &'a str,
    password_hash: &'a str,
    role: &'a str,
    office_id: Option<i32>,
    county_zh: Option<&'a str>,
    created_at: NaiveDateTime,
}

/// The longest username an account can have.
pub const MAX_USERNAME_CHARS: usize = 40;

fn valid_username(u: &str) -> bool {
    (3..=MAX_USERNAME_CHARS).contains(&u.len())
        && u.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
}

/// Finds an office by code, or by a unique part of its Chinese or English name
/// (`金沙` finds 金門縣金沙鎮戶政事務所).
pub fn resolve_office(conn: &mut DbConnection, given: &str) -> Result<Office, UserError> {
    if let Ok(code) = crate::offices::OfficeCode::parse(given)
        && let Some(o) = crate::offices::find_office_by_code(conn, &code)?
    {
        return Ok(o);
    }
    let matches: Vec<Office> = crate::offices::list_offices(conn)?
        .into_iter()
        .filter(|o| {
            o.name_zh.contains(given) || o.name_en.to_lowercase().contains(&given.to_lowercase())
        })
        .collect();
    match matches.len() {
        0 => Err(UserError::UnknownOffice(given.to_owned())),
        1 => Ok(matches.into_iter().next().expect("one match")),
        _ => Err(UserError::AmbiguousOffice(
            given.to_owned(),
            matches
                .iter()
                .map(|o| o.code.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        )),
    }
}

/// Creates an account. `password_hash` comes from [`super::hash_password`].
/// `actor` is who does it (None for the command line), for the audit log.
pub fn create_user(
    conn: &mut DbConnection,
    new: &NewUser,
    password_hash: &str,
    actor: Option<&User>,
    client_addr: Option<&str>,
) -> Result<User, UserError> {
    if !valid_username(&new.username) {
        return Err(UserError::Username);
    }
    if new.display_name.trim().is_empty() || new.display_name.chars().count() > 100 {
        return Err(UserError::DisplayName);
    }
    let (office_id, county) = match new.role {
        r if r.is_office_role() => (
            Some(new.office_id.ok_or(UserError::OfficeRequired(r))?),
            None,
        ),
        Role::CountyAdmin => (
            None,
            Some(
                new.county_zh
                    .as_deref()
                    .filter(|c| !c.trim().is_empty())
                    .ok_or(UserError::CountyRequired)?,
            ),
        ),
        _ => (None, None),
    };
    if let Some(actor) = actor {
        if !actor.role().may_grant().contains(&new.role) {
            return Err(UserError::RoleNotGrantable(new.role));
        }
        let scope = actor.scope();
        match (office_id, county) {
            (Some(o), _) => scope.check_office(conn, o)?,
            (None, Some(c)) if scope != Scope::All && scope != Scope::County(c.to_owned()) => {
                return Err(AuthError::NotFound.into());
            }
            _ => {}
        }
    }
    db::write_transaction(conn, |conn| {
        let inserted = diesel::insert_into(users::table)
            .values(UserRow {
                username: &new.username,
                display_name: new.display_name.trim(),
                password_hash,
                role: new.role.as_str(),
                office_id,
                county_zh: county,
                created_at: Utc::now().naive_utc(),
            })
            .execute(conn);
        match inserted {
            Err(e) if db::is_unique_violation(&e) => {
                return Err(UserError::UsernameTaken(new.username.clone()));
            }
            other => other?,
        };
        let user = users::table
            .filter(users::username.eq(&new.username))
            .select(User::as_select())
            .first(conn)?;
        record_audit(
            conn,
            &AuditEntry {
                actor,
                action: "user_created",
                office_id: user.office_id,
                target: &format!("user:{}", user.username),
                detail: &format!("role={}", user.role),
                client_addr,
            },
        )?;
        Ok(user)
    })
}

/// Whether any staff account exists (none: a fresh installation).
pub fn any_user(conn: &mut DbConnection) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(users::table.select(users::id))).get_result(conn)
}

pub fn find_user_by_username(conn: &mut DbConnection, username: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::username.eq(username))
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// Accounts visible in a scope: those of its offices, plus (for a county)
/// the county's administrators.
pub fn list_users(conn: &mut DbConnection, scope: &Scope) -> QueryResult<Vec<User>> {
    let q = users::table
        .order(users::username)
        .select(User::as_select());
    match scope {
        Scope::All => q.load(conn),
        Scope::County(c) => {
            let ids = scope.office_ids(conn)?;
            q.filter(users::office_id.eq_any(ids).or(users::county_zh.eq(c)))
                .load(conn)
        }
        Scope::Office(id) => q.filter(users::office_id.eq(id)).load(conn),
    }
}

/// One account, if it is in scope.
pub fn get_user(conn: &mut DbConnection, scope: &Scope, id: i32) -> Result<User, AuthError> {
    let user = users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()?
        .ok_or(AuthError::NotFound)?;
    let visible = match (scope, user.office_id, &user.county_zh) {
        (Scope::All, _, _) => true,
        (_, Some(office), _) => scope.check_office(conn, office).is_ok(),
        (Scope::County(c), None, Some(uc)) => c == uc,
        _ => false,
    };
    if visible {
        Ok(user)
    } else {
        Err(AuthError::NotFound)
    }
}

/// Changes a role within the actor's scope and grants; audited.
pub fn set_role(
    conn: &mut DbConnection,
    actor: &User,
    target_id: i32,
    role: Role,
    client_addr: Option<&str>,
) -> Result<User, UserError> {
    let target = get_user(conn, &actor.scope(), target_id)?;
    let grants = actor.role().may_grant();
    if !grants.contains(&role) || !grants.contains(&target.role()) {
        return Err(UserError::RoleNotGrantable(role));
    }
    if role.is_office_role() && target.office_id.is_none() {
        return Err(UserError::OfficeRequired(role));
    }
    if role == Role::CountyAdmin && target.county_zh.is_none() {
        // An office account made county administrator takes its office's county.
        let county = match target.office_id {
            Some(o) => offices::table
                .find(o)
                .select(offices::county_zh)
                .first::<String>(conn)?,
            None => return Err(UserError::CountyRequired),
        };
        diesel::update(users::table.find(target.id))
            .set(users::county_zh.eq(Some(county)))
            .execute(conn)?;
    }
    db::write_transaction(conn, |conn| {
        diesel::update(users::table.find(target.id))
            .set(users::role.eq(role.as_str()))
            .execute(conn)?;
        record_audit(
            conn,
            &AuditEntry {
                actor: Some(actor),
                action: "role_changed",
                office_id: target.office_id,
                target: &format!("user:{}", target.username),
                detail: &format!("{} -> {}", target.role, role),
                client_addr,
            },
        )?;
        Ok(users::table
            .find(target.id)
            .select(User::as_select())
            .first(conn)?)
    })
}

/// Replaces a password hash; audited. Sessions are the caller's business.
pub fn change_password(
    conn: &mut DbConnection,
    user: &User,
    new_hash: &str,
    actor: Option<&User>,
    client_addr: Option<&str>,
) -> QueryResult<()> {
    db::write_transaction(conn, |conn| {
        diesel::update(users::table.find(user.id))
            .set(users::password_hash.eq(new_hash))
            .execute(conn)?;
        // A new password starts without the old one's failed attempts.
        super::throttle::clear_account(conn, &user.username)?;
        record_audit(
            conn,
            &AuditEntry {
                actor: actor.or(Some(user)),
                action: "password_changed",
                office_id: user.office_id,
                target: &format!("user:{}", user.username),
                detail: "",
                client_addr,
            },
        )
    })
}

/// Why a password was not changed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordChangeError {
    #[error("password: {0}")]
    Policy(#[from] super::PasswordError),
    #[error("current: the current password is not right")]
    WrongCurrent,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// Sets a new password: checks the policy and (for one's own change) the
/// current password, hashes the new one, stores it with an audit entry,
/// clears the account's login throttling and ends its other sessions (all of
/// them when `keep_session` is None). The one way for the console and the
/// command line. Slow on purpose (argon2): call off the async threads.
pub fn set_password(
    conn: &mut DbConnection,
    user: &User,
    current: Option<&str>,
    new: &str,
    keep_session: Option<i32>,
    client_addr: Option<&str>,
) -> Result<(), PasswordChangeError> {
    super::check_password_policy(new)?;
    if let Some(current) = current
        && !super::verify_password(&user.password_hash, current)
    {
        return Err(PasswordChangeError::WrongCurrent);
    }
    let hash = super::hash_password(new);
    change_password(conn, user, &hash, None, client_addr)?;
    super::delete_other_sessions(conn, user.id, keep_session.unwrap_or(-1))?;
    Ok(())
}
