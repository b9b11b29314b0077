//! The citizen's pages, server-rendered, every text in Traditional Chinese
//! first, then English: the home page, form previews and the static assets
//! here; the questionnaires in `kiosk`, the mailbox and lookup in `cases`.

pub(super) mod cases;
pub(super) mod kiosk;
pub(super) mod problem;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::ApiError;
use super::state::AppState;
use crate::db;
use crate::forms::{Form, ItemKind, LoadedForm, Text};
use crate::offices::{self, Office, ServiceType};

const STYLE: &str = include_str!("../../../assets/style.css");
const FAVICON: &str = include_str!("../../../assets/favicon.svg");
const ALERTS_JS: &str = include_str!("../../../assets/alerts.js");

pub async fn alerts_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "no-cache"))
        .body(ALERTS_JS)
}

pub async fn favicon() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header(("Cache-Control", "public, max-age=86400"))
        .body(FAVICON)
}

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(STYLE)
}

fn html(status: StatusCode, t: &impl Template) -> Result<HttpResponse, ApiError> {
    let body = t.render().map_err(ApiError::internal)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

struct FormRow<'a> {
    form: &'a Form,
    version_short: &'a str,
    channels: String,
}

/// One county's offices on the start page.
struct CountyGroup {
    zh: String,
    en: String,
    offices: Vec<Office>,
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    counties: Vec<CountyGroup>,
    /// The web questionnaire each office links to, when one is loaded.
    web_form: Option<String>,
    /// A fresh installation: no staff account yet, so the page says how to
    /// make the first administrator.
    no_accounts: bool,
}

#[derive(Template)]
#[template(path = "developers.html")]
struct DevelopersPage<'a> {
    forms: Vec<FormRow<'a>>,
    offices: Vec<Office>,
}

/// The questionnaire citizens fill in on the web: the form keyed `web` when it
/// takes the web channel, else the first that does.
pub(super) fn web_form_key(state: &AppState) -> Option<String> {
    let web_forms: Vec<&LoadedForm> = state
        .catalog
        .iter()
        .filter(|f| f.form.accepts(crate::forms::Channel::Web))
        .collect();
    web_forms
        .iter()
        .find(|f| f.form.key == "web")
        .or_else(|| web_forms.first())
        .map(|f| f.form.key.clone())
}

async fn active_offices(state: &AppState) -> Result<(Vec<Office>, bool), ApiError> {
    let pool = state.pool.clone();
    web::block(move || {
        let mut conn = pool.get().map_err(db::DbError::Pool)?;
        let offices: Vec<Office> = offices::list_offices(&mut conn)?
            .into_iter()
            .filter(|o| o.active)
            .collect();
        let no_accounts = !crate::auth::any_user(&mut conn)?;
        Ok::<_, ApiError>((offices, no_accounts))
    })
    .await?
}

/// The start page is for citizens: each office's questionnaire and mailbox,
/// grouped by county, and the case lookup.
pub async fn index(state: web::Data<AppState>) -> Result<HttpResponse, problem::Problem> {
    let (offices, no_accounts) = active_offices(&state).await?;
    let mut counties: Vec<CountyGroup> = Vec::new();
    for o in offices {
        match counties.iter_mut().find(|c| c.zh == o.county_zh) {
            Some(c) => c.offices.push(o),
            None => counties.push(CountyGroup {
                zh: o.county_zh.clone(),
                en: o.county_en.clone(),
                offices: vec![o],
            }),
        }
    }
    Ok(html(
        StatusCode::OK,
        &IndexPage {
            counties,
            web_form: web_form_key(&state),
            no_accounts,
        },
    )?)
}

/// For developers and integrators: the loaded forms, the office codes and the API.
pub async fn developers(state: web::Data<AppState>) -> Result<HttpResponse, problem::Problem> {
    let (offices, _) = active_offices(&state).await?;
    let forms = state.catalog.iter().map(row).collect();
    Ok(html(StatusCode::OK, &DevelopersPage { forms, offices })?)
}

fn row(f: &LoadedForm) -> FormRow<'_> {
    FormRow {
        form: &f.form,
        version_short: &f.version_hash[..12],
        channels: f
            .form
            .channels
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// An item as the preview shows it.
struct ItemView<'a> {
    key: &'a str,
    text: &'a Text,
    type_name: &'static str,
    required: bool,
    overall: bool,
    dimension: Option<&'a Text>,
    /// Answer labels (scale points, options, levels), in order.
    answers: Vec<(String, Text)>,
    note: Option<Text>,
}

#[derive(Template)]
#[template(path = "form.html")]
struct FormPage<'a> {
    form: &'a Form,
    version: &'a str,
    items: Vec<ItemView<'a>>,
}

pub async fn form_preview(
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let Some(loaded) = state.catalog.get(&key) else {
        return not_found_page();
    };
    let pool = state.pool.clone();
    let types = web::block(move || {
        let mut conn = pool.get().map_err(db::DbError::Pool)?;
        Ok::<_, ApiError>(offices::service_types(&mut conn)?)
    })
    .await??;
    let form = &loaded.form;
    let items = form
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| item_view(form, i, item, &types))
        .collect();
    html(
        StatusCode::OK,
        &FormPage {
            form,
            version: &loaded.version_hash,
            items,
        },
    )
}

fn item_view<'a>(
    form: &'a Form,
    _i: usize,
    item: &'a crate::forms::Item,
    types: &[ServiceType],
) -> ItemView<'a> {
    let mut note = None;
    let answers = match &item.kind {
        ItemKind::Likert5 { scale, allow_na } => {
            let mut a: Vec<(String, Text)> = scale
                .labels()
                .into_iter()
                .zip((1..=5).rev())
                .map(|(t, n)| (n.to_string(), t))
                .collect();
            if *allow_na {
                a.push(("na".into(), Text::new("不適用", "Not applicable")));
            }
            a
        }
        ItemKind::Single { options } | ItemKind::Multiple { options, .. } => options
            .iter()
            .map(|o| (o.key.clone(), o.text.clone()))
            .collect(),
        ItemKind::Nps => {
            note = Some(Text::new(
                "0（完全不可能）至 10（非常可能）",
                "0 (not at all likely) to 10 (extremely likely)",
            ));
            Vec::new()
        }
        ItemKind::Points { max, levels } => {
            note = Some(Text::new(
                &format!("滿分 {max} 分"),
                &format!("{max} points at most"),
            ));
            levels
                .iter()
                .map(|l| (l.points.to_string(), l.text.clone()))
                .collect()
        }
        ItemKind::Text { max_length } => {
            note = Some(Text::new(
                &format!("文字，最多 {max_length} 字"),
                &format!("Text, at most {max_length} characters"),
            ));
            Vec::new()
        }
        ItemKind::ServiceType => types
            .iter()
            .map(|t| (t.code.clone(), Text::new(&t.name_zh, &t.name_en)))
            .collect(),
    };
    if let ItemKind::Multiple {
        max_choices: Some(m),
        ..
    } = &item.kind
    {
        note = Some(Text::new(
            &format!("可複選，最多 {m} 項"),
            &format!("Choose up to {m}"),
        ));
    }
    ItemView {
        key: &item.key,
        text: &item.text,
        type_name: item.kind.type_name(),
        required: item.required,
        overall: item.overall,
        dimension: item
            .dimension
            .as_ref()
            .and_then(|d| form.dimensions.iter().find(|x| &x.key == d))
            .map(|d| &d.name),
        answers,
        note,
    }
}

#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFoundPage;

fn not_found_page() -> Result<HttpResponse, ApiError> {
    html(StatusCode::NOT_FOUND, &NotFoundPage)
}

pub async fn not_found() -> Result<HttpResponse, ApiError> {
    not_found_page()
}
