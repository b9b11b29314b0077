//! The console dashboard's figures: responses today and this month, and the
//! overall satisfaction of this month against the same month last year, per
//! office. Small indexed counts over (office_id, submitted_at); the history
//! itself is the analytics pipeline's business.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc};
use diesel::dsl::count_star;
use diesel::prelude::*;
use serde::Serialize;

use crate::calendar::taipei;
use crate::db::DbConnection;
use crate::db::schema::{answers, responses};

/// Satisfaction counts of the overall item.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Rate {
    /// Answers with a score.
    pub rated: i64,
    /// Of those, 滿意 or 非常滿意 (4 or 5).
    pub satisfied: i64,
}

impl Rate {
    pub fn share(&self) -> Option<f64> {
        (self.rated > 0).then(|| self.satisfied as f64 / self.rated as f64)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OfficeFigures {
    pub office_id: i32,
    pub today: i64,
    pub month: i64,
    pub month_rate: Rate,
    pub last_year_month_rate: Rate,
    /// The overall item in this quarter so far, and in the quarter before.
    pub quarter_rate: Rate,
    pub previous_quarter_rate: Rate,
}

/// The first day of the quarter holding (year, month), of the next quarter,
/// and of the quarter before.
fn quarter_bounds(year: i32, month: u32) -> (NaiveDate, NaiveDate, NaiveDate) {
    let first = (month - 1) / 3 * 3 + 1;
    let start = NaiveDate::from_ymd_opt(year, first, 1).expect("valid month");
    let next = start + chrono::Months::new(3);
    let previous = start - chrono::Months::new(3);
    (start, next, previous)
}

/// Month start (Taipei) of the given date, and of the next month.
fn month_bounds(year: i32, month: u32) -> (NaiveDate, NaiveDate) {
    let start = NaiveDate::from_ymd_opt(year, month, 1).expect("valid month");
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
    .expect("valid month");
    (start, next)
}

fn counts(
    conn: &mut DbConnection,
    office_ids: &[i32],
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<(i32, i64)>> {
    responses::table
        .filter(responses::office_id.eq_any(office_ids))
        .filter(responses::submitted_at.ge(from))
        .filter(responses::submitted_at.lt(to))
        .group_by(responses::office_id)
        .select((responses::office_id, count_star()))
        .load(conn)
}

fn rates(
    conn: &mut DbConnection,
    office_ids: &[i32],
    overall_keys: &[String],
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<(i32, i64, i64)>> {
    let base = || {
        answers::table
            .inner_join(responses::table)
            .filter(responses::office_id.eq_any(office_ids))
            .filter(responses::submitted_at.ge(from))
            .filter(responses::submitted_at.lt(to))
            .filter(answers::item_key.eq_any(overall_keys))
            .filter(answers::score.is_not_null())
            .group_by(responses::office_id)
            .select((responses::office_id, count_star()))
    };
    let rated: Vec<(i32, i64)> = base().load(conn)?;
    let satisfied: Vec<(i32, i64)> = base().filter(answers::score.ge(4)).load(conn)?;
    Ok(rated
        .into_iter()
        .map(|(o, r)| {
            let s = satisfied.iter().find(|x| x.0 == o).map_or(0, |x| x.1);
            (o, r, s)
        })
        .collect())
}

/// Figures for each office id (in the order given). `overall_keys` are the
/// item keys of the forms' overall-satisfaction items.
pub fn office_figures(
    conn: &mut DbConnection,
    office_ids: &[i32],
    overall_keys: &[String],
    now: DateTime<Utc>,
) -> QueryResult<Vec<OfficeFigures>> {
    let local = now.with_timezone(&taipei::offset()).date_naive();
    let today_from = taipei::midnight_utc(local);
    let today_to = taipei::midnight_utc(local + Duration::days(1));
    let (m0, m1) = month_bounds(local.year(), local.month());
    let (l0, l1) = month_bounds(local.year() - 1, local.month());
    let (q0, q1, p0) = quarter_bounds(local.year(), local.month());
    let quarter = |conn: &mut DbConnection, from: NaiveDate, to: NaiveDate| {
        rates(
            conn,
            office_ids,
            overall_keys,
            taipei::midnight_utc(from),
            taipei::midnight_utc(to),
        )
    };
    let rate_quarter = quarter(conn, q0, q1)?;
    let rate_previous = quarter(conn, p0, q0)?;
    let today = counts(conn, office_ids, today_from, today_to)?;
    let month = counts(
        conn,
        office_ids,
        taipei::midnight_utc(m0),
        taipei::midnight_utc(m1),
    )?;
    let rate_now = rates(
        conn,
        office_ids,
        overall_keys,
        taipei::midnight_utc(m0),
        taipei::midnight_utc(m1),
    )?;
    let rate_then = rates(
        conn,
        office_ids,
        overall_keys,
        taipei::midnight_utc(l0),
        taipei::midnight_utc(l1),
    )?;
    let find = |v: &[(i32, i64)], o: i32| v.iter().find(|x| x.0 == o).map_or(0, |x| x.1);
    let find_rate = |v: &[(i32, i64, i64)], o: i32| {
        v.iter()
            .find(|x| x.0 == o)
            .map_or(Rate::default(), |x| Rate {
                rated: x.1,
                satisfied: x.2,
            })
    };
    Ok(office_ids
        .iter()
        .map(|&o| OfficeFigures {
            office_id: o,
            today: find(&today, o),
            month: find(&month, o),
            month_rate: find_rate(&rate_now, o),
            last_year_month_rate: find_rate(&rate_then, o),
            quarter_rate: find_rate(&rate_quarter, o),
            previous_quarter_rate: find_rate(&rate_previous, o),
        })
        .collect())
}

/// What needs a director's attention now at an office: cases overdue or
/// due today (on the office calendar, Taipei today) and open alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Attention {
    pub office_id: i32,
    pub overdue_cases: i64,
    pub due_today_cases: i64,
    /// Due within the next 2 working days.
    pub due_soon_cases: i64,
    pub open_alerts: i64,
}

/// [`Attention`] for each of `offices` (in the caller's scope): the one
/// function of the dashboard page and its JSON twin.
pub fn attention(
    conn: &mut DbConnection,
    scope: &crate::auth::Scope,
    offices: &[i32],
) -> QueryResult<Vec<Attention>> {
    use crate::cases::views::{DueState, due_summary};
    let calendar = crate::calendar::Calendar::load(conn)?;
    let summary = due_summary(conn, scope, &calendar, taipei::today())?;
    let alerts = super::alerts::open_alert_counts(conn, offices)?;
    Ok(offices
        .iter()
        .map(|&office_id| Attention {
            office_id,
            overdue_cases: summary
                .get(&(office_id, DueState::Overdue))
                .copied()
                .unwrap_or(0),
            due_today_cases: summary
                .get(&(office_id, DueState::DueToday))
                .copied()
                .unwrap_or(0),
            due_soon_cases: summary
                .get(&(office_id, DueState::DueSoon))
                .copied()
                .unwrap_or(0),
            open_alerts: alerts.iter().find(|a| a.0 == office_id).map_or(0, |a| a.1),
        })
        .collect())
}

/// A comment a citizen left in a questionnaire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comment {
    pub office_id: i32,
    pub submitted_at: NaiveDateTime,
    pub text: String,
}

/// The newest free-text answers of the offices, newest first.
pub fn latest_comments(
    conn: &mut DbConnection,
    office_ids: &[i32],
    limit: i64,
) -> QueryResult<Vec<Comment>> {
    let rows: Vec<(i32, NaiveDateTime, Option<String>)> = answers::table
        .inner_join(responses::table)
        .filter(responses::office_id.eq_any(office_ids))
        .filter(answers::text_value.is_not_null())
        .filter(answers::text_value.ne(""))
        .order((responses::submitted_at.desc(), answers::id.desc()))
        .limit(limit)
        .select((
            responses::office_id,
            responses::submitted_at,
            answers::text_value,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(office_id, submitted_at, text)| {
            Some(Comment {
                office_id,
                submitted_at,
                text: text?.trim().to_owned(),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_start_in_january_april_july_october() {
        let d = |y, m| NaiveDate::from_ymd_opt(y, m, 1).unwrap();
        assert_eq!(
            quarter_bounds(2026, 12),
            (d(2026, 10), d(2027, 1), d(2026, 7))
        );
        assert_eq!(
            quarter_bounds(2026, 1),
            (d(2026, 1), d(2026, 4), d(2025, 10))
        );
        assert_eq!(
            quarter_bounds(2026, 6),
            (d(2026, 4), d(2026, 7), d(2026, 1))
        );
    }

    #[test]
    fn month_bounds_roll_over_the_year() {
        let d = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
        assert_eq!(
            taipei::midnight_utc(d),
            NaiveDate::from_ymd_opt(2024, 2, 29)
                .unwrap()
                .and_hms_opt(16, 0, 0)
                .unwrap(),
            "a leap day before"
        );
        assert_eq!(
            month_bounds(2024, 12).1,
            NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()
        );
    }
}
