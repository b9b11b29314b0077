//! Counter tablets: one-time enrolment codes made by staff, long-lived device
//! tokens given to the tablet that redeems one, and revocation. Only hashes of
//! codes and tokens are stored.

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use rand::RngExt;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::auth::{AuditEntry, AuthError, Scope, User, record_audit};
use crate::db::schema::{counters, device_enrolments, devices};
use crate::db::{self, DbConnection};

/// Readable code alphabet: no 0/O, 1/I/L.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
pub const ENROLMENT_TTL_HOURS: i64 = 24;

#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("the enrolment code is unknown, used or expired")]
    BadCode,
    #[error("label: one line of at most 100 characters")]
    Label,
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = devices)]
pub struct Device {
    pub id: i32,
    pub office_id: i32,
    pub counter_id: Option<i32>,
    pub label: String,
    #[serde(skip)]
    pub token_hash: Option<String>,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = device_enrolments)]
pub struct Enrolment {
    pub id: i32,
    pub office_id: i32,
    pub counter_id: i32,
    #[serde(skip)]
    pub code_hash: String,
    pub label: String,
    pub created_by: Option<i32>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub device_id: Option<i32>,
}

pub(crate) fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// `abcd-efgh`, `ABCDEFGH` and ` ABCD EFGH ` are the same code.
fn normalise_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn new_code() -> String {
    let mut rng = rand::rng();
    let raw: String = (0..8)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect();
    format!("{}-{}", &raw[..4], &raw[4..])
}

pub(crate) fn new_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    hex::encode(bytes)
}

/// Makes a one-time code (valid 24 h) that enrols a tablet at a counter of an
/// office in the actor's scope. Returns the code, shown once.
pub fn create_enrolment(
    conn: &mut DbConnection,
    actor: &User,
    counter_id: i32,
    label: &str,
    client_addr: Option<&str>,
) -> Result<(String, Enrolment), DeviceError> {
    let (office_id, counter_code): (i32, String) = counters::table
        .find(counter_id)
        .select((counters::office_id, counters::code))
        .first(conn)
        .optional()?
        .ok_or(AuthError::NotFound)?;
    actor.scope().check_office(conn, office_id)?;
    let code = new_code();
    let now = Utc::now().naive_utc();
    let label = match label.trim() {
        "" => format!("counter {counter_code}"),
        l if l.chars().count() > 100 || l.contains(['\n', '\r', '\t']) => {
            return Err(DeviceError::Label);
        }
        l => l.to_owned(),
    };
    let enrolment = db::write_transaction(conn, |conn| {
        diesel::insert_into(device_enrolments::table)
            .values((
                device_enrolments::office_id.eq(office_id),
                device_enrolments::counter_id.eq(counter_id),
                device_enrolments::code_hash.eq(sha256_hex(&normalise_code(&code))),
                device_enrolments::label.eq(&label),
                device_enrolments::created_by.eq(actor.id),
                device_enrolments::created_at.eq(now),
                device_enrolments::expires_at.eq(now + Duration::hours(ENROLMENT_TTL_HOURS)),
            ))
            .execute(conn)?;
        record_audit(
            conn,
            &AuditEntry {
                actor: Some(actor),
                action: "enrolment_code_created",
                office_id: Some(office_id),
                target: &format!("counter:{counter_code}"),
                detail: &label,
                client_addr,
            },
        )?;
        device_enrolments::table
            .filter(device_enrolments::code_hash.eq(sha256_hex(&normalise_code(&code))))
            .select(Enrolment::as_select())
            .first(conn)
    })?;
    Ok((code, enrolment))
}

/// Redeems a code: creates the device and returns it with its token (shown once).
pub fn enrol(
    conn: &mut DbConnection,
    code: &str,
    client_addr: Option<&str>,
) -> Result<(Device, String), DeviceError> {
    let hash = sha256_hex(&normalise_code(code));
    let token = new_token();
    db::write_transaction(conn, |conn| {
        let now = Utc::now().naive_utc();
        let Some(e) = device_enrolments::table
            .filter(device_enrolments::code_hash.eq(&hash))
            .select(Enrolment::as_select())
            .first(conn)
            .optional()?
        else {
            return Err(DeviceError::BadCode);
        };
        if e.used_at.is_some() || e.expires_at <= now {
            return Err(DeviceError::BadCode);
        }
        diesel::insert_into(devices::table)
            .values((
                devices::office_id.eq(e.office_id),
                devices::counter_id.eq(e.counter_id),
                devices::label.eq(&e.label),
                devices::token_hash.eq(sha256_hex(&token)),
                devices::created_at.eq(now),
            ))
            .execute(conn)?;
        let device = devices::table
            .filter(devices::token_hash.eq(sha256_hex(&token)))
            .select(Device::as_select())
            .first(conn)?;
        // Only the first redemption marks it: a concurrent second one fails here.
        let marked = diesel::update(
            device_enrolments::table
                .find(e.id)
                .filter(device_enrolments::used_at.is_null()),
        )
        .set((
            device_enrolments::used_at.eq(now),
            device_enrolments::device_id.eq(device.id),
        ))
        .execute(conn)?;
        if marked != 1 {
            return Err(DeviceError::BadCode);
        }
        record_audit(
            conn,
            &AuditEntry {
                actor: None,
                action: "device_enrolled",
                office_id: Some(e.office_id),
                target: &format!("device:{}", device.id),
                detail: &e.label,
                client_addr,
            },
        )?;
        Ok((device, token.clone()))
    })
}

/// The active (not revoked) device holding this token.
pub fn device_by_token(conn: &mut DbConnection, token: &str) -> QueryResult<Option<Device>> {
    if token.len() != 64 {
        return Ok(None);
    }
    devices::table
        .filter(devices::token_hash.eq(sha256_hex(token)))
        .filter(devices::revoked_at.is_null())
        .select(Device::as_select())
        .first(conn)
        .optional()
}

pub fn list_devices(conn: &mut DbConnection, scope: &Scope) -> QueryResult<Vec<Device>> {
    let ids = scope.office_ids(conn)?;
    devices::table
        .filter(devices::office_id.eq_any(ids))
        .order(devices::id)
        .select(Device::as_select())
        .load(conn)
}

pub fn revoke_device(
    conn: &mut DbConnection,
    actor: &User,
    device_id: i32,
    client_addr: Option<&str>,
) -> Result<(), DeviceError> {
    let device = devices::table
        .find(device_id)
        .select(Device::as_select())
        .first(conn)
        .optional()?
        .ok_or(AuthError::NotFound)?;
    actor.scope().check_office(conn, device.office_id)?;
    db::write_transaction(conn, |conn| {
        diesel::update(devices::table.find(device_id))
            .set(devices::revoked_at.eq(Utc::now().naive_utc()))
            .execute(conn)?;
        record_audit(
            conn,
            &AuditEntry {
                actor: Some(actor),
                action: "device_revoked",
                office_id: Some(device.office_id),
                target: &format!("device:{device_id}"),
                detail: &device.label,
                client_addr,
            },
        )?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_readable_and_normalised() {
        let c = new_code();
        assert_eq!(c.len(), 9);
        assert_eq!(&c[4..5], "-");
        assert!(
            c.chars()
                .filter(|&x| x != '-')
                .all(|x| CODE_ALPHABET.contains(&(x as u8)))
        );
        assert_eq!(normalise_code(" abcd-efgh "), "ABCDEFGH");
        assert_eq!(normalise_code(&c), c.replace('-', ""));
    }
}
