//! The reference tables an analysis needs, read once per analysis through
//! their owning modules (`offices`, `forms`).

use super::WarehouseError;
use crate::analytics::Reference;
use crate::db::DbConnection;
use crate::offices;

/// Offices, counters, staff members, service types and every form version.
pub fn load_reference(conn: &mut DbConnection) -> Result<Reference, WarehouseError> {
    let mut r = Reference::default();
    for office in offices::list_offices(conn)? {
        r.offices.insert(office.id, office);
    }
    for c in offices::all_counters(conn)? {
        r.counters.insert(c.id, (c.code, c.name_zh));
    }
    for s in offices::all_staff(conn)? {
        r.staff.insert(s.id, (s.code, s.display_name));
    }
    // Every service type, also those no longer offered: old answers keep their names.
    for t in offices::details::all_service_types(conn)? {
        r.service_types.insert(t.id, (t.code, t.name_zh, t.name_en));
    }
    for v in crate::forms::all_versions(conn)? {
        let form = v
            .form()
            .map_err(|e| WarehouseError::Data(format!("form version {}: {e}", v.id)))?;
        r.form_versions.insert(v.id, (v.form_key, form));
    }
    Ok(r)
}
