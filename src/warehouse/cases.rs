//! The complaint register as a frame: one row per case of the offices and
//! dates asked, with outcome, timeliness and working days derived on the
//! office calendar (`analytics::complaints` computes the figures from it).

use chrono::NaiveDate;
use diesel::prelude::*;
use polars::prelude::DataFrame;

use super::WarehouseError;
use crate::analytics::complaints;
use crate::calendar::Calendar;
use crate::db::DbConnection;
use crate::db::schema::{case_categories, cases, offices};

/// One row per case, with the working days and states already derived.
/// Columns: office (str), county (str), channel, category, year (ROC),
/// quarter, month, outcome, timeliness, accepted (bool), overdue (bool),
/// reply_days (i64, null), close_days (i64, null).
pub fn load_cases(
    conn: &mut DbConnection,
    office_ids: &[i32],
    calendar: &Calendar,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> Result<DataFrame, WarehouseError> {
    let rows: Vec<complaints::CaseRow> = cases::table
        .inner_join(case_categories::table)
        .inner_join(offices::table)
        .filter(cases::office_id.eq_any(office_ids))
        .filter(cases::received_on.ge(from))
        .filter(cases::received_on.le(to))
        .order(cases::id)
        .select((
            offices::code,
            offices::county_zh,
            cases::channel,
            case_categories::code,
            cases::status,
            cases::received_on,
            cases::due_on,
            cases::first_reply_on,
            cases::closed_on,
        ))
        .load(conn)?;
    Ok(complaints::case_frame(&complaints::rows_to_cases(
        rows, calendar, today,
    ))?)
}
