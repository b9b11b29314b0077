//! Reference data of the organisation: offices (戶政事務所), their counters
//! (windows), pseudonymous staff, and the configurable service types.

mod code;
pub mod details;

pub use code::{MAX_CODE_CHARS, OfficeCode, OfficeCodeError};
pub use details::{FieldError, Saved};

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::DbConnection;
use crate::db::schema::{counters, offices, service_types, staff};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = offices)]
pub struct Office {
    pub id: i32,
    pub code: OfficeCode,
    pub name_zh: String,
    pub name_en: String,
    pub county_zh: String,
    pub county_en: String,
    pub active: bool,
    #[serde(skip)]
    pub created_at: NaiveDateTime,
    /// A response rating any 5-point item at or below this raises an alert.
    pub alert_threshold: i16,
    /// Street address shown to citizens ('' when not given).
    pub address: String,
    /// Telephone shown to citizens ('' when not given).
    pub phone: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = offices)]
pub struct NewOffice<'a> {
    pub code: &'a OfficeCode,
    pub name_zh: &'a str,
    pub name_en: &'a str,
    pub county_zh: &'a str,
    pub county_en: &'a str,
    pub created_at: NaiveDateTime,
}

impl<'a> NewOffice<'a> {
    pub fn new(
        code: &'a OfficeCode,
        name_zh: &'a str,
        name_en: &'a str,
        county_zh: &'a str,
        county_en: &'a str,
    ) -> Self {
        Self {
            code,
            name_zh,
            name_en,
            county_zh,
            county_en,
            created_at: Utc::now().naive_utc(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = counters)]
pub struct Counter {
    pub id: i32,
    pub office_id: i32,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub active: bool,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = counters)]
pub struct NewCounter<'a> {
    pub office_id: i32,
    pub code: &'a str,
    pub name_zh: &'a str,
    pub name_en: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = staff)]
pub struct Staff {
    pub id: i32,
    pub office_id: i32,
    pub code: String,
    pub display_name: String,
    pub active: bool,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = staff)]
pub struct NewStaff<'a> {
    pub office_id: i32,
    pub code: &'a str,
    pub display_name: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = service_types)]
pub struct ServiceType {
    pub id: i32,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub sort_order: i32,
    pub active: bool,
}

/// Inserts an office and returns it.
pub fn create_office(conn: &mut DbConnection, new: &NewOffice<'_>) -> QueryResult<Office> {
    diesel::insert_into(offices::table)
        .values(new)
        .execute(conn)?;
    offices::table
        .filter(offices::code.eq(new.code))
        .select(Office::as_select())
        .first(conn)
}

pub fn list_offices(conn: &mut DbConnection) -> QueryResult<Vec<Office>> {
    offices::table
        .order(offices::code)
        .select(Office::as_select())
        .load(conn)
}

pub fn find_office_by_code(
    conn: &mut DbConnection,
    code: &OfficeCode,
) -> QueryResult<Option<Office>> {
    offices::table
        .filter(offices::code.eq(code))
        .select(Office::as_select())
        .first(conn)
        .optional()
}

pub fn create_counters(
    conn: &mut DbConnection,
    new: &[NewCounter<'_>],
) -> QueryResult<Vec<Counter>> {
    crate::on_engine!(&mut *conn, |c| diesel::insert_into(counters::table)
        .values(new)
        .execute(c))?;
    let office_ids: Vec<i32> = new.iter().map(|c| c.office_id).collect();
    counters::table
        .filter(counters::office_id.eq_any(office_ids))
        .order((counters::office_id, counters::code))
        .select(Counter::as_select())
        .load(conn)
}

pub fn counters_of(conn: &mut DbConnection, office_id: i32) -> QueryResult<Vec<Counter>> {
    counters::table
        .filter(counters::office_id.eq(office_id))
        .order(counters::code)
        .select(Counter::as_select())
        .load(conn)
}

pub fn create_staff(conn: &mut DbConnection, new: &[NewStaff<'_>]) -> QueryResult<Vec<Staff>> {
    crate::on_engine!(&mut *conn, |c| diesel::insert_into(staff::table)
        .values(new)
        .execute(c))?;
    let office_ids: Vec<i32> = new.iter().map(|c| c.office_id).collect();
    staff::table
        .filter(staff::office_id.eq_any(office_ids))
        .order((staff::office_id, staff::code))
        .select(Staff::as_select())
        .load(conn)
}

/// Active service types in display order.
pub fn service_types(conn: &mut DbConnection) -> QueryResult<Vec<ServiceType>> {
    service_types::table
        .filter(service_types::active.eq(true))
        .order((service_types::sort_order, service_types::code))
        .select(ServiceType::as_select())
        .load(conn)
}

pub fn find_service_type(conn: &mut DbConnection, code: &str) -> QueryResult<Option<ServiceType>> {
    service_types::table
        .filter(service_types::code.eq(code))
        .filter(service_types::active.eq(true))
        .select(ServiceType::as_select())
        .first(conn)
        .optional()
}

/// Every counter of every office (reference data of the analytics).
pub fn all_counters(conn: &mut DbConnection) -> QueryResult<Vec<Counter>> {
    counters::table
        .order(counters::id)
        .select(Counter::as_select())
        .load(conn)
}

/// Every staff member of every office (reference data of the analytics).
pub fn all_staff(conn: &mut DbConnection) -> QueryResult<Vec<Staff>> {
    staff::table
        .order(staff::id)
        .select(Staff::as_select())
        .load(conn)
}

pub fn staff_of(conn: &mut DbConnection, office_id: i32) -> QueryResult<Vec<Staff>> {
    staff::table
        .filter(staff::office_id.eq(office_id))
        .order(staff::code)
        .select(Staff::as_select())
        .load(conn)
}
