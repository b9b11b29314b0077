//! Realistic demo data: three offices over five ROC years, counter and web
//! responses, comments in Traditional Chinese. Deterministic for a seed.
//!
//! The model: each respondent has a latent satisfaction drawn around an office
//! and year level (one office improving, one steady, one declining), lowered in
//! the busy months (January-February before the Lunar New Year, July-August);
//! each item adds its own offset and noise, and the sum is cut into the five
//! scale points. Items therefore correlate as real answers do, and the
//! satisfied share sits around 94-98 % like offices' published figures.
//!
//! Here the options, the offices and [`generate`]; `respondents.rs` is the
//! model of one respondent's answers, `accounts.rs` the demo staff accounts.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use chrono::{Datelike, Utc};
use clap::Args;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use crate::auth;
use crate::db::{self, DbConnection};
use crate::forms::{Channel, FormCatalog};
use crate::offices::{self, Counter, NewCounter, NewOffice, NewStaff, Staff};
use crate::survey::{self, AnswerRow, ResponseRow};

pub use accounts::DEMO_PASSWORD;

use accounts::create_demo_accounts;
use respondents::{MONTH_VOLUME, SERVICE_MIX, demo_answers, office_hours_instant};

mod accounts;
mod cases;
mod respondents;

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
    Case(#[from] crate::cases::CaseError),
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
    /// Offices in all, for national-size data (up to 1000): after the
    /// demo's own, fictional offices spread over the 22 counties and cities.
    #[arg(long)]
    pub offices: Option<usize>,
    /// Responses per office and year instead of `--responses` in all
    /// (370 offices × 10 years × 27,000 is a country's decade).
    #[arg(long = "responses-per-office-year")]
    pub responses_per_office_year: Option<usize>,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            seed: 1,
            responses: 30_000,
            last_roc_year: None,
            years: 5,
            extra_taipei: 0,
            offices: None,
            responses_per_office_year: None,
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
    /// Cases in the complaint register, and how many of them are open.
    pub cases: usize,
    pub open_cases: usize,
}

impl fmt::Display for DemoSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} offices, {} responses, {} answers, {} cases ({} open), ROC years {}-{}, \
             {} demo accounts (password {DEMO_PASSWORD})",
            self.offices,
            self.responses,
            self.answers,
            self.cases,
            self.open_cases,
            self.first_roc_year,
            self.last_roc_year,
            self.accounts
        )
    }
}

/// Office, trend of its latent satisfaction (level in the first year, change per
/// year), number of counters, share of the responses.
struct OfficeSpec {
    code: Cow<'static, str>,
    name_zh: Cow<'static, str>,
    name_en: Cow<'static, str>,
    county_zh: &'static str,
    county_en: &'static str,
    level: f64,
    per_year: f64,
    counters: usize,
    share: f64,
}

const OFFICES: [OfficeSpec; 3] = [
    OfficeSpec {
        code: Cow::Borrowed("JC"),
        name_zh: Cow::Borrowed("金門縣金城鎮戶政事務所"),
        name_en: Cow::Borrowed("Jincheng Township Household Registration Office"),
        county_zh: "金門縣",
        county_en: "Kinmen County",
        level: 0.55,
        per_year: 0.12, // improving
        counters: 4,
        share: 0.25,
    },
    OfficeSpec {
        code: Cow::Borrowed("JS"),
        name_zh: Cow::Borrowed("金門縣金沙鎮戶政事務所"),
        name_en: Cow::Borrowed("Jinsha Township Household Registration Office"),
        county_zh: "金門縣",
        county_en: "Kinmen County",
        level: 0.95,
        per_year: 0.0, // steady
        counters: 3,
        share: 0.2,
    },
    OfficeSpec {
        code: Cow::Borrowed("DA"),
        name_zh: Cow::Borrowed("臺北市大安區戶政事務所"),
        name_en: Cow::Borrowed("Da'an District Household Registration Office"),
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

/// The 22 counties and cities (zh-TW, English), for national-size data.
const COUNTIES: [(&str, &str); 22] = [
    ("臺北市", "Taipei City"),
    ("新北市", "New Taipei City"),
    ("桃園市", "Taoyuan City"),
    ("臺中市", "Taichung City"),
    ("臺南市", "Tainan City"),
    ("高雄市", "Kaohsiung City"),
    ("基隆市", "Keelung City"),
    ("新竹市", "Hsinchu City"),
    ("嘉義市", "Chiayi City"),
    ("新竹縣", "Hsinchu County"),
    ("苗栗縣", "Miaoli County"),
    ("彰化縣", "Changhua County"),
    ("南投縣", "Nantou County"),
    ("雲林縣", "Yunlin County"),
    ("嘉義縣", "Chiayi County"),
    ("屏東縣", "Pingtung County"),
    ("宜蘭縣", "Yilan County"),
    ("花蓮縣", "Hualien County"),
    ("臺東縣", "Taitung County"),
    ("澎湖縣", "Penghu County"),
    ("金門縣", "Kinmen County"),
    ("連江縣", "Lienchiang County"),
];

/// Most offices a demo makes.
const MAX_OFFICES: usize = 1000;

/// The demo's offices: the three, then `extra` Taipei districts with
/// varied trends, then fictional offices over the counties up to `total`.
fn office_specs(extra: usize, total: Option<usize>) -> Vec<OfficeSpec> {
    let mut specs: Vec<OfficeSpec> = OFFICES.into_iter().collect();
    for (i, (code, zh, en)) in TAIPEI.iter().take(extra).enumerate() {
        let i = i as f64;
        specs.push(OfficeSpec {
            code: Cow::Borrowed(*code),
            name_zh: Cow::Borrowed(*zh),
            name_en: Cow::Borrowed(*en),
            county_zh: "臺北市",
            county_en: "Taipei City",
            level: 0.7 + 0.05 * (i % 5.0),
            per_year: 0.06 * ((i % 3.0) - 1.0),
            counters: 4 + (i as usize % 4),
            share: 0.3 + 0.03 * i,
        });
    }
    let own = specs.len();
    for n in own..total.unwrap_or(own) {
        let i = n as f64;
        let (county_zh, county_en) = COUNTIES[n % COUNTIES.len()];
        let number = n + 1;
        specs.push(OfficeSpec {
            code: Cow::Owned(format!("N{number:03}")),
            name_zh: Cow::Owned(format!("{county_zh}第{number}示範戶政事務所")),
            name_en: Cow::Owned(format!(
                "Demo Household Registration Office {number}, {county_en}"
            )),
            county_zh,
            county_en,
            level: 0.6 + 0.07 * (i % 8.0),
            per_year: 0.04 * ((i % 5.0) - 2.0),
            counters: 3 + (n % 6),
            // Every office equally often: `--responses-per-office-year` means it.
            share: 0.3,
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

const WEB_SHARE: f64 = 0.12;
const BATCH: usize = 5_000;

/// A demo response's idempotency key: a UUID (version 4 by its bits) whose
/// first half is the run's random prefix and whose second half is the
/// running number, so that the keys of one run sort in the order written.
fn ordered_key(run_prefix: u64, n: usize) -> String {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&run_prefix.to_be_bytes());
    bytes[8..].copy_from_slice(&(n as u64).to_be_bytes());
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

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
    let own = OFFICES.len() + opts.extra_taipei;
    if let Some(n) = opts.offices
        && !(own..=MAX_OFFICES).contains(&n)
    {
        return Err(DemoError::Options(format!(
            "--offices: between {own} (the demo's own) and {MAX_OFFICES}"
        )));
    }
    let specs = office_specs(opts.extra_taipei, opts.offices);
    let responses = match opts.responses_per_office_year {
        Some(n) => n * specs.len() * opts.years as usize,
        None => opts.responses,
    };
    let codes = specs
        .iter()
        .map(|o| offices::OfficeCode::parse(&o.code))
        .collect::<Result<Vec<_>, _>>()?;
    for (o, code) in specs.iter().zip(&codes) {
        if offices::find_office_by_code(conn, code)?.is_some() {
            return Err(DemoError::AlreadyPresent(o.code.to_string()));
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
                &NewOffice::new(code, &o.name_zh, &o.name_en, o.county_zh, o.county_en),
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
        cases: 0,
        open_cases: 0,
    };
    let mut produced = 0;
    let run_prefix: u64 = rng.random();
    db::begin_bulk_load(conn)?;
    while produced < responses {
        let n = BATCH.min(responses - produced);
        let mut batch: Vec<(ResponseRow, Vec<AnswerRow>)> = Vec::with_capacity(n);
        for k in 0..n {
            // So many per office and year exactly, or offices by their share.
            let (oi, roc_year) = match opts.responses_per_office_year {
                Some(per) => {
                    let i = (produced + k) / per.max(1);
                    let years = opts.years as usize;
                    (i / years % specs.len(), first + (i % years) as i32)
                }
                None => (office_pick.sample(&mut rng), rng.random_range(first..=last)),
            };
            let spec = &specs[oi];
            let (office_id, counters, staff) = &setup[oi];
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
                // Ordered keys: one random prefix per run, then the running
                // number, so that the key index grows at its end instead of
                // at random pages (a random key per row made the index the
                // slowest part of a large load).
                idempotency_key: ordered_key(run_prefix, produced + k),
            };
            batch.push((row, answers));
        }
        let (_, written) = db::write_transaction(conn, |conn| survey::insert_bulk(conn, batch))?;
        summary.responses += n;
        summary.answers += written;
        produced += n;
    }
    db::end_bulk_load(conn)?;
    summary.accounts = create_demo_accounts(conn)?;
    // The register, handled by each office's demo director.
    let mut directors = Vec::new();
    for (o, (office_id, _, _)) in specs.iter().zip(&setup) {
        let username = format!("director-{}", o.code.to_ascii_lowercase());
        if let Some(u) = auth::find_user_by_username(conn, &username)? {
            directors.push((*office_id, u, o.share));
        }
    }
    let handlers: Vec<cases::Handler<'_>> = directors
        .iter()
        .map(|(office_id, director, share)| cases::Handler {
            office_id: *office_id,
            director,
            // About 60 cases a year across the demo offices, by their share of visitors.
            per_year: ((share * 60.0).round() as u32).max(4),
        })
        .collect();
    let registered = cases::generate_cases(
        conn,
        &mut rng,
        &handlers,
        (first + 1911)..=(last + 1911),
        crate::calendar::taipei::today(),
    )?;
    summary.cases = registered.cases;
    summary.open_cases = registered.open;
    Ok(summary)
}
