//! Which offices a session may see.

use diesel::prelude::*;

use super::{AuthError, Role};
use crate::db::DbConnection;
use crate::db::schema::offices;

/// The offices a user may see: derived from the session, used by every query
/// of office data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// System administrators.
    All,
    /// County administrators: every office whose `county_zh` is this.
    County(String),
    /// Staff of one office.
    Office(i32),
}

impl Scope {
    pub fn for_user(role: Role, office_id: Option<i32>, county_zh: Option<&str>) -> Scope {
        match (role, office_id, county_zh) {
            (Role::SystemAdmin, _, _) => Scope::All,
            (Role::CountyAdmin, _, Some(c)) => Scope::County(c.to_owned()),
            (_, Some(id), _) => Scope::Office(id),
            // A misconfigured account sees nothing rather than everything.
            _ => Scope::Office(-1),
        }
    }

    /// Ids of the offices in scope, in code order.
    pub fn office_ids(&self, conn: &mut DbConnection) -> QueryResult<Vec<i32>> {
        let q = offices::table.order(offices::code).select(offices::id);
        match self {
            Scope::All => q.load(conn),
            Scope::County(c) => q.filter(offices::county_zh.eq(c)).load(conn),
            Scope::Office(id) => q.filter(offices::id.eq(id)).load(conn),
        }
    }

    /// `Ok` when the office is in scope; `NotFound` otherwise (and when it does not exist).
    pub fn check_office(&self, conn: &mut DbConnection, office_id: i32) -> Result<(), AuthError> {
        let visible = match self {
            Scope::All => {
                offices::table
                    .filter(offices::id.eq(office_id))
                    .count()
                    .get_result::<i64>(conn)?
                    > 0
            }
            Scope::County(c) => {
                offices::table
                    .filter(offices::id.eq(office_id))
                    .filter(offices::county_zh.eq(c))
                    .count()
                    .get_result::<i64>(conn)?
                    > 0
            }
            Scope::Office(id) => *id == office_id,
        };
        if visible {
            Ok(())
        } else {
            Err(AuthError::NotFound)
        }
    }

    /// The office with this code, if it is in scope.
    pub fn office_by_code(
        &self,
        conn: &mut DbConnection,
        code: &str,
    ) -> Result<crate::offices::Office, AuthError> {
        // A malformed code names no office: not found, like an unknown one.
        let code = crate::offices::OfficeCode::parse(code).map_err(|_| AuthError::NotFound)?;
        let office =
            crate::offices::find_office_by_code(conn, &code)?.ok_or(AuthError::NotFound)?;
        self.check_office(conn, office.id)?;
        Ok(office)
    }
}
