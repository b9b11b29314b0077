//! Reference data that staff keep themselves: offices, their counters and
//! staff members, and the service types. Who may change what, checked here
//! for the console and the command line alike, and every change audited in
//! the same transaction:
//! - offices: system administrators anywhere, county administrators in
//!   their county;
//! - counters and staff members: directors of their own office, and the
//!   administrators whose scope holds it;
//! - service types (one list for every office): system administrators.
//!
//! The command line acts as the system (no account, full scope). Nothing is
//! deleted: records referred to by answers or cases are deactivated.

mod import;

pub use import::{OfficeImport, import_offices};

use crate::auth::{AuditEntry, record_audit};
use crate::auth::{AuthError, Role, Scope, User};
use crate::db::{self, DbConnection};
use crate::offices::details::{
    self, CounterDetails, OfficeDetails, ServiceTypeDetails, StaffDetails,
};
use crate::offices::{Counter, FieldError, Office, OfficeCode, Saved, ServiceType, Staff};

/// Who makes a change: a console account, or the command line (`user` None).
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub user: Option<&'a User>,
    pub client_addr: Option<&'a str>,
}

impl<'a> Actor<'a> {
    /// The command line, acting as the system.
    pub fn system() -> Self {
        Actor {
            user: None,
            client_addr: None,
        }
    }

    pub fn staff(user: &'a User, client_addr: Option<&'a str>) -> Self {
        Actor {
            user: Some(user),
            client_addr,
        }
    }

    fn role(&self) -> Role {
        self.user.map(User::role).unwrap_or(Role::SystemAdmin)
    }

    fn scope(&self) -> Scope {
        self.user.map(User::scope).unwrap_or(Scope::All)
    }

    fn audit(
        &self,
        conn: &mut DbConnection,
        action: &str,
        office_id: Option<i32>,
        target: &str,
        detail: &str,
    ) -> diesel::QueryResult<()> {
        record_audit(
            conn,
            &AuditEntry {
                actor: self.user,
                action,
                office_id,
                target,
                detail,
                client_addr: self.client_addr,
            },
        )
    }
}

/// May this role set up offices (create, edit, deactivate)?
pub fn may_manage_offices(role: Role) -> bool {
    matches!(role, Role::CountyAdmin | Role::SystemAdmin)
}

/// May this role keep an office's counters and staff members?
pub fn may_manage_counters(role: Role) -> bool {
    matches!(role, Role::Director | Role::CountyAdmin | Role::SystemAdmin)
}

/// May this role keep the service types?
pub fn may_manage_service_types(role: Role) -> bool {
    role == Role::SystemAdmin
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Fields that do not parse, each with its name.
    #[error("{}", join(.0))]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Import(#[from] crate::tabular::RowErrors),
    #[error("{field}: `{code}` exists already")]
    Taken { field: &'static str, code: String },
    #[error("county_zh: you set up the offices of {0} only")]
    OutsideCounty(String),
    #[error("{field}: no {what} `{code}`")]
    Unknown {
        field: &'static str,
        what: &'static str,
        code: String,
    },
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

fn join(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl AdminError {
    /// The field a refused change is about (None: not the input's fault, or
    /// a whole file).
    pub fn field(&self) -> Option<&'static str> {
        match self {
            AdminError::Invalid(e) => e.first().map(|e| e.field),
            AdminError::OutsideCounty(_) => Some("county_zh"),
            AdminError::Unknown { field, .. } | AdminError::Taken { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl From<Vec<FieldError>> for AdminError {
    fn from(e: Vec<FieldError>) -> Self {
        AdminError::Invalid(e)
    }
}

fn require(ok: bool) -> Result<(), AdminError> {
    if ok {
        Ok(())
    } else {
        Err(AuthError::Forbidden.into())
    }
}

/// A record opened or closed: what [`Toggle`] says changed, written and audited.
struct Toggle<'a> {
    /// `office`, `counter`, `staff_member`, `service_type`: the audit action's stem.
    what: &'a str,
    office_id: Option<i32>,
    target: String,
    was: bool,
}

impl Toggle<'_> {
    /// Sets the flag (when it changes) with `set` and audits it.
    fn apply(
        self,
        conn: &mut DbConnection,
        actor: &Actor<'_>,
        active: bool,
        set: impl FnOnce(&mut DbConnection) -> diesel::QueryResult<()>,
    ) -> diesel::QueryResult<()> {
        if self.was == active {
            return Ok(());
        }
        set(conn)?;
        let state = if active { "activated" } else { "deactivated" };
        let action = format!("{}_{state}", self.what);
        actor.audit(conn, &action, self.office_id, &self.target, "")
    }
}

fn saved_action(what: &str, saved: &Saved) -> Option<(String, String)> {
    match saved {
        Saved::Created => Some((format!("{what}_created"), String::new())),
        Saved::Updated(fields) => Some((format!("{what}_updated"), fields.join(","))),
        Saved::Unchanged => None,
    }
}

/// The checks of [`save_office`] before anything is written: the role, and
/// for a county administrator that both the office's new county and (for a
/// known code) its present one are theirs.
fn check_office_change(
    conn: &mut DbConnection,
    actor: &Actor<'_>,
    d: &OfficeDetails,
) -> Result<(), AdminError> {
    require(may_manage_offices(actor.role()))?;
    if let Scope::County(county) = actor.scope() {
        if d.county_zh != county {
            return Err(AdminError::OutsideCounty(county));
        }
        if let Some(old) = crate::offices::find_office_by_code(conn, &d.code)?
            && old.county_zh != county
        {
            return Err(AdminError::OutsideCounty(county));
        }
    }
    Ok(())
}

fn store_office(
    conn: &mut DbConnection,
    actor: &Actor<'_>,
    d: &OfficeDetails,
) -> Result<(Office, Saved), AdminError> {
    check_office_change(conn, actor, d)?;
    let (office, saved) = details::save_office(conn, d)?;
    if let Some((action, detail)) = saved_action("office", &saved) {
        actor.audit(
            conn,
            &action,
            Some(office.id),
            &format!("office:{}", office.code),
            &detail,
        )?;
    }
    Ok((office, saved))
}

/// Creates an office, or updates the one with this code; audited.
pub fn save_office(
    conn: &mut DbConnection,
    actor: Actor<'_>,
    d: &OfficeDetails,
) -> Result<(Office, Saved), AdminError> {
    db::write_transaction(conn, |conn| store_office(conn, &actor, d))
}

/// Creates an office whose code is new; audited.
pub fn create_office(
    conn: &mut DbConnection,
    actor: Actor<'_>,
    d: &OfficeDetails,
) -> Result<Office, AdminError> {
    db::write_transaction(conn, |conn| {
        if crate::offices::find_office_by_code(conn, &d.code)?.is_some() {
            return Err(AdminError::Taken {
                field: "code",
                code: d.code.to_string(),
            });
        }
        Ok(store_office(conn, &actor, d)?.0)
    })
}

/// The office with this code within the actor's scope.
fn office_in_scope(
    conn: &mut DbConnection,
    actor: &Actor<'_>,
    code: &OfficeCode,
) -> Result<Office, AdminError> {
    let office =
        crate::offices::find_office_by_code(conn, code)?.ok_or_else(|| AdminError::Unknown {
            field: "office",
            what: "office",
            code: code.to_string(),
        })?;
    actor.scope().check_office(conn, office.id)?;
    Ok(office)
}

/// Opens or closes an office for answers and petitions (its data stays).
pub fn set_office_active(
    conn: &mut DbConnection,
    actor: Actor<'_>,
    code: &OfficeCode,
    active: bool,
) -> Result<Office, AdminError> {
    require(may_manage_offices(actor.role()))?;
    db::write_transaction(conn, |conn| {
        let office = office_in_scope(conn, &actor, code)?;
        Toggle {
            what: "office",
            office_id: Some(office.id),
            target: format!("office:{}", office.code),
            was: office.active,
        }
        .apply(conn, &actor, active, |c| {
            details::set_office_active(c, office.id, active)
        })?;
        Ok(Office { active, ..office })
    })
}

/// Creates a counter of the office, or renames the one with this code.
pub fn save_counter(
    conn: &mut DbConnection,
    actor: Actor<'_>,
    office: &OfficeCode,
    d: &CounterDetails,
) -> Result<(Counter, Saved), AdminError> {
    require(may_manage_counters(actor.role()))?;
    db::write_transaction(conn, |conn| {
        let office = office_in_scope(conn, &actor, office)?;
        let (counter, saved) = details::save_counter(conn, office.id, d)?;
        if let Some((action, detail)) = saved_action("counter", &saved) {
            let target = format!("counter:{}/{}", office.code, counter.code);
            actor.audit(conn, &action, Some(office.id), &target, &detail)?;
        }
        Ok((counter, saved))
    })
}

/// Opens or closes a counter (kiosks at a closed counter still answer; the
/// counter is no longer offered for new kiosks and links).
pub fn set_counter_active(
    conn: &mut DbConnection,
    actor: Actor<'_>,
    office: &OfficeCode,
    code: &str,
    active: bool,
) -> Result<Counter, AdminError> {
    require(may_manage_counters(actor.role()))?;
    db::write_transaction(conn, |conn| {
        let office = office_in_scope(conn, &actor, office)?;
        let counter = details::find_counter(conn, office.id, code.trim())?.ok_or_else(|| {
            AdminError::Unknown {
                field: "code",
                what: "counter",
                code: code.trim().to_owned(),
            }
        })?;
        Toggle {
            what: "counter",
            office_id: Some(office.id),
            target: format!("counter:{}/{}", office.code, counter.code),
            was: counter.active,
        }
        .apply(conn, &actor, active, |c| {
            details::set_counter_active(c, counter.id, active)
        })?;
        Ok(Counter { active, ..counter })
    })
}

/// Creates a staff member of the office, or renames the one with this code.
pub fn save_staff(
    conn: &mut DbConnection,
    actor: Actor<'_>,
    office: &OfficeCode,
    d: &StaffDetails,
) -> Result<(Staff, Saved), AdminError> {
    require(may_manage_counters(actor.role()))?;
    db::write_transaction(conn, |conn| {
        let office = office_in_scope(conn, &actor, office)?;
        let (member, saved) = details::save_staff(conn, office.id, d)?;
        if let Some((action, detail)) = saved_action("staff_member", &saved) {
            let target = format!("staff:{}/{}", office.code, member.code);
            actor.audit(conn, &action, Some(office.id), &target, &detail)?;
        }
        Ok((member, saved))
    })
}

/// Marks a staff member as gone (their figures stay) or back.
pub fn set_staff_active(
    conn: &mut DbConnection,
    actor: Actor<'_>,
    office: &OfficeCode,
    code: &str,
    active: bool,
) -> Result<Staff, AdminError> {
    require(may_manage_counters(actor.role()))?;
    db::write_transaction(conn, |conn| {
        let office = office_in_scope(conn, &actor, office)?;
        let member = details::find_staff(conn, office.id, code.trim())?.ok_or_else(|| {
            AdminError::Unknown {
                field: "code",
                what: "staff member",
                code: code.trim().to_owned(),
            }
        })?;
        Toggle {
            what: "staff_member",
            office_id: Some(office.id),
            target: format!("staff:{}/{}", office.code, member.code),
            was: member.active,
        }
        .apply(conn, &actor, active, |c| {
            details::set_staff_active(c, member.id, active)
        })?;
        Ok(Staff { active, ..member })
    })
}

/// Creates a service type, or updates the one with this code.
pub fn save_service_type(
    conn: &mut DbConnection,
    actor: Actor<'_>,
    d: &ServiceTypeDetails,
) -> Result<(ServiceType, Saved), AdminError> {
    require(may_manage_service_types(actor.role()))?;
    db::write_transaction(conn, |conn| {
        // Imports name service types by their Chinese name too: one name, one type.
        if let Some(other) = details::all_service_types(conn)?
            .into_iter()
            .find(|t| t.name_zh == d.name_zh && t.code != d.code)
        {
            return Err(AdminError::Invalid(vec![FieldError {
                field: "name_zh",
                message: format!(
                    "`{}` is the name of the service type `{}` already",
                    d.name_zh, other.code
                ),
            }]));
        }
        let (st, saved) = details::save_service_type(conn, d)?;
        if let Some((action, detail)) = saved_action("service_type", &saved) {
            let target = format!("service_type:{}", st.code);
            actor.audit(conn, &action, None, &target, &detail)?;
        }
        Ok((st, saved))
    })
}

/// Offers a service type again, or no longer (its answers keep it).
pub fn set_service_type_active(
    conn: &mut DbConnection,
    actor: Actor<'_>,
    code: &str,
    active: bool,
) -> Result<ServiceType, AdminError> {
    require(may_manage_service_types(actor.role()))?;
    db::write_transaction(conn, |conn| {
        let st =
            details::find_any_service_type(conn, code)?.ok_or_else(|| AdminError::Unknown {
                field: "code",
                what: "service type",
                code: code.trim().to_owned(),
            })?;
        Toggle {
            what: "service_type",
            office_id: None,
            target: format!("service_type:{}", st.code),
            was: st.active,
        }
        .apply(conn, &actor, active, |c| {
            details::set_service_type_active(c, st.id, active)
        })?;
        Ok(ServiceType { active, ..st })
    })
}
