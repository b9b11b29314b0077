//! `manyi import responses`: historical (paper) survey results from a CSV
//! file; `manyi import tallies`: the quarterly counts offices kept instead.

use std::path::Path;

use anyhow::Context;

use crate::config::Settings;
use crate::db::DbError;
use crate::startup;
use crate::survey;

pub fn responses(settings: &Settings, file: &Path, form: &str) -> anyhow::Result<()> {
    let state = startup::prepare(settings)?;
    let mut conn = state.pool.get().map_err(DbError::Pool)?;
    let loaded = state
        .catalog
        .get(form)
        .with_context(|| format!("--form: no form `{form}`"))?;
    let versions = crate::forms::register_catalog(&mut conn, &state.catalog)?;
    let bytes = std::fs::read(file).with_context(|| format!("{}", file.display()))?;
    let ctx = survey::import::context(&mut conn, &loaded.form, versions[form])?;
    let name = file.display().to_string();
    let summary = survey::import::import_responses(&mut conn, &name, &bytes, &ctx)?;
    println!(
        "{name}: {} response(s) with {} answer(s) imported; {} already imported before",
        summary.responses, summary.answers, summary.already_imported
    );
    Ok(())
}

pub fn tallies(settings: &Settings, file: &Path, form: &str) -> anyhow::Result<()> {
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
    let done = survey::tallies::import_tallies(&mut conn, &name, &bytes, &ctx)?;
    println!(
        "{name}: {} tally row(s) created, {} updated, {} unchanged ({} answers)",
        done.created, done.updated, done.unchanged, done.answers
    );
    Ok(())
}
