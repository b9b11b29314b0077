//! Registering a case: the categories, the deadline rules, the case number
//! and the registration itself.

use chrono::{Datelike, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::lifecycle::record_event;
use super::*;
use crate::auth::{AuthError, User};
use crate::calendar::{Calendar, WorkingDays};
use crate::db::schema::{case_categories, case_counters, case_deadline_rules, cases, offices};
use crate::db::{self, DbConnection};

/// A category of the register (等候時間, 服務態度 …).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Serialize)]
pub struct Category {
    #[serde(skip)]
    pub id: i32,
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
            case_categories::id,
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
        return Err(invalid("subject", "Please enter a subject.", "請填寫主旨"));
    }
    if new.content.trim().is_empty() {
        return Err(invalid(
            "content",
            "Please write what it is about.",
            "請填寫內容",
        ));
    }
    if !matches!(new.language.as_str(), "zh-TW" | "en") {
        return Err(invalid(
            "language",
            "must be zh-TW or en",
            "請選擇中文或英文",
        ));
    }
    for (field, value, max) in [
        ("subject", Some(new.subject.as_str()), 200),
        ("content", Some(new.content.as_str()), 5000),
        ("name", new.petitioner_name.as_deref(), 100),
        ("contact", new.petitioner_contact.as_deref(), 200),
    ] {
        if value.is_some_and(|v| v.chars().count() > max) {
            return Err(invalid(
                field,
                format!("at most {max} characters"),
                format!("最多 {max} 個字"),
            ));
        }
        if field != "content" && value.is_some_and(|v| v.contains(['\n', '\r', '\t'])) {
            return Err(invalid(field, "must be one line", "請寫成一行"));
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
                "請從清單選擇類別",
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
