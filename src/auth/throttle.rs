//! Login throttling with growing delays, never a wall.
//!
//! Three counters, each a row of `login_throttle`, shared by every app
//! instance through the database:
//! - **account × address** (`pair:`): after [`LoginThrottle::pair_free`]
//!   failures, each further attempt from that address waits 5 s, 10 s, 20 s …
//!   up to `pair_max_delay`. This is what stops guessing from one place.
//! - **account** (`account:`): the same across every address, from
//!   `account_free` failures, up to `account_max_delay`, against guessing from
//!   many places. An address the account has logged in from before is exempt,
//!   so an attacker elsewhere cannot keep its owner out.
//! - **address** (`address:`): failures of every account from one address
//!   (made-up usernames, password spraying), from `address_free`, up to
//!   `address_max_delay` (short). Accounts that have logged in from that
//!   address before are exempt: a whole office behind one address keeps working.
//!
//! An attempt is counted as a failure *before* its password is checked, in
//! one transaction that locks the rows (no check-then-record race: 25 parallel
//! attempts get `pair_free` password checks, not more); a success then clears
//! the account's counters. A refused attempt is not counted and its password
//! not checked. Counters are forgotten after `forget_after` without failures.
//! `manyi user unlock` and a password reset clear an account's counters.

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::{login_attempts, login_throttle};
use crate::db::{self, DbConnection};

#[derive(Debug, Clone, Copy)]
pub struct LoginThrottle {
    pub pair_free: i32,
    pub pair_max_delay: Duration,
    pub account_free: i32,
    pub account_max_delay: Duration,
    pub address_free: i32,
    pub address_max_delay: Duration,
    /// The first delay; each further failure doubles it.
    pub first_delay: Duration,
    /// A counter with no failure for this long starts again from zero.
    pub forget_after: Duration,
    /// A successful login makes its address known to the account for this long.
    pub known_for: Duration,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self {
            pair_free: 3,
            pair_max_delay: Duration::minutes(15),
            account_free: 10,
            account_max_delay: Duration::minutes(5),
            address_free: 20,
            address_max_delay: Duration::seconds(30),
            first_delay: Duration::seconds(5),
            forget_after: Duration::hours(1),
            known_for: Duration::days(90),
        }
    }
}

/// Why an attempt is refused before its password is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    /// Which counter: the account (from anywhere or this address) or the address.
    pub by_address: bool,
    pub retry_after_seconds: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Pair,
    Account,
    Address,
}

fn key(kind: Kind, username: &str, addr: &str) -> String {
    match kind {
        Kind::Pair => format!("pair:{username}|{addr}"),
        Kind::Account => format!("account:{username}"),
        Kind::Address => format!("address:{addr}"),
    }
}

impl LoginThrottle {
    fn limits(&self, kind: Kind) -> (i32, Duration) {
        match kind {
            Kind::Pair => (self.pair_free, self.pair_max_delay),
            Kind::Account => (self.account_free, self.account_max_delay),
            Kind::Address => (self.address_free, self.address_max_delay),
        }
    }

    /// The wait after the `failures`-th failure: none while free, then
    /// `first_delay`, doubling, up to the kind's maximum.
    fn delay(&self, kind: Kind, failures: i32) -> Duration {
        let (free, max) = self.limits(kind);
        if failures < free {
            return Duration::zero();
        }
        let doublings = (failures - free).min(30) as u32;
        let ms = self
            .first_delay
            .num_milliseconds()
            .saturating_mul(1i64 << doublings);
        Duration::milliseconds(ms).min(max)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = login_throttle)]
struct Row {
    key: String,
    failures: i32,
    next_allowed_at: NaiveDateTime,
    last_at: NaiveDateTime,
}

/// Whether the account has logged in from this address within `known_for`.
fn known_address(
    conn: &mut DbConnection,
    t: &LoginThrottle,
    username: &str,
    addr: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        login_attempts::table
            .filter(login_attempts::username.eq(username))
            .filter(login_attempts::client_addr.eq(addr))
            .filter(login_attempts::success.eq(true))
            .filter(login_attempts::at.gt(now - t.known_for)),
    ))
    .get_result(conn)
}

/// Takes the gate for one attempt: refuses it while a counter waits, else
/// counts it as a failure (cleared by [`record_success`]) and lets the
/// password be checked. Atomic across instances.
pub fn begin_attempt(
    conn: &mut DbConnection,
    t: &LoginThrottle,
    username: &str,
    addr: &str,
) -> QueryResult<Result<(), Throttled>> {
    let now = Utc::now().naive_utc();
    let known = known_address(conn, t, username, addr, now)?;
    let mut kinds = vec![Kind::Pair];
    if !known {
        kinds.extend([Kind::Account, Kind::Address]);
    }
    let mut keys: Vec<(String, Kind)> = kinds
        .into_iter()
        .map(|k| (key(k, username, addr), k))
        .collect();
    // One lock order for every attempt: no deadlock between two of them.
    keys.sort();
    db::write_transaction(conn, |conn| {
        let epoch = chrono::DateTime::UNIX_EPOCH.naive_utc();
        for (k, _) in &keys {
            let fresh = (
                login_throttle::key.eq(k),
                login_throttle::failures.eq(0),
                login_throttle::next_allowed_at.eq(epoch),
                login_throttle::last_at.eq(now),
            );
            crate::on_engine!(&mut *conn, |c| diesel::insert_into(login_throttle::table)
                .values(fresh)
                .on_conflict_do_nothing()
                .execute(c))?;
        }
        let names: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
        let query = || {
            login_throttle::table
                .filter(login_throttle::key.eq_any(names.clone()))
                .order(login_throttle::key)
        };
        // PostgreSQL: lock the rows until commit. SQLite: the transaction
        // already holds the one write lock.
        let rows: Vec<Row> = match conn {
            DbConnection::Postgresql(c) => query().for_update().select(Row::as_select()).load(c)?,
            DbConnection::Sqlite(c) => query().select(Row::as_select()).load(c)?,
        };
        let mut blocked: Option<Throttled> = None;
        for row in &rows {
            if now - row.last_at <= t.forget_after && row.next_allowed_at > now {
                let kind = keys
                    .iter()
                    .find(|(k, _)| *k == row.key)
                    .map_or(Kind::Pair, |(_, kind)| *kind);
                let wait = (row.next_allowed_at - now).num_milliseconds();
                let seconds = (wait + 999) / 1000;
                if blocked.is_none_or(|b| b.retry_after_seconds < seconds) {
                    blocked = Some(Throttled {
                        by_address: kind == Kind::Address,
                        retry_after_seconds: seconds.max(1),
                    });
                }
            }
        }
        if let Some(b) = blocked {
            return Ok(Err(b));
        }
        for row in rows {
            let kind = keys
                .iter()
                .find(|(k, _)| *k == row.key)
                .map_or(Kind::Pair, |(_, kind)| *kind);
            let before = if now - row.last_at > t.forget_after {
                0
            } else {
                row.failures
            };
            let failures = before.saturating_add(1);
            diesel::update(login_throttle::table.find(&row.key))
                .set((
                    login_throttle::failures.eq(failures),
                    login_throttle::next_allowed_at.eq(now + t.delay(kind, failures)),
                    login_throttle::last_at.eq(now),
                ))
                .execute(conn)?;
        }
        Ok(Ok(()))
    })
}

/// The password was right: the account's counters start again (the address's
/// count loses the attempt counted in advance), and the attempt is recorded,
/// which makes this address known to the account.
pub fn record_success(conn: &mut DbConnection, username: &str, addr: &str) -> QueryResult<()> {
    db::write_transaction(conn, |conn| {
        diesel::delete(login_throttle::table.filter(login_throttle::key.eq_any([
            key(Kind::Pair, username, addr),
            key(Kind::Account, username, addr),
        ])))
        .execute(conn)?;
        diesel::update(
            login_throttle::table
                .find(key(Kind::Address, username, addr))
                .filter(login_throttle::failures.gt(0)),
        )
        .set(login_throttle::failures.eq(login_throttle::failures - 1))
        .execute(conn)?;
        record_attempt(conn, username, addr, true)
    })
}

/// Every attempt whose password was checked, for the record and for the
/// addresses an account is known at.
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

/// Clears an account's counters (`manyi user unlock`, a password reset),
/// with an audit entry. Returns how many counters there were.
pub fn unlock_account(
    conn: &mut DbConnection,
    user: &super::User,
    actor: Option<&super::User>,
    client_addr: Option<&str>,
) -> QueryResult<usize> {
    let username = user.username.as_str();
    db::write_transaction(conn, |conn| {
        let cleared = clear_account(conn, username)?;
        super::record_audit(
            conn,
            &super::AuditEntry {
                actor,
                action: "login_unlocked",
                office_id: user.office_id,
                target: &format!("user:{username}"),
                detail: &format!("{cleared} counters cleared"),
                client_addr,
            },
        )?;
        Ok(cleared)
    })
}

/// Deletes the account's own counters (not those of its addresses).
pub(super) fn clear_account(conn: &mut DbConnection, username: &str) -> QueryResult<usize> {
    diesel::delete(
        login_throttle::table.filter(
            login_throttle::key
                .eq(key(Kind::Account, username, ""))
                .or(login_throttle::key
                    .like(format!("pair:{}|%", escape_like(username)))
                    .escape('\\')),
        ),
    )
    .execute(conn)
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_stop_at_the_maximum() {
        let t = LoginThrottle::default();
        assert_eq!(t.delay(Kind::Pair, 1), Duration::zero());
        assert_eq!(t.delay(Kind::Pair, 2), Duration::zero());
        assert_eq!(t.delay(Kind::Pair, 3), Duration::seconds(5));
        assert_eq!(t.delay(Kind::Pair, 4), Duration::seconds(10));
        assert_eq!(t.delay(Kind::Pair, 10), Duration::seconds(640));
        assert_eq!(t.delay(Kind::Pair, 11), Duration::minutes(15));
        assert_eq!(t.delay(Kind::Pair, i32::MAX), Duration::minutes(15));
        assert_eq!(t.delay(Kind::Account, 9), Duration::zero());
        assert_eq!(t.delay(Kind::Account, 20), Duration::minutes(5));
        assert_eq!(t.delay(Kind::Address, 40), Duration::seconds(30));
    }
}
