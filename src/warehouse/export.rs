//! The snapshot as Hive-partitioned Parquet, for the engines an analyst or a
//! national platform runs beside manyi (DuckDB, Spark, Trino, polars):
//!
//! ```text
//! DIR/responses/year=113/part-0.parquet   one row per response (the snapshot's columns,
//!                                          `office_code` and `form`), ROC year 113
//! DIR/comments/year=113/part-0.parquet    the free-text answers of those responses
//! DIR/offices.parquet                     id, code, names and county of each office
//! ```
//!
//! The data is the snapshot's, brought up to date first: `day` is the Taipei
//! calendar day, `office` the office id (`office_code` beside it), each
//! 5-point item a `UInt8` column `i:ITEM` (1-5, empty when not answered).
//! The year is the directory's (`year=113`), not a column of the files, as
//! Hive partitioning has it. Written beside DIR and renamed into place, so a
//! crash leaves no half export under the name.

use std::fs::File;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::{Snapshot, WarehouseError};
use crate::analytics::frame::col;
use crate::offices::Office;

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    /// (ROC year, responses) per partition, in year order.
    pub years: Vec<(i32, u64)>,
    pub comments: u64,
}

/// Writes `snapshot` under `dest` (which must not exist yet). `forms` maps
/// each form version's id to its form's key (the `form` column beside
/// `form_version`).
pub fn export_parquet(
    snapshot: &Snapshot,
    offices: &[Office],
    forms: &[(i32, String)],
    dest: &Path,
) -> Result<Exported, WarehouseError> {
    if dest.exists() {
        return Err(WarehouseError::Data(format!(
            "{}: exists already; choose a new directory",
            dest.display()
        )));
    }
    let name = dest
        .file_name()
        .ok_or_else(|| WarehouseError::Data(format!("{}: not a directory name", dest.display())))?;
    let parent = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let partial = parent.join(format!(".{}.partial", name.to_string_lossy()));
    if partial.exists() {
        std::fs::remove_dir_all(&partial).map_err(|e| WarehouseError::io(&partial, e))?;
    }
    std::fs::create_dir_all(&partial).map_err(|e| WarehouseError::io(&partial, e))?;

    let codes = DataFrame::new(
        offices.len(),
        vec![
            Column::new(
                col::OFFICE.into(),
                offices.iter().map(|o| o.id as u16).collect::<Vec<_>>(),
            ),
            Column::new(
                "office_code".into(),
                offices
                    .iter()
                    .map(|o| o.code.to_string())
                    .collect::<Vec<_>>(),
            ),
        ],
    )?;
    let versions = DataFrame::new(
        forms.len(),
        vec![
            Column::new(
                col::FORM_VERSION.into(),
                forms.iter().map(|(id, _)| *id as u16).collect::<Vec<_>>(),
            ),
            Column::new(
                "form".into(),
                forms.iter().map(|(_, k)| k.clone()).collect::<Vec<_>>(),
            ),
        ],
    )?;
    let mut out = Exported {
        years: Vec::new(),
        comments: 0,
    };
    // The snapshot is partitioned by year already: one year in memory at a time.
    for (y, _, _) in snapshot.years() {
        let mut r = snapshot
            .responses_of(y..=y)?
            .join(
                codes.clone().lazy(),
                [col(col::OFFICE)],
                [col(col::OFFICE)],
                JoinArgs::new(JoinType::Left),
            )
            .join(
                versions.clone().lazy(),
                [col(col::FORM_VERSION)],
                [col(col::FORM_VERSION)],
                JoinArgs::new(JoinType::Left),
            )
            .sort([col::RESPONSE_ID], Default::default())
            .collect()?;
        let mut c = snapshot.comments_of(y..=y)?.collect()?;
        write_parquet(&partial.join("responses").join(format!("year={y}")), &mut r)?;
        write_parquet(&partial.join("comments").join(format!("year={y}")), &mut c)?;
        out.years.push((y, r.height() as u64));
        out.comments += c.height() as u64;
    }
    let mut office_frame = DataFrame::new(
        offices.len(),
        vec![
            Column::new(
                "id".into(),
                offices.iter().map(|o| o.id).collect::<Vec<_>>(),
            ),
            Column::new(
                "code".into(),
                offices
                    .iter()
                    .map(|o| o.code.to_string())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "name_zh".into(),
                offices
                    .iter()
                    .map(|o| o.name_zh.clone())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "name_en".into(),
                offices
                    .iter()
                    .map(|o| o.name_en.clone())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "county_zh".into(),
                offices
                    .iter()
                    .map(|o| o.county_zh.clone())
                    .collect::<Vec<_>>(),
            ),
        ],
    )?;
    write_file(&partial.join("offices.parquet"), &mut office_frame)?;
    std::fs::rename(&partial, dest).map_err(|e| WarehouseError::io(dest, e))?;
    Ok(out)
}

fn write_parquet(dir: &Path, df: &mut DataFrame) -> Result<(), WarehouseError> {
    std::fs::create_dir_all(dir).map_err(|e| WarehouseError::io(dir, e))?;
    write_file(&dir.join("part-0.parquet"), df)
}

fn write_file(path: &Path, df: &mut DataFrame) -> Result<(), WarehouseError> {
    let mut file = File::create(path).map_err(|e| WarehouseError::io(path, e))?;
    ParquetWriter::new(&mut file)
        .with_compression(ParquetCompression::Zstd(None))
        .finish(df)?;
    file.sync_all().map_err(|e| WarehouseError::io(path, e))?;
    Ok(())
}
