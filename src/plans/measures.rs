//! Improvement measures (改善措施): what an office plans for a subject of its
//! yearly improvement plan (a survey item or a complaint category), one per
//! office, ROC year and subject. The next year's report looks them up to show
//! whether the measured subject then improved.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::PlanError;
use crate::db::DbConnection;
use crate::db::schema::improvement_measures as im;

/// What a measure is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    /// A survey item, by key.
    Item,
    /// A complaint category, by code.
    Category,
}

impl SubjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Item => "item",
            SubjectKind::Category => "category",
        }
    }

    pub fn parse(s: &str) -> Result<Self, PlanError> {
        match s.trim() {
            "item" => Ok(SubjectKind::Item),
            "category" => Ok(SubjectKind::Category),
            other => Err(PlanError::invalid(
                "kind",
                format!("`{other}` is not item or category"),
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measure {
    pub office_id: i32,
    pub year: i32,
    pub kind: SubjectKind,
    pub key: String,
    pub measure: String,
    pub responsible: String,
    pub updated_by: String,
    pub updated_at: NaiveDateTime,
}

/// The longest measure text kept (characters).
pub const MAX_LEN: usize = 2000;

/// Measures of the offices in the given years.
pub fn list(
    conn: &mut DbConnection,
    offices: &[i32],
    years: &[i32],
) -> Result<Vec<Measure>, PlanError> {
    type Row = (
        i32,
        i32,
        String,
        String,
        String,
        String,
        String,
        NaiveDateTime,
    );
    let rows: Vec<Row> = im::table
        .filter(im::office_id.eq_any(offices))
        .filter(im::roc_year.eq_any(years))
        .order((
            im::roc_year,
            im::office_id,
            im::subject_kind,
            im::subject_key,
        ))
        .select((
            im::office_id,
            im::roc_year,
            im::subject_kind,
            im::subject_key,
            im::measure,
            im::responsible,
            im::updated_by,
            im::updated_at,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(
            |(office_id, year, kind, key, measure, responsible, updated_by, updated_at)| {
                Ok(Measure {
                    office_id,
                    year,
                    kind: SubjectKind::parse(&kind)?,
                    key,
                    measure,
                    responsible,
                    updated_by,
                    updated_at,
                })
            },
        )
        .collect()
}

/// Records (or replaces) an office's measure for a subject, in its own
/// transaction; an empty text removes it. Returns whether a measure is now
/// stored.
#[allow(clippy::too_many_arguments)]
pub fn set(
    conn: &mut DbConnection,
    office_id: i32,
    year: i32,
    kind: SubjectKind,
    key: &str,
    measure: &str,
    responsible: &str,
    actor: &str,
) -> Result<bool, PlanError> {
    crate::db::write_transaction(conn, |conn| {
        set_in(
            conn,
            office_id,
            year,
            kind,
            key,
            measure,
            responsible,
            actor,
        )
    })
}

/// [`set`] inside the caller's transaction (with its audit entry, say).
#[allow(clippy::too_many_arguments)]
pub fn set_in(
    conn: &mut DbConnection,
    office_id: i32,
    year: i32,
    kind: SubjectKind,
    key: &str,
    measure: &str,
    responsible: &str,
    actor: &str,
) -> Result<bool, PlanError> {
    let measure = measure.trim();
    let key = key.trim();
    if key.is_empty() || key.len() > 64 {
        return Err(PlanError::invalid("key", "must be 1-64 characters"));
    }
    if measure.chars().count() > MAX_LEN {
        return Err(PlanError::invalid(
            "measure",
            format!("longer than {MAX_LEN} characters"),
        ));
    }
    if responsible.trim().chars().count() > 100 {
        return Err(PlanError::invalid(
            "responsible",
            "longer than 100 characters",
        ));
    }
    if !(1..=200).contains(&year) {
        return Err(PlanError::invalid(
            "year",
            format!("{year} is not a ROC year"),
        ));
    }
    {
        let this = im::table
            .filter(im::office_id.eq(office_id))
            .filter(im::roc_year.eq(year))
            .filter(im::subject_kind.eq(kind.as_str()))
            .filter(im::subject_key.eq(key));
        diesel::delete(this).execute(conn)?;
        if measure.is_empty() {
            return Ok(false);
        }
        diesel::insert_into(im::table)
            .values((
                im::office_id.eq(office_id),
                im::roc_year.eq(year),
                im::subject_kind.eq(kind.as_str()),
                im::subject_key.eq(key),
                im::measure.eq(measure),
                im::responsible.eq(responsible.trim()),
                im::updated_by.eq(actor),
                im::updated_at.eq(chrono::Utc::now().naive_utc()),
            ))
            .execute(conn)?;
        Ok(true)
    }
}
