//! One case: its page (masked or in full, audited) and its actions.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use super::cases::today;
use super::{Chrome, db, render, render_status};
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
type People = std::collections::BTreeMap<String, (String, crate::auth::Role)>;

/// A staff member as the history names them: "陳主任（主任）"; an account
/// not of the office by its user name.
fn person(people: &People, username: &str, t: &crate::web::i18n::Tr) -> String {
    match people.get(username) {
        Some((name, role)) => format!(
            "{name}{}{}{}",
            t.pick("（", " ("),
            t.pick(role.name_zh(), role.name_en()),
            t.pick("）", ")")
        ),
        None => username.to_owned(),
    }
}

/// A date as the history says it: 12月7日 / 7 Dec (the year when not this one).
fn day_words(v: &str, t: &crate::web::i18n::Tr) -> String {
    let Ok(d) = NaiveDate::parse_from_str(v, "%Y-%m-%d") else {
        return v.to_owned();
    };
    let this_year = today().year() == d.year();
    match (t.lang, this_year) {
        (crate::forms::Lang::En, true) => d.format("%-d %b").to_string(),
        (crate::forms::Lang::En, false) => d.format("%-d %b %Y").to_string(),
        (_, true) => format!("{}月{}日", d.month(), d.day()),
        (_, false) => crate::calendar::roc::roc_date(d),
    }
}

fn detail_words(detail: &str, people: &People, t: &crate::web::i18n::Tr) -> String {
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
            "due_on" | "new_due" => {
                out.push(format!("{}{}", t.pick("期限 ", "due "), day_words(&v, t)))
            }
            "reason" => match cases::NotAcceptedReason::parse(&v) {
                Some(r) => out.push(t.pick(r.label_zh(), r.label_en()).to_owned()),
                None => out.push(format!("{}{v}", t.pick("理由：", "reason: "))),
            },
            "user" => out.push(format!(
                "{}{}",
                t.pick("承辦人：", "handler: "),
                person(people, &v, t)
            )),
            "agency" => out.push(format!("{}{v}", t.pick("移送：", "to: "))),
            "rating" => out.push(format!("{}{v}", t.pick("評分 ", "rating "))),
            _ => {}
        }
    }
    out.join(t.pick("，", ", "))
}

struct StaffChoice {
    id: String,
    name: String,
}

/// One action the viewer may take now: its own form with just its fields.
struct Panel {
    name: &'static str,
    label: String,
    /// Ends or sends away the case: asks for a confirmation first.
    destructive: bool,
    /// What the confirmation box says.
    confirm: String,
    open: bool,
    /// The refused field and why, when this form was the one refused.
    error: Option<(String, String)>,
    kept: ActionForm,
}

impl Panel {
    /// The message for a field of this form, when it was refused.
    fn err(&self, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    /// What was typed into a field, kept after a refusal.
    fn kept(&self, field: &str) -> &str {
        let k = &self.kept;
        match field {
            "deadline" => &k.deadline,
            "legal_reason" => &k.legal_reason,
            "user_id" => &k.user_id,
            "text" => &k.text,
            "agency" => &k.agency,
            "notice" => &k.notice,
            "new_due" => &k.new_due,
            "reason" => &k.reason,
            "note" => &k.note,
            _ => "",
        }
    }
}

/// Actions that end the case here or send it away: each asks first.
const DESTRUCTIVE: [&str; 3] = ["not_accept", "close", "transfer"];

/// A refused action: which form, which field, the message, what was typed.
struct Failure {
    form: ActionForm,
    field: String,
    message: String,
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
    panels: Vec<Panel>,
    /// A refusal that belongs to no form offered (the case moved on meanwhile).
    general_error: Option<String>,
    handlers: Vec<StaffChoice>,
    channel: String,
    status: String,
    due_words: String,
    language: String,
    deadlines: Vec<Choice>,
    reasons: Vec<Choice>,
    rating: String,
}

/// Every action, one of each, in the order the page offers them: the usual
/// next step first.
fn sample_actions(user_id: i32) -> Vec<cases::Action> {
    use cases::{Action, DeadlineKind, NotAcceptedReason};
    let d = NaiveDate::from_ymd_opt(2000, 1, 1).expect("valid");
    vec![
        Action::Accept {
            deadline: DeadlineKind::Simple,
        },
        Action::Assign { user_id },
        Action::PreliminaryReply,
        Action::Reply {
            reply: String::new(),
        },
        Action::Extend {
            reason: String::new(),
            new_due: d,
            notice_to_petitioner: String::new(),
        },
        Action::Reopen {
            reason: String::new(),
        },
        Action::Close,
        Action::Transfer {
            agency: String::new(),
            notice_to_petitioner: String::new(),
        },
        Action::NotAccept {
            reason: NotAcceptedReason::NoContentOrIdentity,
        },
    ]
}

/// How the deadline stands, in words: "剩 3 個工作天", "逾期 2 個工作天" …
pub(super) fn due_words(
    cal: &Calendar,
    case: &Case,
    today: NaiveDate,
    t: &crate::web::i18n::Tr,
) -> String {
    if !case.status.is_open() {
        let state = t.pick(case.status.label_zh(), case.status.label_en());
        return match (case.status, case.first_reply_on) {
            (cases::CaseStatus::NotAccepted | cases::CaseStatus::Transferred, _) | (_, None) => t
                .pick(
                    &format!("{state}，不計期限"),
                    &format!("{state}: no deadline applies"),
                )
                .to_owned(),
            (_, Some(r)) if r <= case.due_on => t
                .pick(
                    &format!("{state}，如期答覆"),
                    &format!("{state}, answered on time"),
                )
                .to_owned(),
            (_, Some(r)) => {
                let late = cal.working_days_between(case.due_on, r);
                t.pick(
                    &format!("{state}，逾期 {late} 個工作天答覆"),
                    &format!(
                        "{state}, answered {late} working day{} late",
                        if late == 1 { "" } else { "s" }
                    ),
                )
                .to_owned()
            }
        };
    }
    match views::working_days_left(cal, case.due_on, today) {
        0 => t.pick("今日到期", "due today").to_owned(),
        n if n > 0 => t
            .pick(
                &format!("剩 {n} 個工作天"),
                &format!("{n} working day{} left", if n == 1 { "" } else { "s" }),
            )
            .to_owned(),
        n => t
            .pick(
                &format!("逾期 {} 個工作天", -n),
                &format!(
                    "overdue by {} working day{}",
                    -n,
                    if n == -1 { "" } else { "s" }
                ),
            )
            .to_owned(),
    }
}

pub async fn case_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    case_no: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    show(req, state, staff, case_no.into_inner(), None).await
}

/// The case page; after a refused action, with that form open, its error at
/// the field and what was typed kept (400).
async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    case_no: String,
    failure: Option<Failure>,
) -> Result<HttpResponse, PageError> {
    let lang = staff.tr.lang;
    let viewer = staff.user.clone();
    let addr = crate::web::session::client_addr(&req);
    let (case, events, office, handlers, unmasked, deadlines, cal, people) =
        db(&state, move |conn| {
            let case = cases::get_case_by_number(conn, &viewer.scope(), &case_no)
                .map_err(|e| e.page(lang))?;
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
            let staff_list =
                crate::auth::list_users(conn, &crate::auth::Scope::Office(case.office_id))?;
            // Who acted, as the history names them: the name and the role.
            let people: std::collections::BTreeMap<String, (String, crate::auth::Role)> =
                staff_list
                    .iter()
                    .map(|u| (u.username.clone(), (u.display_name.clone(), u.role())))
                    .collect();
            let handlers = staff_list
                .into_iter()
                .filter(|u| u.active && u.office_id == Some(case.office_id))
                .map(|u| StaffChoice {
                    id: u.id.to_string(),
                    // The login name for now; worded below as the history
                    // words people (陳小姐（櫃檯人員）).
                    name: u.username,
                })
                .collect::<Vec<_>>();
            let mut deadlines = Vec::new();
            for kind in cases::DeadlineKind::ALL {
                let days =
                    cases::deadline_days(conn, case.office_id, kind).map_err(|e| e.page(lang))?;
                deadlines.push((kind, days));
            }
            let cal = Calendar::load(conn)?;
            Ok((
                case, events, office, handlers, unmasked, deadlines, cal, people,
            ))
        })
        .await?;
    let t = staff.tr;
    let handlers: Vec<StaffChoice> = handlers
        .into_iter()
        .map(|h| StaffChoice {
            name: person(&people, &h.name, &t),
            id: h.id,
        })
        .collect();
    let status = case.status;
    let failed_action = failure.as_ref().map(|f| f.form.action.clone());
    let mut panels: Vec<Panel> = sample_actions(0)
        .iter()
        .filter(|a| a.next(status).is_some() && cases::may_act(&staff.user, &case, a))
        .map(|a| {
            let name = a.name();
            let (zh, en) = cases::action_label(name);
            let destructive = DESTRUCTIVE.contains(&name);
            let mine = failed_action.as_deref() == Some(name);
            Panel {
                name,
                label: t.pick(zh, en).to_owned(),
                destructive,
                confirm: t
                    .pick(
                        &format!("我確認要「{zh}」，此動作會結束本所對此案件的處理。"),
                        &format!("I confirm: {en}. This ends the office's handling of the case."),
                    )
                    .to_owned(),
                open: false,
                error: failure
                    .as_ref()
                    .filter(|_| mine)
                    .map(|f| (f.field.clone(), f.message.clone())),
                kept: failure
                    .as_ref()
                    .filter(|_| mine)
                    .map(|f| f.form.clone())
                    .unwrap_or_default(),
            }
        })
        .collect();
    // The refused form is open; otherwise the first safe one.
    let open = panels.iter().position(|p| p.error.is_some()).or_else(|| {
        failure
            .is_none()
            .then(|| panels.iter().position(|p| !p.destructive))
            .flatten()
    });
    if let Some(i) = open {
        panels[i].open = true;
    }
    let general_error = failure
        .filter(|f| !panels.iter().any(|p| p.name == f.form.action))
        .map(|f| f.message);
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
    let rating = case
        .citizen_rating
        .map(|r| {
            // The labels run from 5 down to 1.
            let labels = crate::forms::LikertScale::Satisfaction.labels();
            let word = usize::try_from(5 - r)
                .ok()
                .and_then(|i| labels.get(i))
                .map(|l| l.get(lang).to_owned())
                .unwrap_or_default();
            format!("{r} / 5 {word}")
        })
        .unwrap_or_default();
    let refused = panels.iter().any(|p| p.error.is_some()) || general_error.is_some();
    let page = CasePage {
        chrome: Chrome::new(&staff, "cases", &req),
        events: events
            .into_iter()
            .map(|e| EventLine {
                at: crate::calendar::taipei::minutes(e.at),
                actor: if e.actor == "citizen" {
                    t.pick("陳情人", "the petitioner").to_owned()
                } else {
                    person(&people, &e.actor, &t)
                },
                what: {
                    let (zh, en) = cases::event_label(&e.kind);
                    t.pick(zh, en).to_owned()
                },
                to: cases::CaseStatus::parse(&e.to_status)
                    .map(|s| t.pick(s.label_zh(), s.label_en()).to_owned())
                    .unwrap_or_default(),
                note: e.note,
                detail: detail_words(&e.detail, &people, &t),
            })
            .collect(),
        status: t
            .pick(case.status.label_zh(), case.status.label_en())
            .to_owned(),
        due_words: due_words(&cal, &case, today(), &t),
        channel,
        language,
        deadlines,
        reasons,
        office,
        petitioner,
        contact,
        content,
        unmasked,
        panels,
        general_error,
        handlers,
        rating,
        case,
    };
    if refused {
        render_status(actix_web::http::StatusCode::BAD_REQUEST, &page)
    } else {
        render(&page)
    }
}

#[derive(Deserialize, Clone, Default)]
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
    /// The confirmation box of an action that ends or sends away the case.
    #[serde(default)]
    confirm: String,
}

/// A field the form refused: its name and the message in the viewer's words.
type Refusal = (&'static str, String);

fn parse_action(f: &ActionForm, t: &crate::web::i18n::Tr) -> Result<cases::Action, Refusal> {
    use cases::{Action, DeadlineKind, NotAcceptedReason};
    let bad = |field: &'static str, zh: &str, en: &str| (field, t.pick(zh, en).to_owned());
    Ok(match f.action.as_str() {
        "accept" => Action::Accept {
            deadline: DeadlineKind::parse(&f.deadline)
                .ok_or_else(|| bad("deadline", "請選擇期限類別", "choose the kind of deadline"))?,
        },
        "not_accept" => Action::NotAccept {
            // The form's list of legal reasons; `reason` as the API and older forms send it.
            reason: NotAcceptedReason::parse(if f.legal_reason.is_empty() {
                &f.reason
            } else {
                &f.legal_reason
            })
            .ok_or_else(|| {
                bad(
                    "legal_reason",
                    "請從清單選擇不受理的法定理由",
                    "choose one of the legal reasons",
                )
            })?,
        },
        "assign" => Action::Assign {
            user_id: f
                .user_id
                .parse()
                .map_err(|_| bad("user_id", "請選擇承辦人", "choose a handler"))?,
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
                .map_err(|_| bad("new_due", "請選擇新期限的日期", "choose the new due date"))?,
            notice_to_petitioner: f.notice.clone(),
        },
        "reopen" => Action::Reopen {
            reason: f.reason.clone(),
        },
        _ => return Err(bad("action", "沒有這個處理動作", "no such action")),
    })
}

pub async fn case_action(
    req: HttpRequest,
    state: web::Data<AppState>,
    case_no: web::Path<String>,
    post: StaffForm<ActionForm>,
) -> Result<HttpResponse, PageError> {
    let StaffForm { staff, form } = post;
    let lang = staff.tr.lang;
    let t = staff.tr;
    let case_no = case_no.into_inner();
    let refuse = |form: ActionForm, (field, message): Refusal| Failure {
        form,
        field: field.to_owned(),
        message,
    };
    let action = match parse_action(&form, &t) {
        Ok(a) => a,
        Err(r) => return show(req, state, staff, case_no, Some(refuse(form, r))).await,
    };
    let unconfirmed = DESTRUCTIVE.contains(&action.name()) && form.confirm.is_empty();
    let actor = staff.user.clone();
    let location = format!("/console/cases/{case_no}");
    let number = case_no.clone();
    let note = form.note.trim().to_owned();
    let outcome = db(&state, move |conn| {
        let case =
            cases::get_case_by_number(conn, &actor.scope(), &number).map_err(|e| e.page(lang))?;
        // Asked to confirm only by someone who may take the action at all
        // (anyone else is refused by `apply`, as for every action).
        if unconfirmed && cases::may_act(&actor, &case, &action) {
            return Ok(Some((
                "confirm",
                t.pick("請先勾選確認", "tick the box to confirm first")
                    .to_owned(),
            )));
        }
        let id = case.id;
        let cal = Calendar::load(conn)?;
        match cases::apply(conn, &cal, &actor, id, &action, &note, today()) {
            Ok(_) => Ok(None),
            Err(e) => match e.words() {
                Some((zh, en)) => {
                    let field = match &e {
                        cases::CaseError::Invalid { field: "reply", .. } => "text",
                        cases::CaseError::Invalid { field, .. } => field,
                        _ => "action",
                    };
                    Ok(Some((field, t.pick(&zh, &en).to_owned())))
                }
                None => Err(e.page(lang)),
            },
        }
    })
    .await?;
    match outcome {
        None => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, location))
            .finish()),
        Some(r) => show(req, state, staff, case_no, Some(refuse(form, r))).await,
    }
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
