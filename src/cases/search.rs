//! Finding any case in the register: every case in scope, not only the open
//! ones, by words and filters, sorted by due date, a page at a time.
//!
//! Words match the case number, the subject and the text; the petitioner's
//! name only on cases whose personal data the viewer may see (and a
//! confidential case's text only then too), so a search never reveals what
//! the case page would mask.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::Bool;

use super::views::DueState;
use super::{Case, CaseChannel, CaseStatus};
use crate::auth::{Role, User};
use crate::calendar::{Calendar, WorkingDays};
use crate::db::DbConnection;
use crate::db::schema::{case_categories, cases};

/// Which statuses a search covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusFilter {
    /// Still being handled (the register's default).
    #[default]
    Open,
    /// Closed, not accepted or transferred.
    Finished,
    All,
    One(CaseStatus),
}

/// What a search asks for; every part is optional but the statuses.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub words: Option<String>,
    pub status: StatusFilter,
    /// How open cases stand against their deadline (implies open cases).
    pub due: Option<DueState>,
    pub channel: Option<CaseChannel>,
    pub category: Option<String>,
    pub handler: Option<i32>,
    pub office: Option<i32>,
    pub received_from: Option<NaiveDate>,
    pub received_to: Option<NaiveDate>,
}

/// One page of matches and how many there are in all.
#[derive(Debug)]
pub struct Found {
    pub cases: Vec<Case>,
    pub total: i64,
}

type Backend = <DbConnection as diesel::Connection>::Backend;

/// `%text%` for LIKE, with the wildcards the text itself holds escaped.
fn contains(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

fn statuses(filter: StatusFilter) -> Option<Vec<&'static str>> {
    let pick = |open: bool| {
        CaseStatus::ALL
            .into_iter()
            .filter(|s| s.is_open() == open)
            .map(|s| s.as_str())
            .collect()
    };
    match filter {
        StatusFilter::Open => Some(pick(true)),
        StatusFilter::Finished => Some(pick(false)),
        StatusFilter::All => None,
        StatusFilter::One(s) => Some(vec![s.as_str()]),
    }
}

type Condition = Box<dyn BoxableExpression<cases::table, Backend, SqlType = Bool>>;

/// The cases whose personal data (and confidential text) this viewer sees, as
/// `sees_personal_data` decides for one case: the director's own office, and
/// the cases assigned to the viewer.
fn sees_personal(viewer: &User) -> Condition {
    let assigned = cases::assigned_to.eq(viewer.id).assume_not_null();
    match (viewer.role(), viewer.office_id) {
        (Role::Director, Some(office)) => Box::new(cases::office_id.eq(office).or(assigned)),
        _ => Box::new(assigned),
    }
}

fn query<'a>(
    office_ids: Vec<i32>,
    viewer: &User,
    filter: &'a CaseFilter,
    calendar: &Calendar,
    today: NaiveDate,
) -> cases::BoxedQuery<'a, Backend> {
    let mut q = cases::table
        .filter(cases::office_id.eq_any(office_ids))
        .into_boxed();
    let due = filter.due;
    let status = if due.is_some() {
        StatusFilter::Open
    } else {
        filter.status
    };
    if let Some(list) = statuses(status) {
        q = q.filter(cases::status.eq_any(list));
    }
    if let Some(due) = due {
        // The last day that is still "due soon": 2 working days from today.
        let soon = calendar
            .add_working_days(today, WorkingDays::new(2).expect("2 is within 1-30"))
            .date;
        q = match due {
            DueState::Overdue => q.filter(cases::due_on.lt(today)),
            DueState::DueToday => q.filter(cases::due_on.eq(today)),
            DueState::DueSoon => q.filter(cases::due_on.gt(today).and(cases::due_on.le(soon))),
            DueState::OnTrack => q.filter(cases::due_on.gt(soon)),
        };
    }
    if let Some(c) = filter.channel {
        q = q.filter(cases::channel.eq(c.as_str()));
    }
    if let Some(code) = &filter.category {
        q = q.filter(
            cases::category_id.eq_any(
                case_categories::table
                    .filter(case_categories::code.eq(code.clone()))
                    .select(case_categories::id),
            ),
        );
    }
    if let Some(h) = filter.handler {
        q = q.filter(cases::assigned_to.eq(h));
    }
    if let Some(o) = filter.office {
        q = q.filter(cases::office_id.eq(o));
    }
    if let Some(d) = filter.received_from {
        q = q.filter(cases::received_on.ge(d));
    }
    if let Some(d) = filter.received_to {
        q = q.filter(cases::received_on.le(d));
    }
    if let Some(words) = filter
        .words
        .as_deref()
        .map(str::trim)
        .filter(|w| !w.is_empty())
    {
        let like = contains(words);
        let number = contains(&words.to_uppercase());
        // Each part boxed on its own: one nested expression type of four
        // LIKEs would cost the compiler more than it is worth.
        let by_number: Condition = Box::new(cases::case_no.like(number).escape('\\'));
        let by_subject: Condition = Box::new(cases::subject.like(like.clone()).escape('\\'));
        let open_text: Condition = Box::new(cases::confidential.eq(false));
        let text_seen: Condition = Box::new(open_text.or(sees_personal(viewer)));
        let by_text: Condition = Box::new(
            cases::content
                .like(like.clone())
                .escape('\\')
                .and(text_seen),
        );
        let name_like: Condition = Box::new(
            cases::petitioner_name
                .like(like)
                .escape('\\')
                .assume_not_null(),
        );
        let by_name: Condition = Box::new(name_like.and(sees_personal(viewer)));
        let any: Condition = Box::new(by_number.or(by_subject));
        let any: Condition = Box::new(any.or(by_text));
        let any: Condition = Box::new(any.or(by_name));
        q = q.filter(any);
    }
    q
}

/// The cases in scope that match, most pressing deadline first, `per_page` at
/// a time (page 1 is the first).
pub fn find_cases(
    conn: &mut DbConnection,
    viewer: &User,
    filter: &CaseFilter,
    calendar: &Calendar,
    today: NaiveDate,
    page: i64,
    per_page: i64,
) -> QueryResult<Found> {
    let office_ids = viewer.scope().office_ids(conn)?;
    let total: i64 = query(office_ids.clone(), viewer, filter, calendar, today)
        .count()
        .get_result(conn)?;
    let cases = query(office_ids, viewer, filter, calendar, today)
        .order((cases::due_on.asc(), cases::id.asc()))
        .limit(per_page)
        .offset((page.max(1) - 1) * per_page)
        .select(Case::as_select())
        .load(conn)?;
    Ok(Found { cases, total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_in_the_words_are_taken_literally() {
        assert_eq!(contains("100%_a\\b"), "%100\\%\\_a\\\\b%");
        assert_eq!(contains("排隊"), "%排隊%");
    }
}
