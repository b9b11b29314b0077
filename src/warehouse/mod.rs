//! The database turned into frames for the analytics: the columnar snapshot
//! of the answers (`snapshot`), the reference data (`reference`) and the
//! cases (`cases`). `analytics` itself reads no database; this module feeds
//! it, and [`run_request`] is the one analysis call of the JSON API and the
//! command line.

pub mod cases;
pub mod export;
pub mod reference;
pub mod snapshot;

use std::path::Path;

use crate::analytics::{
    self, Analysis, AnalysisInput, AnalyticsError, AnalyzeRequest, Dim, Filter, Options, RocYear,
};
use crate::db::DbConnection;
use crate::offices::Office;

pub use snapshot::{RefreshStats, Snapshot};

#[derive(Debug, thiserror::Error)]
pub enum WarehouseError {
    /// A request that does not fit (its field named), or data the analytics refuse.
    #[error(transparent)]
    Analytics(#[from] AnalyticsError),
    /// Stored data that cannot be read as it should (a form definition, an id out of range).
    #[error("data: {0}")]
    Data(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("snapshot frame: {0}")]
    Polars(#[from] polars::error::PolarsError),
    #[error(transparent)]
    Plan(#[from] crate::plans::PlanError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

impl WarehouseError {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        WarehouseError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

/// Checks a request against the offices the caller may see and runs it.
pub fn run_request(
    conn: &mut DbConnection,
    source: &Source,
    options: &Options,
    req: &AnalyzeRequest,
    visible: &[Office],
) -> Result<Analysis, WarehouseError> {
    let checked = req.check(visible)?;
    let allowed: Vec<i32> = visible.iter().map(|o| o.id).collect();
    run(conn, source, checked.filter, &allowed, &checked.by, options)
}

/// Where and how to analyse: the snapshot's directory and the database it caches.
#[derive(Debug, Clone)]
pub struct Source {
    pub snapshot_dir: std::path::PathBuf,
    pub database: crate::db::DatabaseUrl,
}

/// The filtered input of an analysis, with what every run needs beside it.
pub struct Prepared {
    pub input: AnalysisInput,
    pub standards: Vec<analytics::standards::Standard>,
    /// The offices selected (within the caller's scope).
    pub offices: Vec<i32>,
}

/// Brings the snapshot up to date, loads the reference tables and applies the
/// filter. `allowed_offices` are the caller's scope (every office for the
/// command line); offices named in the filter outside it are refused as
/// unknown.
pub fn prepare(
    conn: &mut DbConnection,
    source: &Source,
    mut filter: Filter,
    allowed_offices: &[i32],
) -> Result<Prepared, WarehouseError> {
    let (snap, _) = Snapshot::refresh(
        conn,
        &source.snapshot_dir,
        &snapshot::fingerprint(&source.database),
    )?;
    let mut reference = reference::load_reference(conn)?;
    reference
        .offices
        .retain(|id, _| allowed_offices.contains(id));
    if filter
        .offices
        .iter()
        .any(|o| !reference.offices.contains_key(o))
    {
        return Err(AnalyticsError::NotFound("office: not found".into()).into());
    }
    if filter.offices.is_empty() {
        filter.offices = reference.offices.keys().copied().collect();
    }
    let standards = crate::plans::standards::list(conn)?;
    let offices = filter.offices.clone();
    let tallies = tallied_counts(conn)?;
    // Only the years asked for are read (the snapshot is partitioned by year).
    let years =
        filter.from.map_or(i32::MIN, RocYear::get)..=filter.to.map_or(i32::MAX, RocYear::get);
    let input = analytics::input::select(
        snap.responses_of(years.clone())?,
        snap.comments_of(years.clone())?,
        Some(snap.term_counts_of(years)?),
        tallies,
        reference,
        &filter,
    )?;
    Ok(Prepared {
        input,
        standards,
        offices,
    })
}

/// The aggregated tallies, as the analytics count them.
fn tallied_counts(
    conn: &mut DbConnection,
) -> Result<Vec<analytics::input::TalliedCounts>, WarehouseError> {
    crate::survey::tallies::all_tallies(conn)?
        .into_iter()
        .map(|t| {
            let bad = |what: &str| WarehouseError::Data(format!("tally {}: {what}", t.id));
            Ok(analytics::input::TalliedCounts {
                office: t.office_id,
                form_version: t.form_version_id,
                year: RocYear::new(t.roc_year).map_err(|_| bad("year"))?,
                quarter: u8::try_from(t.quarter)
                    .ok()
                    .filter(|q| (1..=4).contains(q))
                    .ok_or_else(|| bad("quarter"))?,
                channel: crate::forms::Channel::parse(&t.channel).ok_or_else(|| bad("channel"))?,
                item: t.item_key.clone(),
                counts: t.counts().map(|n| u64::try_from(n).unwrap_or(0)),
            })
        })
        .collect()
}

/// The complaint register's cases of `offices` received in the years from
/// `from` to `to` (all when open), one row per case as
/// [`cases::load_cases`] gives them, timeliness as of today (Taipei).
pub fn load_complaints(
    conn: &mut DbConnection,
    offices: &[i32],
    from: Option<RocYear>,
    to: Option<RocYear>,
) -> Result<polars::prelude::DataFrame, WarehouseError> {
    let calendar = crate::calendar::Calendar::load(conn)?;
    let today = crate::calendar::taipei::today();
    let from = from
        .map(|y| chrono::NaiveDate::from_ymd_opt(y.gregorian(), 1, 1).expect("valid year"))
        .unwrap_or(chrono::NaiveDate::from_ymd_opt(1912, 1, 1).expect("valid"));
    let to = to
        .map(|y| chrono::NaiveDate::from_ymd_opt(y.gregorian(), 12, 31).expect("valid year"))
        .unwrap_or(chrono::NaiveDate::from_ymd_opt(2111, 12, 31).expect("valid"));
    cases::load_cases(conn, offices, &calendar, from, to, today)
}

/// [`prepare`], [`analytics::analyze`] and the complaint figures over the
/// same offices and years.
pub fn run(
    conn: &mut DbConnection,
    source: &Source,
    filter: Filter,
    allowed_offices: &[i32],
    by: &[Dim],
    options: &Options,
) -> Result<Analysis, WarehouseError> {
    let (from, to) = (filter.from, filter.to);
    let prepared = prepare(conn, source, filter, allowed_offices)?;
    let mut analysis = analytics::analyze(&prepared.input, by, &prepared.standards, options)?;

    analysis.complaints = Some(complaints(conn, &prepared.offices, from, to, by)?);
    Ok(analysis)
}

/// The complaint figures of the offices and years, by year and category and
/// those of `by`'s dimensions that cases have.
fn complaints(
    conn: &mut DbConnection,
    offices: &[i32],
    from: Option<RocYear>,
    to: Option<RocYear>,
    by: &[Dim],
) -> Result<analytics::ComplaintsResult, WarehouseError> {
    use polars::prelude::IntoLazy;
    let cases = load_complaints(conn, offices, from, to)?;
    let mut case_by = vec![
        analytics::complaints::CaseDim::Year,
        analytics::complaints::CaseDim::Category,
    ];
    for (d, c) in [
        (Dim::Quarter, analytics::complaints::CaseDim::Quarter),
        (Dim::Month, analytics::complaints::CaseDim::Month),
        (Dim::County, analytics::complaints::CaseDim::County),
        (Dim::Office, analytics::complaints::CaseDim::Office),
        (Dim::Channel, analytics::complaints::CaseDim::Channel),
    ] {
        if by.contains(&d) {
            case_by.push(c);
        }
    }
    case_by.sort();
    Ok(analytics::ComplaintsResult {
        rows: analytics::complaints::figures(cases.clone().lazy(), &case_by)?,
        review: analytics::complaints::review(cases.lazy())?,
        by: case_by,
    })
}

/// What the console's analysis page shows for one request: the grouping
/// asked, and beside it (from the same pass) the year × quarter trend and the
/// year × item figures its charts draw, with the complaint figures.
pub struct Exploration {
    pub by: Vec<Dim>,
    pub analyses: analytics::Analyses,
    pub complaints: analytics::ComplaintsResult,
    pub reference: analytics::Reference,
    pub items: analytics::FormItems,
    pub filter: Filter,
}

/// The groupings of an [`Exploration`], in the order of `analyses.groupings`.
pub const TREND: [Dim; 3] = [Dim::Year, Dim::Quarter, Dim::Item];
pub const ITEMS: [Dim; 2] = [Dim::Year, Dim::Item];

/// Checks a request against the offices the caller may see and explores it.
pub fn explore(
    conn: &mut DbConnection,
    source: &Source,
    options: &Options,
    req: &AnalyzeRequest,
    visible: &[Office],
) -> Result<Exploration, WarehouseError> {
    let checked = req.check(visible)?;
    let allowed: Vec<i32> = visible.iter().map(|o| o.id).collect();
    let (from, to) = (checked.filter.from, checked.filter.to);
    let prepared = prepare(conn, source, checked.filter, &allowed)?;
    let analyses = analytics::analyze_groupings(
        &prepared.input,
        &[&checked.by, &TREND, &ITEMS],
        &prepared.standards,
        options,
    )?;
    let complaints = complaints(conn, &prepared.offices, from, to, &checked.by)?;
    Ok(Exploration {
        by: checked.by,
        analyses,
        complaints,
        reference: prepared.input.reference,
        items: prepared.input.items,
        filter: prepared.input.filter,
    })
}
