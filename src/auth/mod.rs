//! Staff accounts, roles, sessions, login throttling, office scoping and the
//! audit log.
//!
//! Every query of office data takes a [`Scope`], derived once per request from
//! the session, so no handler can forget it; a record outside the scope is
//! reported as not found, never as forbidden, so its existence does not leak.

mod audit;
mod login;
mod password;
pub mod rates;
mod scope;
mod sessions;
mod throttle;
mod users;

pub use audit::{
    AuditEntry, AuditRecord, action_label as audit_action_label,
    detail_label as audit_detail_label, list_audit, record_audit,
    target_label as audit_target_label,
};
pub use login::{LoginError, login};
pub use password::{PasswordError, check_password_policy, hash_password, verify_password};
pub use scope::Scope;
pub use sessions::{
    NewSession, SessionPolicy, SessionUser, create_session, delete_other_sessions, delete_session,
    lookup_session, session_user,
};
pub use throttle::{LoginThrottle, Throttled, record_attempt, unlock_account};
pub use users::{
    NewUser, PasswordChangeError, User, UserError, any_user, change_password, create_user,
    find_user_by_username, get_user, list_users, resolve_office, set_password, set_role,
};

use std::fmt;

use serde::Serialize;

/// What a staff member may do. Stored as its snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 櫃檯人員: own office's dashboard and forms.
    CounterStaff,
    /// 研考人員: own office's figures and (later) reports.
    Research,
    /// 主任: runs an office; manages its staff accounts; sees its audit log.
    Director,
    /// 縣市政府管理者: every office of one county or city.
    CountyAdmin,
    /// 系統管理者: everything.
    SystemAdmin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::CounterStaff,
        Role::Research,
        Role::Director,
        Role::CountyAdmin,
        Role::SystemAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::CounterStaff => "counter_staff",
            Role::Research => "research",
            Role::Director => "director",
            Role::CountyAdmin => "county_admin",
            Role::SystemAdmin => "system_admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Role::CounterStaff => "櫃檯人員",
            Role::Research => "研考人員",
            Role::Director => "主任",
            Role::CountyAdmin => "縣市管理者",
            Role::SystemAdmin => "系統管理者",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Role::CounterStaff => "Counter staff",
            Role::Research => "Research staff",
            Role::Director => "Director",
            Role::CountyAdmin => "County administrator",
            Role::SystemAdmin => "System administrator",
        }
    }

    /// Whether the role belongs to one office (the others span a county or all).
    pub fn is_office_role(self) -> bool {
        matches!(self, Role::CounterStaff | Role::Research | Role::Director)
    }

    /// May see the accounts of its scope.
    pub fn can_view_users(self) -> bool {
        matches!(self, Role::Director | Role::CountyAdmin | Role::SystemAdmin)
    }

    /// May see the audit log of its scope.
    pub fn can_view_audit(self) -> bool {
        matches!(self, Role::Director | Role::CountyAdmin | Role::SystemAdmin)
    }

    /// Roles this role may give to accounts (within its scope).
    pub fn may_grant(self) -> &'static [Role] {
        match self {
            Role::SystemAdmin => &Role::ALL,
            Role::CountyAdmin => &[Role::CounterStaff, Role::Research, Role::Director],
            Role::Director => &[Role::CounterStaff, Role::Research],
            _ => &[],
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Not there, or not in the caller's scope: the same answer for both.
    #[error("not found")]
    NotFound,
    #[error("not allowed for this role")]
    Forbidden,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}
