//! The complaint register in the console: the director's view (open cases by
//! due state, monthly timeliness), registering a case typed in by staff, and
//! the CSV export. Petitioners' names and contacts are masked in all of them.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use super::{Chrome, db, render};
use crate::calendar::Calendar;
use crate::cases::views::{self, DueState};
use crate::cases::{self, Case, CaseChannel, NewCase, mask_contact, mask_name};
use crate::forms::Lang;
use crate::offices::{self, Office};
use crate::web::IntoPage;
use crate::web::session::{PageError, Staff, StaffForm};
use crate::web::state::AppState;

pub(super) fn today() -> NaiveDate {
    crate::calendar::taipei::today()
}

fn state_label(s: DueState, lang: Lang) -> &'static str {
    match (s, lang) {
        (DueState::Overdue, Lang::ZhTw) => "逾期",
        (DueState::Overdue, Lang::En) => "overdue",
        (DueState::DueToday, Lang::ZhTw) => "今日到期",
        (DueState::DueToday, Lang::En) => "due today",
        (DueState::DueSoon, Lang::ZhTw) => "2 個工作天內到期",
        (DueState::DueSoon, Lang::En) => "due within 2 working days",
        (DueState::OnTrack, Lang::ZhTw) => "進行中",
        (DueState::OnTrack, Lang::En) => "on track",
    }
}

struct OpenLine {
    case_no: String,
    office: String,
    received: String,
    due: String,
    due_assumed: bool,
    state: &'static str,
    state_class: &'static str,
    channel: String,
    subject: String,
    petitioner: String,
    status: String,
}

struct MonthLine {
    office: String,
    month: String,
    received: i64,
    on_time: String,
    reply_median: String,
    reply_p90: String,
    close_median: String,
    close_p90: String,
}

struct Choice {
    value: String,
    label: String,
}

#[derive(Template)]
#[template(path = "cases.html")]
struct CasesPage {
    chrome: Chrome,
    open: Vec<OpenLine>,
    months: Vec<MonthLine>,
    channels: Vec<Choice>,
    categories: Vec<Choice>,
    offices: Vec<Choice>,
    deadline_kinds: Vec<Choice>,
    today: String,
    created: Option<String>,
}

#[derive(Deserialize)]
pub struct CasesQuery {
    created: Option<String>,
}

fn office_name(offices: &[Office], id: i32, lang: Lang) -> String {
    offices
        .iter()
        .find(|o| o.id == id)
        .map(|o| {
            if lang == Lang::En {
                o.name_en.clone()
            } else {
                o.name_zh.clone()
            }
        })
        .unwrap_or_default()
}

fn opt_days(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.1}")).unwrap_or_else(|| "—".into())
}

pub async fn cases_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    q: web::Query<CasesQuery>,
) -> Result<HttpResponse, PageError> {
    let scope = staff.scope.clone();
    let today = today();
    let from = NaiveDate::from_ymd_opt(today.year() - 1, today.month(), 1).unwrap_or(today);
    let (open, months, all_offices, visible, categories) = db(&state, move |conn| {
        let cal = Calendar::load(conn)?;
        let open = views::open_cases(conn, &scope, &cal, today)?;
        let months = views::month_figures(conn, &scope, &cal, from, today, today)?;
        let categories: Vec<(String, String, String)> = cases::categories(conn, true)?
            .into_iter()
            .map(|c| (c.code, c.name_zh, c.name_en))
            .collect();
        Ok((
            open,
            months,
            offices::list_offices(conn)?,
            scope.office_ids(conn)?,
            categories,
        ))
    })
    .await?;
    let t = staff.tr;
    let lang = t.lang;
    let mut open_lines: Vec<(DueState, OpenLine)> = open
        .into_iter()
        .map(|(c, s)| {
            let line = OpenLine {
                office: office_name(&all_offices, c.office_id, lang),
                received: c.received_on.to_string(),
                due: c.due_on.to_string(),
                due_assumed: c.due_assumed,
                state: state_label(s, lang),
                state_class: match s {
                    DueState::Overdue => "overdue",
                    DueState::DueToday => "due-today",
                    DueState::DueSoon => "due-soon",
                    DueState::OnTrack => "on-track",
                },
                channel: CaseChannel::parse(&c.channel)
                    .map(|ch| t.pick(ch.label_zh(), ch.label_en()).to_owned())
                    .unwrap_or_else(|| c.channel.clone()),
                subject: c.subject.clone(),
                petitioner: c
                    .petitioner_name
                    .as_deref()
                    .map(mask_name)
                    .unwrap_or_default(),
                status: t.pick(c.status.label_zh(), c.status.label_en()).to_owned(),
                case_no: c.case_no,
            };
            (s, line)
        })
        .collect();
    // Most urgent first; oldest first within each state (the list comes oldest first).
    open_lines.sort_by_key(|(s, _)| *s);
    let months = months
        .iter()
        .map(|f| MonthLine {
            office: office_name(&all_offices, f.office_id, lang),
            month: format!("{}-{:02}", f.year, f.month),
            received: f.received,
            on_time: f
                .on_time_rate()
                .map(|r| format!("{:.1}%", r * 100.0))
                .unwrap_or_else(|| "—".into()),
            reply_median: opt_days(f.median_days_to_first_reply),
            reply_p90: opt_days(f.p90_days_to_first_reply.map(|x| x as f64)),
            close_median: opt_days(f.median_days_to_close),
            close_p90: opt_days(f.p90_days_to_close.map(|x| x as f64)),
        })
        .collect();
    render(&CasesPage {
        chrome: Chrome::new(&staff, "cases", &req),
        open: open_lines.into_iter().map(|(_, l)| l).collect(),
        months,
        deadline_kinds: crate::cases::DeadlineKind::ALL
            .into_iter()
            .map(|k| Choice {
                value: k.as_str().into(),
                label: t.pick(k.label_zh(), k.label_en()).into(),
            })
            .collect(),
        channels: CaseChannel::ALL
            .into_iter()
            .filter(|c| *c != CaseChannel::Mailbox)
            .map(|c| Choice {
                value: c.as_str().into(),
                label: t.pick(c.label_zh(), c.label_en()).into(),
            })
            .collect(),
        categories: categories
            .into_iter()
            .map(|(code, zh, en)| Choice {
                value: code,
                label: if lang == Lang::En { en } else { zh },
            })
            .collect(),
        offices: all_offices
            .iter()
            .filter(|o| visible.contains(&o.id))
            .map(|o| Choice {
                value: o.code.to_string(),
                label: office_name(&all_offices, o.id, lang),
            })
            .collect(),
        today: today.to_string(),
        created: q.created.clone(),
    })
}

#[derive(Deserialize)]
pub struct NewCaseForm {
    office: String,
    channel: String,
    category: String,
    subject: String,
    content: String,
    #[serde(default)]
    petitioner_name: String,
    #[serde(default)]
    petitioner_contact: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    confidential: Option<String>,
    received_on: String,
}

/// Staff register a case they received (comment box slip, petition, message …).
pub async fn create_case(
    state: web::Data<AppState>,
    post: StaffForm<NewCaseForm>,
) -> Result<HttpResponse, PageError> {
    let StaffForm { staff, form } = post;
    let lang = staff.tr.lang;
    let channel = CaseChannel::parse(&form.channel)
        .filter(|c| *c != CaseChannel::Mailbox)
        .ok_or_else(|| PageError::bad_request(lang, "channel", "unknown channel"))?;
    let received_on = NaiveDate::parse_from_str(form.received_on.trim(), "%Y-%m-%d")
        .map_err(|_| PageError::bad_request(lang, "received_on", "a date written YYYY-MM-DD"))?;
    if received_on > today() {
        return Err(PageError::bad_request(
            lang,
            "received_on",
            "lies in the future",
        ));
    }
    let actor = staff.user.clone();
    let case: Case = db(&state, move |conn| {
        let office = actor
            .scope()
            .office_by_code(conn, form.office.trim())
            .map_err(|e| PageError::from_auth(e, lang))?;
        let cal = Calendar::load(conn)?;
        let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let new = NewCase {
            office_id: office.id,
            channel,
            category_code: form.category,
            subject: form.subject,
            content: form.content,
            petitioner_name: some(&form.petitioner_name),
            petitioner_contact: some(&form.petitioner_contact),
            language: if form.language == "en" {
                "en".into()
            } else {
                "zh-TW".into()
            },
            confidential: form.confidential.is_some(),
            received_on,
            lookup_secret_hash: None,
            idempotency_key: None,
        };
        cases::register_case(conn, &cal, &new, Some(&actor)).map_err(|e| e.page(lang))
    })
    .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("/console/cases?created={}", case.case_no),
        ))
        .finish())
}

/// All cases in scope as CSV (UTF-8 with BOM, so Excel reads the Chinese):
/// names and contacts masked, confidential content left out, and every field
/// neutralised so no text a citizen typed runs as a spreadsheet formula.
pub async fn cases_csv(
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, PageError> {
    let scope = staff.scope.clone();
    let list = db(&state, move |conn| Ok(cases::all_cases(conn, &scope)?)).await?;
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let header = [
        "案件編號 case_no",
        "管道 channel",
        "收件日 received_on",
        "期限 due_on",
        "狀態 status",
        "首次回覆 first_reply_on",
        "結案 closed_on",
        "主旨 subject",
        "內容 content",
        "陳情人 petitioner",
        "聯絡方式 contact",
        "語言 language",
    ];
    w.write_record(header).map_err(PageError::internal)?;
    let safe = |field: &str| crate::reports::tables::neutralise_formula(field).into_owned();
    for c in &list {
        let content = if c.confidential {
            "（密件 confidential）".to_owned()
        } else {
            c.content.clone()
        };
        let row = [
            c.case_no.as_str(),
            c.channel.as_str(),
            &c.received_on.to_string(),
            &c.due_on.to_string(),
            c.status.as_str(),
            &c.first_reply_on.map(|d| d.to_string()).unwrap_or_default(),
            &c.closed_on.map(|d| d.to_string()).unwrap_or_default(),
            c.subject.as_str(),
            content.as_str(),
            &c.petitioner_name
                .as_deref()
                .map(mask_name)
                .unwrap_or_default(),
            &c.petitioner_contact
                .as_deref()
                .map(mask_contact)
                .unwrap_or_default(),
            c.language.as_str(),
        ];
        w.write_record(row.map(safe)).map_err(PageError::internal)?;
    }
    let body = w.into_inner().map_err(PageError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"cases.csv\"",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}
