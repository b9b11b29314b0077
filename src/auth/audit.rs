//! The audit log: who did what, when, from where. Append-only (triggers on
//! both engines refuse UPDATE and DELETE).

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::{Scope, User};
use crate::db::DbConnection;
use crate::db::schema::audit_log;

/// What to record. `actor` None means the system or the command line.
pub struct AuditEntry<'a> {
    pub actor: Option<&'a User>,
    pub action: &'a str,
    pub office_id: Option<i32>,
    pub target: &'a str,
    pub detail: &'a str,
    pub client_addr: Option<&'a str>,
}

#[derive(Insertable)]
#[diesel(table_name = audit_log)]
struct AuditRow<'a> {
    at: NaiveDateTime,
    actor_user_id: Option<i32>,
    actor: &'a str,
    action: &'a str,
    office_id: Option<i32>,
    target: &'a str,
    detail: &'a str,
    client_addr: Option<&'a str>,
}

pub fn record_audit(conn: &mut DbConnection, e: &AuditEntry<'_>) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values(AuditRow {
            at: Utc::now().naive_utc(),
            actor_user_id: e.actor.map(|u| u.id),
            actor: e.actor.map(|u| u.username.as_str()).unwrap_or("system"),
            action: e.action,
            office_id: e.office_id.or(e.actor.and_then(|u| u.office_id)),
            target: e.target,
            detail: e.detail,
            client_addr: e.client_addr,
        })
        .execute(conn)
        .map(|_| ())
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = audit_log)]
pub struct AuditRecord {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor_user_id: Option<i32>,
    pub actor: String,
    pub action: String,
    pub office_id: Option<i32>,
    pub target: String,
    pub detail: String,
    pub client_addr: Option<String>,
}

/// The newest entries in scope. Entries tied to no office are shown to
/// system administrators only.
pub fn list_audit(
    conn: &mut DbConnection,
    scope: &Scope,
    office_filter: Option<i32>,
    limit: i64,
) -> QueryResult<Vec<AuditRecord>> {
    let mut q = audit_log::table
        .order(audit_log::id.desc())
        .limit(limit)
        .select(AuditRecord::as_select())
        .into_boxed();
    if *scope != Scope::All {
        q = q.filter(audit_log::office_id.eq_any(scope.office_ids(conn)?));
    }
    if let Some(o) = office_filter {
        q = q.filter(audit_log::office_id.eq(o));
    }
    q.load(conn)
}
