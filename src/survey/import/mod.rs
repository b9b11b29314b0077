//! Historical import: years of paper-survey results kept in spreadsheets,
//! and the exports of other survey tools.
//!
//! One row per response: `office_code, submitted_at, channel, service_type,
//! counter`, then one column per 5-point item key of the form (a score 1-5
//! or a label of the item's scale, 非常滿意 … / `Very satisfied` …; empty =
//! not answered), then `comment`. From a CSV file (UTF-8, with or without
//! BOM, or Big5) or a sheet of an XLSX or ODS workbook ([`table`]); with a
//! mapping file ([`mapping`]) the columns may have other names, in any
//! order, with their own answer codes, and constants may stand for columns
//! the export lacks. Dates as [`parse_when`] reads them, Taipei time. All
//! or nothing: any bad row rejects the file, with every error listed as
//! `[sheet S, ]row N, column X: why`; so does a quoted field that is never
//! closed ([`crate::tabular`]). Each row's idempotency key is derived from
//! the file's content (and the sheet's name) and the row number, so
//! importing the same file twice stores it once.

mod mapping;
mod rows;
mod when;

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::{AnswerRow, insert_answers, insert_responses};
use crate::db::DbConnection;
use crate::db::schema::responses;
use crate::forms::{Form, ItemKind};

/// Every problem of a refused file (the one error list of every import).
pub use crate::tabular::RowErrors as ImportErrors;
pub use crate::tabular::{Format, Row, Source, Table, UnsupportedFormat, cell_text};
pub use mapping::{Mapping, MappingErrors};
pub use rows::{Column, FIXED};
pub use when::parse_when;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Rejected(#[from] ImportErrors),
    #[error(transparent)]
    Mapping(#[from] MappingErrors),
    #[error(transparent)]
    Format(#[from] UnsupportedFormat),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    pub responses: usize,
    pub answers: usize,
    /// Rows already stored by an earlier import of the same file.
    pub already_imported: usize,
}

/// Reference data rows are checked against.
pub struct ImportContext<'a> {
    pub form: &'a Form,
    pub form_version_id: i32,
    /// office code → id
    pub offices: HashMap<String, i32>,
    /// (office id, counter code) → id
    pub counters: HashMap<(i32, String), i32>,
    /// service type code or Chinese name → id
    pub service_types: HashMap<String, i32>,
    /// Rows dated after this (UTC) are refused.
    pub now: NaiveDateTime,
}

/// A CSV file in manyi's layout: [`import_file`] without a mapping.
pub fn import_responses(
    conn: &mut DbConnection,
    file: &str,
    bytes: &[u8],
    ctx: &ImportContext<'_>,
) -> Result<ImportSummary, ImportError> {
    let source = Source {
        name: file,
        bytes,
        format: Format::Csv,
        sheet: None,
    };
    import_file(conn, &source, None, ctx)
}

/// The start of the idempotency keys of a file's rows: from its bytes, and
/// the sheet's name for a workbook (a CSV file's keys are as they always were).
fn key_prefix(bytes: &[u8], sheet: Option<&str>) -> String {
    let mut hash = Sha256::new();
    hash.update(bytes);
    if let Some(sheet) = sheet {
        hash.update(b"\0sheet\0");
        hash.update(sheet.as_bytes());
    }
    let digest = hex::encode(hash.finalize());
    format!("import:{}", &digest[..24])
}

/// Reads the file (through `mapping` when given), checks every row, then
/// stores every row in one transaction, or nothing. Rows already stored by
/// an earlier import of the same file (and sheet) are skipped (their keys
/// exist).
pub fn import_file(
    conn: &mut DbConnection,
    source: &Source<'_>,
    mapping: Option<&Mapping>,
    ctx: &ImportContext<'_>,
) -> Result<ImportSummary, ImportError> {
    let fail = |errors: Vec<String>| ImportErrors {
        file: source.name.to_owned(),
        errors,
    };
    let (table, mut parsed) = read_rows(source, mapping, ctx)?;
    // A quarter kept as tallies would count these answers twice.
    let tallied = super::tallies::tallied_quarters(conn, &ctx.form.key)?;
    if !tallied.is_empty() {
        let twice: Vec<String> = parsed
            .responses
            .iter()
            .zip(&parsed.rows)
            .filter_map(|(r, row)| {
                let (year, quarter) = super::tallies::quarter_of(r.submitted_at);
                tallied
                    .contains(&(r.office_id, year, quarter, r.channel.clone()))
                    .then(|| {
                        format!(
                            "{}: {year} Q{quarter} of this office is kept as tallies; its answers would count twice",
                            table.at(*row, None)
                        )
                    })
            })
            .collect();
        if !twice.is_empty() {
            return Err(fail(twice).into());
        }
    }
    let prefix = key_prefix(source.bytes, table.sheet.as_deref());
    for (r, row) in parsed.responses.iter_mut().zip(&parsed.rows) {
        r.idempotency_key = format!("{prefix}:{row}");
    }
    crate::db::write_transaction(conn, |conn| {
        let keys: Vec<&str> = parsed
            .responses
            .iter()
            .map(|r| r.idempotency_key.as_str())
            .collect();
        let mut existing = std::collections::HashSet::new();
        for chunk in keys.chunks(5_000) {
            let found: Vec<String> = responses::table
                .filter(responses::idempotency_key.eq_any(chunk))
                .select(responses::idempotency_key)
                .load(conn)?;
            existing.extend(found);
        }
        let mut rows = Vec::new();
        let mut answer_sets = Vec::new();
        for (r, a) in parsed.responses.iter().zip(&parsed.answers) {
            if !existing.contains(&r.idempotency_key) {
                rows.push(r.clone());
                answer_sets.push(a);
            }
        }
        let ids = insert_responses(conn, &rows)?;
        let mut answer_rows = Vec::new();
        for (id, set) in ids.iter().zip(answer_sets) {
            for (key, score, choice, text) in set {
                answer_rows.push(AnswerRow {
                    response_id: *id,
                    item_key: key.clone(),
                    score: *score,
                    choice: choice.map(str::to_owned),
                    text_value: text.clone(),
                });
            }
        }
        let answers = insert_answers(conn, &answer_rows)?;
        if !rows.is_empty() {
            crate::auth::record_audit(
                conn,
                &crate::auth::AuditEntry {
                    actor: None,
                    action: "responses_imported",
                    office_id: None,
                    target: &format!("file:{}", source.name),
                    detail: &format!(
                        "form={} responses={} answers={answers}",
                        ctx.form.key,
                        rows.len()
                    ),
                    client_addr: None,
                },
            )?;
        }
        Ok(ImportSummary {
            responses: rows.len(),
            answers,
            already_imported: existing.len(),
        })
    })
}

/// The file's table (through the mapping) and its rows checked against the
/// form and the reference data: everything an import checks before it asks
/// the database.
fn read_rows(
    source: &Source<'_>,
    mapping: Option<&Mapping>,
    ctx: &ImportContext<'_>,
) -> Result<(Table, rows::Parsed), ImportErrors> {
    let fail = |errors: Vec<String>| ImportErrors {
        file: source.name.to_owned(),
        errors,
    };
    let table = crate::tabular::read(source)?;
    let table = match mapping {
        Some(m) => m.apply(table, ctx.form).map_err(fail)?,
        None => table,
    };
    let parsed = rows::parse_rows(&table, mapping.is_none(), ctx).map_err(fail)?;
    Ok((table, parsed))
}

/// Checks a file as [`import_file`] does, without the database (the
/// quarters kept as tallies are not looked at): the number of rows it would
/// store, or every error. The fuzz targets' way in.
pub fn check_file(
    source: &Source<'_>,
    mapping: Option<&Mapping>,
    ctx: &ImportContext<'_>,
) -> Result<usize, ImportErrors> {
    Ok(read_rows(source, mapping, ctx)?.1.responses.len())
}

/// Loads the reference data an import checks rows against.
pub fn context<'a>(
    conn: &mut DbConnection,
    form: &'a Form,
    form_version_id: i32,
) -> QueryResult<ImportContext<'a>> {
    use crate::db::schema::{counters, offices, service_types};
    let offices: HashMap<String, i32> = offices::table
        .select((offices::code, offices::id))
        .load::<(String, i32)>(conn)?
        .into_iter()
        .collect();
    let counters: HashMap<(i32, String), i32> = counters::table
        .select((counters::office_id, counters::code, counters::id))
        .load::<(i32, String, i32)>(conn)?
        .into_iter()
        .map(|(o, c, id)| ((o, c), id))
        .collect();
    let mut service: HashMap<String, i32> = HashMap::new();
    for (code, zh, id) in service_types::table
        .select((
            service_types::code,
            service_types::name_zh,
            service_types::id,
        ))
        .load::<(String, String, i32)>(conn)?
    {
        service.insert(code, id);
        service.insert(zh, id);
    }
    Ok(ImportContext {
        form,
        form_version_id,
        offices,
        counters,
        service_types: service,
        now: chrono::Utc::now().naive_utc(),
    })
}

/// The header line a file for `form` starts with (for documentation and templates).
pub fn header_for(form: &Form) -> String {
    let mut cols: Vec<String> = FIXED.iter().map(|s| s.to_string()).collect();
    cols.extend(
        form.items
            .iter()
            .filter(|i| matches!(i.kind, ItemKind::Likert5 { .. }))
            .map(|i| i.key.to_string()),
    );
    cols.push("comment".into());
    cols.join(",")
}
