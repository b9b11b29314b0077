//! The dashboard: figures per office and what needs attention.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde_json::json;

use super::{Chrome, OfficeQuery, PageResult, db, render};
use crate::auth::{AuthError, Scope};
use crate::forms::Lang;
use crate::offices::{self, Office};
use crate::survey::dashboard::{self, OfficeFigures, Rate};
use crate::web::ApiError;
use crate::web::i18n::Tr;
use crate::web::session::{PageError, Staff};
use crate::web::state::AppState;

struct FigureRow {
    code: String,
    name: String,
    today: i64,
    month: i64,
    rate: String,
    last_year: String,
    change: String,
    quarter: String,
    quarter_change: String,
}

/// A change in percentage points, or nothing when either side has no data.
fn points(now: &Rate, then: &Rate) -> String {
    match (now.share(), then.share()) {
        (Some(a), Some(b)) => format!("{:+.1}", (a - b) * 100.0),
        _ => String::new(),
    }
}

/// An open case of the "due next" list.
struct DueLine {
    case_no: String,
    subject: String,
    office: String,
    left: String,
    overdue: bool,
}

/// A citizen's comment of the "latest comments" list.
struct CommentLine {
    at: String,
    office: String,
    text: String,
}

fn pct(r: &Rate, t: &Tr) -> String {
    match r.share() {
        Some(s) => format!("{:.1}%", s * 100.0),
        None => t.s("dash-no-data"),
    }
}

fn rows(figs: &[OfficeFigures], offices: &[Office], t: &Tr) -> Vec<FigureRow> {
    figs.iter()
        .filter_map(|f| {
            let o = offices.iter().find(|o| o.id == f.office_id)?;
            let change = points(&f.month_rate, &f.last_year_month_rate);
            Some(FigureRow {
                code: o.code.to_string(),
                name: t.pick(&o.name_zh, &o.name_en).to_owned(),
                today: f.today,
                month: f.month,
                rate: pct(&f.month_rate, t),
                last_year: pct(&f.last_year_month_rate, t),
                change,
                quarter: pct(&f.quarter_rate, t),
                quarter_change: points(&f.quarter_rate, &f.previous_quarter_rate),
            })
        })
        .collect()
}

/// What needs a director's attention now, per office.
#[derive(serde::Serialize)]
struct Attention {
    code: String,
    name: String,
    overdue_cases: i64,
    due_today_cases: i64,
    due_soon_cases: i64,
    open_alerts: i64,
}

/// The figures in the visitor's words: the office's name beside its numbers.
fn attention(
    conn: &mut crate::db::DbConnection,
    scope: &Scope,
    offices: &[Office],
    lang: Lang,
) -> diesel::QueryResult<Vec<Attention>> {
    let ids: Vec<i32> = offices.iter().map(|o| o.id).collect();
    Ok(dashboard::attention(conn, scope, &ids)?
        .into_iter()
        .zip(offices)
        .map(|(a, o)| Attention {
            code: o.code.to_string(),
            name: if lang == Lang::En {
                o.name_en.clone()
            } else {
                o.name_zh.clone()
            },
            overdue_cases: a.overdue_cases,
            due_today_cases: a.due_today_cases,
            due_soon_cases: a.due_soon_cases,
            open_alerts: a.open_alerts,
        })
        .collect())
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    attention: Vec<Attention>,
    chrome: Chrome,
    rows: Vec<FigureRow>,
    total: Option<FigureRow>,
    today_label: String,
    due_next: Vec<DueLine>,
    comments: Vec<CommentLine>,
    /// More than one office: the lists name the office.
    several: bool,
}

/// Offices in scope (optionally the one named), with their figures.
fn scoped_figures(
    conn: &mut crate::db::DbConnection,
    scope: &Scope,
    office: Option<&str>,
    overall_keys: &[String],
) -> Result<(Vec<Office>, Vec<OfficeFigures>), AuthError> {
    let ids = match office {
        Some(code) => vec![scope.office_by_code(conn, code)?.id],
        None => scope.office_ids(conn)?,
    };
    let offices: Vec<Office> = offices::list_offices(conn)?
        .into_iter()
        .filter(|o| ids.contains(&o.id))
        .collect();
    let figs = dashboard::office_figures(conn, &ids, overall_keys, Utc::now())?;
    Ok((offices, figs))
}

fn overall_keys(state: &AppState) -> Vec<String> {
    let mut keys: Vec<String> = state
        .catalog
        .iter()
        .filter_map(|f| f.form.overall_item().map(|i| i.key.to_string()))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

pub async fn dashboard_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    q: web::Query<OfficeQuery>,
) -> PageResult {
    let lang = staff.tr.lang;
    let scope = staff.scope.clone();
    let keys = overall_keys(&state);
    let office = q.office.clone();
    let viewer = staff.user.clone();
    let (offices, figs, attention, due_next, comments, cal) = db(&state, move |conn| {
        let (offices, figs) = scoped_figures(conn, &scope, office.as_deref(), &keys)
            .map_err(|e| PageError::from_auth(e, lang))?;
        let attention = attention(conn, &scope, &offices, lang)?;
        let cal = crate::calendar::Calendar::load(conn)?;
        let ids: Vec<i32> = offices.iter().map(|o| o.id).collect();
        let filter = crate::cases::CaseFilter {
            office: (ids.len() == 1).then(|| ids[0]),
            ..Default::default()
        };
        let today = crate::calendar::taipei::today();
        let due_next = crate::cases::find_cases(conn, &viewer, &filter, &cal, today, 1, 5)?.cases;
        let comments = dashboard::latest_comments(conn, &ids, 5)?;
        Ok((offices, figs, attention, due_next, comments, cal))
    })
    .await?;
    let t = staff.tr;
    let name_of = |id: i32| {
        offices
            .iter()
            .find(|o| o.id == id)
            .map(|o| t.pick(&o.name_zh, &o.name_en).to_owned())
            .unwrap_or_default()
    };
    let today = crate::calendar::taipei::today();
    let due_next = due_next
        .iter()
        .map(|c| DueLine {
            case_no: c.case_no.clone(),
            subject: c.subject.clone(),
            office: name_of(c.office_id),
            left: super::case::due_words(&cal, c, today, &t),
            overdue: c.due_on < today,
        })
        .collect();
    let comments = comments
        .iter()
        .map(|c| CommentLine {
            at: crate::calendar::taipei::minutes(c.submitted_at),
            office: name_of(c.office_id),
            text: crate::cases::mask_excerpt(&c.text),
        })
        .collect();
    let rows = rows(&figs, &offices, &t);
    let total = (figs.len() > 1).then(|| {
        let sum = |f: fn(&OfficeFigures) -> Rate| {
            figs.iter().fold(Rate::default(), |a, x| Rate {
                rated: a.rated + f(x).rated,
                satisfied: a.satisfied + f(x).satisfied,
            })
        };
        let (now, then) = (sum(|f| f.month_rate), sum(|f| f.last_year_month_rate));
        let (quarter, previous) = (sum(|f| f.quarter_rate), sum(|f| f.previous_quarter_rate));
        FigureRow {
            code: String::new(),
            name: t.s("all-offices"),
            today: figs.iter().map(|f| f.today).sum(),
            month: figs.iter().map(|f| f.month).sum(),
            rate: pct(&now, &t),
            last_year: pct(&then, &t),
            change: points(&now, &then),
            quarter: pct(&quarter, &t),
            quarter_change: points(&quarter, &previous),
        }
    });
    let today_label = Utc::now()
        .with_timezone(&crate::calendar::taipei::offset())
        .format("%Y-%m-%d")
        .to_string();
    render(&DashboardPage {
        several: offices.len() > 1,
        attention,
        chrome: Chrome::new(&staff, "dashboard", &req),
        rows,
        total,
        today_label,
        due_next,
        comments,
    })
}

/// The dashboard's figures for the offices in the caller's scope.
#[utoipa::path(get, path = "/api/v1/console/dashboard", tag = "console", security(("session" = [])), params(("office" = Option<String>, Query, description = "One office's code")), responses((status = 200, description = "Figures per office and what needs attention"), (status = 404, description = "Office not in scope", body = crate::web::api::responses::ErrorBody), (status = 401, description = "Not logged in", body = crate::web::api::responses::ErrorBody), (status = 403, description = "The role may not see this", body = crate::web::api::responses::ErrorBody)))]
pub async fn dashboard_api(
    state: web::Data<AppState>,
    staff: Staff,
    q: web::Query<OfficeQuery>,
) -> Result<HttpResponse, ApiError> {
    let scope = staff.scope.clone();
    let keys = overall_keys(&state);
    let office = q.office.clone();
    let lang = staff.tr.lang;
    let (offices, figs, attention) = crate::web::with_conn(&state.pool, move |conn| {
        let (offices, figs) =
            scoped_figures(conn, &scope, office.as_deref(), &keys).map_err(ApiError::from)?;
        let attention = attention(conn, &scope, &offices, lang)?;
        Ok::<_, ApiError>((offices, figs, attention))
    })
    .await?;
    let list: Vec<_> = figs
        .iter()
        .filter_map(|f| {
            let o = offices.iter().find(|o| o.id == f.office_id)?;
            Some(json!({
                "code": o.code, "name_zh": o.name_zh, "name_en": o.name_en,
                "today": f.today, "month": f.month,
                "month_rate": f.month_rate, "last_year_month_rate": f.last_year_month_rate,
                "quarter_rate": f.quarter_rate, "previous_quarter_rate": f.previous_quarter_rate,
            }))
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "offices": list, "attention": attention })))
}
