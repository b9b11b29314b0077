//! What directors watch: open cases by how close their deadline is, and per
//! office and month the timeliness figures; and the purge of old personal data.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::{Case, CaseStatus, Outcome, Timeliness};
use crate::auth::{AuditEntry, Scope, record_audit};
use crate::calendar::Calendar;
use crate::db::schema::cases;
use crate::db::{self, DbConnection};

/// How an open case stands against its deadline on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DueState {
    Overdue,
    DueToday,
    /// Due within the next 2 working days.
    DueSoon,
    OnTrack,
}

pub fn due_state(calendar: &Calendar, due_on: NaiveDate, today: NaiveDate) -> DueState {
    if due_on < today {
        DueState::Overdue
    } else if due_on == today {
        DueState::DueToday
    } else if calendar.working_days_between(today, due_on) <= 2 {
        DueState::DueSoon
    } else {
        DueState::OnTrack
    }
}

/// Working days from `today` to the deadline: how many are left (0 on the
/// day it falls due), or, negative, by how many working days it is overdue.
pub fn working_days_left(calendar: &Calendar, due_on: NaiveDate, today: NaiveDate) -> i64 {
    if due_on >= today {
        calendar.working_days_between(today, due_on)
    } else {
        -calendar.working_days_between(due_on, today)
    }
}

/// Open cases in scope with their due state, oldest first.
pub fn open_cases(
    conn: &mut DbConnection,
    scope: &Scope,
    calendar: &Calendar,
    today: NaiveDate,
) -> QueryResult<Vec<(Case, DueState)>> {
    let open: Vec<&str> = CaseStatus::ALL
        .into_iter()
        .filter(|s| s.is_open())
        .map(|s| s.as_str())
        .collect();
    let list: Vec<Case> = cases::table
        .filter(cases::office_id.eq_any(scope.office_ids(conn)?))
        .filter(cases::status.eq_any(open))
        .order((cases::received_on, cases::id))
        .select(Case::as_select())
        .load(conn)?;
    Ok(list
        .into_iter()
        .map(|c| {
            let state = due_state(calendar, c.due_on, today);
            (c, state)
        })
        .collect())
}

/// Median: the middle value, or the mean of the two middle values.
pub fn median(sorted: &[i64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2] as f64),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0),
    }
}

/// 90th percentile by the nearest-rank method: the ⌈0.9·n⌉-th smallest value.
pub fn p90(sorted: &[i64]) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (0.9 * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// One office's month (by date of receipt).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthFigures {
    pub office_id: i32,
    pub year: i32,
    pub month: u32,
    pub received: i64,
    /// Cases whose timeliness is decided: answered, or still unanswered past due.
    pub timed: i64,
    /// Of those, answered (first reply) on or before the due date.
    pub on_time: i64,
    pub median_days_to_first_reply: Option<f64>,
    pub p90_days_to_first_reply: Option<i64>,
    pub median_days_to_close: Option<f64>,
    pub p90_days_to_close: Option<i64>,
}

impl MonthFigures {
    pub fn on_time_rate(&self) -> Option<f64> {
        (self.timed > 0).then(|| self.on_time as f64 / self.timed as f64)
    }
}

/// Per office and month of receipt, in scope, between two dates (inclusive).
/// Working days are counted on the office calendar; not-accepted and
/// transferred cases count as received but not for timeliness.
pub fn month_figures(
    conn: &mut DbConnection,
    scope: &Scope,
    calendar: &Calendar,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> QueryResult<Vec<MonthFigures>> {
    type Row = (
        i32,
        NaiveDate,
        NaiveDate,
        Option<NaiveDate>,
        Option<NaiveDate>,
        String,
    );
    let rows: Vec<Row> = cases::table
        .filter(cases::office_id.eq_any(scope.office_ids(conn)?))
        .filter(cases::received_on.ge(from))
        .filter(cases::received_on.le(to))
        .select((
            cases::office_id,
            cases::received_on,
            cases::due_on,
            cases::first_reply_on,
            cases::closed_on,
            cases::status,
        ))
        .load(conn)?;
    let mut groups: BTreeMap<(i32, i32, u32), Vec<Row>> = BTreeMap::new();
    for r in rows {
        groups
            .entry((r.0, r.1.year(), r.1.month()))
            .or_default()
            .push(r);
    }
    Ok(groups
        .into_iter()
        .map(|((office_id, year, month), rows)| {
            let mut reply_days = Vec::new();
            let mut close_days = Vec::new();
            let (mut timed, mut on_time) = (0, 0);
            for (_, received, due, first_reply, closed, status) in &rows {
                let status = CaseStatus::parse(status);
                // A case closed with no reply was closed after 不受理: no
                // deadline applies to it either.
                let excluded = matches!(
                    status,
                    Some(CaseStatus::NotAccepted | CaseStatus::Transferred)
                ) || (status == Some(CaseStatus::Closed) && first_reply.is_none());
                if let Some(r) = first_reply {
                    reply_days.push(calendar.working_days_between(*received, *r));
                }
                if let (Some(c), Some(CaseStatus::Closed)) = (closed, status) {
                    close_days.push(calendar.working_days_between(*received, *c));
                }
                if excluded {
                    continue;
                }
                match first_reply {
                    Some(r) => {
                        timed += 1;
                        if r <= due {
                            on_time += 1;
                        }
                    }
                    None if *due < today => timed += 1,
                    None => {}
                }
            }
            reply_days.sort_unstable();
            close_days.sort_unstable();
            MonthFigures {
                office_id,
                year,
                month,
                received: rows.len() as i64,
                timed,
                on_time,
                median_days_to_first_reply: median(&reply_days),
                p90_days_to_first_reply: p90(&reply_days),
                median_days_to_close: median(&close_days),
                p90_days_to_close: p90(&close_days),
            }
        })
        .collect())
}

/// Removes petitioners' personal data (name, contact, the text they wrote)
/// from every office's cases received before `before`, keeping everything
/// statistics use (office, channel, category, dates, status). A system task
/// (the command line), audited. Returns how many cases changed.
pub fn purge_personal(conn: &mut DbConnection, before: NaiveDate) -> QueryResult<usize> {
    db::write_transaction(conn, |conn| {
        let n = diesel::update(
            cases::table
                .filter(cases::received_on.lt(before))
                .filter(cases::personal_purged_at.is_null()),
        )
        .set((
            cases::petitioner_name.eq(None::<String>),
            cases::petitioner_contact.eq(None::<String>),
            cases::content.eq("（個人資料已依規定刪除 personal data removed）"),
            cases::citizen_comment.eq(None::<String>),
            cases::lookup_secret_hash.eq(None::<String>),
            cases::personal_purged_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
        record_audit(
            conn,
            &AuditEntry {
                actor: None,
                action: "cases_personal_data_purged",
                office_id: None,
                target: &format!("cases received before {before}"),
                detail: &format!("{n} cases"),
                client_addr: None,
            },
        )?;
        Ok(n)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_p90_by_hand() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[4]), Some(4.0));
        assert_eq!(median(&[1, 2, 3, 10]), Some(2.5));
        assert_eq!(median(&[1, 2, 3, 4, 10]), Some(3.0));
        // Nearest rank: n = 10 → 9th value; n = 5 → ⌈4.5⌉ = 5th; n = 1 → the value.
        assert_eq!(p90(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), Some(9));
        assert_eq!(p90(&[1, 2, 3, 4, 5]), Some(5));
        assert_eq!(p90(&[7]), Some(7));
        assert_eq!(p90(&[]), None);
    }

    #[test]
    fn timeliness_of_each_kind_of_case() {
        let d = |m, day| NaiveDate::from_ymd_opt(2024, m, day).unwrap();
        let (due, today) = (d(3, 8), d(3, 20));
        let of = |status, reply| outcome_and_timeliness(status, due, reply, today);
        assert_eq!(
            of(CaseStatus::Replied, Some(d(3, 8))),
            (Outcome::Answered, Timeliness::OnTime)
        );
        assert_eq!(
            of(CaseStatus::Closed, Some(d(3, 11))),
            (Outcome::Answered, Timeliness::Late)
        );
        assert_eq!(
            of(CaseStatus::Assigned, None),
            (Outcome::Open, Timeliness::Late),
            "past due, no reply"
        );
        assert_eq!(
            outcome_and_timeliness(CaseStatus::Assigned, d(3, 25), None, today),
            (Outcome::Open, Timeliness::Pending),
            "not due yet: not counted either way"
        );
        // Closed without a reply: closed after 不受理, no deadline applies.
        assert_eq!(
            of(CaseStatus::Closed, None),
            (Outcome::NotAccepted, Timeliness::NotApplicable)
        );
        assert_eq!(
            of(CaseStatus::Transferred, None),
            (Outcome::Transferred, Timeliness::NotApplicable)
        );
    }

    #[test]
    fn due_states_on_the_calendar() {
        let cal = Calendar::shipped();
        let d = |m, day| NaiveDate::from_ymd_opt(2024, m, day).unwrap();
        let today = d(2, 7);
        assert_eq!(due_state(&cal, d(2, 6), today), DueState::Overdue);
        assert_eq!(due_state(&cal, d(2, 7), today), DueState::DueToday);
        // Over Lunar New Year: the 15th is the 1st working day after the 7th, the 17th the 3rd.
        assert_eq!(due_state(&cal, d(2, 16), today), DueState::DueSoon);
        assert_eq!(due_state(&cal, d(2, 17), today), DueState::OnTrack);
    }
}

/// A case's outcome (answered, not_accepted, transferred, open) and
/// timeliness (on_time, late, pending, not_applicable) as of `today`: the
/// periodic review's classification, shared with the analytics.
pub fn outcome_and_timeliness(
    status: CaseStatus,
    due: NaiveDate,
    first_reply: Option<NaiveDate>,
    today: NaiveDate,
) -> (Outcome, Timeliness) {
    let outcome = match status {
        CaseStatus::NotAccepted => Outcome::NotAccepted,
        // Only a case not accepted is closed without a reply.
        CaseStatus::Closed if first_reply.is_none() => Outcome::NotAccepted,
        CaseStatus::Transferred => Outcome::Transferred,
        s if s.is_open() => Outcome::Open,
        _ => Outcome::Answered,
    };
    let timeliness = match (outcome, first_reply) {
        (Outcome::NotAccepted | Outcome::Transferred, _) => Timeliness::NotApplicable,
        (_, Some(r)) if r <= due => Timeliness::OnTime,
        (_, Some(_)) => Timeliness::Late,
        (_, None) if due < today => Timeliness::Late,
        (_, None) => Timeliness::Pending,
    };
    (outcome, timeliness)
}

/// One cell of the periodic review table (category × outcome × timeliness).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ReviewCell {
    pub category: String,
    pub outcome: Outcome,
    pub timeliness: Timeliness,
    pub count: i64,
}

/// Cases received between two dates (inclusive), in scope, counted by
/// category, outcome and timeliness as of `today`.
pub fn review_table(
    conn: &mut DbConnection,
    scope: &Scope,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> QueryResult<Vec<ReviewCell>> {
    use crate::db::schema::case_categories;
    let rows: Vec<(String, CaseStatus, NaiveDate, Option<NaiveDate>)> = cases::table
        .inner_join(case_categories::table)
        .filter(cases::office_id.eq_any(scope.office_ids(conn)?))
        .filter(cases::received_on.ge(from))
        .filter(cases::received_on.le(to))
        .select((
            case_categories::code,
            cases::status,
            cases::due_on,
            cases::first_reply_on,
        ))
        .load(conn)?;
    let mut cells: BTreeMap<(String, Outcome, Timeliness), i64> = BTreeMap::new();
    for (category, status, due, first_reply) in rows {
        let (outcome, timeliness) = outcome_and_timeliness(status, due, first_reply, today);
        *cells.entry((category, outcome, timeliness)).or_default() += 1;
    }
    Ok(cells
        .into_iter()
        .map(|((category, outcome, timeliness), count)| ReviewCell {
            category,
            outcome,
            timeliness,
            count,
        })
        .collect())
}

/// Open cases per office and due state: the register's dashboard numbers.
/// One grouped query over the open cases (index office_id, status, due_on);
/// the few distinct due dates are classified here.
pub fn due_summary(
    conn: &mut DbConnection,
    scope: &Scope,
    calendar: &Calendar,
    today: NaiveDate,
) -> QueryResult<BTreeMap<(i32, DueState), i64>> {
    use diesel::dsl::count_star;
    let open: Vec<&str> = CaseStatus::ALL
        .into_iter()
        .filter(|s| s.is_open())
        .map(|s| s.as_str())
        .collect();
    let groups: Vec<(i32, NaiveDate, i64)> = cases::table
        .filter(cases::office_id.eq_any(scope.office_ids(conn)?))
        .filter(cases::status.eq_any(open))
        .group_by((cases::office_id, cases::due_on))
        .select((cases::office_id, cases::due_on, count_star()))
        .load(conn)?;
    let mut out = BTreeMap::new();
    for (office, due, n) in groups {
        *out.entry((office, due_state(calendar, due, today)))
            .or_default() += n;
    }
    Ok(out)
}

/// An office's own working days for a kind of case (1-30), replacing the
/// default for its new cases; audited.
pub fn set_deadline_rule(
    conn: &mut DbConnection,
    actor: &crate::auth::User,
    office_id: i32,
    kind: super::DeadlineKind,
    days: crate::calendar::WorkingDays,
) -> Result<(), super::CaseError> {
    use crate::db::schema::case_deadline_rules as r;
    actor.scope().check_office(conn, office_id)?;
    db::write_transaction(conn, |conn| {
        diesel::delete(
            r::table
                .filter(r::office_id.eq(office_id))
                .filter(r::kind.eq(kind.as_str())),
        )
        .execute(conn)?;
        diesel::insert_into(r::table)
            .values((
                r::office_id.eq(office_id),
                r::kind.eq(kind.as_str()),
                r::working_days.eq(days.get() as i16),
            ))
            .execute(conn)?;
        record_audit(
            conn,
            &AuditEntry {
                actor: Some(actor),
                action: "deadline_rule_changed",
                office_id: Some(office_id),
                target: &format!("deadline:{}", kind.as_str()),
                detail: &format!("{} working days", days.get()),
                client_addr: None,
            },
        )?;
        Ok(())
    })
}
