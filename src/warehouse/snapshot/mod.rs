//! The columnar snapshot of the answers: Arrow IPC files, one row per response
//! with one narrow `UInt8` column per 5-point item, appended incrementally
//! from the database and scanned lazily by polars.
//!
//! The snapshot is a cache. Deleting its directory loses nothing: the next
//! refresh rebuilds it from the database. Every file is written to a temporary
//! name and renamed, and the manifest is renamed last, so a crash leaves the
//! previous snapshot (stray part files not in the manifest are ignored and
//! removed on the next refresh).
//!
//! Here the manifest, the files and the [`Snapshot`] itself; `batch.rs`
//! reads the database's rows into frames.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};

use diesel::prelude::*;
use polars::prelude::Column;
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::WarehouseError;
use crate::analytics::Collect;
use crate::analytics::frame::{col, empty_responses, empty_term_counts};
use crate::db::DbConnection;
use crate::db::schema::responses;
use batch::{VersionItems, read_batch, version_items};

mod batch;

/// Bumped whenever the layout of the files changes; an older snapshot is rebuilt.
/// 2: comment terms are segmented from the masked text (no numbers, IDs or
/// addresses among them).
/// 3: partitioned by ROC year (each part holds one year's responses).
/// 4: each part has its comments' terms counted (`terms-*.arrow`).
const FORMAT: u32 = 4;
const MANIFEST: &str = "manifest.json";
/// Responses read from the database per round trip.
const CHUNK: i64 = 50_000;
/// On PostgreSQL a transaction may commit after one with a higher id; a
/// refresh therefore looks again at this many ids below the newest it holds.
const LATE_COMMIT_WINDOW: i64 = 10_000;
/// More part files than this in one year are merged into one (that year's
/// alone: a refresh of the current year rewrites no other).
const MAX_PARTS_PER_YEAR: usize = 8;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Part {
    /// The ROC year of every response in the part (by its Taipei date).
    year: i32,
    responses: String,
    comments: String,
    /// The comments' term counts (`analytics::terms::count_terms`).
    terms: String,
    first_id: i64,
    last_id: i64,
    rows: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Manifest {
    format: u32,
    /// Fingerprint of the database the snapshot was read from.
    database: String,
    /// 5-point item keys, in column order.
    items: Vec<String>,
    parts: Vec<Part>,
    max_id: i64,
    /// The idempotency key of response `max_id`: a database recreated under
    /// the same URL has other keys, and the snapshot is then rebuilt.
    anchor: Option<String>,
    rows: u64,
    next_part: u64,
}

/// What a refresh did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RefreshStats {
    pub rebuilt: bool,
    pub added: u64,
    pub total: u64,
    pub parts: usize,
}

/// An opened snapshot. It holds the directory's lock (an exclusive file
/// lock, across processes) until dropped, so that no refresh or compaction
/// changes the files while an analysis reads them.
#[derive(Debug, Clone)]
pub struct Snapshot {
    dir: PathBuf,
    manifest: Manifest,
    /// Form version → its overall item (keys the term counts of new parts).
    overall: HashMap<u16, String>,
    _lock: std::sync::Arc<File>,
}

fn lock_dir(dir: &Path) -> Result<File, WarehouseError> {
    let path = dir.join(".lock");
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| WarehouseError::io(&path, e))?;
    file.lock().map_err(|e| WarehouseError::io(&path, e))?;
    Ok(file)
}

fn write_ipc(path: &Path, df: &mut DataFrame) -> Result<(), WarehouseError> {
    let tmp = path.with_extension("tmp");
    let mut file = File::create(&tmp).map_err(|e| WarehouseError::io(&tmp, e))?;
    IpcWriter::new(&mut file).finish(df)?;
    // On disk before the manifest names it: a crash never leaves the manifest
    // pointing at a torn file.
    file.sync_all().map_err(|e| WarehouseError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| WarehouseError::io(path, e))?;
    Ok(())
}

fn read_ipc(path: &Path) -> Result<DataFrame, WarehouseError> {
    let file = File::open(path).map_err(|e| WarehouseError::io(path, e))?;
    Ok(IpcReader::new(file).finish()?)
}

fn scan(path: &Path) -> Result<LazyFrame, WarehouseError> {
    let p = PlRefPath::try_from_path(path)?;
    Ok(LazyFrame::scan_ipc(
        p,
        Default::default(),
        Default::default(),
    )?)
}

impl Snapshot {
    /// Opens the snapshot in `dir` and brings it up to date with the database,
    /// rebuilding it when it is missing, unreadable, of another database or
    /// of an older layout, or when the forms gained a 5-point item.
    pub fn refresh(
        conn: &mut DbConnection,
        dir: &Path,
        database: &str,
    ) -> Result<(Snapshot, RefreshStats), WarehouseError> {
        std::fs::create_dir_all(dir).map_err(|e| WarehouseError::io(dir, e))?;
        let lock = std::sync::Arc::new(lock_dir(dir)?);
        let versions = version_items(conn)?;
        let items: Vec<String> = versions
            .values()
            .flat_map(|v| v.likert.iter().cloned())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let current = std::fs::read(dir.join(MANIFEST))
            .ok()
            .and_then(|b| serde_json::from_slice::<Manifest>(&b).ok())
            .filter(|m| m.format == FORMAT && m.database == database && m.items == items)
            .filter(|m| {
                m.parts.iter().all(|p| {
                    [&p.responses, &p.comments, &p.terms]
                        .iter()
                        .all(|f| dir.join(f).is_file())
                })
            });
        let current = match current {
            Some(m) if m.max_id > 0 => {
                let key: Option<String> = responses::table
                    .find(m.max_id)
                    .select(responses::idempotency_key)
                    .first(conn)
                    .optional()?;
                (key == m.anchor).then_some(m)
            }
            other => other,
        };
        let overall: HashMap<u16, String> = versions
            .iter()
            .filter_map(|(id, v)| Some((u16::try_from(*id).ok()?, v.overall.clone()?)))
            .collect();
        let (mut snap, rebuilt) = match current {
            Some(manifest) => (
                Snapshot {
                    dir: dir.to_owned(),
                    manifest,
                    overall,
                    _lock: lock.clone(),
                },
                false,
            ),
            None => (
                Snapshot {
                    dir: dir.to_owned(),
                    overall,
                    _lock: lock,
                    manifest: Manifest {
                        format: FORMAT,
                        database: database.to_owned(),
                        items,
                        parts: Vec::new(),
                        max_id: 0,
                        anchor: None,
                        rows: 0,
                        next_part: 0,
                    },
                },
                true,
            ),
        };
        let added = snap.append(conn, &versions)?;
        if added > 0 {
            snap.manifest.anchor = responses::table
                .find(snap.manifest.max_id)
                .select(responses::idempotency_key)
                .first(conn)
                .optional()?;
        }
        snap.compact()?;
        if rebuilt || added > 0 {
            snap.save_manifest()?;
        }
        snap.remove_strays();
        let stats = RefreshStats {
            rebuilt,
            added,
            total: snap.manifest.rows,
            parts: snap.manifest.parts.len(),
        };
        Ok((snap, stats))
    }

    /// Deletes the snapshot and reads everything again.
    pub fn rebuild(
        conn: &mut DbConnection,
        dir: &Path,
        database: &str,
    ) -> Result<(Snapshot, RefreshStats), WarehouseError> {
        {
            std::fs::create_dir_all(dir).map_err(|e| WarehouseError::io(dir, e))?;
            let _lock = lock_dir(dir)?;
            let _ = std::fs::remove_file(dir.join(MANIFEST));
        }
        Self::refresh(conn, dir, database)
    }

    fn append(
        &mut self,
        conn: &mut DbConnection,
        versions: &HashMap<i32, VersionItems>,
    ) -> Result<u64, WarehouseError> {
        let mut added = 0;
        // Ids just below the newest held may still commit late on PostgreSQL.
        // SQLite gives ids under its one write lock, so they commit in order
        // and nothing below the newest held can still arrive.
        let window = match conn {
            DbConnection::Postgresql(_) => LATE_COMMIT_WINDOW,
            DbConnection::Sqlite(_) => 0,
        };
        let window_start = (self.manifest.max_id - window).max(0);
        let (held, mut after) = if self.manifest.rows > 0 && window > 0 {
            self.late_commits(conn, window_start)?
        } else {
            (HashSet::new(), window_start)
        };
        let items = self.manifest.items.clone();
        // Rows gathered per year until a part's worth (responses arrive in id
        // order, not year by year: a rebuild meets every year in every chunk).
        let mut pending: BTreeMap<i32, (Vec<DataFrame>, Vec<DataFrame>, u64)> = BTreeMap::new();
        while let Some(batch) = read_batch(conn, after, CHUNK, &held, &items, versions)? {
            after = batch.last_id;
            let rows = batch.responses.height() as u64;
            if rows == 0 {
                continue;
            }
            self.manifest.max_id = self.manifest.max_id.max(batch.last_id);
            added += rows;
            for (year, r, c) in split_by_year(batch.responses, batch.comments)? {
                let entry = pending.entry(year).or_default();
                entry.2 += r.height() as u64;
                entry.0.push(r);
                entry.1.push(c);
                if entry.2 >= CHUNK as u64 {
                    let (r, c, _) = pending.remove(&year).expect("just filled");
                    self.write_part(year, r, c)?;
                }
            }
        }
        for (year, (r, c, _)) in std::mem::take(&mut pending) {
            self.write_part(year, r, c)?;
        }
        Ok(added)
    }

    /// The ids of the late-commit window (after `window_start`) already held,
    /// and the id to read on from: the first id of the window the database
    /// has and the snapshot lacks (one that committed after a higher one), or
    /// the newest held when none did. Only ids cross from the database here,
    /// so a refresh with nothing late reads no row of the window again; and
    /// only the parts that reach into the window are opened.
    fn late_commits(
        &self,
        conn: &mut DbConnection,
        window_start: i64,
    ) -> Result<(HashSet<i64>, i64), WarehouseError> {
        let max_id = self.manifest.max_id;
        let stored: Vec<i64> = responses::table
            .filter(responses::id.gt(window_start))
            .filter(responses::id.le(max_id))
            .select(responses::id)
            .load(conn)?;
        let frames = self
            .manifest
            .parts
            .iter()
            .filter(|p| p.last_id > window_start)
            .map(|p| scan(&self.dir.join(&p.responses)))
            .collect::<Result<Vec<_>, _>>()?;
        let mut held = HashSet::new();
        if !frames.is_empty() {
            let ids = concat(frames, UnionArgs::default())?
                .select([col(col::RESPONSE_ID)])
                .filter(col(col::RESPONSE_ID).gt(lit(window_start)))
                .run()?;
            held.extend(ids.column(col::RESPONSE_ID)?.i64()?.into_no_null_iter());
        }
        let first_late = stored.into_iter().filter(|id| !held.contains(id)).min();
        Ok((held, first_late.map_or(max_id, |id| id - 1)))
    }

    /// Writes one year's gathered rows as a new part.
    fn write_part(
        &mut self,
        year: i32,
        responses: Vec<DataFrame>,
        comments: Vec<DataFrame>,
    ) -> Result<(), WarehouseError> {
        let responses = stack(responses, || empty_responses(&self.manifest.items))?;
        let comments = stack(comments, empty_comments)?;
        let terms = crate::analytics::terms::count_terms(&responses, &comments, &self.overall)?;
        self.write_part_with(year, responses, comments, terms)
    }

    /// Writes one year's rows and their term counts as a new part.
    fn write_part_with(
        &mut self,
        year: i32,
        mut responses: DataFrame,
        mut comments: DataFrame,
        mut terms: DataFrame,
    ) -> Result<(), WarehouseError> {
        let ids = responses.column(col::RESPONSE_ID)?.i64()?;
        let (first_id, last_id) = (ids.min().unwrap_or(0), ids.max().unwrap_or(0));
        let n = self.manifest.next_part;
        self.manifest.next_part += 1;
        let part = Part {
            year,
            responses: format!("responses-{year}-{n:06}.arrow"),
            comments: format!("comments-{year}-{n:06}.arrow"),
            terms: format!("terms-{year}-{n:06}.arrow"),
            first_id,
            last_id,
            rows: responses.height() as u64,
        };
        write_ipc(&self.dir.join(&part.responses), &mut responses)?;
        write_ipc(&self.dir.join(&part.comments), &mut comments)?;
        write_ipc(&self.dir.join(&part.terms), &mut terms)?;
        self.manifest.rows += part.rows;
        self.manifest.parts.push(part);
        Ok(())
    }

    /// Merges the parts of each year that has more than
    /// [`MAX_PARTS_PER_YEAR`] into one (sorted by response id); the other
    /// years' files are left as they are.
    fn compact(&mut self) -> Result<(), WarehouseError> {
        let mut per_year: BTreeMap<i32, usize> = BTreeMap::new();
        for p in &self.manifest.parts {
            *per_year.entry(p.year).or_default() += 1;
        }
        for (year, n) in per_year {
            if n <= MAX_PARTS_PER_YEAR {
                continue;
            }
            let responses = self
                .concat_parts(
                    year..=year,
                    |p| &p.responses,
                    || empty_responses(&self.manifest.items),
                )?
                .sort([col::RESPONSE_ID], Default::default())
                .run()?;
            let comments = self
                .concat_parts(year..=year, |p| &p.comments, empty_comments)?
                .run()?;
            // Counts are sums: the year's parts add up to the merged part's.
            let terms = crate::analytics::terms::merge_counts(self.concat_parts(
                year..=year,
                |p| &p.terms,
                empty_term_counts,
            )?)
            .run()?;
            let rows: u64 = self
                .manifest
                .parts
                .iter()
                .filter(|p| p.year == year)
                .map(|p| p.rows)
                .sum();
            self.manifest.parts.retain(|p| p.year != year);
            self.manifest.rows -= rows;
            self.write_part_with(year, responses, comments, terms)?;
        }
        Ok(())
    }

    fn save_manifest(&self) -> Result<(), WarehouseError> {
        let path = self.dir.join(MANIFEST);
        let tmp = self.dir.join("manifest.tmp");
        let json = serde_json::to_vec_pretty(&self.manifest).expect("manifest serializes");
        let mut file = File::create(&tmp).map_err(|e| WarehouseError::io(&tmp, e))?;
        std::io::Write::write_all(&mut file, &json).map_err(|e| WarehouseError::io(&tmp, e))?;
        file.sync_all().map_err(|e| WarehouseError::io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| WarehouseError::io(&path, e))
    }

    /// Removes part files the manifest does not name (left by a crash or a compaction).
    fn remove_strays(&self) {
        let keep: HashSet<&str> = self
            .manifest
            .parts
            .iter()
            .flat_map(|p| [p.responses.as_str(), p.comments.as_str(), p.terms.as_str()])
            .collect();
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for e in entries.flatten() {
                let name = e.file_name();
                let name = name.to_string_lossy();
                let ours = ["responses-", "comments-", "terms-"]
                    .iter()
                    .any(|prefix| name.starts_with(prefix));
                if ours && !keep.contains(name.as_ref()) {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }

    /// The 5-point item keys held, in column order.
    pub fn items(&self) -> &[String] {
        &self.manifest.items
    }

    pub fn rows(&self) -> u64 {
        self.manifest.rows
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// All responses, lazily, in response-id order within each year.
    pub fn responses(&self) -> Result<LazyFrame, WarehouseError> {
        self.responses_of(i32::MIN..=i32::MAX)
    }

    /// The responses of the ROC years in `years` only: the other years'
    /// files are not opened.
    pub fn responses_of(
        &self,
        years: std::ops::RangeInclusive<i32>,
    ) -> Result<LazyFrame, WarehouseError> {
        self.concat_parts(
            years,
            |p| &p.responses,
            || empty_responses(&self.manifest.items),
        )
    }

    /// All free-text answers (`response_id`, `item`, `terms`, `text`), lazily.
    pub fn comments(&self) -> Result<LazyFrame, WarehouseError> {
        self.comments_of(i32::MIN..=i32::MAX)
    }

    /// The free-text answers of the ROC years in `years` only.
    pub fn comments_of(
        &self,
        years: std::ops::RangeInclusive<i32>,
    ) -> Result<LazyFrame, WarehouseError> {
        self.concat_parts(years, |p| &p.comments, empty_comments)
    }

    /// The term counts of the comments of the ROC years in `years`
    /// (`analytics::frame::terms_col`), lazily.
    pub fn term_counts_of(
        &self,
        years: std::ops::RangeInclusive<i32>,
    ) -> Result<LazyFrame, WarehouseError> {
        self.concat_parts(years, |p| &p.terms, empty_term_counts)
    }

    /// The files of the years in `years` (tests: which files a yearly analysis reads).
    pub fn files_of(&self, years: std::ops::RangeInclusive<i32>) -> Vec<String> {
        self.manifest
            .parts
            .iter()
            .filter(|p| years.contains(&p.year))
            .flat_map(|p| [p.responses.clone(), p.comments.clone(), p.terms.clone()])
            .collect()
    }

    /// (ROC year, parts, responses) of each year held.
    pub fn years(&self) -> Vec<(i32, usize, u64)> {
        let mut out: BTreeMap<i32, (usize, u64)> = BTreeMap::new();
        for p in &self.manifest.parts {
            let e = out.entry(p.year).or_default();
            e.0 += 1;
            e.1 += p.rows;
        }
        out.into_iter().map(|(y, (n, r))| (y, n, r)).collect()
    }

    fn concat_parts(
        &self,
        years: std::ops::RangeInclusive<i32>,
        file: impl Fn(&Part) -> &String,
        empty: impl Fn() -> DataFrame,
    ) -> Result<LazyFrame, WarehouseError> {
        let frames = self
            .manifest
            .parts
            .iter()
            .filter(|p| years.contains(&p.year))
            .map(|p| scan(&self.dir.join(file(p))))
            .collect::<Result<Vec<_>, _>>()?;
        match frames.len() {
            0 => Ok(empty().lazy()),
            1 => Ok(frames.into_iter().next().expect("one frame")),
            _ => Ok(concat(
                frames,
                UnionArgs {
                    rechunk: false,
                    parallel: true,
                    maintain_order: true,
                    ..Default::default()
                },
            )?),
        }
    }

    /// Reads one part eagerly (tests and tools).
    pub fn read_all(&self) -> Result<DataFrame, WarehouseError> {
        let mut out = empty_responses(&self.manifest.items);
        for p in &self.manifest.parts {
            out.vstack_mut_owned(read_ipc(&self.dir.join(&p.responses))?)?;
        }
        Ok(out)
    }
}

fn empty_comments() -> DataFrame {
    DataFrame::new(
        0,
        vec![
            Column::new_empty(col::RESPONSE_ID.into(), &DataType::Int64),
            Column::new_empty(col::ITEM.into(), &DataType::String),
            Column::new_empty(col::TERMS.into(), &DataType::String),
            Column::new_empty(col::TEXT.into(), &DataType::String),
        ],
    )
    .expect("empty frame")
}

/// Where the snapshot of a database lives by default: beside a SQLite file, or
/// under `data/` for PostgreSQL, named after the database so that two
/// databases never share one.
/// Frames stacked into one (`empty` when there are none).
fn stack(
    frames: Vec<DataFrame>,
    empty: impl Fn() -> DataFrame,
) -> Result<DataFrame, WarehouseError> {
    let mut frames = frames.into_iter();
    let Some(mut out) = frames.next() else {
        return Ok(empty());
    };
    for f in frames {
        out.vstack_mut_owned(f)?;
    }
    Ok(out)
}

/// A chunk's responses and comments split by the ROC year of each
/// response's Taipei date, in year order.
fn split_by_year(
    responses: DataFrame,
    comments: DataFrame,
) -> Result<Vec<(i32, DataFrame, DataFrame)>, WarehouseError> {
    let roc_year = || col(col::DAY).dt().year() - lit(1911);
    let years: BTreeSet<i32> = responses
        .clone()
        .lazy()
        .select([roc_year().alias("roc_year")])
        .collect()?
        .column("roc_year")?
        .i32()?
        .into_no_null_iter()
        .collect();
    if years.len() == 1 {
        let year = *years.iter().next().expect("one year");
        return Ok(vec![(year, responses, comments)]);
    }
    let mut out = Vec::with_capacity(years.len());
    for year in years {
        let r = responses
            .clone()
            .lazy()
            .filter(roc_year().eq(lit(year)))
            .collect()?;
        let ids = r.column(col::RESPONSE_ID)?.as_materialized_series().clone();
        let c = comments
            .clone()
            .lazy()
            .filter(col(col::RESPONSE_ID).is_in(lit(ids).implode(false), false))
            .collect()?;
        out.push((year, r, c));
    }
    Ok(out)
}

pub fn default_dir(url: &crate::db::DatabaseUrl) -> PathBuf {
    match url.engine() {
        crate::db::Engine::Sqlite => PathBuf::from(format!("{}.snapshot", url.expose())),
        crate::db::Engine::Postgres => {
            PathBuf::from("data").join(format!("snapshot-{}", &fingerprint(url)[..12]))
        }
    }
}

/// A stable fingerprint of a database URL (secrets included in the hash, never printed).
pub fn fingerprint(url: &crate::db::DatabaseUrl) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(url.expose().as_bytes()))
}
