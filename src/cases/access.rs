//! Who may do what with the register. Checked here, in the domain, for every
//! caller (console pages, their JSON twins, the command line):
//!
//! | role | register a case | act on a case | petitioner's data |
//! |---|---|---|---|
//! | 櫃檯人員 counter staff | own office | the cases assigned to them: preliminary reply, reply, extension | masked, in full on cases assigned to them |
//! | 研考人員 research staff | no | as counter staff | as counter staff |
//! | 主任 director | own office | every action on the office's cases | in full for the office |
//! | 縣市/系統管理者 administrators | no | no | masked |
//!
//! Every view of personal data in full is audited by the page that shows it.

use super::{Action, Case};
use crate::auth::{Role, User};

/// May this staff member type a case into the register (of an office in
/// their scope; the scope is checked apart)?
pub fn may_register(user: &User) -> bool {
    matches!(user.role(), Role::CounterStaff | Role::Director)
}

/// May this staff member take `action` on `case` (lifecycle apart)?
pub fn may_act(user: &User, case: &Case, action: &Action) -> bool {
    if user.office_id != Some(case.office_id) {
        return false;
    }
    match user.role() {
        Role::Director => true,
        Role::CounterStaff | Role::Research => {
            case.assigned_to == Some(user.id)
                && matches!(
                    action,
                    Action::PreliminaryReply | Action::Reply { .. } | Action::Extend { .. }
                )
        }
        Role::CountyAdmin | Role::SystemAdmin => false,
    }
}

/// Whether this staff member sees the petitioner and a confidential case in
/// full: only the director of the case's office and its assigned handler
/// (administrators see the masked form like everyone else).
pub fn sees_personal_data(user: &User, case: &Case) -> bool {
    (user.role() == Role::Director && user.office_id == Some(case.office_id))
        || (case.assigned_to == Some(user.id) && user.office_id == Some(case.office_id))
}
