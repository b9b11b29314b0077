//! Minimum satisfaction standards per year, as the office's plan sets them:
//! for every office, a county or one office (the most specific applies;
//! `analytics::standards` finds the shortfalls).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::PlanError;
use crate::analytics::RocYear;
use crate::analytics::standards::{Standard, StandardScope};
use crate::db::DbConnection;
use crate::db::schema::satisfaction_standards as st;

/// All standards, by year and scope.
pub fn list(conn: &mut DbConnection) -> Result<Vec<Standard>, PlanError> {
    type Row = (i32, Option<i32>, Option<String>, f64, String, NaiveDateTime);
    let rows: Vec<Row> = st::table
        .order((st::roc_year, st::scope_key))
        .select((
            st::roc_year,
            st::office_id,
            st::county_zh,
            st::min_rate,
            st::set_by,
            st::set_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(year, office, county, min_rate, set_by, set_at)| Standard {
                year,
                scope: match (office, county) {
                    (Some(o), _) => StandardScope::Office(o),
                    (None, Some(c)) => StandardScope::County(c),
                    _ => StandardScope::All,
                },
                min_rate,
                set_by,
                set_at,
            },
        )
        .collect())
}

/// Sets (or replaces) the standard of a year and scope. A standard lower
/// than the same scope's previous year is refused: plans raise or keep them.
pub fn set(
    conn: &mut DbConnection,
    year: RocYear,
    scope: &StandardScope,
    min_rate: f64,
    actor: &str,
) -> Result<(), PlanError> {
    if !(min_rate > 0.0 && min_rate <= 1.0) {
        return Err(PlanError::invalid(
            "rate",
            format!("{min_rate} is not a share between 0 and 1 (e.g. 0.92 for 92%)"),
        ));
    }
    let key = scope.key();
    crate::db::write_transaction(conn, |conn| {
        let before: Option<f64> = st::table
            .filter(st::scope_key.eq(&key))
            .filter(st::roc_year.eq(year.get() - 1))
            .select(st::min_rate)
            .first(conn)
            .optional()?;
        if let Some(b) = before
            && min_rate < b
        {
            return Err(PlanError::invalid(
                "rate",
                format!(
                    "{min_rate} is below the previous year's standard {b} for the same scope; \
                     standards are kept or raised each year"
                ),
            ));
        }
        diesel::delete(
            st::table
                .filter(st::scope_key.eq(&key))
                .filter(st::roc_year.eq(year.get())),
        )
        .execute(conn)?;
        let (office_id, county_zh) = match scope {
            StandardScope::All => (None, None),
            StandardScope::County(c) => (None, Some(c.clone())),
            StandardScope::Office(o) => (Some(*o), None),
        };
        diesel::insert_into(st::table)
            .values((
                st::roc_year.eq(year.get()),
                st::scope_key.eq(&key),
                st::office_id.eq(office_id),
                st::county_zh.eq(county_zh),
                st::min_rate.eq(min_rate),
                st::set_by.eq(actor),
                st::set_at.eq(chrono::Utc::now().naive_utc()),
            ))
            .execute(conn)?;
        Ok(())
    })
}
