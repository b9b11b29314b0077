//! Reports generated from the console in the background: a run is recorded
//! (queued), a worker thread gathers and renders it, writing its progress to
//! the run's row, and the files land in `reports_dir/<id>/`. A run cut short by
//! a restart is marked failed when the service starts again.

use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::{Format, ReportError, Request, Scope};
use crate::analytics::{Options, RocYear};
use crate::db::schema::report_runs as rr;
use crate::db::{DbConnection, Pool};
use crate::offices::Office;
use crate::warehouse::Source;

/// The default reports directory: beside the SQLite file, or under `data/`.
pub fn default_dir(url: &crate::db::DatabaseUrl) -> PathBuf {
    match url.engine() {
        crate::db::Engine::Sqlite => PathBuf::from(format!("{}.reports", url.expose())),
        crate::db::Engine::Postgres => PathBuf::from("data").join(format!(
            "reports-{}",
            &crate::warehouse::snapshot::fingerprint(url)[..12]
        )),
    }
}

/// Where a report run stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, diesel::AsExpression, diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Queued,
    Running,
    Done,
    Failed,
}

impl RunStatus {
    pub const ALL: [RunStatus; 4] = [
        RunStatus::Queued,
        RunStatus::Running,
        RunStatus::Done,
        RunStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "queued",
            RunStatus::Running => "running",
            RunStatus::Done => "done",
            RunStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Not finished yet.
    pub fn is_pending(self) -> bool {
        matches!(self, RunStatus::Queued | RunStatus::Running)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            RunStatus::Queued => "排隊中",
            RunStatus::Running => "產製中",
            RunStatus::Done => "完成",
            RunStatus::Failed => "失敗",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            RunStatus::Queued => "Queued",
            RunStatus::Running => "Running",
            RunStatus::Done => "Done",
            RunStatus::Failed => "Failed",
        }
    }
}

/// The ROC years, newest first, in which the offices have anything a report
/// reads: responses, tallied counts or cases received.
pub fn years_with_data(conn: &mut DbConnection, office_ids: &[i32]) -> QueryResult<Vec<RocYear>> {
    use crate::db::schema::{cases, responses, tallies};
    use chrono::NaiveDate;
    use diesel::dsl::{max, min};
    let mut years: Vec<i32> = tallies::table
        .filter(tallies::office_id.eq_any(office_ids))
        .select(tallies::roc_year)
        .distinct()
        .load(conn)?;
    let start = |y: i32| {
        NaiveDate::from_ymd_opt(y, 1, 1)
            .expect("valid year")
            .and_hms_opt(0, 0, 0)
            .expect("midnight")
    };
    // Responses and cases: between the first and the last, each year that has one.
    let (first, last): (Option<NaiveDateTime>, Option<NaiveDateTime>) = responses::table
        .filter(responses::office_id.eq_any(office_ids))
        .select((min(responses::submitted_at), max(responses::submitted_at)))
        .first(conn)?;
    if let (Some(first), Some(last)) = (first, last) {
        for y in first.date().year()..=last.date().year() {
            let any: i64 = responses::table
                .filter(responses::office_id.eq_any(office_ids))
                .filter(responses::submitted_at.ge(start(y)))
                .filter(responses::submitted_at.lt(start(y + 1)))
                .count()
                .get_result(conn)?;
            if any > 0 {
                years.push(y - 1911);
            }
        }
    }
    let (first, last): (Option<NaiveDate>, Option<NaiveDate>) = cases::table
        .filter(cases::office_id.eq_any(office_ids))
        .select((min(cases::received_on), max(cases::received_on)))
        .first(conn)?;
    if let (Some(first), Some(last)) = (first, last) {
        for y in first.year()..=last.year() {
            let any: i64 = cases::table
                .filter(cases::office_id.eq_any(office_ids))
                .filter(cases::received_on.ge(start(y).date()))
                .filter(cases::received_on.lt(start(y + 1).date()))
                .count()
                .get_result(conn)?;
            if any > 0 {
                years.push(y - 1911);
            }
        }
    }
    years.sort_unstable_by(|a, b| b.cmp(a));
    years.dedup();
    Ok(years
        .into_iter()
        .filter_map(|y| RocYear::new(y).ok())
        .collect())
}

crate::db::text_enum!(RunStatus);

#[derive(Debug, Clone, Serialize, Queryable, Selectable)]
#[diesel(table_name = rr)]
pub struct Run {
    pub id: i32,
    #[diesel(column_name = roc_year)]
    pub year: i32,
    pub scope: String,
    pub formats: String,
    pub status: RunStatus,
    pub progress: i32,
    pub step: String,
    pub error: Option<String>,
    pub output: Option<String>,
    pub requested_by: i32,
    pub requested_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
}

/// Records a queued run.
pub fn create(
    conn: &mut DbConnection,
    year: RocYear,
    scope: &Scope,
    formats: &[Format],
    user_id: i32,
) -> Result<i32, ReportError> {
    let formats: Vec<&str> = formats.iter().map(|f| f.as_str()).collect();
    Ok(crate::db::write_transaction(conn, |conn| {
        diesel::insert_into(rr::table)
            .values((
                rr::roc_year.eq(year.get()),
                rr::scope.eq(scope.key()),
                rr::formats.eq(formats.join(",")),
                rr::status.eq(RunStatus::Queued),
                rr::progress.eq(0),
                rr::step.eq(""),
                rr::requested_by.eq(user_id),
                rr::requested_at.eq(chrono::Utc::now().naive_utc()),
            ))
            .returning(rr::id)
            .get_result::<i32>(conn)
    })?)
}

pub fn get(conn: &mut DbConnection, id: i32) -> Result<Option<Run>, ReportError> {
    Ok(rr::table
        .filter(rr::id.eq(id))
        .select(Run::as_select())
        .first(conn)
        .optional()?)
}

/// The latest runs of a user.
pub fn list_for(
    conn: &mut DbConnection,
    user_id: i32,
    limit: i64,
) -> Result<Vec<Run>, ReportError> {
    Ok(rr::table
        .filter(rr::requested_by.eq(user_id))
        .order(rr::id.desc())
        .limit(limit)
        .select(Run::as_select())
        .load(conn)?)
}

/// Marks runs left queued or running by a previous process as failed.
pub fn recover(conn: &mut DbConnection) -> Result<usize, ReportError> {
    Ok(
        diesel::update(
            rr::table.filter(rr::status.eq_any([RunStatus::Queued, RunStatus::Running])),
        )
        .set((
            rr::status.eq(RunStatus::Failed),
            rr::error.eq("中斷：服務重新啟動 interrupted by a restart"),
            rr::finished_at.eq(chrono::Utc::now().naive_utc()),
        ))
        .execute(conn)?,
    )
}

fn set_progress(conn: &mut DbConnection, id: i32, done: usize, total: usize, step: &str) {
    let pct = (done * 100 / total.max(1)).min(100) as i32;
    if let Err(e) = diesel::update(rr::table.filter(rr::id.eq(id)))
        .set((
            rr::status.eq(RunStatus::Running),
            rr::progress.eq(pct),
            rr::step.eq(step),
        ))
        .execute(conn)
    {
        tracing::warn!(run = id, error = %e, "report progress not recorded");
    }
}

/// What a background run needs beside the database.
#[derive(Debug, Clone)]
pub struct Env {
    pub source: Source,
    pub options: Options,
    pub reports_dir: PathBuf,
    pub form: String,
}

/// Runs a queued run to its end on this thread (the caller spawns one).
pub fn execute(pool: &Pool, env: &Env, id: i32, visible: &[Office]) {
    let outcome = (|| -> Result<(), ReportError> {
        let mut conn = pool
            .get()
            .map_err(|e| ReportError::Render(format!("database pool: {e}")))?;
        let run = get(&mut conn, id)?.ok_or_else(|| ReportError::NotFound(format!("run {id}")))?;
        let request = Request {
            year: RocYear::new(run.year)?,
            scope: Scope::parse_key(&run.scope)?,
            form: env.form.clone(),
        };
        let formats = Format::parse_list(&run.formats)?;
        let dir = env.reports_dir.join(id.to_string());
        let mut progress_conn = pool
            .get()
            .map_err(|e| ReportError::Render(format!("database pool: {e}")))?;
        super::generate(
            &mut conn,
            &env.source,
            &request,
            visible,
            &env.options,
            &formats,
            &dir,
            &mut |done, total, step| set_progress(&mut progress_conn, id, done, total, step),
        )?;
        diesel::update(rr::table.filter(rr::id.eq(id)))
            .set((
                rr::status.eq(RunStatus::Done),
                rr::progress.eq(100),
                rr::output.eq(id.to_string()),
                rr::finished_at.eq(chrono::Utc::now().naive_utc()),
            ))
            .execute(&mut conn)?;
        Ok(())
    })();
    if let Err(e) = outcome {
        tracing::error!(run = id, error = %e, "report run failed");
        if let Ok(mut conn) = pool.get() {
            let _ = diesel::update(rr::table.filter(rr::id.eq(id)))
                .set((
                    rr::status.eq(RunStatus::Failed),
                    rr::error.eq(e.to_string()),
                    rr::finished_at.eq(chrono::Utc::now().naive_utc()),
                ))
                .execute(&mut conn);
        }
    }
}

/// The files of a finished run, relative to its folder, sorted.
pub fn files(reports_dir: &Path, run: &Run) -> Vec<String> {
    let Some(out) = &run.output else {
        return Vec::new();
    };
    let root = reports_dir.join(out);
    let mut found = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(&root)
                && !rel.to_string_lossy().ends_with(".tmp")
            {
                found.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    found.sort();
    found
}

/// The path of one file of a run, if it is one of its files (no escaping the folder).
pub fn file_path(reports_dir: &Path, run: &Run, name: &str) -> Option<PathBuf> {
    if files(reports_dir, run).iter().any(|f| f == name) {
        run.output.as_ref().map(|o| reports_dir.join(o).join(name))
    } else {
        None
    }
}

/// Every file of a finished run (documents, tables, CSVs, charts) as one ZIP,
/// under a folder named for the run.
pub fn zip_all(reports_dir: &Path, run: &Run) -> Result<Vec<u8>, ReportError> {
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    let err = |e: zip::result::ZipError| ReportError::Render(format!("zip: {e}"));
    let folder = format!("manyi-report-{}-{}", run.year, run.id);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for name in files(reports_dir, run) {
        let Some(path) = file_path(reports_dir, run, &name) else {
            continue;
        };
        let bytes = std::fs::read(&path).map_err(|e| ReportError::io(&path, e))?;
        zip.start_file(format!("{folder}/{name}"), options)
            .map_err(err)?;
        zip.write_all(&bytes)
            .map_err(|e| ReportError::io(&path, e))?;
    }
    Ok(zip.finish().map_err(err)?.into_inner())
}
