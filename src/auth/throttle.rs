//! Login throttling: after repeated failures an account, or a client
//! address, is locked for a while. Attempts live in the database, so the lock
//! holds across app instances.

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::dsl::max;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::login_attempts;

#[derive(Debug, Clone, Copy)]
pub struct LoginThrottle {
    /// Failures of one account (since its last success) within `window` that lock it.
    pub max_account_failures: i64,
    /// Failures from one client address within `window` that lock the address.
    pub max_address_failures: i64,
    pub window: Duration,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self {
            max_account_failures: 5,
            max_address_failures: 20,
            window: Duration::minutes(15),
        }
    }
}

/// Why a login is refused before the password is even checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lockout {
    Account { minutes_left: i64 },
    Address { minutes_left: i64 },
}

pub fn record_attempt(
    conn: &mut DbConnection,
    username: &str,
    client_addr: &str,
    success: bool,
) -> QueryResult<()> {
    diesel::insert_into(login_attempts::table)
        .values((
            login_attempts::at.eq(Utc::now().naive_utc()),
            login_attempts::username.eq(username),
            login_attempts::client_addr.eq(client_addr),
            login_attempts::success.eq(success),
        ))
        .execute(conn)
        .map(|_| ())
}

fn minutes_left(last_failure: NaiveDateTime, window: Duration, now: NaiveDateTime) -> i64 {
    let left = (last_failure + window) - now;
    (left.num_seconds() + 59).max(60) / 60
}

pub fn check_lockout(
    conn: &mut DbConnection,
    t: &LoginThrottle,
    username: &str,
    client_addr: &str,
) -> QueryResult<Option<Lockout>> {
    let now = Utc::now().naive_utc();
    let since = now - t.window;
    let last_success: Option<NaiveDateTime> = login_attempts::table
        .filter(login_attempts::username.eq(username))
        .filter(login_attempts::success.eq(true))
        .select(max(login_attempts::at))
        .first(conn)?;
    let from = last_success.map_or(since, |s| s.max(since));
    let (account_failures, last_account_failure): (i64, Option<NaiveDateTime>) = (
        login_attempts::table
            .filter(login_attempts::username.eq(username))
            .filter(login_attempts::success.eq(false))
            .filter(login_attempts::at.gt(from))
            .count()
            .get_result(conn)?,
        login_attempts::table
            .filter(login_attempts::username.eq(username))
            .filter(login_attempts::success.eq(false))
            .select(max(login_attempts::at))
            .first(conn)?,
    );
    if account_failures >= t.max_account_failures
        && let Some(last) = last_account_failure
    {
        return Ok(Some(Lockout::Account {
            minutes_left: minutes_left(last, t.window, now),
        }));
    }
    let address_failures: i64 = login_attempts::table
        .filter(login_attempts::client_addr.eq(client_addr))
        .filter(login_attempts::success.eq(false))
        .filter(login_attempts::at.gt(since))
        .count()
        .get_result(conn)?;
    if address_failures >= t.max_address_failures {
        let last: Option<NaiveDateTime> = login_attempts::table
            .filter(login_attempts::client_addr.eq(client_addr))
            .filter(login_attempts::success.eq(false))
            .select(max(login_attempts::at))
            .first(conn)?;
        return Ok(Some(Lockout::Address {
            minutes_left: minutes_left(last.unwrap_or(now), t.window, now),
        }));
    }
    Ok(None)
}
