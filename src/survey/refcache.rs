//! A short-lived in-memory copy of the small reference tables a submission
//! needs (offices, service types, form versions), so that storing a response
//! costs only its own transaction. Changes (an office closed, a version
//! retired, a threshold changed) take effect within `reference_cache_seconds`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::QueryResult;

use super::{DbLookup, Lookup};
use crate::db::DbConnection;
use crate::offices::{self, Office};

pub use crate::forms::VersionInfo;

#[derive(Debug, Default)]
pub struct RefData {
    offices_by_code: HashMap<String, Office>,
    thresholds: HashMap<i32, i16>,
    service_types: HashMap<String, i32>,
    versions: HashMap<String, VersionInfo>,
}

impl RefData {
    fn load(conn: &mut DbConnection) -> QueryResult<Self> {
        let offices = offices::list_offices(conn)?;
        Ok(RefData {
            thresholds: offices.iter().map(|o| (o.id, o.alert_threshold)).collect(),
            offices_by_code: offices
                .into_iter()
                .map(|o| (o.code.to_string(), o))
                .collect(),
            service_types: offices::service_types(conn)?
                .into_iter()
                .map(|t| (t.code, t.id))
                .collect(),
            versions: crate::forms::version_index(conn)?,
        })
    }

    /// An office by code; one created since the copy was made is read from
    /// the database, so a new office takes answers at once.
    pub fn office(&self, conn: &mut DbConnection, code: &str) -> QueryResult<Option<Office>> {
        if let Some(o) = self.offices_by_code.get(code) {
            return Ok(Some(o.clone()));
        }
        match crate::offices::OfficeCode::parse(code) {
            Ok(code) => offices::find_office_by_code(conn, &code),
            Err(_) => Ok(None),
        }
    }

    /// A version by hash; one registered since the copy was made is read from the database.
    pub fn version(&self, conn: &mut DbConnection, hash: &str) -> QueryResult<Option<VersionInfo>> {
        if let Some(v) = self.versions.get(hash) {
            return Ok(Some(v.clone()));
        }
        Ok(
            crate::forms::find_version(conn, hash)?.map(|r| VersionInfo {
                id: r.id,
                form_key: r.form_key,
                retired: r.retired,
            }),
        )
    }
}

impl Lookup for RefData {
    fn service_type_id(&self, conn: &mut DbConnection, code: &str) -> QueryResult<Option<i32>> {
        match self.service_types.get(code) {
            Some(id) => Ok(Some(*id)),
            None => DbLookup.service_type_id(conn, code),
        }
    }

    fn alert_threshold(&self, conn: &mut DbConnection, office_id: i32) -> QueryResult<i16> {
        match self.thresholds.get(&office_id) {
            Some(t) => Ok(*t),
            None => DbLookup.alert_threshold(conn, office_id),
        }
    }
}

pub struct RefCache {
    ttl: Duration,
    current: Mutex<Option<(Instant, Arc<RefData>)>>,
}

impl RefCache {
    pub fn new(ttl: Duration) -> Self {
        RefCache {
            ttl,
            current: Mutex::new(None),
        }
    }

    /// The copy, reloaded when older than the time to live (0: always fresh).
    pub fn get(&self, conn: &mut DbConnection) -> QueryResult<Arc<RefData>> {
        if let Some((at, data)) = &*self.current.lock().unwrap_or_else(|p| p.into_inner())
            && at.elapsed() < self.ttl
        {
            return Ok(data.clone());
        }
        let data = Arc::new(RefData::load(conn)?);
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((Instant::now(), data.clone()));
        Ok(data)
    }
}
