//! `/console/analytics`: the analysis research staff work in. Pick the years,
//! the office or county of the scope, the form, the channel and the
//! grouping; see the figures (n, rate with its interval, mean, dissatisfied
//! share, significant changes ▲▼ with the Holm-adjusted p), the trend, items
//! this year against last, IPA, shortfalls, comment terms and the complaint
//! figures, the charts drawn as the report draws them (inline SVG); download
//! the figures as CSV or XLSX. One analysis pass (`warehouse::explore`).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{Chrome, PageResult, db, require};
use crate::analytics::metrics::{ChangeRow, Group, MetricRow};
use crate::analytics::{AnalyzeRequest, Dim};
use crate::forms::Channel;
use crate::reports::charts::{self, IpaPoint, ItemBar, Spec, TrendPoint};
use crate::warehouse::{self, Exploration};
use crate::web::i18n::Tr;
use crate::web::session::{PageError, Staff};
use crate::web::state::AppState;

/// The groupings offered, as `by` lists. Counters and staff members belong
/// to one office each (their codes repeat across offices), so they come with it.
const GROUPINGS: [&str; 9] = [
    "year,item",
    "year,quarter,item",
    "year,dimension",
    "year,office,item",
    "year,office,counter,item",
    "year,office,staff,item",
    "year,service_type,item",
    "year,channel,item",
    "year,office,dimension",
];

/// The query of the page (every field text, empty = not given).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AnalyticsQuery {
    from: String,
    to: String,
    /// `office:JS`, `county:金門縣` or empty (everything in scope).
    scope: String,
    form: String,
    channel: String,
    by: String,
}

impl AnalyticsQuery {
    /// The request, or what is wrong with the scope (any other field is
    /// checked by the analysis, which names it).
    fn request(&self) -> Result<AnalyzeRequest, String> {
        let opt = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let (office, county) = match self.scope.trim().split_once(':') {
            None if self.scope.trim().is_empty() => (None, None),
            Some(("office", c)) if opt(c).is_some() => (opt(c), None),
            Some(("county", c)) if opt(c).is_some() => (None, opt(c)),
            _ => {
                return Err(format!(
                    "scope: `{}` is not an office or a county of your scope",
                    self.scope
                ));
            }
        };
        Ok(AnalyzeRequest {
            from: opt(&self.from),
            to: opt(&self.to),
            office,
            county,
            by: opt(&self.by).unwrap_or_else(|| GROUPINGS[0].to_owned()),
            form: opt(&self.form).unwrap_or_else(|| "counter".to_owned()),
            channel: opt(&self.channel),
            json: false,
        })
    }

    /// The same query, URL-encoded (for the download links).
    fn encoded(&self) -> String {
        serde_urlencoded::to_string([
            ("from", &self.from),
            ("to", &self.to),
            ("scope", &self.scope),
            ("form", &self.form),
            ("channel", &self.channel),
            ("by", &self.by),
        ])
        .unwrap_or_default()
    }
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

fn choice(value: impl Into<String>, label: impl Into<String>, current: &str) -> Choice {
    let value = value.into();
    Choice {
        selected: value == current,
        value,
        label: label.into(),
    }
}

/// A column of the figures table that names the group.
fn dim_heading(d: Dim, t: &Tr) -> String {
    let (zh, en) = match d {
        Dim::Year => ("年度", "Year"),
        Dim::Quarter => ("季", "Quarter"),
        Dim::Month => ("月", "Month"),
        Dim::County => ("縣市", "County"),
        Dim::Office => ("事務所", "Office"),
        Dim::Counter => ("櫃檯", "Counter"),
        Dim::Staff => ("服務人員", "Staff member"),
        Dim::ServiceType => ("服務項目", "Service type"),
        Dim::Channel => ("管道", "Channel"),
        Dim::Dimension => ("構面", "Dimension"),
        Dim::Item => ("題項", "Item"),
    };
    t.pick(zh, en).to_owned()
}

fn dim_label(d: Dim, g: &Group, x: &Exploration, t: &Tr) -> String {
    let not_recorded = || t.pick("未記錄", "not recorded").to_owned();
    let named = |v: &Option<String>| match v.as_deref() {
        None | Some("(none)") => not_recorded(),
        Some(s) => s.to_owned(),
    };
    match d {
        Dim::Year => g
            .year
            .map(|y| {
                t.pick(&format!("民國{y}年"), &format!("ROC {y}"))
                    .to_owned()
            })
            .unwrap_or_default(),
        Dim::Quarter => g.quarter.map(|q| format!("Q{q}")).unwrap_or_default(),
        Dim::Month => g
            .month
            .map(|m| t.pick(&format!("{m}月"), &format!("M{m}")).to_owned())
            .unwrap_or_default(),
        Dim::County => named(&g.county),
        Dim::Office => match g.office.as_deref() {
            Some(code) => x
                .reference
                .office_by_code(code)
                .map(|o| t.pick(&o.name_zh, &o.name_en).to_owned())
                .unwrap_or_else(not_recorded),
            None => not_recorded(),
        },
        Dim::Counter => match &g.counter_name {
            Some(name) => name.clone(),
            None => named(&g.counter),
        },
        Dim::Staff => match (&g.staff_name, &g.staff) {
            (Some(name), Some(code)) => format!("{name}（{code}）"),
            _ => named(&g.staff),
        },
        Dim::ServiceType => match g.service_type.as_deref() {
            None | Some("(none)") => not_recorded(),
            Some(code) => x
                .reference
                .service_types
                .values()
                .find(|s| s.0 == code)
                .map(|s| t.pick(&s.1, &s.2).to_owned())
                .unwrap_or_else(|| code.to_owned()),
        },
        Dim::Channel => g
            .channel
            .as_deref()
            .and_then(Channel::parse)
            .map(|c| t.pick(c.label_zh(), c.label_en()).to_owned())
            .unwrap_or_else(not_recorded),
        Dim::Dimension | Dim::Item => t
            .pick(
                g.label_zh.as_deref().unwrap_or_default(),
                g.label_en.as_deref().unwrap_or_default(),
            )
            .to_owned(),
    }
}

fn pct(v: Option<f64>) -> String {
    v.map(|v| format!("{:.1}%", v * 100.0)).unwrap_or_default()
}

fn num(v: Option<f64>, digits: usize) -> String {
    v.map(|v| format!("{v:.digits$}")).unwrap_or_default()
}

/// One line of the figures table.
struct FigureLine {
    cells: Vec<String>,
    n: u64,
    rate: String,
    interval: String,
    mean: String,
    dissatisfied: String,
    suppressed: bool,
    /// ▲ / ▼ when the change of the rate is significant (Holm), else empty.
    change: String,
    change_class: &'static str,
    change_title: String,
    p_holm: String,
}

/// The change of the rate of a group against the period before it.
fn change_of<'a>(g: &Group, changes: &'a [ChangeRow], quarterly: bool) -> Option<&'a ChangeRow> {
    let period = match (g.year, g.quarter, quarterly) {
        (Some(y), Some(q), true) => format!("{y}Q{q}"),
        (Some(y), _, false) => y.to_string(),
        _ => return None,
    };
    let mut rest = g.clone();
    rest.year = None;
    rest.quarter = None;
    changes
        .iter()
        .find(|c| c.period == period && c.group == rest)
}

fn figure_lines(x: &Exploration, t: &Tr) -> (Vec<String>, Vec<FigureLine>) {
    let shown: Vec<Dim> = x.by.clone();
    let headings = shown.iter().map(|d| dim_heading(*d, t)).collect();
    let grouped = &x.analyses.groupings[0];
    let quarterly = x.by.contains(&Dim::Quarter);
    let lines = grouped
        .metrics
        .iter()
        .map(|r: &MetricRow| {
            let f = &r.figures;
            let change = change_of(&r.group, &grouped.changes, quarterly);
            let (mark, class) = match change {
                Some(c) if c.rate_significant && c.rate_diff.unwrap_or(0.0) > 0.0 => ("▲", "up"),
                Some(c) if c.rate_significant => ("▼", "down"),
                _ => ("", ""),
            };
            let p = change.and_then(|c| c.rate_p_adjusted);
            FigureLine {
                cells: shown
                    .iter()
                    .map(|d| dim_label(*d, &r.group, x, t))
                    .collect(),
                n: f.n,
                rate: pct(f.rate),
                interval: f
                    .rate_ci
                    .as_ref()
                    .map(|ci| format!("{:.1}–{:.1}", ci.low * 100.0, ci.high * 100.0))
                    .unwrap_or_default(),
                mean: num(f.mean, 2),
                dissatisfied: pct(f.dissatisfied_rate),
                suppressed: f.suppressed,
                change: mark.to_owned(),
                change_class: class,
                change_title: match (change, p) {
                    (Some(c), Some(p)) => format!(
                        "{} {} → {}: {}{:.1} {}; p (Holm) {}",
                        t.pick("較", "vs"),
                        c.previous,
                        c.period,
                        if c.rate_diff.unwrap_or(0.0) >= 0.0 {
                            "+"
                        } else {
                            ""
                        },
                        c.rate_diff.unwrap_or(0.0) * 100.0,
                        t.pick("個百分點", "points"),
                        match crate::reports::html::pvalue(p) {
                            v if v.starts_with('<') => v,
                            v => format!("= {v}"),
                        },
                    ),
                    _ => String::new(),
                },
                // The report's one format for a p-value: 0.172, < 0.001.
                p_holm: p.map(crate::reports::html::pvalue).unwrap_or_default(),
            }
        })
        .collect();
    (headings, lines)
}

/// The charts: overall by quarter, items of the last year against the one
/// before, and the last year's IPA; each with what it needs, or left out.
fn chart_specs(x: &Exploration) -> Vec<Spec> {
    let mut specs = Vec::new();
    let trend = &x.analyses.groupings[1];
    let overall = x.items.overall.as_deref();
    let points: Vec<TrendPoint> = trend
        .metrics
        .iter()
        .filter(|r| r.group.item.as_deref() == overall && overall.is_some())
        .filter_map(|r| {
            let ci = r.figures.rate_ci.as_ref()?;
            Some(TrendPoint {
                label: format!("{} Q{}", r.group.year?, r.group.quarter?),
                rate: r.figures.rate?,
                low: ci.low,
                high: ci.high,
            })
        })
        .collect();
    if !points.is_empty() {
        specs.push(Spec::Trend(points));
    }
    let items = &x.analyses.groupings[2];
    if let Some(year) = items.metrics.iter().filter_map(|r| r.group.year).max() {
        let bars: Vec<ItemBar> = items
            .metrics
            .iter()
            .filter(|r| r.group.year == Some(year))
            .map(|r| {
                let change = items
                    .changes
                    .iter()
                    .find(|c| c.period == year.to_string() && c.group.item == r.group.item);
                ItemBar {
                    label: r.group.label_zh.clone().unwrap_or_default(),
                    this_year: r.figures.rate,
                    last_year: change.and_then(|c| c.rate_previous),
                    change: match change {
                        Some(c) if c.rate_significant => {
                            if c.rate_diff.unwrap_or(0.0) > 0.0 {
                                1
                            } else {
                                -1
                            }
                        }
                        _ => 0,
                    },
                }
            })
            .collect();
        if !bars.is_empty() {
            specs.push(Spec::Items { year, bars });
        }
        let drivers: Vec<_> = x
            .analyses
            .drivers
            .iter()
            .filter(|d| d.year == year)
            .collect();
        let points: Vec<IpaPoint> = drivers
            .iter()
            .filter_map(|d| {
                Some(IpaPoint {
                    label: d.label_zh.clone(),
                    performance: d.performance?,
                    importance: d.importance?,
                })
            })
            .collect();
        if let (false, Some(d)) = (points.is_empty(), drivers.first())
            && let (Some(gi), Some(gp)) = (d.grand_importance, d.grand_performance)
        {
            specs.push(Spec::Ipa {
                points,
                grand_performance: gp,
                grand_importance: gi,
            });
        }
    }
    specs
}

struct ChartView {
    title: String,
    svg: String,
}

struct ShortfallLine {
    year: i32,
    office: String,
    item: String,
    n: u64,
    rate: String,
    standard: String,
    gap: String,
    significant: bool,
}

struct TermLine {
    term: String,
    dissatisfied: u64,
    satisfied: u64,
    examples: Vec<String>,
}

struct IpaLine {
    item: String,
    importance: String,
    performance: String,
    quadrant: String,
}

struct ComplaintLine {
    year: String,
    category: String,
    received: u64,
    on_time: String,
    median_first_reply: String,
    overdue: u64,
}

#[derive(Template)]
#[template(path = "analytics.html")]
struct AnalyticsPage {
    chrome: Chrome,
    years: Vec<Choice>,
    years_to: Vec<Choice>,
    scopes: Vec<Choice>,
    forms: Vec<Choice>,
    channels: Vec<Choice>,
    groupings: Vec<Choice>,
    error: Option<String>,
    responses: u64,
    notes: Vec<String>,
    headings: Vec<String>,
    lines: Vec<FigureLine>,
    charts: Vec<ChartView>,
    ipa: Vec<IpaLine>,
    ipa_year: Option<i32>,
    shortfalls: Vec<ShortfallLine>,
    terms: Vec<TermLine>,
    complaints: Vec<ComplaintLine>,
    query: String,
    staff_min_n: u64,
}

/// Years offered: those with survey answers or cases in scope, newest first
/// (and the one asked for, so that a link to another year keeps it).
fn year_choices(current: &str, years: &[i32], t: &Tr, blank: &str) -> Vec<Choice> {
    let mut list: Vec<i32> = years.to_vec();
    if let Ok(y) = current.trim().parse::<i32>() {
        list.push(y);
    }
    list.sort_unstable();
    list.dedup();
    let mut out = vec![choice("", blank, current)];
    out.extend(list.into_iter().rev().map(|y| {
        choice(
            y.to_string(),
            t.pick(&format!("民國{y}年"), &format!("ROC {y}")),
            current,
        )
    }));
    out
}

fn grouping_label(by: &str, t: &Tr) -> String {
    by.split(',')
        .filter_map(|d| Dim::parse(d).ok())
        .map(|d| dim_heading(d, t))
        .collect::<Vec<_>>()
        .join(" × ")
}

fn may_analyse(staff: &Staff) -> bool {
    staff.user.role() != crate::auth::Role::CounterStaff
}

/// An exploration, the offices in scope and the years that have data there.
type Explored = (
    Result<Exploration, String>,
    Vec<crate::offices::Office>,
    Vec<i32>,
);

/// Runs the exploration of a query in the staff member's scope.
async fn explore(
    state: &web::Data<AppState>,
    staff: &Staff,
    q: &AnalyticsQuery,
) -> Result<Explored, PageError> {
    let scope = staff.scope.clone();
    let req = q.request();
    let settings = state.analytics.clone();
    db(state, move |conn| {
        let ids = scope.office_ids(conn)?;
        let visible: Vec<_> = crate::offices::list_offices(conn)?
            .into_iter()
            .filter(|o| ids.contains(&o.id))
            .collect();
        let years: Vec<i32> = crate::reports::jobs::years_with_data(conn, &ids)?
            .into_iter()
            .map(|y| y.get())
            .collect();
        let req = match req {
            Ok(r) => r,
            Err(message) => return Ok((Err(message), visible, years)),
        };
        let result =
            match warehouse::explore(conn, &settings.source, &settings.options, &req, &visible) {
                Ok(x) => Ok(x),
                Err(warehouse::WarehouseError::Analytics(e)) => Err(e.to_string()),
                Err(e) => return Err(PageError::internal(e)),
            };
        Ok((result, visible, years))
    })
    .await
}

pub async fn analytics_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    q: web::Query<AnalyticsQuery>,
) -> PageResult {
    require(&staff, may_analyse(&staff))?;
    let q = q.into_inner();
    let (result, visible, data_years) = explore(&state, &staff, &q).await?;
    let t = staff.tr;
    let mut counties: Vec<(&str, &str)> = visible
        .iter()
        .map(|o| (o.county_zh.as_str(), o.county_en.as_str()))
        .collect();
    counties.sort();
    counties.dedup_by(|a, b| a.0 == b.0);
    let mut scopes = vec![choice(
        "",
        t.pick("範圍內全部事務所", "Every office in scope"),
        &q.scope,
    )];
    if visible.len() > 1 {
        scopes.extend(counties.iter().map(|(zh, en)| {
            let label = t
                .pick(&format!("{zh}（全縣市）"), &format!("{en} (whole county)"))
                .to_owned();
            choice(format!("county:{zh}"), label, &q.scope)
        }));
    }
    scopes.extend(visible.iter().map(|o| {
        choice(
            format!("office:{}", o.code),
            t.pick(&o.name_zh, &o.name_en),
            &q.scope,
        )
    }));
    let form = if q.form.is_empty() {
        "counter"
    } else {
        q.form.as_str()
    };
    let forms = state
        .catalog
        .iter()
        .map(|f| choice(f.form.key.clone(), f.form.title.get(t.lang), form))
        .collect();
    let mut channels = vec![choice("", t.pick("全部管道", "Every channel"), &q.channel)];
    channels.extend(
        Channel::ALL
            .iter()
            .map(|c| choice(c.as_str(), t.pick(c.label_zh(), c.label_en()), &q.channel)),
    );
    let by = if q.by.is_empty() {
        GROUPINGS[0]
    } else {
        q.by.as_str()
    };
    let groupings = GROUPINGS
        .iter()
        .map(|g| choice(*g, grouping_label(g, &t), by))
        .collect();
    let mut page = AnalyticsPage {
        chrome: Chrome::new(&staff, "analytics", &req),
        years: year_choices(&q.from, &data_years, &t, t.pick("（最早）", "(earliest)")),
        years_to: year_choices(&q.to, &data_years, &t, t.pick("（最近）", "(latest)")),
        scopes,
        forms,
        channels,
        groupings,
        error: None,
        responses: 0,
        notes: Vec::new(),
        headings: Vec::new(),
        lines: Vec::new(),
        charts: Vec::new(),
        ipa: Vec::new(),
        ipa_year: None,
        shortfalls: Vec::new(),
        terms: Vec::new(),
        complaints: Vec::new(),
        query: q.encoded(),
        staff_min_n: state.analytics.options.staff_min_n,
    };
    match result {
        Err(message) => page.error = Some(message),
        Ok(x) => fill(&mut page, &x, &t, &state).await?,
    }
    let body = page.render().map_err(PageError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

async fn fill(
    page: &mut AnalyticsPage,
    x: &Exploration,
    t: &Tr,
    state: &web::Data<AppState>,
) -> Result<(), PageError> {
    page.responses = x.analyses.responses;
    // Notes are written `中文 · English`: the page shows the visitor's half.
    page.notes = x
        .analyses
        .notes
        .iter()
        .chain(&x.analyses.groupings[0].notes)
        .map(|n| match n.split_once(" · ") {
            Some((zh, en)) => t.pick(zh, en).to_owned(),
            None => n.clone(),
        })
        .collect();
    let (headings, lines) = figure_lines(x, t);
    page.headings = headings;
    page.lines = lines;
    let specs = chart_specs(x);
    let charts = web::block(move || {
        specs
            .iter()
            .map(|s| {
                let (zh, en) = s.title();
                Ok(ChartView {
                    title: format!("{zh} {en}"),
                    svg: charts::svg(s)?,
                })
            })
            .collect::<Result<Vec<_>, charts::ChartError>>()
    })
    .await
    .map_err(PageError::internal)?
    .map_err(PageError::internal)?;
    page.charts = charts;
    let last = x.analyses.drivers.iter().map(|d| d.year).max();
    page.ipa_year = last;
    page.ipa = x
        .analyses
        .drivers
        .iter()
        .filter(|d| Some(d.year) == last && d.importance.is_some())
        .map(|d| IpaLine {
            item: t.pick(&d.label_zh, &d.label_en).to_owned(),
            importance: num(d.importance, 2),
            performance: num(d.performance, 2),
            quadrant: d
                .quadrant
                .map(|q| t.pick(q.label_zh(), q.label_en()).to_owned())
                .unwrap_or_default(),
        })
        .collect();
    page.shortfalls = x
        .analyses
        .shortfalls
        .iter()
        .map(|s| ShortfallLine {
            year: s.year,
            office: x
                .reference
                .office_by_code(&s.office)
                .map(|o| t.pick(&o.name_zh, &o.name_en).to_owned())
                .unwrap_or_else(|| s.office_name.clone()),
            item: t.pick(&s.label_zh, &s.label_en).to_owned(),
            n: s.n,
            rate: pct(Some(s.rate)),
            standard: pct(Some(s.standard)),
            gap: format!("{:.1}", s.gap_points),
            significant: s.significantly_below,
        })
        .collect();
    page.terms = x
        .analyses
        .terms
        .dissatisfied
        .iter()
        .take(12)
        .map(|d| TermLine {
            term: d.term.clone(),
            dissatisfied: d.dissatisfied_count,
            satisfied: d.satisfied_count,
            examples: d.examples.iter().take(2).cloned().collect(),
        })
        .collect();
    let categories = {
        let pool = state.pool.clone();
        web::block(move || {
            let mut conn = pool.get().map_err(crate::db::DbError::Pool)?;
            Ok::<_, crate::web::ApiError>(crate::cases::categories(&mut conn, false)?)
        })
        .await
        .map_err(PageError::internal)?
        .map_err(PageError::internal)?
    };
    page.complaints = x
        .complaints
        .rows
        .iter()
        .map(|r| {
            let cat = r.group.get("category").cloned().unwrap_or_default();
            ComplaintLine {
                year: r
                    .group
                    .get("year")
                    .map(|y| {
                        t.pick(&format!("民國{y}年"), &format!("ROC {y}"))
                            .to_owned()
                    })
                    .unwrap_or_default(),
                category: categories
                    .iter()
                    .find(|c| c.code == cat)
                    .map(|c| t.pick(&c.name_zh, &c.name_en).to_owned())
                    .unwrap_or(cat),
                received: r.received,
                on_time: pct(r.on_time_rate),
                median_first_reply: num(r.median_days_to_first_reply, 1),
                overdue: r.overdue,
            }
        })
        .collect();
    Ok(())
}

/// The figures table as rows of text: the header, then one row per group.
fn table(x: &Exploration, t: &Tr) -> Vec<Vec<String>> {
    let (mut header, lines) = figure_lines(x, t);
    header.extend(
        [
            ("回答數", "n"),
            ("滿意度", "Satisfied"),
            ("95% 信賴區間", "95% CI"),
            ("平均數", "Mean"),
            ("不滿意比例", "Dissatisfied"),
            ("顯著變化", "Significant change"),
            ("p（Holm 校正）", "p (Holm)"),
        ]
        .map(|(zh, en)| t.pick(zh, en).to_owned()),
    );
    let mut rows = vec![header];
    for l in lines {
        let mut row = l.cells;
        if l.suppressed {
            row.extend([
                l.n.to_string(),
                "—".into(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ]);
        } else {
            row.extend([
                l.n.to_string(),
                l.rate,
                l.interval,
                l.mean,
                l.dissatisfied,
                l.change,
                l.p_holm,
            ]);
        }
        rows.push(row);
    }
    rows
}

/// `/console/analytics.csv` and `.xlsx`: the figures table of the same query.
pub async fn analytics_download(
    state: web::Data<AppState>,
    staff: Staff,
    format: web::Path<String>,
    q: web::Query<AnalyticsQuery>,
) -> PageResult {
    require(&staff, may_analyse(&staff))?;
    let lang = staff.tr.lang;
    let format = format.into_inner();
    if format != "csv" && format != "xlsx" {
        return Err(PageError::not_found(lang));
    }
    let q = q.into_inner();
    let (result, _, _) = explore(&state, &staff, &q).await?;
    let x = result.map_err(|m| PageError::bad_request(lang, "query", &m))?;
    let rows = table(&x, &staff.tr);
    let (body, content_type) = if format == "csv" {
        let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
        for r in &rows {
            // Names staff typed (counters, staff members) never run as formulas.
            w.write_record(
                r.iter()
                    .map(|c| crate::reports::tables::neutralise_formula(c).into_owned()),
            )
            .map_err(PageError::internal)?;
        }
        (
            w.into_inner().map_err(PageError::internal)?,
            "text/csv; charset=utf-8",
        )
    } else {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.set_name("figures").map_err(PageError::internal)?;
        for (i, r) in rows.iter().enumerate() {
            for (j, v) in r.iter().enumerate() {
                let (row, col) = (i as u32, j as u16);
                match v.trim_end_matches('%').parse::<f64>() {
                    Ok(n) if i > 0 && !v.contains('–') => {
                        let n = if v.ends_with('%') { n / 100.0 } else { n };
                        sheet
                            .write_number(row, col, n)
                            .map_err(PageError::internal)?;
                    }
                    _ => {
                        sheet
                            .write_string(row, col, v)
                            .map_err(PageError::internal)?;
                    }
                }
            }
        }
        (
            book.save_to_buffer().map_err(PageError::internal)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"manyi-analysis.{format}\""),
        ))
        .body(body))
}
