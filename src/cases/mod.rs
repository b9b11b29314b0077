//! The complaint and feedback register (受理人民陳情案件登記簿): every opinion,
//! complaint and petition is a case with a deadline in working days on the
//! office calendar and an append-only history of events.
//!
//! Lifecycle: received → accepted, or registered but not accepted (with a
//! legal reason) → assigned → preliminary reply → replied → closed; a case may
//! be transferred to another agency, extended (new due date, notice to the
//! petitioner recorded) or reopened. Anything else is refused.

mod access;
mod excerpt;
mod mask;
mod types;
pub mod views;

pub use access::{may_act, may_register, sees_personal_data};
pub use excerpt::{MASK, mask_excerpt};
pub use mask::{mask_contact, mask_name};
pub use types::{
    Action, CaseChannel, CaseStatus, DeadlineKind, NotAcceptedReason, Outcome, Timeliness,
};

use chrono::{Datelike, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::auth::{AuthError, Scope, User};
use crate::calendar::{Calendar, WorkingDays};
use crate::db::schema::{
    case_categories, case_counters, case_deadline_rules, case_events, cases, offices,
};
use crate::db::{self, DbConnection};

#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
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

fn invalid(field: &'static str, message: impl Into<String>) -> CaseError {
    CaseError::Invalid {
        field,
        message: message.into(),
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

/// A category of the register (等候時間, 服務態度 …).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Serialize)]
pub struct Category {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

/// The register's categories in their order; `active_only` leaves out the
/// retired ones (which old cases may still carry).
pub fn categories(conn: &mut DbConnection, active_only: bool) -> QueryResult<Vec<Category>> {
    let mut q = case_categories::table
        .order(case_categories::sort_order)
        .select((
            case_categories::code,
            case_categories::name_zh,
            case_categories::name_en,
        ))
        .into_boxed();
    if active_only {
        q = q.filter(case_categories::active.eq(true));
    }
    q.load(conn)
}

/// Working days for a kind of case at an office (its own rule, else the
/// default). A missing default or a stored value outside 1-30 is an error
/// (the migrations seed every kind), never a silently assumed number.
pub fn deadline_days(
    conn: &mut DbConnection,
    office_id: i32,
    kind: DeadlineKind,
) -> Result<WorkingDays, CaseError> {
    let rules: Vec<(Option<i32>, i16)> = case_deadline_rules::table
        .filter(case_deadline_rules::kind.eq(kind.as_str()))
        .filter(
            case_deadline_rules::office_id
                .eq(office_id)
                .or(case_deadline_rules::office_id.is_null()),
        )
        .select((
            case_deadline_rules::office_id,
            case_deadline_rules::working_days,
        ))
        .load(conn)?;
    let days = rules
        .iter()
        .find(|r| r.0.is_some())
        .or_else(|| rules.first())
        .map(|r| r.1)
        .ok_or_else(|| CaseError::Data(format!("no deadline rule for `{}`", kind.as_str())))?;
    u32::try_from(days)
        .ok()
        .and_then(|d| WorkingDays::new(d).ok())
        .ok_or_else(|| {
            CaseError::Data(format!(
                "the deadline rule for `{}` at office {office_id} is {days} working days",
                kind.as_str()
            ))
        })
}

fn record_event(
    conn: &mut DbConnection,
    case_id: i64,
    actor: Option<&User>,
    kind: &str,
    (from, to): (Option<CaseStatus>, CaseStatus),
    note: &str,
    detail: &serde_json::Value,
) -> QueryResult<()> {
    diesel::insert_into(case_events::table)
        .values((
            case_events::case_id.eq(case_id),
            case_events::at.eq(Utc::now().naive_utc()),
            case_events::actor_user_id.eq(actor.map(|u| u.id)),
            case_events::actor.eq(actor.map(|u| u.username.as_str()).unwrap_or("citizen")),
            case_events::kind.eq(kind),
            case_events::from_status.eq(from.map(|s| s.as_str())),
            case_events::to_status.eq(to.as_str()),
            case_events::note.eq(note),
            case_events::detail.eq(detail.to_string()),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The next case number of an office's ROC year. Call inside the write
/// transaction that stores the case: the counter row is created at the year's
/// first case (from the highest number already in the register, for registers
/// kept before the counter existed) and then incremented; the increment holds
/// the row's lock until the transaction ends, so concurrent registrations, in
/// one instance or several, get distinct numbers, and a rolled-back
/// registration gives its number back (no gaps).
fn next_case_number(
    conn: &mut DbConnection,
    office_id: i32,
    roc_year: i32,
    prefix: &str,
) -> QueryResult<i32> {
    let counter = case_counters::table.find((office_id, roc_year));
    let known: Option<i32> = counter
        .select(case_counters::last_no)
        .first(conn)
        .optional()?;
    if known.is_none() {
        let highest: Option<String> = cases::table
            .filter(cases::case_no.like(format!("{prefix}%")))
            .select(diesel::dsl::max(cases::case_no))
            .first(conn)?;
        let start = highest
            .and_then(|no| no.strip_prefix(prefix).and_then(|n| n.parse::<i32>().ok()))
            .unwrap_or(0);
        let row = (
            case_counters::office_id.eq(office_id),
            case_counters::roc_year.eq(roc_year),
            case_counters::last_no.eq(start),
        );
        // Two first cases at once: one creates the row, the other finds it.
        crate::on_engine!(&mut *conn, |c| diesel::insert_into(case_counters::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(c))?;
    }
    diesel::update(counter)
        .set(case_counters::last_no.eq(case_counters::last_no + 1))
        .execute(conn)?;
    counter.select(case_counters::last_no).first(conn)
}

/// Registers a case: its number (`OFFICE-ROCYEAR-NNNNN`), its deadline, and the
/// `received` event, in one transaction. `actor` is the staff member who typed
/// it in (None for the citizen's own mailbox form).
pub fn register_case(
    conn: &mut DbConnection,
    calendar: &Calendar,
    new: &NewCase,
    actor: Option<&User>,
) -> Result<Case, CaseError> {
    if new.subject.trim().is_empty() {
        return Err(invalid("subject", "must not be empty"));
    }
    if new.content.trim().is_empty() {
        return Err(invalid("content", "must not be empty"));
    }
    if !matches!(new.language.as_str(), "zh-TW" | "en") {
        return Err(invalid("language", "must be zh-TW or en"));
    }
    for (field, value, max) in [
        ("subject", Some(new.subject.as_str()), 200),
        ("content", Some(new.content.as_str()), 5000),
        ("name", new.petitioner_name.as_deref(), 100),
        ("contact", new.petitioner_contact.as_deref(), 200),
    ] {
        if value.is_some_and(|v| v.chars().count() > max) {
            return Err(invalid(field, format!("at most {max} characters")));
        }
        if field != "content" && value.is_some_and(|v| v.contains(['\n', '\r', '\t'])) {
            return Err(invalid(field, "must be one line"));
        }
    }
    if let Some(a) = actor {
        a.scope().check_office(conn, new.office_id)?;
        if !may_register(a) {
            return Err(AuthError::Forbidden.into());
        }
    }
    let category_id: i32 = case_categories::table
        .filter(case_categories::code.eq(&new.category_code))
        .filter(case_categories::active.eq(true))
        .select(case_categories::id)
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            invalid(
                "category",
                format!("unknown category `{}`", new.category_code),
            )
        })?;
    let office_code: String = offices::table
        .find(new.office_id)
        .select(offices::code)
        .first(conn)
        .optional()?
        .ok_or(AuthError::NotFound)?;
    // The same submission again (a resent form): the case stored the first time.
    if let Some(key) = &new.idempotency_key
        && let Some(first) = cases::table
            .filter(cases::idempotency_key.eq(key))
            .select(Case::as_select())
            .first(conn)
            .optional()?
    {
        return Ok(first);
    }
    let kind = new.channel.default_deadline();
    let days = deadline_days(conn, new.office_id, kind)?;
    let due = calendar.add_working_days(new.received_on, days);
    let roc_year = new.received_on.year() - 1911;
    let prefix = format!("{office_code}-{roc_year}-");
    let stored = db::write_transaction(conn, |conn| {
        let number = next_case_number(conn, new.office_id, roc_year, &prefix)?;
        let case_no = format!("{prefix}{number:05}");
        diesel::insert_into(cases::table)
            .values((
                cases::case_no.eq(&case_no),
                cases::office_id.eq(new.office_id),
                cases::channel.eq(new.channel.as_str()),
                cases::category_id.eq(category_id),
                cases::subject.eq(new.subject.trim()),
                cases::content.eq(new.content.trim()),
                cases::petitioner_name.eq(new.petitioner_name.as_deref().map(str::trim)),
                cases::petitioner_contact.eq(new.petitioner_contact.as_deref().map(str::trim)),
                cases::language.eq(&new.language),
                cases::confidential.eq(new.confidential),
                cases::status.eq(CaseStatus::Received.as_str()),
                cases::deadline_kind.eq(kind.as_str()),
                cases::received_on.eq(new.received_on),
                cases::due_on.eq(due.date),
                cases::due_assumed.eq(due.assumed_weekdays),
                cases::lookup_secret_hash.eq(&new.lookup_secret_hash),
                cases::idempotency_key.eq(&new.idempotency_key),
                cases::created_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)?;
        let case = cases::table
            .filter(cases::case_no.eq(&case_no))
            .select(Case::as_select())
            .first(conn)?;
        record_event(
            conn,
            case.id,
            actor,
            "received",
            (None, CaseStatus::Received),
            "",
            &serde_json::json!({ "channel": new.channel.as_str(), "due_on": due.date }),
        )?;
        Ok(case)
    });
    match (stored, &new.idempotency_key) {
        // The same form sent twice at once: the other one stored it.
        (Err(CaseError::Db(e)), Some(key)) if db::is_unique_violation(&e) => cases::table
            .filter(cases::idempotency_key.eq(key))
            .select(Case::as_select())
            .first(conn)
            .optional()?
            .ok_or(CaseError::Db(e)),
        (other, _) => other,
    }
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

/// Applies an action on `today` (the office's date): checks scope and the
/// lifecycle, updates the case and appends the event, in one transaction.
pub fn apply(
    conn: &mut DbConnection,
    calendar: &Calendar,
    actor: &User,
    case_id: i64,
    action: &Action,
    note: &str,
    today: NaiveDate,
) -> Result<Case, CaseError> {
    check_action_lengths(action, note)?;
    db::write_transaction(conn, |conn| {
        let case = get_case(conn, &actor.scope(), case_id)?;
        if !may_act(actor, &case, action) {
            return Err(AuthError::Forbidden.into());
        }
        let from = case.status;
        let to = action.next(from).ok_or(CaseError::IllegalTransition {
            from,
            action: action.name(),
        })?;
        let target = cases::table.find(case_id);
        let mut detail = serde_json::json!({});
        match action {
            Action::Accept { deadline } => {
                let days = deadline_days(conn, case.office_id, *deadline)?;
                let due = calendar.add_working_days(case.received_on, days);
                diesel::update(target)
                    .set((
                        cases::deadline_kind.eq(deadline.as_str()),
                        cases::due_on.eq(due.date),
                        cases::due_assumed.eq(due.assumed_weekdays),
                    ))
                    .execute(conn)?;
                detail = serde_json::json!({ "deadline": deadline.as_str(), "due_on": due.date });
            }
            Action::NotAccept { reason } => {
                diesel::update(target)
                    .set(cases::closed_on.eq(today))
                    .execute(conn)?;
                detail = serde_json::json!({ "reason": reason.as_str() });
            }
            Action::Assign { user_id } => {
                let assignee = crate::auth::get_user(conn, &actor.scope(), *user_id)
                    .map_err(|_| invalid("user_id", "no such staff member in this office"))?;
                if assignee.office_id != Some(case.office_id) {
                    return Err(invalid(
                        "user_id",
                        "the handler must belong to the case's office",
                    ));
                }
                diesel::update(target)
                    .set(cases::assigned_to.eq(assignee.id))
                    .execute(conn)?;
                detail = serde_json::json!({ "user": assignee.username });
            }
            Action::PreliminaryReply => {
                if case.first_reply_on.is_none() {
                    diesel::update(target)
                        .set(cases::first_reply_on.eq(today))
                        .execute(conn)?;
                }
            }
            Action::Reply { reply } => {
                if reply.trim().is_empty() {
                    return Err(invalid("reply", "must not be empty"));
                }
                diesel::update(target)
                    .set((
                        cases::published_reply.eq(reply.trim()),
                        cases::first_reply_on.eq(case.first_reply_on.unwrap_or(today)),
                    ))
                    .execute(conn)?;
            }
            Action::Close => {
                diesel::update(target)
                    .set(cases::closed_on.eq(today))
                    .execute(conn)?;
            }
            Action::Transfer {
                agency,
                notice_to_petitioner,
            } => {
                if agency.trim().is_empty() {
                    return Err(invalid("agency", "name the agency the case goes to"));
                }
                diesel::update(target)
                    .set(cases::closed_on.eq(today))
                    .execute(conn)?;
                detail =
                    serde_json::json!({ "agency": agency.trim(), "notice": notice_to_petitioner });
            }
            Action::Extend {
                reason,
                new_due,
                notice_to_petitioner,
            } => {
                if reason.trim().is_empty() {
                    return Err(invalid("reason", "an extension needs its reason"));
                }
                if *new_due <= case.due_on {
                    return Err(invalid("new_due", "must be after the current due date"));
                }
                if !calendar.is_working_day(*new_due).0 {
                    return Err(invalid("new_due", "must be a working day"));
                }
                if notice_to_petitioner.trim().is_empty() {
                    return Err(invalid(
                        "notice",
                        "record the notice sent to the petitioner",
                    ));
                }
                diesel::update(target)
                    .set(cases::due_on.eq(new_due))
                    .execute(conn)?;
                detail = serde_json::json!({
                    "reason": reason.trim(), "from": case.due_on, "to": new_due,
                    "notice": notice_to_petitioner.trim(),
                });
            }
            Action::Reopen { reason } => {
                if reason.trim().is_empty() {
                    return Err(invalid("reason", "a reopened case needs its reason"));
                }
                diesel::update(target)
                    .set(cases::closed_on.eq(None::<NaiveDate>))
                    .execute(conn)?;
                detail = serde_json::json!({ "reason": reason.trim() });
            }
        }
        diesel::update(target)
            .set(cases::status.eq(to.as_str()))
            .execute(conn)?;
        record_event(
            conn,
            case_id,
            Some(actor),
            action.name(),
            (Some(from), to),
            note,
            &detail,
        )?;
        Ok(cases::table
            .find(case_id)
            .select(Case::as_select())
            .first(conn)?)
    })
}

/// The texts of an action and its note, each within its length.
fn check_action_lengths(action: &Action, note: &str) -> Result<(), CaseError> {
    let mut texts: Vec<(&'static str, &str, usize)> = vec![("note", note, 2000)];
    match action {
        Action::Reply { reply } => texts.push(("text", reply, 5000)),
        Action::Transfer {
            agency,
            notice_to_petitioner,
        } => {
            texts.push(("agency", agency, 200));
            texts.push(("notice", notice_to_petitioner, 2000));
        }
        Action::Extend {
            reason,
            notice_to_petitioner,
            ..
        } => {
            texts.push(("reason", reason, 1000));
            texts.push(("notice", notice_to_petitioner, 2000));
        }
        Action::Reopen { reason } => texts.push(("reason", reason, 1000)),
        _ => {}
    }
    match texts
        .into_iter()
        .find(|(_, t, max)| t.chars().count() > *max)
    {
        Some((field, _, max)) => Err(invalid(field, format!("at most {max} characters"))),
        None => Ok(()),
    }
}

/// Hash of a citizen's lookup secret (the secret itself is shown once).
pub fn secret_hash(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(secret.trim().to_uppercase().as_bytes()))
}

/// A new lookup secret: 10 characters from an unambiguous alphabet.
pub fn new_secret() -> String {
    use rand::RngExt;
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..10)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// The case a citizen may see with its number and secret (nothing on mismatch).
pub fn citizen_lookup(
    conn: &mut DbConnection,
    case_no: &str,
    secret: &str,
) -> QueryResult<Option<Case>> {
    let found = cases::table
        .filter(cases::case_no.eq(case_no.trim().to_uppercase()))
        .select(Case::as_select())
        .first(conn)
        .optional()?;
    let want = secret_hash(secret);
    Ok(found.filter(|c| {
        c.lookup_secret_hash.as_deref().is_some_and(|h| {
            use subtle::ConstantTimeEq;
            h.len() == want.len() && bool::from(h.as_bytes().ct_eq(want.as_bytes()))
        })
    }))
}

/// The citizen rates the handling (1-5 and a comment) once, after the reply.
pub fn citizen_rate(
    conn: &mut DbConnection,
    case_no: &str,
    secret: &str,
    rating: i16,
    comment: &str,
) -> Result<Case, CaseError> {
    if !(1..=5).contains(&rating) {
        return Err(invalid("rating", "must be from 1 to 5"));
    }
    if comment.chars().count() > 1000 {
        return Err(invalid("comment", "at most 1000 characters"));
    }
    db::write_transaction(conn, |conn| {
        let case = citizen_lookup(conn, case_no, secret)?.ok_or(AuthError::NotFound)?;
        let status = case.status;
        if !matches!(status, CaseStatus::Replied | CaseStatus::Closed) {
            return Err(invalid("rating", "the case has not been answered yet"));
        }
        if case.citizen_rating.is_some() {
            return Err(invalid("rating", "this case has been rated already"));
        }
        diesel::update(cases::table.find(case.id))
            .set((
                cases::citizen_rating.eq(rating),
                cases::citizen_comment.eq(Some(comment.trim()).filter(|c| !c.is_empty())),
            ))
            .execute(conn)?;
        record_event(
            conn,
            case.id,
            None,
            "citizen_rating",
            (Some(status), status),
            "",
            &serde_json::json!({ "rating": rating }),
        )?;
        Ok(cases::table
            .find(case.id)
            .select(Case::as_select())
            .first(conn)?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_table() {
        use CaseStatus::*;
        let reply = Action::Reply { reply: "x".into() };
        assert_eq!(reply.next(Assigned), Some(Replied));
        assert_eq!(reply.next(Received), None, "no reply before acceptance");
        assert_eq!(
            Action::Close.next(Assigned),
            None,
            "no closing an unanswered case"
        );
        assert_eq!(Action::Close.next(NotAccepted), Some(Closed));
        let reopen = Action::Reopen { reason: "x".into() };
        assert_eq!(reopen.next(Closed), Some(Accepted));
        assert_eq!(
            reopen.next(Transferred),
            None,
            "a transferred case belongs to another agency"
        );
        for s in CaseStatus::ALL {
            assert_eq!(CaseStatus::parse(s.as_str()), Some(s));
        }
        for c in CaseChannel::ALL {
            assert_eq!(CaseChannel::parse(c.as_str()), Some(c));
        }
    }
}
