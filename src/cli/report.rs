//! `manyi report annual` and `manyi report measure`: command-line glue around
//! the reports module, with a progress bar on a terminal.

use std::path::PathBuf;

use anyhow::Context;

use crate::analytics::RocYear;
use crate::config::Settings;
use crate::plans::measures::{self, SubjectKind};
use crate::reports::{self, Format, Request, Scope};

/// The scope from `--office` / `--county` (neither: every office).
pub fn scope(office: Option<&str>, county: Option<&str>) -> anyhow::Result<Scope> {
    match (office, county) {
        (Some(_), Some(_)) => anyhow::bail!("county: give an office or a county, not both"),
        (Some(o), None) => Ok(Scope::Office(o.trim().to_owned())),
        (None, Some(c)) => Ok(Scope::County(c.trim().to_owned())),
        (None, None) => Ok(Scope::All),
    }
}

pub struct AnnualArgs<'a> {
    pub year: &'a str,
    pub office: Option<&'a str>,
    pub county: Option<&'a str>,
    pub out: Option<PathBuf>,
    pub formats: &'a str,
    pub form: &'a str,
    pub quiet: bool,
}

pub fn annual(settings: &Settings, args: AnnualArgs<'_>) -> anyhow::Result<()> {
    let year = RocYear::parse(args.year).map_err(|e| anyhow::anyhow!("year: {e}"))?;
    let scope = scope(args.office, args.county)?;
    let formats = Format::parse_list(args.formats)?;
    let mut conn = super::connect(settings)?;
    let offices = crate::offices::list_offices(&mut conn)?;
    let request = Request {
        year,
        scope,
        form: args.form.trim().to_owned(),
    };
    // Checked before anything is written.
    request.scope.offices(&offices)?;
    let out = args.out.unwrap_or_else(|| PathBuf::from("."));
    let bar = if args.quiet {
        indicatif::ProgressBar::hidden()
    } else {
        let b = indicatif::ProgressBar::new(1);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{bar:30}] {pos}/{len} {msg} ({elapsed})",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        b
    };
    let (report, written) = reports::generate(
        &mut conn,
        &settings.analytics_source(),
        &request,
        &offices,
        &settings.analytics_options(),
        &formats,
        &out,
        &mut |done, total, step| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            bar.set_message(step.to_owned());
        },
    )
    .with_context(|| format!("report for {}", request.scope.key()))?;
    bar.finish_and_clear();
    println!(
        "{} 民國 {} 年報告 / annual report: {} files in {}",
        report.scope_zh,
        report.year,
        written.files.len(),
        written.dir.display()
    );
    for f in &written.files {
        if !f.starts_with(written.dir.join("charts")) && !f.starts_with(written.dir.join("csv")) {
            println!("  {}", f.display());
        }
    }
    Ok(())
}

pub struct MeasureArgs<'a> {
    pub office: &'a str,
    pub year: &'a str,
    pub item: Option<&'a str>,
    pub category: Option<&'a str>,
    pub measure: &'a str,
    pub responsible: &'a str,
}

pub fn set_measure(settings: &Settings, args: MeasureArgs<'_>) -> anyhow::Result<()> {
    let year = RocYear::parse(args.year).map_err(|e| anyhow::anyhow!("year: {e}"))?;
    let (kind, key) = match (args.item, args.category) {
        (Some(i), None) => (SubjectKind::Item, i),
        (None, Some(c)) => (SubjectKind::Category, c),
        _ => anyhow::bail!("item: give --item KEY or --category CODE"),
    };
    let mut conn = super::connect(settings)?;
    let code = crate::offices::OfficeCode::parse(args.office)?;
    let office = crate::offices::find_office_by_code(&mut conn, &code)?
        .ok_or_else(|| anyhow::anyhow!("office: no office `{}`", args.office))?;
    let stored = measures::set(
        &mut conn,
        office.id,
        year.get(),
        kind,
        key,
        args.measure,
        args.responsible,
        "cli",
    )?;
    println!(
        "{} {} {} {}: {}",
        office.code,
        year.get(),
        kind.as_str(),
        key,
        if stored { "recorded" } else { "removed" }
    );
    Ok(())
}
