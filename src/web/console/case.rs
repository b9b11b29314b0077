//! One case: its page (masked or in full, audited) and its actions.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::cases::today;
use super::{Chrome, db, render};
use crate::calendar::Calendar;
use crate::cases::views;
use crate::cases::{self, Case, mask_contact, mask_name};
use crate::forms::Lang;
use crate::offices;
use crate::web::IntoPage;
use crate::web::session::{PageError, Staff, StaffForm};
use crate::web::state::AppState;

/// One line of the history, in words.
struct EventLine {
    at: String,
    actor: String,
    what: String,
    to: String,
    note: String,
    detail: String,
}

/// A choice of a select: the value sent, the words shown.
struct Choice {
    value: String,
    label: String,
}

/// What an event's detail says, in words (its known keys; nothing else).
fn detail_words(detail: &str, t: &crate::web::i18n::Tr) -> String {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(detail)
    else {
        return String::new();
    };
    let mut out = Vec::new();
    for (k, v) in &map {
        let v = v
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| v.to_string());
        match k.as_str() {
            "deadline" => {
                if let Some(d) = cases::DeadlineKind::parse(&v) {
                    out.push(format!(
                        "{}{}",
                        t.pick("期限類別：", "deadline: "),
                        t.pick(d.label_zh(), d.label_en())
                    ));
                }
            }
            "due_on" | "new_due" => out.push(format!("{}{v}", t.pick("期限 ", "due "))),
            "reason" => match cases::NotAcceptedReason::parse(&v) {
                Some(r) => out.push(t.pick(r.label_zh(), r.label_en()).to_owned()),
                None => out.push(format!("{}{v}", t.pick("理由：", "reason: "))),
            },
            "user" => out.push(format!("{}{v}", t.pick("承辦人：", "handler: "))),
            "agency" => out.push(format!("{}{v}", t.pick("移送：", "to: "))),
            "rating" => out.push(format!("{}{v}", t.pick("評分 ", "rating "))),
            _ => {}
        }
    }
    out.join(t.pick("，", ", "))
}

struct StaffChoice {
    id: i32,
    name: String,
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    chrome: Chrome,
    case: Case,
    office: String,
    petitioner: String,
    contact: String,
    content: String,
    unmasked: bool,
    events: Vec<EventLine>,
    allowed: Vec<Choice>,
    handlers: Vec<StaffChoice>,
    channel: String,
    status: String,
    language: String,
    deadlines: Vec<Choice>,
    reasons: Vec<Choice>,
}

fn sample_actions(user_id: i32) -> Vec<cases::Action> {
    use cases::{Action, DeadlineKind, NotAcceptedReason};
    let d = NaiveDate::from_ymd_opt(2000, 1, 1).expect("valid");
    vec![
        Action::Accept {
            deadline: DeadlineKind::Simple,
        },
        Action::NotAccept {
            reason: NotAcceptedReason::NoContentOrIdentity,
        },
        Action::Assign { user_id },
        Action::PreliminaryReply,
        Action::Reply {
            reply: String::new(),
        },
        Action::Close,
        Action::Transfer {
            agency: String::new(),
            notice_to_petitioner: String::new(),
        },
        Action::Extend {
            reason: String::new(),
            new_due: d,
            notice_to_petitioner: String::new(),
        },
        Action::Reopen {
            reason: String::new(),
        },
    ]
}

pub async fn case_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    case_no: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let lang = staff.tr.lang;
    let viewer = staff.user.clone();
    let addr = crate::web::session::client_addr(&req);
    let case_no = case_no.into_inner();
    let (case, events, office, handlers, unmasked, deadlines) = db(&state, move |conn| {
        let case =
            cases::get_case_by_number(conn, &viewer.scope(), &case_no).map_err(|e| e.page(lang))?;
        let unmasked = cases::sees_personal_data(&viewer, &case);
        let has_personal = case.petitioner_name.is_some()
            || case.petitioner_contact.is_some()
            || case.confidential;
        if unmasked && has_personal {
            // Every view of a petitioner's personal data is on record.
            crate::auth::record_audit(
                conn,
                &crate::auth::AuditEntry {
                    actor: Some(&viewer),
                    action: "personal_data_viewed",
                    office_id: Some(case.office_id),
                    target: &format!("case:{}", case.case_no),
                    detail: "",
                    client_addr: Some(&addr),
                },
            )?;
        }
        let events = cases::case_events(conn, case.id)?;
        let office = offices::list_offices(conn)?
            .into_iter()
            .find(|o| o.id == case.office_id)
            .map(|o| {
                if lang == Lang::En {
                    o.name_en
                } else {
                    o.name_zh
                }
            })
            .unwrap_or_default();
        let handlers = crate::auth::list_users(conn, &crate::auth::Scope::Office(case.office_id))?
            .into_iter()
            .filter(|u| u.active)
            .map(|u| StaffChoice {
                id: u.id,
                name: format!("{} ({})", u.display_name, u.username),
            })
            .collect::<Vec<_>>();
        let mut deadlines = Vec::new();
        for kind in cases::DeadlineKind::ALL {
            let days =
                cases::deadline_days(conn, case.office_id, kind).map_err(|e| e.page(lang))?;
            deadlines.push((kind, days));
        }
        Ok((case, events, office, handlers, unmasked, deadlines))
    })
    .await?;
    let t = staff.tr;
    let status = case.status;
    let allowed = sample_actions(0)
        .iter()
        .filter(|a| a.next(status).is_some() && cases::may_act(&staff.user, &case, a))
        .map(|a| {
            let (zh, en) = cases::event_label(a.name());
            Choice {
                value: a.name().to_owned(),
                label: t.pick(zh, en).to_owned(),
            }
        })
        .collect();
    let deadlines = deadlines
        .into_iter()
        .map(|(kind, days)| Choice {
            value: kind.as_str().to_owned(),
            label: format!(
                "{}{}",
                t.pick(kind.label_zh(), kind.label_en()),
                t.pick(
                    &format!("（{days} 個工作天）"),
                    &format!(" ({days} working days)")
                )
            ),
        })
        .collect();
    let reasons = cases::NotAcceptedReason::ALL
        .iter()
        .map(|r| Choice {
            value: r.as_str().to_owned(),
            label: t.pick(r.label_zh(), r.label_en()).to_owned(),
        })
        .collect();
    let channel = cases::CaseChannel::parse(&case.channel)
        .map(|c| t.pick(c.label_zh(), c.label_en()).to_owned())
        .unwrap_or_else(|| case.channel.clone());
    let language = match case.language.as_str() {
        "en" => t.pick("英文", "English"),
        _ => t.pick("中文", "Chinese"),
    }
    .to_owned();
    let (petitioner, contact, content) = if unmasked {
        (
            case.petitioner_name.clone().unwrap_or_default(),
            case.petitioner_contact.clone().unwrap_or_default(),
            case.content.clone(),
        )
    } else {
        (
            case.petitioner_name
                .as_deref()
                .map(mask_name)
                .unwrap_or_default(),
            case.petitioner_contact
                .as_deref()
                .map(mask_contact)
                .unwrap_or_default(),
            if case.confidential {
                "（密件 confidential）".to_owned()
            } else {
                case.content.clone()
            },
        )
    };
    render(&CasePage {
        chrome: Chrome::new(&staff, "cases", &req),
        events: events
            .into_iter()
            .map(|e| EventLine {
                at: crate::calendar::taipei::minutes(e.at),
                actor: if e.actor == "citizen" {
                    t.pick("陳情人", "the petitioner").to_owned()
                } else {
                    e.actor
                },
                what: {
                    let (zh, en) = cases::event_label(&e.kind);
                    t.pick(zh, en).to_owned()
                },
                to: cases::CaseStatus::parse(&e.to_status)
                    .map(|s| t.pick(s.label_zh(), s.label_en()).to_owned())
                    .unwrap_or_default(),
                note: e.note,
                detail: detail_words(&e.detail, &t),
            })
            .collect(),
        status: t
            .pick(case.status.label_zh(), case.status.label_en())
            .to_owned(),
        channel,
        language,
        deadlines,
        reasons,
        office,
        petitioner,
        contact,
        content,
        unmasked,
        allowed,
        handlers,
        case,
    })
}

#[derive(Deserialize)]
pub struct ActionForm {
    action: String,
    #[serde(default)]
    deadline: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    legal_reason: String,
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    agency: String,
    #[serde(default)]
    notice: String,
    #[serde(default)]
    new_due: String,
    #[serde(default)]
    note: String,
}

fn parse_action(f: &ActionForm, lang: Lang) -> Result<cases::Action, PageError> {
    use cases::{Action, DeadlineKind, NotAcceptedReason};
    let bad = |field: &str, m: &str| PageError::bad_request(lang, field, m);
    Ok(match f.action.as_str() {
        "accept" => Action::Accept {
            deadline: DeadlineKind::parse(&f.deadline)
                .ok_or_else(|| bad("deadline", "unknown kind"))?,
        },
        "not_accept" => Action::NotAccept {
            // The form's list of legal reasons; `reason` as the API and older forms send it.
            reason: NotAcceptedReason::parse(if f.legal_reason.is_empty() {
                &f.reason
            } else {
                &f.legal_reason
            })
            .ok_or_else(|| bad("legal_reason", "not one of the legal reasons"))?,
        },
        "assign" => Action::Assign {
            user_id: f
                .user_id
                .parse()
                .map_err(|_| bad("user_id", "choose a handler"))?,
        },
        "preliminary_reply" => Action::PreliminaryReply,
        "reply" => Action::Reply {
            reply: f.text.clone(),
        },
        "close" => Action::Close,
        "transfer" => Action::Transfer {
            agency: f.agency.clone(),
            notice_to_petitioner: f.notice.clone(),
        },
        "extend" => Action::Extend {
            reason: f.reason.clone(),
            new_due: NaiveDate::parse_from_str(f.new_due.trim(), "%Y-%m-%d")
                .map_err(|_| bad("new_due", "a date written YYYY-MM-DD"))?,
            notice_to_petitioner: f.notice.clone(),
        },
        "reopen" => Action::Reopen {
            reason: f.reason.clone(),
        },
        _ => return Err(bad("action", "unknown action")),
    })
}

pub async fn case_action(
    state: web::Data<AppState>,
    case_no: web::Path<String>,
    post: StaffForm<ActionForm>,
) -> Result<HttpResponse, PageError> {
    let StaffForm { staff, form } = post;
    let lang = staff.tr.lang;
    let action = parse_action(&form, lang)?;
    let actor = staff.user.clone();
    let case_no = case_no.into_inner();
    let location = format!("/console/cases/{case_no}");
    db(&state, move |conn| {
        let id = cases::get_case_by_number(conn, &actor.scope(), &case_no)
            .map_err(|e| e.page(lang))?
            .id;
        let cal = Calendar::load(conn)?;
        cases::apply(conn, &cal, &actor, id, &action, form.note.trim(), today())
            .map_err(|e| e.page(lang))
    })
    .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish())
}

#[derive(Deserialize)]
pub struct RuleForm {
    kind: String,
    days: String,
}

/// 主任 sets the office's working days for a kind of case.
pub async fn set_rule(
    state: web::Data<AppState>,
    code: web::Path<String>,
    post: StaffForm<RuleForm>,
) -> Result<HttpResponse, PageError> {
    let StaffForm { staff, form } = post;
    let lang = staff.tr.lang;
    crate::web::console::require(&staff, staff.user.role().can_view_users())?;
    let kind = cases::DeadlineKind::parse(&form.kind)
        .ok_or_else(|| PageError::bad_request(lang, "kind", "unknown kind of case"))?;
    let days = form
        .days
        .trim()
        .parse::<u32>()
        .ok()
        .and_then(|n| crate::calendar::WorkingDays::new(n).ok())
        .ok_or_else(|| PageError::bad_request(lang, "days", "working days from 1 to 30"))?;
    let actor = staff.user.clone();
    let code = code.into_inner();
    db(&state, move |conn| {
        let office = actor
            .scope()
            .office_by_code(conn, &code)
            .map_err(|e| PageError::from_auth(e, lang))?;
        views::set_deadline_rule(conn, &actor, office.id, kind, days).map_err(|e| e.page(lang))
    })
    .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/console/cases"))
        .finish())
}
