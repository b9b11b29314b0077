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
pub fn find_version(conn: &mut DbConnection, hash: &str) -> QueryResult<Option<FormVersionRow>> {
    form_versions::table
        .filter(form_versions::version_hash.eq(hash))
        .select(FormVersionRow::as_select())
        .first(conn)
        .optional()
}
