//! `manyi import responses`: historical (paper) survey results and other
//! tools' exports, from a CSV, XLSX or ODS file, optionally through a mapping;
//! `manyi import tallies`: the quarterly counts offices kept instead.

use std::path::Path;

use anyhow::Context;

use crate::config::Settings;
use crate::db::DbError;
use crate::startup;
use crate::survey;
use crate::survey::import::{Format, Mapping, Source};

pub struct ResponsesArgs<'a> {
    pub file: &'a Path,
    pub form: &'a str,
    pub sheet: Option<&'a str>,
    pub mapping: Option<&'a Path>,
}

pub fn responses(settings: &Settings, args: ResponsesArgs<'_>) -> anyhow::Result<()> {
    // Everything that needs no database is checked first.
    let format = Format::of(args.file)?;
    let bytes = std::fs::read(args.file).with_context(|| format!("{}", args.file.display()))?;
    let state = startup::prepare(settings)?;
    let loaded = state
        .catalog
        .get(args.form)
        .with_context(|| format!("--form: no form `{}`", args.form))?;
    let mapping = match args.mapping {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("--mapping {}", path.display()))?;
            Some(Mapping::parse(
                &path.display().to_string(),
                &text,
                &loaded.form,
            )?)
        }
        None => None,
    };
    let mut conn = state.pool.get().map_err(DbError::Pool)?;
    let versions = crate::forms::register_catalog(&mut conn, &state.catalog)?;
    let ctx = survey::import::context(&mut conn, &loaded.form, versions[args.form])?;
    let name = args.file.display().to_string();
    let source = Source {
        name: &name,
        bytes: &bytes,
        format,
        sheet: args.sheet,
    };
    let summary = survey::import::import_file(&mut conn, &source, mapping.as_ref(), &ctx)?;
    println!(
        "{name}: {} response(s) with {} answer(s) imported; {} already imported before",
        summary.responses, summary.answers, summary.already_imported
    );
    Ok(())
}

pub fn tallies(
    settings: &Settings,
    file: &Path,
    form: &str,
    sheet: Option<&str>,
) -> anyhow::Result<()> {
    let format = Format::of(file)?;
    let state = startup::prepare(settings)?;
    let mut conn = state.pool.get().map_err(DbError::Pool)?;
    let loaded = state
        .catalog
        .get(form)
        .with_context(|| format!("--form: no form `{form}`"))?;
    let versions = crate::forms::register_catalog(&mut conn, &state.catalog)?;
    let bytes = std::fs::read(file).with_context(|| format!("{}", file.display()))?;
    let ctx = survey::tallies::context(&mut conn, &loaded.form, versions[form])?;
    let name = file.display().to_string();
    let source = Source {
        name: &name,
        bytes: &bytes,
        format,
        sheet,
    };
    let done = survey::tallies::import_tallies(&mut conn, &source, &ctx)?;
    println!(
        "{name}: {} tally row(s) created, {} updated, {} unchanged ({} answers)",
        done.created, done.updated, done.unchanged, done.answers
    );
    Ok(())
}
