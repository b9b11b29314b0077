//! The reference tables an analysis needs, read once per analysis.

use diesel::prelude::*;

use super::WarehouseError;
use crate::analytics::Reference;
use crate::db::DbConnection;
use crate::db::schema::{counters, form_versions, service_types, staff};
use crate::forms::Form;

/// Offices, counters, staff members, service types and every form version.
pub fn load_reference(conn: &mut DbConnection) -> Result<Reference, WarehouseError> {
    let mut r = Reference::default();
    for office in crate::offices::list_offices(conn)? {
        r.offices.insert(office.id, office);
    }
    for (id, code, name) in counters::table
        .select((counters::id, counters::code, counters::name_zh))
        .load::<(i32, String, String)>(conn)?
    {
        r.counters.insert(id, (code, name));
    }
    for (id, code, name) in staff::table
        .select((staff::id, staff::code, staff::display_name))
        .load::<(i32, String, String)>(conn)?
    {
        r.staff.insert(id, (code, name));
    }
    for (id, code, zh, en) in service_types::table
        .select((
            service_types::id,
            service_types::code,
            service_types::name_zh,
            service_types::name_en,
        ))
        .load::<(i32, String, String, String)>(conn)?
    {
        r.service_types.insert(id, (code, zh, en));
    }
    for (id, key, json) in form_versions::table
        .select((
            form_versions::id,
            form_versions::form_key,
            form_versions::definition,
        ))
        .load::<(i32, String, String)>(conn)?
    {
        let form: Form = serde_json::from_str(&json)
            .map_err(|e| WarehouseError::Data(format!("form version {id}: {e}")))?;
        r.form_versions.insert(id, (key, form));
    }
    Ok(r)
}
