//! What staff type in to set up an office, a counter, a staff member or a
//! service type: parsed once (each field's rule, the field named in its
//! error), then stored by code: an unknown code is created, a known one
//! updated. Nothing here deletes: a record that answers or cases may refer
//! to is deactivated instead, and keeps its meaning in every figure.

use diesel::prelude::*;
use serde::Deserialize;

use super::{Counter, Office, OfficeCode, ServiceType, Staff};
use crate::db::DbConnection;
use crate::db::schema::{counters, offices, service_types, staff};

/// One refused field: its name (as in the form, the CSV header and the
/// CLI flag) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

fn field_error(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

/// A line of text: trimmed, no control characters, at most `max` characters;
/// `required` refuses an empty one.
fn text(
    errors: &mut Vec<FieldError>,
    field: &'static str,
    value: &str,
    required: bool,
    max: usize,
) -> String {
    let v = value.trim();
    if required && v.is_empty() {
        errors.push(field_error(field, "must not be empty"));
    } else if v.chars().count() > max {
        errors.push(field_error(field, format!("at most {max} characters")));
    } else if v.chars().any(char::is_control) {
        errors.push(field_error(field, "must be one line of text"));
    } else if v.chars().any(invisible) {
        errors.push(field_error(
            field,
            "holds invisible or direction-changing characters (U+200B, U+202E …)",
        ));
    }
    v.to_owned()
}

/// Zero-width and bidirectional control characters: they make a name read
/// otherwise than it is stored.
fn invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// Taiwan's 22 counties and cities (直轄市、縣、市), as offices name them.
pub const COUNTIES: [&str; 22] = [
    "臺北市",
    "新北市",
    "桃園市",
    "臺中市",
    "臺南市",
    "高雄市",
    "基隆市",
    "新竹市",
    "嘉義市",
    "新竹縣",
    "苗栗縣",
    "彰化縣",
    "南投縣",
    "雲林縣",
    "嘉義縣",
    "屏東縣",
    "宜蘭縣",
    "花蓮縣",
    "臺東縣",
    "澎湖縣",
    "金門縣",
    "連江縣",
];

/// A code of a counter or a staff member (`1`, `C2`, `E-0042`): 1 to 16
/// letters, digits, `-` or `_`, starting with a letter or digit; kept as given.
fn local_code(errors: &mut Vec<FieldError>, field: &'static str, value: &str) -> String {
    let v = value.trim();
    let ok = !v.is_empty()
        && v.chars().count() <= 16
        && v.starts_with(|c: char| c.is_ascii_alphanumeric())
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok {
        errors.push(field_error(
            field,
            format!("`{v}` is no code: 1 to 16 letters A-Z, digits, `-` or `_`"),
        ));
    }
    v.to_owned()
}

/// An optional text: `None` when empty.
fn given(text: String) -> Option<String> {
    Some(text).filter(|t| !t.is_empty())
}

fn done<T>(value: T, errors: Vec<FieldError>) -> Result<T, Vec<FieldError>> {
    if errors.is_empty() {
        Ok(value)
    } else {
        Err(errors)
    }
}

/// An office as typed in; every field is text, empty when not given.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct OfficeInput {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub county_zh: String,
    pub county_en: String,
    pub address: String,
    pub phone: String,
}

/// An office's details, checked. An English name not given (`None`) keeps
/// the one stored, and is the Chinese one for a new office.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeDetails {
    pub code: OfficeCode,
    pub name_zh: String,
    pub name_en: Option<String>,
    pub county_zh: String,
    pub county_en: Option<String>,
    pub address: String,
    pub phone: String,
}

impl OfficeDetails {
    pub fn parse(input: &OfficeInput) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let code = OfficeCode::parse(&input.code)
            .map_err(|e| {
                let text = e.to_string();
                let why = text.strip_prefix("office: ").unwrap_or(&text).to_owned();
                errors.push(field_error("code", why));
            })
            .ok();
        let name_zh = text(&mut errors, "name_zh", &input.name_zh, true, 100);
        let name_en = text(&mut errors, "name_en", &input.name_en, false, 200);
        // 台 is written 臺 in official names: 台北市 is 臺北市, not another city.
        let county_zh =
            text(&mut errors, "county_zh", &input.county_zh, true, 20).replace('台', "臺");
        if !county_zh.is_empty() && !COUNTIES.contains(&county_zh.as_str()) {
            errors.push(field_error(
                "county_zh",
                format!(
                    "`{county_zh}` is not one of Taiwan's counties and cities ({})",
                    COUNTIES.join("、")
                ),
            ));
        }
        let county_en = text(&mut errors, "county_en", &input.county_en, false, 60);
        let address = text(&mut errors, "address", &input.address, false, 200);
        let phone = input.phone.trim().to_owned();
        let phone_ok = phone.chars().count() <= 40
            && phone.chars().all(|c| {
                c.is_ascii_digit() || " +-()#,".contains(c) || c == '轉' || c == 'x' || c == 'X'
            });
        if !phone_ok {
            errors.push(field_error(
                "phone",
                "digits, spaces and + - ( ) # only (an extension as `#123` or `轉123`), at most 40",
            ));
        }
        let Some(code) = code else {
            return Err(errors);
        };
        done(
            OfficeDetails {
                code,
                name_en: given(name_en),
                county_en: given(county_en),
                name_zh,
                county_zh,
                address,
                phone,
            },
            errors,
        )
    }

    /// The English names to store, over those of `old` (None: a new office).
    fn english(&self, old: Option<&Office>) -> (String, String) {
        let keep = |given: &Option<String>, stored: Option<&String>, zh: &str| {
            given
                .clone()
                .or_else(|| stored.cloned())
                .unwrap_or_else(|| zh.to_owned())
        };
        (
            keep(&self.name_en, old.map(|o| &o.name_en), &self.name_zh),
            keep(&self.county_en, old.map(|o| &o.county_en), &self.county_zh),
        )
    }

    /// The fields (by name) in which `office` differs from these details.
    pub fn changes(&self, office: &Office) -> Vec<&'static str> {
        let (name_en, county_en) = self.english(Some(office));
        let pairs = [
            ("name_zh", &self.name_zh, &office.name_zh),
            ("name_en", &name_en, &office.name_en),
            ("county_zh", &self.county_zh, &office.county_zh),
            ("county_en", &county_en, &office.county_en),
            ("address", &self.address, &office.address),
            ("phone", &self.phone, &office.phone),
        ];
        pairs
            .into_iter()
            .filter(|(_, new, old)| new != old)
            .map(|(f, _, _)| f)
            .collect()
    }
}

/// A counter (window) or a staff member as typed in.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CounterInput {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

/// A counter, checked; `name_en` as for offices ([`OfficeDetails`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterDetails {
    pub code: String,
    pub name_zh: String,
    pub name_en: Option<String>,
}

impl CounterDetails {
    pub fn parse(input: &CounterInput) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let code = local_code(&mut errors, "code", &input.code);
        let name_zh = text(&mut errors, "name_zh", &input.name_zh, true, 60);
        let name_en = given(text(&mut errors, "name_en", &input.name_en, false, 100));
        done(
            CounterDetails {
                code,
                name_zh,
                name_en,
            },
            errors,
        )
    }
}

/// A staff member: who the per-staff figures and the courtesy vote are
/// about. Only a display name and an employee code, no personal data.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StaffInput {
    pub code: String,
    pub display_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffDetails {
    pub code: String,
    pub display_name: String,
}

impl StaffDetails {
    pub fn parse(input: &StaffInput) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let code = local_code(&mut errors, "code", &input.code);
        let display_name = text(&mut errors, "display_name", &input.display_name, true, 40);
        done(StaffDetails { code, display_name }, errors)
    }
}

/// A service type as typed in; `sort_order` empty means after the others.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ServiceTypeInput {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub sort_order: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceTypeDetails {
    /// `a-z`, digits and `_`, starting with a letter (`adoption`), lower case.
    pub code: String,
    pub name_zh: String,
    /// As for offices ([`OfficeDetails`]).
    pub name_en: Option<String>,
    pub sort_order: Option<i32>,
}

impl ServiceTypeDetails {
    pub fn parse(input: &ServiceTypeInput) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let code = input.code.trim().to_ascii_lowercase();
        let code_ok = (1..=32).contains(&code.len())
            && code.starts_with(|c: char| c.is_ascii_lowercase())
            && code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !code_ok {
            errors.push(field_error(
                "code",
                format!(
                    "`{}` is no code: 1 to 32 letters a-z, digits or `_`, starting with a letter",
                    input.code.trim()
                ),
            ));
        }
        let name_zh = text(&mut errors, "name_zh", &input.name_zh, true, 40);
        let name_en = given(text(&mut errors, "name_en", &input.name_en, false, 100));
        let sort_order = match input.sort_order.trim() {
            "" => None,
            s => match s.parse::<i32>() {
                Ok(n) if (0..=100_000).contains(&n) => Some(n),
                _ => {
                    errors.push(field_error(
                        "sort_order",
                        format!("`{s}` is not a whole number from 0 to 100000"),
                    ));
                    None
                }
            },
        };
        done(
            ServiceTypeDetails {
                code,
                name_zh,
                name_en,
                sort_order,
            },
            errors,
        )
    }
}

/// What storing by code did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Saved {
    Created,
    /// The fields that changed.
    Updated(Vec<&'static str>),
    Unchanged,
}

impl Saved {
    fn from_changes(changes: Vec<&'static str>) -> Self {
        if changes.is_empty() {
            Saved::Unchanged
        } else {
            Saved::Updated(changes)
        }
    }
}

/// Creates the office, or updates the one with this code. Does not touch
/// `active`, the alert threshold or anything else set elsewhere.
pub fn save_office(conn: &mut DbConnection, d: &OfficeDetails) -> QueryResult<(Office, Saved)> {
    let saved = match super::find_office_by_code(conn, &d.code)? {
        None => {
            let (name_en, county_en) = d.english(None);
            diesel::insert_into(offices::table)
                .values((
                    offices::code.eq(&d.code),
                    offices::name_zh.eq(&d.name_zh),
                    offices::name_en.eq(&name_en),
                    offices::county_zh.eq(&d.county_zh),
                    offices::county_en.eq(&county_en),
                    offices::address.eq(&d.address),
                    offices::phone.eq(&d.phone),
                    offices::created_at.eq(chrono::Utc::now().naive_utc()),
                ))
                .execute(conn)?;
            Saved::Created
        }
        Some(old) => {
            let changes = d.changes(&old);
            let (name_en, county_en) = d.english(Some(&old));
            if !changes.is_empty() {
                diesel::update(offices::table.filter(offices::id.eq(old.id)))
                    .set((
                        offices::name_zh.eq(&d.name_zh),
                        offices::name_en.eq(&name_en),
                        offices::county_zh.eq(&d.county_zh),
                        offices::county_en.eq(&county_en),
                        offices::address.eq(&d.address),
                        offices::phone.eq(&d.phone),
                    ))
                    .execute(conn)?;
            }
            Saved::from_changes(changes)
        }
    };
    let office = super::find_office_by_code(conn, &d.code)?.ok_or(diesel::NotFound)?;
    Ok((office, saved))
}

pub fn set_office_active(conn: &mut DbConnection, office_id: i32, active: bool) -> QueryResult<()> {
    diesel::update(offices::table.filter(offices::id.eq(office_id)))
        .set(offices::active.eq(active))
        .execute(conn)
        .map(|_| ())
}

pub fn find_counter(
    conn: &mut DbConnection,
    office_id: i32,
    code: &str,
) -> QueryResult<Option<Counter>> {
    counters::table
        .filter(counters::office_id.eq(office_id))
        .filter(counters::code.eq(code))
        .select(Counter::as_select())
        .first(conn)
        .optional()
}

/// Creates the office's counter, or renames the one with this code.
pub fn save_counter(
    conn: &mut DbConnection,
    office_id: i32,
    d: &CounterDetails,
) -> QueryResult<(Counter, Saved)> {
    let saved = match find_counter(conn, office_id, &d.code)? {
        None => {
            diesel::insert_into(counters::table)
                .values((
                    counters::office_id.eq(office_id),
                    counters::code.eq(&d.code),
                    counters::name_zh.eq(&d.name_zh),
                    counters::name_en.eq(d.name_en.as_deref().unwrap_or(&d.name_zh)),
                ))
                .execute(conn)?;
            Saved::Created
        }
        Some(old) => {
            let name_en = d.name_en.clone().unwrap_or_else(|| old.name_en.clone());
            let mut changes = Vec::new();
            if old.name_zh != d.name_zh {
                changes.push("name_zh");
            }
            if old.name_en != name_en {
                changes.push("name_en");
            }
            if !changes.is_empty() {
                diesel::update(counters::table.filter(counters::id.eq(old.id)))
                    .set((
                        counters::name_zh.eq(&d.name_zh),
                        counters::name_en.eq(&name_en),
                    ))
                    .execute(conn)?;
            }
            Saved::from_changes(changes)
        }
    };
    let counter = find_counter(conn, office_id, &d.code)?.ok_or(diesel::NotFound)?;
    Ok((counter, saved))
}

pub fn set_counter_active(conn: &mut DbConnection, id: i32, active: bool) -> QueryResult<()> {
    diesel::update(counters::table.filter(counters::id.eq(id)))
        .set(counters::active.eq(active))
        .execute(conn)
        .map(|_| ())
}

pub fn find_staff(
    conn: &mut DbConnection,
    office_id: i32,
    code: &str,
) -> QueryResult<Option<Staff>> {
    staff::table
        .filter(staff::office_id.eq(office_id))
        .filter(staff::code.eq(code))
        .select(Staff::as_select())
        .first(conn)
        .optional()
}

/// Creates the office's staff member, or renames the one with this code.
pub fn save_staff(
    conn: &mut DbConnection,
    office_id: i32,
    d: &StaffDetails,
) -> QueryResult<(Staff, Saved)> {
    let saved = match find_staff(conn, office_id, &d.code)? {
        None => {
            diesel::insert_into(staff::table)
                .values((
                    staff::office_id.eq(office_id),
                    staff::code.eq(&d.code),
                    staff::display_name.eq(&d.display_name),
                ))
                .execute(conn)?;
            Saved::Created
        }
        Some(old) if old.display_name == d.display_name => Saved::Unchanged,
        Some(old) => {
            diesel::update(staff::table.filter(staff::id.eq(old.id)))
                .set(staff::display_name.eq(&d.display_name))
                .execute(conn)?;
            Saved::Updated(vec!["display_name"])
        }
    };
    let member = find_staff(conn, office_id, &d.code)?.ok_or(diesel::NotFound)?;
    Ok((member, saved))
}

pub fn set_staff_active(conn: &mut DbConnection, id: i32, active: bool) -> QueryResult<()> {
    diesel::update(staff::table.filter(staff::id.eq(id)))
        .set(staff::active.eq(active))
        .execute(conn)
        .map(|_| ())
}

/// Every service type, active or not, in display order.
pub fn all_service_types(conn: &mut DbConnection) -> QueryResult<Vec<ServiceType>> {
    service_types::table
        .order((service_types::sort_order, service_types::code))
        .select(ServiceType::as_select())
        .load(conn)
}

fn service_type_by_code(conn: &mut DbConnection, code: &str) -> QueryResult<Option<ServiceType>> {
    service_types::table
        .filter(service_types::code.eq(code))
        .select(ServiceType::as_select())
        .first(conn)
        .optional()
}

/// Creates the service type (after the others when no order is given), or
/// updates the one with this code.
pub fn save_service_type(
    conn: &mut DbConnection,
    d: &ServiceTypeDetails,
) -> QueryResult<(ServiceType, Saved)> {
    let saved = match service_type_by_code(conn, &d.code)? {
        None => {
            let order = match d.sort_order {
                Some(o) => o,
                None => {
                    // After the last, except `other` (其他), which stays last.
                    let last: Option<i32> = service_types::table
                        .filter(service_types::code.ne("other"))
                        .select(diesel::dsl::max(service_types::sort_order))
                        .first(conn)?;
                    last.unwrap_or(0) + 10
                }
            };
            diesel::insert_into(service_types::table)
                .values((
                    service_types::code.eq(&d.code),
                    service_types::name_zh.eq(&d.name_zh),
                    service_types::name_en.eq(d.name_en.as_deref().unwrap_or(&d.name_zh)),
                    service_types::sort_order.eq(order),
                ))
                .execute(conn)?;
            Saved::Created
        }
        Some(old) => {
            let order = d.sort_order.unwrap_or(old.sort_order);
            let name_en = d.name_en.clone().unwrap_or_else(|| old.name_en.clone());
            let mut changes = Vec::new();
            if old.name_zh != d.name_zh {
                changes.push("name_zh");
            }
            if old.name_en != name_en {
                changes.push("name_en");
            }
            if old.sort_order != order {
                changes.push("sort_order");
            }
            if !changes.is_empty() {
                diesel::update(service_types::table.filter(service_types::id.eq(old.id)))
                    .set((
                        service_types::name_zh.eq(&d.name_zh),
                        service_types::name_en.eq(&name_en),
                        service_types::sort_order.eq(order),
                    ))
                    .execute(conn)?;
            }
            Saved::from_changes(changes)
        }
    };
    let st = service_type_by_code(conn, &d.code)?.ok_or(diesel::NotFound)?;
    Ok((st, saved))
}

pub fn set_service_type_active(conn: &mut DbConnection, id: i32, active: bool) -> QueryResult<()> {
    diesel::update(service_types::table.filter(service_types::id.eq(id)))
        .set(service_types::active.eq(active))
        .execute(conn)
        .map(|_| ())
}

/// The service type with this code, active or not.
pub fn find_any_service_type(
    conn: &mut DbConnection,
    code: &str,
) -> QueryResult<Option<ServiceType>> {
    service_type_by_code(conn, &code.trim().to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn office(code: &str, name_zh: &str, county_zh: &str) -> OfficeInput {
        OfficeInput {
            code: code.into(),
            name_zh: name_zh.into(),
            county_zh: county_zh.into(),
            ..Default::default()
        }
    }

    #[test]
    fn an_office_parses_and_english_defaults_to_chinese() {
        let d = OfficeDetails::parse(&OfficeInput {
            phone: "(082) 352-141 #12".into(),
            ..office(" js ", " 金沙鎮戶政事務所 ", "金門縣")
        })
        .unwrap();
        assert_eq!(d.code, "JS");
        assert_eq!(d.name_zh, "金沙鎮戶政事務所");
        assert_eq!((d.name_en, d.county_en), (None, None));
        assert_eq!(d.phone, "(082) 352-141 #12");
    }

    #[test]
    fn every_bad_field_of_an_office_is_named() {
        let errors = OfficeDetails::parse(&OfficeInput {
            address: "line\nbreak".into(),
            phone: "call me".into(),
            ..office("1X", "", "")
        })
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            ["code", "name_zh", "county_zh", "address", "phone"],
            "{errors:?}"
        );
        assert!(errors[0].message.contains("`1X`"), "{}", errors[0]);
        let long = OfficeDetails::parse(&office("JS", &"戶".repeat(101), "金門縣")).unwrap_err();
        assert_eq!(long[0].to_string(), "name_zh: at most 100 characters");
    }

    #[test]
    fn counter_staff_and_service_type_codes() {
        let c = CounterDetails::parse(&CounterInput {
            code: "C-2".into(),
            name_zh: "2 號櫃檯".into(),
            name_en: String::new(),
        })
        .unwrap();
        assert_eq!((c.code.as_str(), c.name_en), ("C-2", None));
        for bad in ["", "-1", "a b", "二", &"9".repeat(17)] {
            let e = StaffDetails::parse(&StaffInput {
                code: bad.into(),
                display_name: "王".into(),
            })
            .unwrap_err();
            assert_eq!(e[0].field, "code", "{bad}");
        }
        let s = ServiceTypeDetails::parse(&ServiceTypeInput {
            code: "Adoption".into(),
            name_zh: "收養登記".into(),
            name_en: "Adoption registration".into(),
            sort_order: "35".into(),
        })
        .unwrap();
        assert_eq!((s.code.as_str(), s.sort_order), ("adoption", Some(35)));
        let e = ServiceTypeDetails::parse(&ServiceTypeInput {
            code: "id card".into(),
            name_zh: "x".into(),
            sort_order: "-1".into(),
            ..Default::default()
        })
        .unwrap_err();
        let fields: Vec<&str> = e.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["code", "sort_order"]);
    }
}
