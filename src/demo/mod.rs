//! Realistic demo data: three offices over five ROC years, counter and web
//! responses, comments in Traditional Chinese. Deterministic for a seed.
//!
//! The model: each respondent has a latent satisfaction drawn around an office
//! and year level (one office improving, one steady, one declining), lowered in
//! the busy months (January-February before the Lunar New Year, July-August);
//! each item adds its own offset and noise, and the sum is cut into the five
//! scale points. Items therefore correlate as real answers do, and the
//! satisfied share sits around 94-98 % like offices' published figures.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Utc, Weekday};
use clap::Args;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use crate::auth::{self, NewUser, Role};
use crate::db::{self, DbConnection};
use crate::forms::{Channel, Form, FormCatalog, ItemKind};
use crate::offices::{self, Counter, NewCounter, NewOffice, NewStaff, Staff};
use crate::survey::{self, AnswerRow, NOT_APPLICABLE, ResponseRow};

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("demo data is already present (office {0} exists); use a fresh database")]
    AlreadyPresent(String),
    #[error("the demo needs the `{0}` form in the forms directory")]
    MissingForm(&'static str),
    #[error("{0}")]
    Options(String),
    #[error(transparent)]
    Code(#[from] offices::OfficeCodeError),
    #[error(transparent)]
    User(#[from] auth::UserError),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

#[derive(Debug, Clone, Args)]
pub struct DemoOptions {
    /// Random seed: the same seed and options give the same data.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Number of responses in all (counter and web).
    #[arg(long, default_value_t = 30_000)]
    pub responses: usize,
    /// Last ROC year of the data (default: last year, e.g. 114 in 2026).
    #[arg(long = "last-year")]
    pub last_roc_year: Option<i32>,
    /// Number of years, ending with the last year.
    #[arg(long, default_value_t = 5)]
    pub years: i32,
    /// More Taipei district offices (0-11) beside the three: with 9, Taipei
    /// City has 10 offices, a county report's size.
    #[arg(long = "extra-taipei", default_value_t = 0)]
    pub extra_taipei: usize,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            seed: 1,
            responses: 30_000,
            last_roc_year: None,
            years: 5,
            extra_taipei: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    pub offices: usize,
    pub responses: usize,
    pub answers: usize,
    pub first_roc_year: i32,
    pub last_roc_year: i32,
    /// Demo staff accounts created (password [`DEMO_PASSWORD`]).
    pub accounts: usize,
}

impl fmt::Display for DemoSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} offices, {} responses, {} answers, ROC years {}-{}, {} demo accounts \
             (password {DEMO_PASSWORD})",
            self.offices,
            self.responses,
            self.answers,
            self.first_roc_year,
            self.last_roc_year,
            self.accounts
        )
    }
}

/// Office, trend of its latent satisfaction (level in the first year, change per
/// year), number of counters, share of the responses.
struct OfficeSpec {
    code: &'static str,
    name_zh: &'static str,
    name_en: &'static str,
    county_zh: &'static str,
    county_en: &'static str,
    level: f64,
    per_year: f64,
    counters: usize,
    share: f64,
}

const OFFICES: [OfficeSpec; 3] = [
    OfficeSpec {
        code: "JC",
        name_zh: "金門縣金城鎮戶政事務所",
        name_en: "Jincheng Township Household Registration Office",
        county_zh: "金門縣",
        county_en: "Kinmen County",
        level: 0.55,
        per_year: 0.12, // improving
        counters: 4,
        share: 0.25,
    },
    OfficeSpec {
        code: "JS",
        name_zh: "金門縣金沙鎮戶政事務所",
        name_en: "Jinsha Township Household Registration Office",
        county_zh: "金門縣",
        county_en: "Kinmen County",
        level: 0.95,
        per_year: 0.0, // steady
        counters: 3,
        share: 0.2,
    },
    OfficeSpec {
        code: "DA",
        name_zh: "臺北市大安區戶政事務所",
        name_en: "Da'an District Household Registration Office",
        county_zh: "臺北市",
        county_en: "Taipei City",
        level: 1.15,
        per_year: -0.11, // declining
        counters: 8,
        share: 0.55,
    },
];

/// Taipei's other district offices, for county-sized demo data.
const TAIPEI: [(&str, &str, &str); 11] = [
    (
        "ZZ",
        "臺北市中正區戶政事務所",
        "Zhongzheng District Household Registration Office",
    ),
    (
        "WH",
        "臺北市萬華區戶政事務所",
        "Wanhua District Household Registration Office",
    ),
    (
        "XY",
        "臺北市信義區戶政事務所",
        "Xinyi District Household Registration Office",
    ),
    (
        "SL",
        "臺北市士林區戶政事務所",
        "Shilin District Household Registration Office",
    ),
    (
        "BT",
        "臺北市北投區戶政事務所",
        "Beitou District Household Registration Office",
    ),
    (
        "NH",
        "臺北市內湖區戶政事務所",
        "Neihu District Household Registration Office",
    ),
    (
        "NG",
        "臺北市南港區戶政事務所",
        "Nangang District Household Registration Office",
    ),
    (
        "WS",
        "臺北市文山區戶政事務所",
        "Wenshan District Household Registration Office",
    ),
    (
        "SS",
        "臺北市松山區戶政事務所",
        "Songshan District Household Registration Office",
    ),
    (
        "ZS",
        "臺北市中山區戶政事務所",
        "Zhongshan District Household Registration Office",
    ),
    (
        "DT",
        "臺北市大同區戶政事務所",
        "Datong District Household Registration Office",
    ),
];

/// The demo's offices: the three, then `extra` Taipei districts with
/// varied trends.
fn office_specs(extra: usize) -> Vec<OfficeSpec> {
    let mut specs: Vec<OfficeSpec> = OFFICES.into_iter().collect();
    for (i, (code, zh, en)) in TAIPEI.iter().take(extra).enumerate() {
        let i = i as f64;
        specs.push(OfficeSpec {
            code,
            name_zh: zh,
            name_en: en,
            county_zh: "臺北市",
            county_en: "Taipei City",
            level: 0.7 + 0.05 * (i % 5.0),
            per_year: 0.06 * ((i % 3.0) - 1.0),
            counters: 4 + (i as usize % 4),
            share: 0.3 + 0.03 * i,
        });
    }
    specs
}

/// Fictional staff names.
const STAFF_NAMES: [&str; 12] = [
    "陳雅婷",
    "林志明",
    "黃淑芬",
    "張家豪",
    "李佩珊",
    "王俊傑",
    "吳美玲",
    "劉建宏",
    "蔡宜君",
    "楊宗翰",
    "許雅雯",
    "鄭文彥",
];

/// Per-item offset on the latent scale; waiting time is the usual weak point.
fn item_offset(key: &str) -> f64 {
    match key {
        "staff_attitude" => 0.15,
        "staff_expertise" => 0.1,
        "cleanliness" => 0.2,
        "waiting_time" => -0.35,
        "volunteer_attitude" => -0.05,
        "process_design" => -0.05,
        "wayfinding" => -0.05,
        "facilities" => -0.1,
        "info_findable" => -0.3,
        "online_ease" => -0.2,
        "page_speed" => -0.1,
        _ => 0.0,
    }
}

/// Busy months lower the mood, and waiting time most of all.
fn season(month: u32, item: &str) -> f64 {
    let busy = matches!(month, 1 | 2 | 7 | 8);
    match (busy, item) {
        (true, "waiting_time") => -0.45,
        (true, _) => -0.12,
        _ => 0.0,
    }
}

/// Relative visitor volume by month (more before the Lunar New Year and in summer).
const MONTH_VOLUME: [f64; 12] = [1.4, 1.3, 1.0, 0.9, 0.9, 0.9, 1.3, 1.3, 1.0, 0.9, 0.9, 1.0];

/// Cuts the latent value into scale points; see the module comment.
fn to_score(v: f64) -> i16 {
    if v > 0.9 {
        5
    } else if v > -1.2 {
        4
    } else if v > -1.9 {
        3
    } else if v > -2.5 {
        2
    } else {
        1
    }
}

const POSITIVE: [&str; 10] = [
    "服務人員態度親切，辦理速度很快。",
    "櫃檯人員很有耐心解說，謝謝！",
    "環境整潔明亮，動線清楚。",
    "志工很熱心引導填寫申請書。",
    "辦理戶籍謄本很迅速，五分鐘就完成。",
    "承辦人員主動提醒應備文件，省了再跑一趟。",
    "服務很好，值得嘉獎。",
    "叫號系統清楚，等候區舒適。",
    "第一次辦理結婚登記，人員說明很詳細。",
    "印鑑證明辦理流程順暢。",
];

const NEGATIVE: [&str; 10] = [
    "等候時間太久，叫號系統應顯示預估等候時間。",
    "櫃檯人員態度冷淡，說明不清楚。",
    "停車位太少，找不到停車位。",
    "申請印鑑證明需要的文件網站上寫得不清楚。",
    "中午時段只開一個櫃檯，等了四十分鐘。",
    "冷氣太冷，等候區座位不足。",
    "同一件事被要求補件兩次，流程應該簡化。",
    "身分證換發要等很久，人手不足。",
    "電話一直打不通，無人接聽。",
    "服務人員講話太快，長輩聽不懂。",
];

const SUGGESTIONS: [&str; 6] = [
    "建議增設線上預約服務。",
    "希望週末也能開放辦理。",
    "希望提供英文版申請表。",
    "建議增加哺集乳室及兒童遊戲區。",
    "戶口名簿遺失補發流程可以再簡化。",
    "希望網站上有各項業務所需時間說明。",
];

const WEB_COMMENTS: [&str; 6] = [
    "網站資訊找不到，搜尋功能不好用。",
    "線上申請戶籍謄本很方便。",
    "手機版網頁字太小。",
    "線上預約系統很好用，節省時間。",
    "申辦進度查詢常常無法登入。",
    "書表下載的檔案格式希望提供 ODF。",
];

/// Service type codes and how often each is the reason for a visit.
const SERVICE_MIX: [(&str, f64); 11] = [
    ("transcript", 30.0),
    ("migration", 18.0),
    ("id_card", 12.0),
    ("seal", 10.0),
    ("birth", 6.0),
    ("marriage", 5.0),
    ("death", 4.0),
    ("divorce", 2.0),
    ("house_number", 3.0),
    ("nationality", 1.0),
    ("other", 9.0),
];

/// Password of every demo account. Demo data is for trying manyi out, never
/// for a database that serves real citizens.
pub const DEMO_PASSWORD: &str = "manyi-demo-2026";

/// A demo account: username, name, role, office code, county.
type DemoAccount = (
    &'static str,
    &'static str,
    Role,
    Option<&'static str>,
    Option<&'static str>,
);

const DEMO_ACCOUNTS: [DemoAccount; 7] = [
    ("admin", "系統管理者", Role::SystemAdmin, None, None),
    (
        "kinmen",
        "金門縣政府民政處",
        Role::CountyAdmin,
        None,
        Some("金門縣"),
    ),
    (
        "director-jc",
        "金城所主任",
        Role::Director,
        Some("JC"),
        None,
    ),
    (
        "director-js",
        "金沙所主任",
        Role::Director,
        Some("JS"),
        None,
    ),
    (
        "director-da",
        "大安所主任",
        Role::Director,
        Some("DA"),
        None,
    ),
    (
        "research-da",
        "大安所研考",
        Role::Research,
        Some("DA"),
        None,
    ),
    (
        "counter-da",
        "大安所櫃檯",
        Role::CounterStaff,
        Some("DA"),
        None,
    ),
];

const WEB_SHARE: f64 = 0.12;
const BATCH: usize = 5_000;

fn current_roc_year() -> i32 {
    Utc::now().year() - 1911
}

/// Generates and stores the demo data. Refuses to run twice on one database.
pub fn generate(
    conn: &mut DbConnection,
    catalog: &FormCatalog,
    opts: &DemoOptions,
) -> Result<DemoSummary, DemoError> {
    let last = opts.last_roc_year.unwrap_or_else(|| current_roc_year() - 1);
    if opts.years < 1 || opts.years > 20 {
        return Err(DemoError::Options(
            "--years must be between 1 and 20".into(),
        ));
    }
    if !(1..=200).contains(&last) {
        return Err(DemoError::Options(
            "--last-year is an ROC year such as 114".into(),
        ));
    }
    let first = last - opts.years + 1;
    if first < 1 {
        return Err(DemoError::Options(
            "the years would start before ROC year 1".into(),
        ));
    }
    let counter_form = catalog
        .get("counter")
        .ok_or(DemoError::MissingForm("counter"))?;
    let web_form = catalog.get("web").ok_or(DemoError::MissingForm("web"))?;
    let version_ids = crate::forms::register_catalog(conn, catalog)?;

    if opts.extra_taipei > TAIPEI.len() {
        return Err(DemoError::Options(format!(
            "extra-taipei: at most {} more offices",
            TAIPEI.len()
        )));
    }
    let specs = office_specs(opts.extra_taipei);
    let codes = specs
        .iter()
        .map(|o| offices::OfficeCode::parse(o.code))
        .collect::<Result<Vec<_>, _>>()?;
    for (o, code) in specs.iter().zip(&codes) {
        if offices::find_office_by_code(conn, code)?.is_some() {
            return Err(DemoError::AlreadyPresent(o.code.to_owned()));
        }
    }

    let service_ids: BTreeMap<String, i32> = offices::service_types(conn)?
        .into_iter()
        .map(|s| (s.code, s.id))
        .collect();

    // Reference data first, in one transaction.
    let setup: Vec<(i32, Vec<Counter>, Vec<Staff>)> = db::write_transaction(conn, |conn| {
        let mut out = Vec::new();
        for (o, code) in specs.iter().zip(&codes) {
            let office = offices::create_office(
                conn,
                &NewOffice::new(code, o.name_zh, o.name_en, o.county_zh, o.county_en),
            )?;
            let codes: Vec<String> = (1..=o.counters).map(|i| i.to_string()).collect();
            let names: Vec<(String, String)> = (1..=o.counters)
                .map(|i| (format!("{i} 號櫃檯"), format!("Counter {i}")))
                .collect();
            let new_counters: Vec<NewCounter> = codes
                .iter()
                .zip(&names)
                .map(|(c, (zh, en))| NewCounter {
                    office_id: office.id,
                    code: c,
                    name_zh: zh,
                    name_en: en,
                })
                .collect();
            let counters = offices::create_counters(conn, &new_counters)?;
            // One staff member per counter plus a relief colleague.
            let staff_codes: Vec<String> =
                (1..=o.counters + 1).map(|i| format!("S{i:02}")).collect();
            let new_staff: Vec<NewStaff> = staff_codes
                .iter()
                .enumerate()
                .map(|(i, c)| NewStaff {
                    office_id: office.id,
                    code: c,
                    display_name: STAFF_NAMES[i % STAFF_NAMES.len()],
                })
                .collect();
            let staff = offices::create_staff(conn, &new_staff)?;
            out.push((office.id, counters, staff));
        }
        Ok::<_, DemoError>(out)
    })?;

    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let office_pick = WeightedIndex::new(specs.iter().map(|o| o.share)).expect("positive shares");
    let month_pick = WeightedIndex::new(MONTH_VOLUME).expect("positive volumes");
    let service_pick = WeightedIndex::new(SERVICE_MIX.iter().map(|s| s.1)).expect("positive mix");

    let mut summary = DemoSummary {
        offices: specs.len(),
        responses: 0,
        answers: 0,
        first_roc_year: first,
        last_roc_year: last,
        accounts: 0,
    };
    let mut produced = 0;
    while produced < opts.responses {
        let n = BATCH.min(opts.responses - produced);
        let mut batch: Vec<(ResponseRow, Vec<AnswerRow>)> = Vec::with_capacity(n);
        for _ in 0..n {
            let oi = office_pick.sample(&mut rng);
            let spec = &specs[oi];
            let (office_id, counters, staff) = &setup[oi];
            let roc_year = rng.random_range(first..=last);
            let month = month_pick.sample(&mut rng) as u32 + 1;
            let submitted_at = office_hours_instant(&mut rng, roc_year + 1911, month);
            let year_index = (roc_year - first) as f64;
            let level = spec.level + spec.per_year * year_index;
            let person: f64 = level + rng.sample::<f64, _>(StandardNormal);
            let web = rng.random_bool(WEB_SHARE);
            let (form, channel) = if web {
                (&web_form.form, Channel::Web)
            } else {
                (&counter_form.form, Channel::Counter)
            };
            let (counter_id, staff_id) = if web {
                (None, None)
            } else {
                let ci = rng.random_range(0..counters.len());
                // Usually the counter's own clerk; sometimes the relief colleague.
                let si = if rng.random_bool(0.85) {
                    ci
                } else {
                    staff.len() - 1
                };
                (Some(counters[ci].id), Some(staff[si].id))
            };
            let (answers, service) = demo_answers(&mut rng, form, person, month, &service_pick);
            let row = ResponseRow {
                office_id: *office_id,
                channel: channel.as_str().to_owned(),
                form_version_id: version_ids[&form.key],
                submitted_at,
                received_at: submitted_at,
                counter_id,
                staff_id,
                service_type_id: service.and_then(|code| service_ids.get(code).copied()),
                device_id: None,
                idempotency_key: uuid::Builder::from_random_bytes(rng.random())
                    .into_uuid()
                    .to_string(),
            };
            batch.push((row, answers));
        }
        let written = db::write_transaction(conn, |conn| {
            let rows: Vec<ResponseRow> = batch.iter().map(|(r, _)| r.clone()).collect();
            let ids = survey::insert_responses(conn, &rows)?;
            let answers: Vec<AnswerRow> = batch
                .into_iter()
                .zip(ids)
                .flat_map(|((_, answers), id)| {
                    answers.into_iter().map(move |mut a| {
                        a.response_id = id;
                        a
                    })
                })
                .collect();
            survey::insert_answers(conn, &answers)
        })?;
        summary.responses += n;
        summary.answers += written;
        produced += n;
    }
    summary.accounts = create_demo_accounts(conn)?;
    Ok(summary)
}

/// The demo accounts, all with [`DEMO_PASSWORD`]; returns how many were made.
fn create_demo_accounts(conn: &mut DbConnection) -> Result<usize, DemoError> {
    let hash = auth::hash_password(DEMO_PASSWORD);
    let mut made = 0;
    for (username, name, role, office, county) in DEMO_ACCOUNTS {
        if auth::find_user_by_username(conn, username)?.is_some() {
            continue;
        }
        let office_id = match office {
            Some(code) => offices::find_office_by_code(conn, &offices::OfficeCode::parse(code)?)?
                .map(|o| o.id),
            None => None,
        };
        let new = NewUser {
            username: username.to_owned(),
            display_name: name.to_owned(),
            role,
            office_id,
            county_zh: county.map(str::to_owned),
        };
        auth::create_user(conn, &new, &hash, None, None)?;
        made += 1;
    }
    Ok(made)
}

/// A weekday instant between 08:00 and 17:00 Taipei time (UTC+8), stored as UTC.
fn office_hours_instant(rng: &mut ChaCha8Rng, year: i32, month: u32) -> NaiveDateTime {
    let days = days_in_month(year, month);
    loop {
        let day = rng.random_range(1..=days);
        let date = NaiveDate::from_ymd_opt(year, month, day).expect("valid day of month");
        if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
            continue;
        }
        let seconds = rng.random_range(0..9 * 3600);
        // 08:00 Taipei is 00:00 UTC.
        let time = NaiveTime::from_num_seconds_from_midnight_opt(seconds, 0).expect("in range");
        return date.and_time(time);
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    next.expect("valid date")
        .pred_opt()
        .expect("valid date")
        .day()
}

fn demo_answers(
    rng: &mut ChaCha8Rng,
    form: &Form,
    person: f64,
    month: u32,
    service_pick: &WeightedIndex<f64>,
) -> (Vec<AnswerRow>, Option<&'static str>) {
    let mut rows = Vec::new();
    let mut service = None;
    let mut lowest = 5;
    for item in &form.items {
        let mut row = AnswerRow {
            response_id: 0,
            item_key: item.key.clone(),
            score: None,
            choice: None,
            text_value: None,
        };
        match &item.kind {
            ItemKind::Likert5 { allow_na, .. } => {
                if *allow_na && rng.random_bool(0.3) {
                    row.choice = Some(NOT_APPLICABLE.to_owned());
                } else {
                    let noise: f64 = rng.sample(StandardNormal);
                    let sd = if item.overall { 0.35 } else { 0.6 };
                    let v = person + item_offset(&item.key) + season(month, &item.key) + sd * noise;
                    let s = to_score(v);
                    lowest = lowest.min(s);
                    row.score = Some(s);
                }
            }
            ItemKind::Nps => {
                let noise: f64 = rng.sample(StandardNormal);
                let v = 7.5 + 1.8 * (person - 0.9) + 1.2 * noise;
                row.score = Some(v.round().clamp(0.0, 10.0) as i16);
            }
            ItemKind::ServiceType => {
                if rng.random_bool(0.85) {
                    service = Some(SERVICE_MIX[service_pick.sample(rng)].0);
                }
                continue;
            }
            ItemKind::Multiple {
                options,
                max_choices,
            } => {
                let mut chosen: Vec<&str> = options
                    .iter()
                    .filter(|_| rng.random_bool(0.35))
                    .map(|o| o.key.as_str())
                    .collect();
                if let Some(m) = max_choices {
                    chosen.truncate(*m as usize);
                }
                if chosen.is_empty() {
                    continue;
                }
                row.choice = Some(chosen.join(","));
            }
            ItemKind::Single { options } => {
                row.choice = Some(options[rng.random_range(0..options.len())].key.clone());
            }
            ItemKind::Points { max, levels } => {
                row.score = Some(if levels.is_empty() {
                    rng.random_range(*max / 2..=*max)
                } else {
                    levels[rng.random_range(0..levels.len())].points
                });
            }
            ItemKind::Text { .. } => {
                // Unhappy respondents write far more often.
                let p = if lowest <= 2 { 0.4 } else { 0.06 };
                if !rng.random_bool(p) {
                    continue;
                }
                let pool: &[&str] = if form.key == "web" {
                    &WEB_COMMENTS
                } else if lowest <= 2 {
                    &NEGATIVE
                } else if rng.random_bool(0.7) {
                    &POSITIVE
                } else {
                    &SUGGESTIONS
                };
                row.text_value = Some(pool[rng.random_range(0..pool.len())].to_owned());
            }
        }
        rows.push(row);
    }
    (rows, service)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_cuts_are_ordered() {
        assert_eq!(to_score(2.0), 5);
        assert_eq!(to_score(0.0), 4);
        assert_eq!(to_score(-1.5), 3);
        assert_eq!(to_score(-2.0), 2);
        assert_eq!(to_score(-3.0), 1);
    }

    #[test]
    fn office_hours_are_weekdays_in_taipei_daytime() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for _ in 0..500 {
            let t = office_hours_instant(&mut rng, 2024, 2);
            assert!(!matches!(t.weekday(), Weekday::Sat | Weekday::Sun));
            assert!(t.hour() < 9, "08:00-17:00 Taipei is 00:00-09:00 UTC");
            assert_eq!(t.month(), 2);
        }
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2025, 2), 28);
        assert_eq!(days_in_month(2025, 12), 31);
    }

    use chrono::Timelike;
}
