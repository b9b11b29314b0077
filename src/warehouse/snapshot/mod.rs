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

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};

use diesel::prelude::*;
use polars::prelude::Column;
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::WarehouseError;
use crate::analytics::Collect;
use crate::analytics::frame::{col, empty_responses};
use crate::db::DbConnection;
use crate::db::schema::responses;
use batch::{VersionItems, read_batch, version_items};

mod batch;

/// Bumped whenever the layout of the files changes; an older snapshot is rebuilt.
/// 2: comment terms are segmented from the masked text (no numbers, IDs or
/// addresses among them).
const FORMAT: u32 = 2;
const MANIFEST: &str = "manifest.json";
/// Responses read from the database per round trip.
const CHUNK: i64 = 50_000;
/// On PostgreSQL a transaction may commit after one with a higher id; a
/// refresh therefore looks again at this many ids below the newest it holds.
const LATE_COMMIT_WINDOW: i64 = 10_000;
/// More part files than this are merged into one.
const MAX_PARTS: usize = 24;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Part {
    responses: String,
    comments: String,
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
                m.parts
                    .iter()
                    .all(|p| dir.join(&p.responses).is_file() && dir.join(&p.comments).is_file())
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
        let (mut snap, rebuilt) = match current {
            Some(manifest) => (
                Snapshot {
                    dir: dir.to_owned(),
                    manifest,
                    _lock: lock.clone(),
                },
                false,
            ),
            None => (
                Snapshot {
                    dir: dir.to_owned(),
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
        if snap.manifest.parts.len() > MAX_PARTS {
            snap.compact()?;
        }
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
        // Ids just below the newest held may still commit late (PostgreSQL).
        let window_start = (self.manifest.max_id - LATE_COMMIT_WINDOW).max(0);
        let held: HashSet<i64> = if self.manifest.rows > 0 {
            let ids = self
                .responses()?
                .select([col(col::RESPONSE_ID)])
                .filter(col(col::RESPONSE_ID).gt(lit(window_start)))
                .run()?;
            ids.column(col::RESPONSE_ID)?
                .i64()?
                .into_no_null_iter()
                .collect()
        } else {
            HashSet::new()
        };
        let mut after = window_start;
        let items = self.manifest.items.clone();
        while let Some(mut batch) = read_batch(conn, after, CHUNK, &held, &items, versions)? {
            after = batch.last_id;
            let rows = batch.responses.height() as u64;
            if rows == 0 {
                continue;
            }
            let n = self.manifest.next_part;
            self.manifest.next_part += 1;
            let part = Part {
                responses: format!("responses-{n:06}.arrow"),
                comments: format!("comments-{n:06}.arrow"),
                first_id: batch.first_id,
                last_id: batch.last_id,
                rows,
            };
            write_ipc(&self.dir.join(&part.responses), &mut batch.responses)?;
            write_ipc(&self.dir.join(&part.comments), &mut batch.comments)?;
            self.manifest.max_id = self.manifest.max_id.max(batch.last_id);
            self.manifest.rows += rows;
            self.manifest.parts.push(part);
            added += rows;
        }
        Ok(added)
    }

    /// Merges all parts into one (sorted by response id).
    fn compact(&mut self) -> Result<(), WarehouseError> {
        let n = self.manifest.next_part;
        self.manifest.next_part += 1;
        let mut merged = Part {
            responses: format!("responses-{n:06}.arrow"),
            comments: format!("comments-{n:06}.arrow"),
            first_id: self
                .manifest
                .parts
                .iter()
                .map(|p| p.first_id)
                .min()
                .unwrap_or(0),
            last_id: self.manifest.max_id,
            rows: self.manifest.rows,
        };
        let mut responses = self
            .responses()?
            .sort([col::RESPONSE_ID], Default::default())
            .run()?;
        let mut comments = self.comments()?.run()?;
        merged.rows = responses.height() as u64;
        write_ipc(&self.dir.join(&merged.responses), &mut responses)?;
        write_ipc(&self.dir.join(&merged.comments), &mut comments)?;
        self.manifest.parts = vec![merged];
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
            .flat_map(|p| [p.responses.as_str(), p.comments.as_str()])
            .collect();
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for e in entries.flatten() {
                let name = e.file_name();
                let name = name.to_string_lossy();
                let ours = name.starts_with("responses-") || name.starts_with("comments-");
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

    /// All responses, lazily, in response-id order.
    pub fn responses(&self) -> Result<LazyFrame, WarehouseError> {
        self.concat(|p| &p.responses, || empty_responses(&self.manifest.items))
    }

    /// All free-text answers (`response_id`, `item`, `terms`, `text`), lazily.
    pub fn comments(&self) -> Result<LazyFrame, WarehouseError> {
        self.concat(|p| &p.comments, empty_comments)
    }

    fn concat(
        &self,
        file: impl Fn(&Part) -> &String,
        empty: impl Fn() -> DataFrame,
    ) -> Result<LazyFrame, WarehouseError> {
        if self.manifest.parts.is_empty() {
            return Ok(empty().lazy());
        }
        let frames = self
            .manifest
            .parts
            .iter()
            .map(|p| scan(&self.dir.join(file(p))))
            .collect::<Result<Vec<_>, _>>()?;
        if frames.len() == 1 {
            return Ok(frames.into_iter().next().expect("one frame"));
        }
        Ok(concat(
            frames,
            UnionArgs {
                rechunk: false,
                parallel: true,
                maintain_order: true,
                ..Default::default()
            },
        )?)
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
