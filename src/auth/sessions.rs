//! Staff sessions in the database, so that several app instances share them.
//! The cookie carries a random token; the table keeps only its SHA-256.

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use rand::RngExt;
use sha2::{Digest, Sha256};

use super::User;
use crate::db::DbConnection;
use crate::db::schema::{sessions, users};

/// How long sessions live.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    /// Ends a session unused this long.
    pub idle: Duration,
    /// Ends every session this long after login, used or not.
    pub absolute: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle: Duration::minutes(30),
            absolute: Duration::hours(12),
        }
    }
}

/// A fresh session: the token goes into the cookie, and nowhere else.
pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
}

/// The user behind a valid session.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub session_id: i32,
    pub csrf_token: String,
    pub user: User,
}

fn random_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    hex::encode(bytes)
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[derive(Insertable)]
#[diesel(table_name = sessions)]
struct SessionRow<'a> {
    token_hash: &'a str,
    user_id: i32,
    csrf_token: &'a str,
    created_at: NaiveDateTime,
    last_seen_at: NaiveDateTime,
    expires_at: NaiveDateTime,
    client_addr: Option<&'a str>,
}

pub fn create_session(
    conn: &mut DbConnection,
    user: &User,
    policy: &SessionPolicy,
    client_addr: Option<&str>,
) -> QueryResult<NewSession> {
    let token = random_token();
    let csrf_token = random_token();
    let now = Utc::now().naive_utc();
    diesel::insert_into(sessions::table)
        .values(SessionRow {
            token_hash: &token_hash(&token),
            user_id: user.id,
            csrf_token: &csrf_token,
            created_at: now,
            last_seen_at: now,
            expires_at: now + policy.absolute,
            client_addr,
        })
        .execute(conn)?;
    Ok(NewSession { token, csrf_token })
}

/// The session's user, if the token is known, unexpired (idle and absolute)
/// and the account active. A valid session is touched; an expired one removed.
/// The account of a session that is still valid (not logged out, expired or
/// idle, the account active), as it is now (its role may have changed),
/// without touching the session: long-lived streams check this before each
/// delivery, so they end with the session or the permission.
pub fn session_user(
    conn: &mut DbConnection,
    session_id: i32,
    policy: &SessionPolicy,
) -> QueryResult<Option<User>> {
    let found = sessions::table
        .inner_join(users::table)
        .filter(sessions::id.eq(session_id))
        .select((
            sessions::last_seen_at,
            sessions::expires_at,
            User::as_select(),
        ))
        .first::<(NaiveDateTime, NaiveDateTime, User)>(conn)
        .optional()?;
    let now = Utc::now().naive_utc();
    Ok(found.and_then(|(last_seen, expires, user)| {
        (user.active && now < expires && now - last_seen < policy.idle).then_some(user)
    }))
}

pub fn lookup_session(
    conn: &mut DbConnection,
    token: &str,
    policy: &SessionPolicy,
) -> QueryResult<Option<SessionUser>> {
    if token.len() != 64 {
        return Ok(None);
    }
    let found = sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(token_hash(token)))
        .select((
            sessions::id,
            sessions::csrf_token,
            sessions::last_seen_at,
            sessions::expires_at,
            User::as_select(),
        ))
        .first::<(i32, String, NaiveDateTime, NaiveDateTime, User)>(conn)
        .optional()?;
    let Some((id, csrf_token, last_seen, expires, user)) = found else {
        return Ok(None);
    };
    let now = Utc::now().naive_utc();
    if now >= expires || now - last_seen >= policy.idle || !user.active {
        diesel::delete(sessions::table.find(id)).execute(conn)?;
        return Ok(None);
    }
    // Touch at most once a minute: fewer writes, same idle semantics to the minute.
    if now - last_seen >= Duration::minutes(1) {
        diesel::update(sessions::table.find(id))
            .set(sessions::last_seen_at.eq(now))
            .execute(conn)?;
    }
    Ok(Some(SessionUser {
        session_id: id,
        csrf_token,
        user,
    }))
}

pub fn delete_session(conn: &mut DbConnection, session_id: i32) -> QueryResult<()> {
    diesel::delete(sessions::table.find(session_id))
        .execute(conn)
        .map(|_| ())
}

/// Ends every other session of the user (after a password change).
pub fn delete_other_sessions(
    conn: &mut DbConnection,
    user_id: i32,
    keep: i32,
) -> QueryResult<usize> {
    diesel::delete(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::id.ne(keep)),
    )
    .execute(conn)
}
