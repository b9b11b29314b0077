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
        "deadline" => {
            if let Some(k) = crate::cases::DeadlineKind::parse(what) {
                return (
                    format!("處理期限 {}", k.label_zh()),
                    format!("deadline rule: {}", k.label_en()),
                );
            }
            ("處理期限", "deadline rule")
        }
        "form" => ("問卷", "form"),
        _ => return (target.to_owned(), target.to_owned()),
    };
    (format!("{zh} {what}"), format!("{en} {what}"))
}

/// What an entry's detail says, in words: (zh-TW, English). The details are
/// written by the actions above in a few fixed shapes (`role=director`,
/// `director -> research`, `3 working days`, changed field lists …); anything
/// else is shown as it was written (a kiosk's label, a note typed by staff).
pub fn detail_label(action: &str, detail: &str) -> (String, String) {
    let d = detail.trim();
    let same = || (d.to_owned(), d.to_owned());
    if d.is_empty() {
        return (String::new(), String::new());
    }
    let role = |r: &str| {
        super::Role::parse(r.trim())
            .map(|r| (r.name_zh().to_owned(), r.name_en().to_owned()))
            .unwrap_or_else(|| (r.to_owned(), r.to_owned()))
    };
    let number = |s: &str, suffix: &str| -> Option<String> {
        s.strip_suffix(suffix)
            .map(str::trim)
            .filter(|n| n.chars().all(|c| c.is_ascii_digit()))
            .map(str::to_owned)
    };
    match action {
        "user_created" => {
            if let Some(r) = d.strip_prefix("role=") {
                let (zh, en) = role(r);
                return (format!("角色：{zh}"), format!("role: {en}"));
            }
        }
        "role_changed" => {
            if let Some((a, b)) = d.split_once("->") {
                let ((az, ae), (bz, be)) = (role(a), role(b));
                return (format!("{az} → {bz}"), format!("{ae} → {be}"));
            }
        }
        "alert_threshold_changed" => {
            if let Some(n) = d.strip_prefix("threshold=") {
                return (
                    format!("{n} 分以下發出警示"),
                    format!("alert at {n} or below"),
                );
            }
        }
        "deadline_rule_changed" => {
            if let Some(n) = number(d, "working days") {
                return (format!("{n} 個工作天"), format!("{n} working days"));
            }
        }
        "cases_personal_data_purged" => {
            if let Some(n) = number(d, "cases") {
                return (format!("{n} 件"), format!("{n} cases"));
            }
        }
        "survey_links_created" => {
            if let Some(n) = number(d, "links") {
                return (format!("{n} 個連結"), format!("{n} links"));
            }
        }
        "login_unlocked" => {
            if let Some(n) = number(d, "counters cleared") {
                return (
                    format!("清除 {n} 筆失敗紀錄"),
                    format!("{n} counters cleared"),
                );
            }
        }
        "login_throttled" => {
            if let Some((by, wait)) = d.split_once(';') {
                let seconds = wait
                    .trim()
                    .trim_start_matches("retry after")
                    .trim_end_matches('s')
                    .trim();
                let (zh, en) = if by.trim() == "account" {
                    ("依帳號", "by account")
                } else {
                    ("依來源位址", "by address")
                };
                return (
                    format!("{zh}暫停，{seconds} 秒後可再試"),
                    format!("slowed down {en}; retry after {seconds} s"),
                );
            }
        }
        "responses_imported" | "tallies_imported" => {
            let mut zh = Vec::new();
            let mut en = Vec::new();
            for part in d.split_whitespace() {
                let Some((k, v)) = part.split_once('=') else {
                    return same();
                };
                let (kz, ke) = match k {
                    "form" => ("問卷", "form"),
                    "responses" => ("回覆", "responses"),
                    "answers" => ("答案", "answers"),
                    "created" => ("新增", "created"),
                    "updated" => ("更新", "updated"),
                    _ => return same(),
                };
                zh.push(format!("{kz} {v}"));
                en.push(format!("{ke} {v}"));
            }
            return (zh.join("，"), en.join(", "));
        }
        a if a.ends_with("_updated") => {
            // The fields changed, by their codes.
            let field = |f: &str| -> Option<(&'static str, &'static str)> {
                Some(match f {
                    "name_zh" => ("中文名稱", "Chinese name"),
                    "name_en" => ("英文名稱", "English name"),
                    "county_zh" => ("縣市", "county"),
                    "county_en" => ("縣市英文名", "county in English"),
                    "address" => ("地址", "address"),
                    "phone" => ("電話", "phone"),
                    "sort_order" => ("排序", "order"),
                    "active" => ("啟用狀態", "open or closed"),
                    _ => return None,
                })
            };
            let parts: Option<Vec<(&str, &str)>> = d.split(',').map(|f| field(f.trim())).collect();
            if let Some(parts) = parts {
                return (
                    format!(
                        "變更：{}",
                        parts.iter().map(|p| p.0).collect::<Vec<_>>().join("、")
                    ),
                    format!(
                        "changed: {}",
                        parts.iter().map(|p| p.1).collect::<Vec<_>>().join(", ")
                    ),
                );
            }
        }
        _ => {}
    }
    same()
}

#[cfg(test)]
mod words {
    use super::*;

    #[test]
    fn details_read_as_words() {
        assert_eq!(
            detail_label("user_created", "role=director").0,
            "角色：主任"
        );
        assert_eq!(
            detail_label("role_changed", "director -> research").1,
            "Director → Research staff"
        );
        assert_eq!(
            detail_label("deadline_rule_changed", "5 working days").0,
            "5 個工作天"
        );
        assert_eq!(
            detail_label("office_updated", "name_zh,phone").0,
            "變更：中文名稱、電話"
        );
        assert_eq!(
            detail_label(
                "tallies_imported",
                "form=counter created=3 updated=0 answers=120"
            )
            .0,
            "問卷 counter，新增 3，更新 0，答案 120"
        );
        assert_eq!(
            detail_label("login_throttled", "account; retry after 30 s").0,
            "依帳號暫停，30 秒後可再試"
        );
        // A note typed by staff, a kiosk's label: as written.
        assert_eq!(detail_label("alert_acknowledged", "已致電").0, "已致電");
        assert_eq!(
            detail_label("office_updated", "name_zh,mystery").0,
            "name_zh,mystery"
        );
    }

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
