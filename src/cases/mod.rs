//! The complaint and feedback register (受理人民陳情案件登記簿): every opinion,
//! complaint and petition is a case with a deadline in working days on the
//! office calendar and an append-only history of events.
//!
//! Lifecycle: received → accepted, or registered but not accepted (with a
//! legal reason) → assigned → preliminary reply → replied → closed; a case may
//! be transferred to another agency, extended (new due date, notice to the
//! petitioner recorded) or reopened. Anything else is refused.

mod access;
mod citizen;
mod excerpt;
mod lifecycle;
mod mask;
mod register;
mod search;
mod types;
pub mod views;

pub use access::{may_act, may_register, sees_personal_data};
pub use citizen::{citizen_lookup, citizen_rate, new_secret, secret_hash};
pub use excerpt::{MASK, mask_excerpt};
pub use lifecycle::apply;
pub use mask::{mask_contact, mask_name};
pub use register::{Category, categories, deadline_days, register_case};
pub use search::{CaseFilter, Found, StatusFilter, find_cases};
pub use types::{
    Action, CaseChannel, CaseStatus, DeadlineKind, NotAcceptedReason, Outcome, Timeliness,
    action_label, event_label,
};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::auth::{AuthError, Scope};
use crate::db::DbConnection;
use crate::db::schema::{case_events, cases};

#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
        /// The same message in zh-TW, for the pages.
        zh: String,
    },
    #[error("a case that is {from} cannot be given `{action}`")]
    IllegalTransition {
        from: CaseStatus,
        action: &'static str,
    },
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// Stored data that does not make sense (a deadline rule out of range).
    #[error("data: {0}")]
    Data(String),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

fn invalid(field: &'static str, message: impl Into<String>, zh: impl Into<String>) -> CaseError {
    CaseError::Invalid {
        field,
        message: message.into(),
        zh: zh.into(),
    }
}

impl CaseError {
    /// What the person who asked did wrong, in zh-TW and English, or None when
    /// the fault is not theirs (a refusal of access, stored data, the database).
    pub fn words(&self) -> Option<(String, String)> {
        match self {
            CaseError::Invalid { message, zh, .. } => Some((zh.clone(), message.clone())),
            CaseError::IllegalTransition { from, action } => {
                let (zh, en) = action_label(action);
                Some((
                    format!("此案件目前為「{}」，不能「{zh}」。", from.label_zh()),
                    format!(
                        "A case that is “{}” cannot be given “{en}”.",
                        from.label_en()
                    ),
                ))
            }
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = cases)]
pub struct Case {
    pub id: i64,
    pub case_no: String,
    pub office_id: i32,
    pub channel: String,
    pub category_id: i32,
    pub subject: String,
    pub content: String,
    pub petitioner_name: Option<String>,
    pub petitioner_contact: Option<String>,
    pub language: String,
    pub confidential: bool,
    pub status: CaseStatus,
    pub deadline_kind: String,
    pub received_on: NaiveDate,
    pub due_on: NaiveDate,
    pub due_assumed: bool,
    pub assigned_to: Option<i32>,
    pub first_reply_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    #[serde(skip)]
    pub lookup_secret_hash: Option<String>,
    pub published_reply: Option<String>,
    pub citizen_rating: Option<i16>,
    pub citizen_comment: Option<String>,
    #[serde(skip)]
    pub idempotency_key: Option<String>,
    pub personal_purged_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = case_events)]
pub struct CaseEvent {
    pub id: i64,
    pub case_id: i64,
    pub at: NaiveDateTime,
    pub actor_user_id: Option<i32>,
    pub actor: String,
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub note: String,
    pub detail: String,
}

/// A case as it arrives.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub office_id: i32,
    pub channel: CaseChannel,
    pub category_code: String,
    pub subject: String,
    pub content: String,
    pub petitioner_name: Option<String>,
    pub petitioner_contact: Option<String>,
    /// `zh-TW` or `en`: an English petition is answered in English.
    pub language: String,
    pub confidential: bool,
    pub received_on: NaiveDate,
    /// Hash of the citizen's lookup secret (mailbox), if any.
    pub lookup_secret_hash: Option<String>,
    pub idempotency_key: Option<String>,
}

/// One case, if it is in scope (404 otherwise).
pub fn get_case(conn: &mut DbConnection, scope: &Scope, id: i64) -> Result<Case, CaseError> {
    let case = cases::table
        .find(id)
        .select(Case::as_select())
        .first(conn)
        .optional()?
        .ok_or(AuthError::NotFound)?;
    scope.check_office(conn, case.office_id)?;
    Ok(case)
}

/// One case by its number (`JS-114-00001`), if it is in scope (404 otherwise).
pub fn get_case_by_number(
    conn: &mut DbConnection,
    scope: &Scope,
    case_no: &str,
) -> Result<Case, CaseError> {
    let id: i64 = cases::table
        .filter(cases::case_no.eq(case_no))
        .select(cases::id)
        .first(conn)
        .optional()?
        .ok_or(AuthError::NotFound)?;
    get_case(conn, scope, id)
}

/// Every case in scope, oldest first (the register's export).
pub fn all_cases(conn: &mut DbConnection, scope: &Scope) -> QueryResult<Vec<Case>> {
    cases::table
        .filter(cases::office_id.eq_any(scope.office_ids(conn)?))
        .order((cases::received_on, cases::id))
        .select(Case::as_select())
        .load(conn)
}

pub fn case_events(conn: &mut DbConnection, case_id: i64) -> QueryResult<Vec<CaseEvent>> {
    case_events::table
        .filter(case_events::case_id.eq(case_id))
        .order(case_events::id)
        .select(CaseEvent::as_select())
        .load(conn)
}
