//! Form versions in the database.

use std::collections::BTreeMap;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use super::{Form, FormCatalog};
use crate::db::schema::form_versions;
use crate::db::{self, DbConnection};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = form_versions)]
pub struct FormVersionRow {
    pub id: i32,
    pub form_key: String,
    pub version_hash: String,
    pub title_zh: String,
    pub title_en: String,
    pub definition: String,
    pub first_loaded_at: NaiveDateTime,
    pub retired: bool,
}

impl FormVersionRow {
    /// The definition this version was registered with.
    pub fn form(&self) -> Result<Form, serde_json::Error> {
        serde_json::from_str(&self.definition)
    }
}

#[derive(Insertable)]
#[diesel(table_name = form_versions)]
struct NewFormVersion<'a> {
    form_key: &'a str,
    version_hash: &'a str,
    title_zh: &'a str,
    title_en: &'a str,
    definition: &'a str,
    first_loaded_at: NaiveDateTime,
}

/// Makes sure every loaded form version has its row; returns key → version id.
/// Existing versions are never rewritten; a new hash gets a new row.
pub fn register_catalog(
    conn: &mut DbConnection,
    catalog: &FormCatalog,
) -> QueryResult<BTreeMap<String, i32>> {
    db::write_transaction(conn, |conn| {
        let mut ids = BTreeMap::new();
        for loaded in catalog.iter() {
            let existing = form_versions::table
                .filter(form_versions::version_hash.eq(&loaded.version_hash))
                .select(form_versions::id)
                .first::<i32>(conn)
                .optional()?;
            let id = match existing {
                Some(id) => id,
                None => {
                    let definition = loaded.form.canonical_json();
                    diesel::insert_into(form_versions::table)
                        .values(NewFormVersion {
                            form_key: &loaded.form.key,
                            version_hash: &loaded.version_hash,
                            title_zh: &loaded.form.title.zh_tw,
                            title_en: &loaded.form.title.en,
                            definition: &definition,
                            first_loaded_at: Utc::now().naive_utc(),
                        })
                        .execute(conn)?;
                    form_versions::table
                        .filter(form_versions::version_hash.eq(&loaded.version_hash))
                        .select(form_versions::id)
                        .first::<i32>(conn)?
                }
            };
            ids.insert(loaded.form.key.clone(), id);
        }
        Ok(ids)
    })
}

/// A version by its hash (any form, retired or not).
/// A version without its definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionInfo {
    pub id: i32,
    pub form_key: String,
    pub retired: bool,
}

/// Every version by hash, without the definitions (cheap to keep in memory).
pub fn version_index(
    conn: &mut DbConnection,
) -> QueryResult<std::collections::HashMap<String, VersionInfo>> {
    let rows: Vec<(String, i32, String, bool)> = form_versions::table
        .select((
            form_versions::version_hash,
            form_versions::id,
            form_versions::form_key,
            form_versions::retired,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(hash, id, form_key, retired)| {
            (
                hash,
                VersionInfo {
                    id,
                    form_key,
                    retired,
                },
            )
        })
        .collect())
}

/// Every version ever registered, oldest first.
pub fn all_versions(conn: &mut DbConnection) -> QueryResult<Vec<FormVersionRow>> {
    form_versions::table
        .order(form_versions::id)
        .select(FormVersionRow::as_select())
        .load(conn)
}

pub fn find_version(conn: &mut DbConnection, hash: &str) -> QueryResult<Option<FormVersionRow>> {
    form_versions::table
        .filter(form_versions::version_hash.eq(hash))
        .select(FormVersionRow::as_select())
        .first(conn)
        .optional()
}

#[derive(Debug, thiserror::Error)]
pub enum RetireError {
    #[error("version: give at least 12 characters of the hash")]
    TooShort,
    #[error("version: no form version starts with `{0}`")]
    Unknown(String),
    #[error("version: `{0}` matches several versions; give more characters")]
    Ambiguous(String),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// Marks a version retired: answers given with it are refused from now on.
pub fn retire_version(
    conn: &mut DbConnection,
    prefix: &str,
) -> Result<FormVersionRow, RetireError> {
    let prefix = prefix.trim().to_lowercase();
    if prefix.len() < 12 || !prefix.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(RetireError::TooShort);
    }
    let matches: Vec<FormVersionRow> = form_versions::table
        .filter(form_versions::version_hash.like(format!("{prefix}%")))
        .select(FormVersionRow::as_select())
        .load(conn)?;
    let row = match matches.len() {
        0 => return Err(RetireError::Unknown(prefix)),
        1 => matches.into_iter().next().expect("one"),
        _ => return Err(RetireError::Ambiguous(prefix)),
    };
    diesel::update(form_versions::table.find(row.id))
        .set(form_versions::retired.eq(true))
        .execute(conn)?;
    Ok(FormVersionRow {
        retired: true,
        ..row
    })
}
