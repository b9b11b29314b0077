//! The demo's staff accounts, all with [`DEMO_PASSWORD`].

use super::DemoError;
use crate::auth::{self, NewUser, Role};
use crate::db::DbConnection;
use crate::offices;

/// Password of every demo account. Demo data is for trying manyi out, never
/// for a database that serves real citizens.
pub const DEMO_PASSWORD: &str = "manyi-demo-2026";

/// A demo account: username, name, role, office code, county.
type DemoAccount = (
    &'static str,
    &'static str,
    Role,
    Option<&'static str>,
    Option<&'static str>,
);

const DEMO_ACCOUNTS: [DemoAccount; 7] = [
    ("admin", "系統管理者", Role::SystemAdmin, None, None),
    (
        "kinmen",
        "金門縣政府民政處",
        Role::CountyAdmin,
        None,
        Some("金門縣"),
    ),
    (
        "director-jc",
        "金城所主任",
        Role::Director,
        Some("JC"),
        None,
    ),
    (
        "director-js",
        "金沙所主任",
        Role::Director,
        Some("JS"),
        None,
    ),
    (
        "director-da",
        "大安所主任",
        Role::Director,
        Some("DA"),
        None,
    ),
    (
        "research-da",
        "大安所研考",
        Role::Research,
        Some("DA"),
        None,
    ),
    (
        "counter-da",
        "大安所櫃檯",
        Role::CounterStaff,
        Some("DA"),
        None,
    ),
];

/// The demo accounts, all with [`DEMO_PASSWORD`]; returns how many were made.
pub(super) fn create_demo_accounts(conn: &mut DbConnection) -> Result<usize, DemoError> {
    let hash = auth::hash_password(DEMO_PASSWORD);
    let mut made = 0;
    for (username, name, role, office, county) in DEMO_ACCOUNTS {
        if auth::find_user_by_username(conn, username)?.is_some() {
            continue;
        }
        let office_id = match office {
            Some(code) => offices::find_office_by_code(conn, &offices::OfficeCode::parse(code)?)?
                .map(|o| o.id),
            None => None,
        };
        let new = NewUser {
            username: username.to_owned(),
            display_name: name.to_owned(),
            role,
            office_id,
            county_zh: county.map(str::to_owned),
        };
        auth::create_user(conn, &new, &hash, None, None)?;
        made += 1;
    }
    Ok(made)
}
