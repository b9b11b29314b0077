//! The audit log: who did what, when, from where. Append-only (triggers on
//! both engines refuse UPDATE and DELETE).

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::{Scope, User};
use crate::db::DbConnection;
use crate::db::schema::audit_log;

/// What to record. `actor` None means the system or the command line.
pub struct AuditEntry<'a> {
    pub actor: Option<&'a User>,
    pub action: &'a str,
    pub office_id: Option<i32>,
    pub target: &'a str,
    pub detail: &'a str,
    pub client_addr: Option<&'a str>,
}

#[derive(Insertable)]
#[diesel(table_name = audit_log)]
struct AuditRow<'a> {
    at: NaiveDateTime,
    actor_user_id: Option<i32>,
    actor: &'a str,
    action: &'a str,
    office_id: Option<i32>,
    target: &'a str,
    detail: &'a str,
    client_addr: Option<&'a str>,
}

pub fn record_audit(conn: &mut DbConnection, e: &AuditEntry<'_>) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values(AuditRow {
            at: Utc::now().naive_utc(),
            actor_user_id: e.actor.map(|u| u.id),
            actor: e.actor.map(|u| u.username.as_str()).unwrap_or("system"),
            action: e.action,
            office_id: e.office_id.or(e.actor.and_then(|u| u.office_id)),
            target: e.target,
            detail: e.detail,
            client_addr: e.client_addr,
        })
        .execute(conn)
        .map(|_| ())
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = audit_log)]
pub struct AuditRecord {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor_user_id: Option<i32>,
    pub actor: String,
    pub action: String,
    pub office_id: Option<i32>,
    pub target: String,
    pub detail: String,
    pub client_addr: Option<String>,
}

/// The newest entries in scope. Entries tied to no office are shown to
/// system administrators only.
pub fn list_audit(
    conn: &mut DbConnection,
    scope: &Scope,
    office_filter: Option<i32>,
    limit: i64,
) -> QueryResult<Vec<AuditRecord>> {
    let mut q = audit_log::table
        .order(audit_log::id.desc())
        .limit(limit)
        .select(AuditRecord::as_select())
        .into_boxed();
    if *scope != Scope::All {
        q = q.filter(audit_log::office_id.eq_any(scope.office_ids(conn)?));
    }
    if let Some(o) = office_filter {
        q = q.filter(audit_log::office_id.eq(o));
    }
    q.load(conn)
}

/// What an audit entry's action says, in words: (zh-TW, English). The
/// reference-data changes are `{what}_{created|updated|activated|deactivated}`.
pub fn action_label(action: &str) -> (String, String) {
    let fixed = match action {
        "login" => Some(("登入", "logged in")),
        "login_failed" => Some(("登入失敗", "failed to log in")),
        "login_throttled" => Some(("登入暫停（多次失敗）", "login slowed down after failures")),
        "login_unlocked" => Some(("解除登入限制", "login throttling cleared")),
        "user_created" => Some(("建立帳號", "created an account")),
        "role_changed" => Some(("變更角色", "changed a role")),
        "password_changed" => Some(("變更密碼", "changed a password")),
        "personal_data_viewed" => {
            Some(("檢視陳情人個人資料", "viewed a petitioner's personal data"))
        }
        "cases_personal_data_purged" => Some(("刪除逾期個人資料", "removed old personal data")),
        "enrolment_code_created" => Some(("產生平板啟用碼", "made a kiosk enrolment code")),
        "device_enrolled" => Some(("啟用平板", "enrolled a kiosk")),
        "device_revoked" => Some(("停用平板", "revoked a kiosk")),
        "survey_links_created" => Some(("產生問卷連結", "made survey links")),
        "alert_acknowledged" => Some(("處理不滿意警示", "acknowledged an alert")),
        "alert_threshold_changed" => Some(("變更警示門檻", "changed the alert threshold")),
        "deadline_rule_changed" => Some(("變更處理期限", "changed a deadline rule")),
        "responses_imported" => Some(("匯入歷年問卷", "imported responses")),
        "tallies_imported" => Some(("匯入彙總計數", "imported tallies")),
        _ => None,
    };
    if let Some((zh, en)) = fixed {
        return (zh.to_owned(), en.to_owned());
    }
    let things = [
        ("office_", "事務所", "an office"),
        ("counter_", "櫃檯", "a counter"),
        ("staff_member_", "服務人員", "a staff member"),
        ("service_type_", "服務項目", "a service type"),
    ];
    let verbs = [
        ("created", "建立", "created"),
        ("updated", "修改", "changed"),
        ("activated", "恢復", "reopened"),
        ("deactivated", "停用", "closed"),
    ];
    for (prefix, thing_zh, thing_en) in things {
        if let Some(verb) = action.strip_prefix(prefix)
            && let Some((_, zh, en)) = verbs.iter().find(|(v, _, _)| *v == verb)
        {
            return (format!("{zh}{thing_zh}"), format!("{en} {thing_en}"));
        }
    }
    (action.to_owned(), action.to_owned())
}

/// What an audit entry is about, in words: `office:JS` → 事務所 JS.
pub fn target_label(target: &str) -> (String, String) {
    let Some((kind, what)) = target.split_once(':') else {
        return (target.to_owned(), target.to_owned());
    };
    let (zh, en) = match kind {
        "office" => ("事務所", "office"),
        "counter" => ("櫃檯", "counter"),
        "staff" => ("服務人員", "staff member"),
        "service_type" => ("服務項目", "service type"),
        "user" => ("帳號", "account"),
        "case" => ("案件", "case"),
        "file" => ("檔案", "file"),
        "device" => ("平板", "kiosk"),
        "alert" => ("警示", "alert"),
        "deadline" => ("處理期限", "deadline rule"),
        "form" => ("問卷", "form"),
        _ => return (target.to_owned(), target.to_owned()),
    };
    (format!("{zh} {what}"), format!("{en} {what}"))
}

#[cfg(test)]
mod words {
    use super::*;

    #[test]
    fn actions_and_targets_read_as_words() {
        assert_eq!(action_label("office_created").0, "建立事務所");
        assert_eq!(
            action_label("staff_member_deactivated").1,
            "closed a staff member"
        );
        assert_eq!(action_label("login").0, "登入");
        assert_eq!(action_label("office_exploded").0, "office_exploded");
        assert_eq!(target_label("staff:JS/E01").0, "服務人員 JS/E01");
        assert_eq!(target_label("user:dir-js").1, "account dir-js");
        assert_eq!(target_label("odd").0, "odd");
    }
}
