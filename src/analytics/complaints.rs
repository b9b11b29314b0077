//! Complaint figures from the case register, per period, office, channel and
//! category: received, accepted, on-time rate, median and p90 working days to
//! first reply and to closure, overdue; and the category × outcome ×
//! timeliness table of the periodic review. Definitions are the register's
//! own (`cases::views`): not-accepted and transferred cases count as received
//! but not for timeliness; p90 is the nearest rank.

use chrono::{Datelike, NaiveDate};
use polars::prelude::Column;
use polars::prelude::*;
use serde::Serialize;

use super::AnalyticsError;
use super::Collect;
use crate::calendar::Calendar;
use crate::cases::views::{median, outcome_and_timeliness, p90};
use crate::cases::{CaseStatus, Outcome, Timeliness};

/// A case reduced to what the figures need.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseFacts {
    pub office: String,
    pub county: String,
    pub channel: String,
    pub category: String,
    pub received_on: NaiveDate,
    pub outcome: Outcome,
    pub timeliness: Timeliness,
    pub accepted: bool,
    pub overdue: bool,
    pub reply_days: Option<i64>,
    pub close_days: Option<i64>,
}

/// A case as the register gives it: office code, county, channel, category
/// code, status, received, due, first reply, closed.
pub type CaseRow = (
    String,
    String,
    String,
    String,
    CaseStatus,
    NaiveDate,
    NaiveDate,
    Option<NaiveDate>,
    Option<NaiveDate>,
);

/// The register's rows as facts, on `today` (Taipei).
pub fn rows_to_cases(rows: Vec<CaseRow>, calendar: &Calendar, today: NaiveDate) -> Vec<CaseFacts> {
    rows.into_iter()
        .map(
            |(office, county, channel, category, status, received, due, first_reply, closed)| {
                facts(
                    office,
                    county,
                    channel,
                    category,
                    status,
                    received,
                    due,
                    first_reply,
                    closed,
                    calendar,
                    today,
                )
            },
        )
        .collect()
}

/// Derives outcome, timeliness and working days of one case.
#[allow(clippy::too_many_arguments)]
pub fn facts(
    office: String,
    county: String,
    channel: String,
    category: String,
    status: CaseStatus,
    received: NaiveDate,
    due: NaiveDate,
    first_reply: Option<NaiveDate>,
    closed: Option<NaiveDate>,
    calendar: &Calendar,
    today: NaiveDate,
) -> CaseFacts {
    let (outcome, timeliness) = outcome_and_timeliness(status, due, first_reply, today);
    CaseFacts {
        office,
        county,
        channel,
        category,
        received_on: received,
        outcome,
        timeliness,
        accepted: !matches!(
            status,
            CaseStatus::Received | CaseStatus::NotAccepted | CaseStatus::Transferred
        ),
        overdue: status.is_open() && first_reply.is_none() && due < today,
        reply_days: first_reply.map(|r| calendar.working_days_between(received, r)),
        close_days: match (closed, status) {
            (Some(c), CaseStatus::Closed) => Some(calendar.working_days_between(received, c)),
            _ => None,
        },
    }
}

/// The facts as a frame (the pipeline's input).
pub fn case_frame(facts: &[CaseFacts]) -> PolarsResult<DataFrame> {
    let s = |f: fn(&CaseFacts) -> String| facts.iter().map(f).collect::<Vec<_>>();
    DataFrame::new(
        facts.len(),
        vec![
            Column::new("office".into(), s(|c| c.office.clone())),
            Column::new("county".into(), s(|c| c.county.clone())),
            Column::new("channel".into(), s(|c| c.channel.clone())),
            Column::new("category".into(), s(|c| c.category.clone())),
            Column::new(
                "year".into(),
                facts
                    .iter()
                    .map(|c| c.received_on.year() - 1911)
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "quarter".into(),
                facts
                    .iter()
                    .map(|c| c.received_on.month0() as i32 / 3 + 1)
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "month".into(),
                facts
                    .iter()
                    .map(|c| c.received_on.month() as i32)
                    .collect::<Vec<_>>(),
            ),
            Column::new("outcome".into(), s(|c| c.outcome.as_str().to_owned())),
            Column::new("timeliness".into(), s(|c| c.timeliness.as_str().to_owned())),
            Column::new(
                "accepted".into(),
                facts.iter().map(|c| c.accepted).collect::<Vec<_>>(),
            ),
            Column::new(
                "overdue".into(),
                facts.iter().map(|c| c.overdue).collect::<Vec<_>>(),
            ),
            Column::new(
                "reply_days".into(),
                facts.iter().map(|c| c.reply_days).collect::<Vec<_>>(),
            ),
            Column::new(
                "close_days".into(),
                facts.iter().map(|c| c.close_days).collect::<Vec<_>>(),
            ),
        ],
    )
}

/// What complaint figures may be grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseDim {
    Year,
    Quarter,
    Month,
    County,
    Office,
    Channel,
    Category,
}

impl CaseDim {
    fn column(self) -> &'static str {
        match self {
            CaseDim::Year => "year",
            CaseDim::Quarter => "quarter",
            CaseDim::Month => "month",
            CaseDim::County => "county",
            CaseDim::Office => "office",
            CaseDim::Channel => "channel",
            CaseDim::Category => "category",
        }
    }
}

/// Figures of one group of cases.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComplaintRow {
    /// The group's values, by dimension name (`year`: "113", `office`: "JS" …).
    pub group: std::collections::BTreeMap<&'static str, String>,
    pub received: u64,
    pub accepted: u64,
    /// Cases whose timeliness is decided (answered, or unanswered past due).
    pub timed: u64,
    pub on_time: u64,
    pub on_time_rate: Option<f64>,
    pub median_days_to_first_reply: Option<f64>,
    pub p90_days_to_first_reply: Option<i64>,
    pub median_days_to_close: Option<f64>,
    pub p90_days_to_close: Option<i64>,
    pub overdue: u64,
}

fn sorted_list(s: &Series, row: usize) -> Result<Vec<i64>, AnalyticsError> {
    let Some(inner) = s.list()?.get_as_series(row) else {
        return Ok(Vec::new());
    };
    let mut v: Vec<i64> = inner.i64()?.iter().flatten().collect();
    v.sort_unstable();
    Ok(v)
}

/// Complaint figures grouped by `by`, in group order.
pub fn figures(cases: LazyFrame, by: &[CaseDim]) -> Result<Vec<ComplaintRow>, AnalyticsError> {
    let mut by = by.to_vec();
    by.sort();
    by.dedup();
    let aggs = vec![
        len().alias("received"),
        col("accepted")
            .cast(DataType::UInt32)
            .sum()
            .alias("accepted"),
        col("timeliness")
            .eq(lit("on_time"))
            .or(col("timeliness").eq(lit("late")))
            .cast(DataType::UInt32)
            .sum()
            .alias("timed"),
        col("timeliness")
            .eq(lit("on_time"))
            .cast(DataType::UInt32)
            .sum()
            .alias("on_time"),
        col("overdue").cast(DataType::UInt32).sum().alias("overdue"),
        col("reply_days").drop_nulls().implode(false).alias("reply"),
        col("close_days").drop_nulls().implode(false).alias("close"),
    ];
    let keys: Vec<Expr> = by.iter().map(|d| col(d.column())).collect();
    let df = if keys.is_empty() {
        cases.select(aggs).run()?
    } else {
        let names: Vec<PlSmallStr> = by.iter().map(|d| d.column().into()).collect();
        cases
            .group_by(keys)
            .agg(aggs)
            .sort(names, Default::default())
            .run()?
    };
    let reply = df.column("reply")?.as_materialized_series().clone();
    let close = df.column("close")?.as_materialized_series().clone();
    let count = |name: &str, row: usize| -> Result<u64, AnalyticsError> {
        Ok(df.column(name)?.get(row)?.extract::<u64>().unwrap_or(0))
    };
    let mut out = Vec::new();
    for row in 0..df.height() {
        let mut group = std::collections::BTreeMap::new();
        for d in &by {
            let v = df.column(d.column())?.get(row)?;
            let text = match v {
                AnyValue::String(s) => s.to_owned(),
                AnyValue::StringOwned(s) => s.to_string(),
                other => other.to_string(),
            };
            group.insert(d.column(), text);
        }
        let r = sorted_list(&reply, row)?;
        let c = sorted_list(&close, row)?;
        let (timed, on_time) = (count("timed", row)?, count("on_time", row)?);
        out.push(ComplaintRow {
            group,
            received: count("received", row)?,
            accepted: count("accepted", row)?,
            timed,
            on_time,
            on_time_rate: (timed > 0).then(|| on_time as f64 / timed as f64),
            median_days_to_first_reply: median(&r),
            p90_days_to_first_reply: p90(&r),
            median_days_to_close: median(&c),
            p90_days_to_close: p90(&c),
            overdue: count("overdue", row)?,
        });
    }
    Ok(out)
}

/// One cell of the periodic review table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewCell {
    pub category: String,
    pub outcome: Outcome,
    pub timeliness: Timeliness,
    pub count: u64,
}

/// Category × outcome × timeliness counts, sorted.
pub fn review(cases: LazyFrame) -> Result<Vec<ReviewCell>, AnalyticsError> {
    let df = cases
        .group_by([col("category"), col("outcome"), col("timeliness")])
        .agg([len().alias("count")])
        .sort(["category", "outcome", "timeliness"], Default::default())
        .run()?;
    let s = |name: &str| -> Result<Vec<String>, AnalyticsError> {
        Ok(df
            .column(name)?
            .str()?
            .iter()
            .map(|v| v.unwrap_or("").to_owned())
            .collect())
    };
    let (cat, out, tim) = (s("category")?, s("outcome")?, s("timeliness")?);
    let counts = df
        .column("count")?
        .as_materialized_series()
        .cast(&DataType::UInt64)?;
    let counts = counts.u64()?;
    (0..df.height())
        .map(|i| {
            Ok(ReviewCell {
                category: cat[i].clone(),
                outcome: Outcome::parse(&out[i]).ok_or_else(|| {
                    AnalyticsError::invalid("outcome", format!("unknown outcome `{}`", out[i]))
                })?,
                timeliness: Timeliness::parse(&tim[i]).ok_or_else(|| {
                    AnalyticsError::invalid(
                        "timeliness",
                        format!("unknown timeliness `{}`", tim[i]),
                    )
                })?,
                count: counts.get(i).unwrap_or(0),
            })
        })
        .collect()
}

/// One category's complaints in the year of a [`YearSummary`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CategoryYear {
    pub category: String,
    pub received: u64,
    pub on_time_rate: Option<f64>,
    pub median_days_to_first_reply: Option<f64>,
    pub overdue: u64,
    /// Received the year before.
    pub previous_received: u64,
}

/// The complaint figures of one year (a report's), with each category's count
/// of the year before: the categories by most received, the review table,
/// the counts per quarter and category, and the working days to each first
/// reply.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct YearSummary {
    pub received: u64,
    pub accepted: u64,
    pub on_time_rate: Option<f64>,
    pub median_days_to_first_reply: Option<f64>,
    pub p90_days_to_first_reply: Option<i64>,
    pub median_days_to_close: Option<f64>,
    pub overdue: u64,
    pub categories: Vec<CategoryYear>,
    pub review: Vec<ReviewCell>,
    /// (quarter 1-4, category code, received).
    pub per_quarter: Vec<(i32, String, u64)>,
    /// Sorted.
    pub reply_days: Vec<i64>,
}

/// The figures of ROC `year` from a cases frame holding that year and the one before.
pub fn year_summary(cases: &DataFrame, year: i32) -> Result<YearSummary, AnalyticsError> {
    let y = year.to_string();
    let mut out = YearSummary::default();
    for row in figures(cases.clone().lazy(), &[CaseDim::Year])? {
        if row.group.get("year") == Some(&y) {
            out.received = row.received;
            out.accepted = row.accepted;
            out.on_time_rate = row.on_time_rate;
            out.median_days_to_first_reply = row.median_days_to_first_reply;
            out.p90_days_to_first_reply = row.p90_days_to_first_reply;
            out.median_days_to_close = row.median_days_to_close;
            out.overdue = row.overdue;
        }
    }
    let mut cats: std::collections::BTreeMap<String, CategoryYear> = Default::default();
    for row in figures(cases.clone().lazy(), &[CaseDim::Year, CaseDim::Category])? {
        let code = row.group.get("category").cloned().unwrap_or_default();
        let c = cats.entry(code.clone()).or_insert_with(|| CategoryYear {
            category: code,
            ..Default::default()
        });
        if row.group.get("year") == Some(&y) {
            c.received = row.received;
            c.on_time_rate = row.on_time_rate;
            c.median_days_to_first_reply = row.median_days_to_first_reply;
            c.overdue = row.overdue;
        } else {
            c.previous_received = row.received;
        }
    }
    let mut categories: Vec<CategoryYear> = cats.into_values().collect();
    categories.sort_by(|a, b| {
        b.received
            .cmp(&a.received)
            .then(a.category.cmp(&b.category))
    });
    out.categories = categories;
    let year_col = cases.column("year")?.cast(&DataType::Int32)?;
    let this_year = cases.filter(&year_col.i32()?.equal(year))?;
    out.review = review(this_year.clone().lazy())?;
    for row in figures(
        this_year.clone().lazy(),
        &[CaseDim::Year, CaseDim::Quarter, CaseDim::Category],
    )? {
        let q = row
            .group
            .get("quarter")
            .and_then(|q| q.parse::<i32>().ok())
            .unwrap_or(0);
        let code = row.group.get("category").cloned().unwrap_or_default();
        out.per_quarter.push((q, code, row.received));
    }
    let days = this_year.column("reply_days")?.cast(&DataType::Int64)?;
    out.reply_days = days.i64()?.iter().flatten().collect();
    out.reply_days.sort_unstable();
    Ok(out)
}
