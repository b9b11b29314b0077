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
use crate::cases::{
    self, Case, CaseChannel, CaseFilter, CaseStatus, NewCase, StatusFilter, mask_contact, mask_name,
};
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

/// One row of the register, in words.
struct CaseLine {
    case_no: String,
    office: String,
    received: String,
    due: String,
    due_assumed: bool,
    /// "剩 3 個工作天", "逾期 2 個工作天", "已結案" …
    left: String,
    state_class: &'static str,
    channel: String,
    category: String,
    subject: String,
    petitioner: String,
    handler: String,
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

/// A link to another page of the same search.
struct PageLink {
    label: String,
    href: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "cases.html")]
struct CasesPage {
    chrome: Chrome,
    lines: Vec<CaseLine>,
    total: i64,
    /// "共 120 件，顯示第 51–100 件 …"
    count_words: String,
    pages: Vec<PageLink>,
    query: CasesQuery,
    problems: Vec<String>,
    status_choices: Vec<Choice>,
    due_choices: Vec<Choice>,
    handlers: Vec<Choice>,
    months: Vec<MonthLine>,
    channels: Vec<Choice>,
    all_channels: Vec<Choice>,
    categories: Vec<Choice>,
    offices: Vec<Choice>,
    deadline_kinds: Vec<Choice>,
    today: String,
    created: Option<String>,
    /// Whether the viewer's words also look in petitioners' names.
    names_searched: bool,
}

/// The register's search, as the address carries it (every part optional).
#[derive(Deserialize, Clone, Default)]
pub struct CasesQuery {
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    due: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    handler: String,
    #[serde(default)]
    office: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: String,
}

const PER_PAGE: i64 = 50;

const DUE_STATES: [(DueState, &str); 4] = [
    (DueState::Overdue, "overdue"),
    (DueState::DueToday, "due_today"),
    (DueState::DueSoon, "due_soon"),
    (DueState::OnTrack, "on_track"),
];

impl CasesQuery {
    /// The address of this search on another page.
    fn href(&self, page: i64) -> String {
        let mut pairs = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("q", &self.q),
            ("status", &self.status),
            ("due", &self.due),
            ("channel", &self.channel),
            ("category", &self.category),
            ("handler", &self.handler),
            ("office", &self.office),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if !v.trim().is_empty() {
                pairs.append_pair(k, v.trim());
            }
        }
        if page > 1 {
            pairs.append_pair("page", &page.to_string());
        }
        format!("/console/cases?{}#results", pairs.finish())
    }

    /// The filter it asks for; what cannot be read is named in `problems`
    /// (in the viewer's words) and left out of the search.
    fn filter(
        &self,
        t: &crate::web::i18n::Tr,
        offices: &[Office],
        problems: &mut Vec<String>,
    ) -> CaseFilter {
        let mut f = CaseFilter {
            words: Some(self.q.trim().to_owned()).filter(|w| !w.is_empty()),
            ..CaseFilter::default()
        };
        let mut problem = |zh: &str, en: &str| problems.push(t.pick(zh, en).to_owned());
        f.status = match self.status.trim() {
            "" | "open" => StatusFilter::Open,
            "finished" => StatusFilter::Finished,
            "all" => StatusFilter::All,
            other => match CaseStatus::parse(other) {
                Some(s) => StatusFilter::One(s),
                None => {
                    problem(
                        "狀態不在清單中，已顯示處理中的案件。",
                        "Unknown status; showing open cases.",
                    );
                    StatusFilter::Open
                }
            },
        };
        if !self.due.trim().is_empty() {
            f.due = DUE_STATES
                .iter()
                .find(|(_, v)| *v == self.due.trim())
                .map(|(d, _)| *d);
            if f.due.is_none() {
                problem(
                    "期限狀態不在清單中，未依期限篩選。",
                    "Unknown due state; not filtered by it.",
                );
            }
        }
        if !self.channel.trim().is_empty() {
            f.channel = CaseChannel::parse(self.channel.trim());
            if f.channel.is_none() {
                problem(
                    "管道不在清單中，未依管道篩選。",
                    "Unknown channel; not filtered by it.",
                );
            }
        }
        f.category = Some(self.category.trim().to_owned()).filter(|c| !c.is_empty());
        if !self.handler.trim().is_empty() {
            f.handler = self.handler.trim().parse().ok();
            if f.handler.is_none() {
                problem(
                    "承辦人不在清單中，未依承辦人篩選。",
                    "Unknown handler; not filtered by it.",
                );
            }
        }
        if !self.office.trim().is_empty() {
            f.office = offices
                .iter()
                .find(|o| o.code.as_str() == self.office.trim().to_uppercase())
                .map(|o| o.id);
            if f.office.is_none() {
                problem(
                    "事務所不在清單中，未依事務所篩選。",
                    "Unknown office; not filtered by it.",
                );
            }
        }
        let mut date = |v: &str, zh: &str, en: &str| -> Option<NaiveDate> {
            let v = v.trim();
            if v.is_empty() {
                return None;
            }
            let d = NaiveDate::parse_from_str(v, "%Y-%m-%d").ok();
            if d.is_none() {
                problems.push(t.pick(zh, en).to_owned());
            }
            d
        };
        f.received_from = date(
            &self.from,
            "收件日期（起）請寫成 2026-01-31，未依它篩選。",
            "Received from: write a date as 2026-01-31; not filtered by it.",
        );
        f.received_to = date(
            &self.to,
            "收件日期（迄）請寫成 2026-01-31，未依它篩選。",
            "Received to: write a date as 2026-01-31; not filtered by it.",
        );
        f
    }

    fn page(&self) -> i64 {
        self.page
            .trim()
            .parse::<i64>()
            .unwrap_or(1)
            .clamp(1, 1_000_000)
    }
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

/// Page numbers around the current one: first, last and two either side.
fn page_links(q: &CasesQuery, current: i64, last: i64, t: &crate::web::i18n::Tr) -> Vec<PageLink> {
    if last <= 1 {
        return Vec::new();
    }
    let mut links = Vec::new();
    if current > 1 {
        links.push(PageLink {
            label: t.pick("上一頁", "Previous").into(),
            href: q.href(current - 1),
            current: false,
        });
    }
    let mut shown: Vec<i64> = vec![1, last];
    shown.extend((current - 2).max(1)..=(current + 2).min(last));
    shown.sort_unstable();
    shown.dedup();
    for n in shown {
        links.push(PageLink {
            label: n.to_string(),
            href: q.href(n),
            current: n == current,
        });
    }
    if current < last {
        links.push(PageLink {
            label: t.pick("下一頁", "Next").into(),
            href: q.href(current + 1),
            current: false,
        });
    }
    links
}

pub async fn cases_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    q: web::Query<CasesQuery>,
) -> Result<HttpResponse, PageError> {
    let query = q.into_inner();
    let scope = staff.scope.clone();
    let viewer = staff.user.clone();
    let t = staff.tr;
    let lang = t.lang;
    let today = today();
    let from = NaiveDate::from_ymd_opt(today.year() - 1, today.month(), 1).unwrap_or(today);
    let page_no = query.page();
    let asked = query.clone();
    let (found, _filter, problems, cal, months, all_offices, visible, categories, users) =
        db(&state, move |conn| {
            let cal = Calendar::load(conn)?;
            let all_offices = offices::list_offices(conn)?;
            let visible = scope.office_ids(conn)?;
            let in_scope: Vec<Office> = all_offices
                .iter()
                .filter(|o| visible.contains(&o.id))
                .cloned()
                .collect();
            let mut problems = Vec::new();
            let filter = asked.filter(&t, &in_scope, &mut problems);
            let found = cases::find_cases(conn, &viewer, &filter, &cal, today, page_no, PER_PAGE)?;
            let months = views::month_figures(conn, &scope, &cal, from, today, today)?;
            let categories = cases::categories(conn, false)?;
            let users = crate::auth::list_users(conn, &scope)?;
            Ok((
                found,
                filter,
                problems,
                cal,
                months,
                all_offices,
                visible,
                categories,
                users,
            ))
        })
        .await?;
    let category_of = |id: i32| -> String {
        categories
            .iter()
            .find(|c| c.id == id)
            .map(|c| t.pick(&c.name_zh, &c.name_en).to_owned())
            .unwrap_or_default()
    };
    let user_name = |id: Option<i32>| -> String {
        id.and_then(|id| users.iter().find(|u| u.id == id))
            .map(|u| u.display_name.clone())
            .unwrap_or_default()
    };
    let lines: Vec<CaseLine> = found
        .cases
        .iter()
        .map(|c| {
            let state = views::due_state(&cal, c.due_on, today);
            CaseLine {
                office: office_name(&all_offices, c.office_id, lang),
                received: c.received_on.to_string(),
                due: c.due_on.to_string(),
                due_assumed: c.due_assumed,
                left: super::case::due_words(&cal, c, today, &t),
                state_class: if !c.status.is_open() {
                    "finished"
                } else {
                    match state {
                        DueState::Overdue => "overdue",
                        DueState::DueToday => "due-today",
                        DueState::DueSoon => "due-soon",
                        DueState::OnTrack => "on-track",
                    }
                },
                channel: CaseChannel::parse(&c.channel)
                    .map(|ch| t.pick(ch.label_zh(), ch.label_en()).to_owned())
                    .unwrap_or_else(|| c.channel.clone()),
                category: category_of(c.category_id),
                subject: c.subject.clone(),
                petitioner: c
                    .petitioner_name
                    .as_deref()
                    .map(mask_name)
                    .unwrap_or_default(),
                handler: user_name(c.assigned_to),
                status: t.pick(c.status.label_zh(), c.status.label_en()).to_owned(),
                case_no: c.case_no.clone(),
            }
        })
        .collect();
    let last = ((found.total + PER_PAGE - 1) / PER_PAGE).max(1);
    let current = page_no.min(last);
    let shown_from = if found.total == 0 {
        0
    } else {
        (current - 1) * PER_PAGE + 1
    };
    let shown_to = (shown_from + lines.len() as i64 - 1).max(0);
    let months = months
        .iter()
        .map(|f| MonthLine {
            office: office_name(&all_offices, f.office_id, lang),
            month: format!("{}-{:02}", f.year, f.month),
            received: f.received,
            // The rate with what it is of: cases answered, or past due
            // unanswered (not those still within their deadline).
            on_time: f
                .on_time_rate()
                .map(|r| format!("{:.1}%（{}/{}）", r * 100.0, f.on_time, f.timed))
                .unwrap_or_else(|| "—".into()),
            reply_median: opt_days(f.median_days_to_first_reply),
            reply_p90: opt_days(f.p90_days_to_first_reply.map(|x| x as f64)),
            close_median: opt_days(f.median_days_to_close),
            close_p90: opt_days(f.p90_days_to_close.map(|x| x as f64)),
        })
        .collect();
    let mut status_choices = vec![
        Choice {
            value: "open".into(),
            label: t.pick("處理中（全部）", "Open (all)").into(),
        },
        Choice {
            value: "finished".into(),
            label: t
                .pick(
                    "已結束（結案、不受理、移送）",
                    "Finished (closed, not accepted, transferred)",
                )
                .into(),
        },
        Choice {
            value: "all".into(),
            label: t.pick("全部案件", "All cases").into(),
        },
    ];
    status_choices.extend(CaseStatus::ALL.into_iter().map(|s| Choice {
        value: s.as_str().into(),
        label: t.pick(s.label_zh(), s.label_en()).into(),
    }));
    let due_choices = DUE_STATES
        .iter()
        .map(|(d, v)| Choice {
            value: (*v).into(),
            label: state_label(*d, lang).into(),
        })
        .collect();
    // A director's words also look in the names of the office's petitioners.
    let names_searched = matches!(staff.user.role(), crate::auth::Role::Director);
    let handlers = users
        .iter()
        .filter(|u| u.office_id.is_some())
        .map(|u| Choice {
            value: u.id.to_string(),
            label: u.display_name.clone(),
        })
        .collect();
    let channel_choice = |c: CaseChannel| Choice {
        value: c.as_str().into(),
        label: t.pick(c.label_zh(), c.label_en()).into(),
    };
    render(&CasesPage {
        chrome: Chrome::new(&staff, "cases", &req),
        pages: page_links(&query, current, last, &t),
        lines,
        total: found.total,
        count_words: t
            .pick(
                &format!(
                    "共 {} 件，顯示第 {shown_from}–{shown_to} 件，依處理期限排序。",
                    found.total
                ),
                &format!(
                    "{} cases; showing {shown_from}–{shown_to}, by due date.",
                    found.total
                ),
            )
            .to_owned(),
        problems,
        status_choices,
        due_choices,
        handlers,
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
            .map(channel_choice)
            .collect(),
        all_channels: CaseChannel::ALL.into_iter().map(channel_choice).collect(),
        categories: categories
            .iter()
            .map(|c| Choice {
                value: c.code.clone(),
                label: t.pick(&c.name_zh, &c.name_en).to_owned(),
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
        created: query.created.clone(),
        names_searched,
        query,
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
    let t = staff.tr;
    let list = db(&state, move |conn| Ok(cases::all_cases(conn, &scope)?)).await?;
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    // Words, never codes: the columns in both languages, the values in the
    // viewer's.
    let header = [
        "案件編號 Case number",
        "管道 Channel",
        "收件日 Received",
        "期限 Due",
        "狀態 Status",
        "首次答覆 First reply",
        "結案 Closed",
        "主旨 Subject",
        "內容 Content",
        "陳情人 Petitioner",
        "聯絡方式 Contact",
        "答覆語言 Language",
    ];
    w.write_record(header).map_err(PageError::internal)?;
    let safe = |field: &str| crate::reports::tables::neutralise_formula(field).into_owned();
    for c in &list {
        let content = if c.confidential {
            t.pick("（密件）", "(confidential)").to_owned()
        } else {
            c.content.clone()
        };
        let channel = cases::CaseChannel::parse(&c.channel).map_or_else(
            || c.channel.clone(),
            |ch| t.pick(ch.label_zh(), ch.label_en()).to_owned(),
        );
        let language = if c.language == "en" {
            t.pick("英文", "English")
        } else {
            t.pick("中文", "Chinese")
        };
        let row = [
            c.case_no.as_str(),
            channel.as_str(),
            &c.received_on.to_string(),
            &c.due_on.to_string(),
            t.pick(c.status.label_zh(), c.status.label_en()),
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
            language,
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
