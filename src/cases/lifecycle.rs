//! A case's life: the actions staff take on it, checked against the
//! lifecycle and recorded as events.

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;

use super::*;
use crate::auth::{AuthError, User};
use crate::calendar::Calendar;
use crate::db::schema::{case_events, cases};
use crate::db::{self, DbConnection};

pub(super) fn record_event(
    conn: &mut DbConnection,
    case_id: i64,
    actor: Option<&User>,
    kind: &str,
    (from, to): (Option<CaseStatus>, CaseStatus),
    note: &str,
    detail: &serde_json::Value,
) -> QueryResult<()> {
    diesel::insert_into(case_events::table)
        .values((
            case_events::case_id.eq(case_id),
            case_events::at.eq(Utc::now().naive_utc()),
            case_events::actor_user_id.eq(actor.map(|u| u.id)),
            case_events::actor.eq(actor.map(|u| u.username.as_str()).unwrap_or("citizen")),
            case_events::kind.eq(kind),
            case_events::from_status.eq(from.map(|s| s.as_str())),
            case_events::to_status.eq(to.as_str()),
            case_events::note.eq(note),
            case_events::detail.eq(detail.to_string()),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Applies an action on `today` (the office's date): checks scope and the
/// lifecycle, updates the case and appends the event, in one transaction.
pub fn apply(
    conn: &mut DbConnection,
    calendar: &Calendar,
    actor: &User,
    case_id: i64,
    action: &Action,
    note: &str,
    today: NaiveDate,
) -> Result<Case, CaseError> {
    check_action_lengths(action, note)?;
    db::write_transaction(conn, |conn| {
        let case = get_case(conn, &actor.scope(), case_id)?;
        if !may_act(actor, &case, action) {
            return Err(AuthError::Forbidden.into());
        }
        let from = case.status;
        let to = action.next(from).ok_or(CaseError::IllegalTransition {
            from,
            action: action.name(),
        })?;
        let target = cases::table.find(case_id);
        let mut detail = serde_json::json!({});
        match action {
            Action::Accept { deadline } => {
                let days = deadline_days(conn, case.office_id, *deadline)?;
                let due = calendar.add_working_days(case.received_on, days);
                diesel::update(target)
                    .set((
                        cases::deadline_kind.eq(deadline.as_str()),
                        cases::due_on.eq(due.date),
                        cases::due_assumed.eq(due.assumed_weekdays),
                    ))
                    .execute(conn)?;
                detail = serde_json::json!({ "deadline": deadline.as_str(), "due_on": due.date });
            }
            Action::NotAccept { reason } => {
                diesel::update(target)
                    .set(cases::closed_on.eq(today))
                    .execute(conn)?;
                detail = serde_json::json!({ "reason": reason.as_str() });
            }
            Action::Assign { user_id } => {
                let assignee =
                    crate::auth::get_user(conn, &actor.scope(), *user_id).map_err(|_| {
                        invalid(
                            "user_id",
                            "no such staff member in this office",
                            "本所沒有這位同仁",
                        )
                    })?;
                if assignee.office_id != Some(case.office_id) {
                    return Err(invalid(
                        "user_id",
                        "the handler must belong to the case's office",
                        "承辦人必須是本案所屬事務所的同仁",
                    ));
                }
                diesel::update(target)
                    .set(cases::assigned_to.eq(assignee.id))
                    .execute(conn)?;
                detail = serde_json::json!({ "user": assignee.username });
            }
            Action::PreliminaryReply => {
                if case.first_reply_on.is_none() {
                    diesel::update(target)
                        .set(cases::first_reply_on.eq(today))
                        .execute(conn)?;
                }
            }
            Action::Reply { reply } => {
                if reply.trim().is_empty() {
                    return Err(invalid(
                        "reply",
                        "Please write the reply.",
                        "請填寫回覆內容",
                    ));
                }
                diesel::update(target)
                    .set((
                        cases::published_reply.eq(reply.trim()),
                        cases::first_reply_on.eq(case.first_reply_on.unwrap_or(today)),
                    ))
                    .execute(conn)?;
            }
            Action::Close => {
                diesel::update(target)
                    .set(cases::closed_on.eq(today))
                    .execute(conn)?;
            }
            Action::Transfer {
                agency,
                notice_to_petitioner,
            } => {
                if agency.trim().is_empty() {
                    return Err(invalid(
                        "agency",
                        "name the agency the case goes to",
                        "請填寫移送的機關",
                    ));
                }
                diesel::update(target)
                    .set(cases::closed_on.eq(today))
                    .execute(conn)?;
                detail =
                    serde_json::json!({ "agency": agency.trim(), "notice": notice_to_petitioner });
            }
            Action::Extend {
                reason,
                new_due,
                notice_to_petitioner,
            } => {
                if reason.trim().is_empty() {
                    return Err(invalid(
                        "reason",
                        "an extension needs its reason",
                        "請填寫延長的理由",
                    ));
                }
                if *new_due <= case.due_on {
                    return Err(invalid(
                        "new_due",
                        "must be after the current due date",
                        "新期限必須晚於目前的期限",
                    ));
                }
                if !calendar.is_working_day(*new_due).0 {
                    return Err(invalid(
                        "new_due",
                        "must be a working day",
                        "新期限必須是上班日",
                    ));
                }
                if notice_to_petitioner.trim().is_empty() {
                    return Err(invalid(
                        "notice",
                        "record the notice sent to the petitioner",
                        "請記錄已通知陳情人的內容",
                    ));
                }
                diesel::update(target)
                    .set(cases::due_on.eq(new_due))
                    .execute(conn)?;
                detail = serde_json::json!({
                    "reason": reason.trim(), "from": case.due_on, "to": new_due,
                    "notice": notice_to_petitioner.trim(),
                });
            }
            Action::Reopen { reason } => {
                if reason.trim().is_empty() {
                    return Err(invalid(
                        "reason",
                        "a reopened case needs its reason",
                        "請填寫重新開啟的理由",
                    ));
                }
                diesel::update(target)
                    .set(cases::closed_on.eq(None::<NaiveDate>))
                    .execute(conn)?;
                detail = serde_json::json!({ "reason": reason.trim() });
            }
        }
        diesel::update(target)
            .set(cases::status.eq(to.as_str()))
            .execute(conn)?;
        record_event(
            conn,
            case_id,
            Some(actor),
            action.name(),
            (Some(from), to),
            note,
            &detail,
        )?;
        Ok(cases::table
            .find(case_id)
            .select(Case::as_select())
            .first(conn)?)
    })
}

/// The texts of an action and its note, each within its length.
fn check_action_lengths(action: &Action, note: &str) -> Result<(), CaseError> {
    let mut texts: Vec<(&'static str, &str, usize)> = vec![("note", note, 2000)];
    match action {
        Action::Reply { reply } => texts.push(("text", reply, 5000)),
        Action::Transfer {
            agency,
            notice_to_petitioner,
        } => {
            texts.push(("agency", agency, 200));
            texts.push(("notice", notice_to_petitioner, 2000));
        }
        Action::Extend {
            reason,
            notice_to_petitioner,
            ..
        } => {
            texts.push(("reason", reason, 1000));
            texts.push(("notice", notice_to_petitioner, 2000));
        }
        Action::Reopen { reason } => texts.push(("reason", reason, 1000)),
        _ => {}
    }
    match texts
        .into_iter()
        .find(|(_, t, max)| t.chars().count() > *max)
    {
        Some((field, _, max)) => Err(invalid(
            field,
            format!("at most {max} characters"),
            format!("最多 {max} 個字"),
        )),
        None => Ok(()),
    }
}
