//! The yearly trend and improvement report (年度滿意度趨勢分析及改善報告):
//! [`gather::gather`] collects what it says from the analytics results, the
//! complaint register and the improvement measures; [`charts`] draws its
//! pictures; [`html`], [`pdf`], [`odt`] and [`tables`] write it as a
//! self-contained HTML page, a PDF (typst, in-process), an OpenDocument text,
//! and XLSX / ODS / CSV tables. Templates and static parts live in `reports/`.

mod assemble;
pub mod charts;
pub mod data;
pub mod gather;
pub mod html;
pub mod jobs;
pub mod odt;
pub mod pdf;
pub mod summary;
pub mod tables;

use std::path::{Path, PathBuf};

use crate::analytics::AnalyticsError;

pub use data::{Report, Request, Scope};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Analytics(#[from] AnalyticsError),
    #[error(transparent)]
    Warehouse(#[from] crate::warehouse::WarehouseError),
    #[error(transparent)]
    Plan(#[from] crate::plans::PlanError),
    #[error(transparent)]
    Year(#[from] crate::calendar::RocYearError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("rendering: {0}")]
    Render(String),
    #[error("report frame: {0}")]
    Polars(#[from] polars::error::PolarsError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error(transparent)]
    Chart(#[from] charts::ChartError),
}

impl ReportError {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        ReportError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

/// An output format of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Html,
    Pdf,
    Odt,
    Xlsx,
    Ods,
    Csv,
}

impl Format {
    pub const ALL: [Format; 6] = [
        Format::Html,
        Format::Pdf,
        Format::Odt,
        Format::Xlsx,
        Format::Ods,
        Format::Csv,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Pdf => "pdf",
            Format::Odt => "odt",
            Format::Xlsx => "xlsx",
            Format::Ods => "ods",
            Format::Csv => "csv",
        }
    }

    /// "html,pdf" → the formats, in their canonical order; empty → all.
    pub fn parse_list(s: &str) -> Result<Vec<Format>, ReportError> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let f = Format::ALL
                .into_iter()
                .find(|f| f.as_str().eq_ignore_ascii_case(part))
                .ok_or_else(|| {
                    ReportError::Invalid(format!(
                        "format: `{part}` is not one of html, pdf, odt, xlsx, ods, csv"
                    ))
                })?;
            if !out.contains(&f) {
                out.push(f);
            }
        }
        if out.is_empty() {
            out = Format::ALL.to_vec();
        }
        out.sort();
        Ok(out)
    }
}

/// The file name stem of a report: `annual-113-office-JS`.
pub fn stem(report: &Report) -> String {
    let scope: String = report
        .scope
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("annual-{}-{}", report.year, scope)
}

/// Writes a file so that a crash leaves the old one or the new one, never half.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    use std::io::Write;
    let tmp = path.with_extension(format!(
        "{}.tmp",
        path.extension().and_then(|e| e.to_str()).unwrap_or("")
    ));
    let mut f = std::fs::File::create(&tmp).map_err(|e| ReportError::io(&tmp, e))?;
    f.write_all(bytes).map_err(|e| ReportError::io(&tmp, e))?;
    f.sync_all().map_err(|e| ReportError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| ReportError::io(path, e))
}

/// The charts of a report (county reports add the office × item heat map).
pub fn chart_specs(r: &Report) -> Vec<charts::Spec> {
    use charts::*;
    let mut specs = vec![Spec::Trend(
        r.quarters
            .iter()
            .filter_map(|q| {
                Some(TrendPoint {
                    label: format!("{} Q{}", q.year, q.quarter),
                    rate: q.rate?,
                    low: q.rate_low?,
                    high: q.rate_high?,
                })
            })
            .collect(),
    )];
    specs.push(Spec::Items {
        year: r.year,
        bars: r
            .items
            .iter()
            .map(|i| ItemBar {
                label: i.label_zh.clone(),
                this_year: i.rate,
                last_year: i.previous_rate,
                change: i.change,
            })
            .collect(),
    });
    specs.push(Spec::Ipa {
        points: r
            .items
            .iter()
            .filter_map(|i| {
                Some(IpaPoint {
                    label: i.label_zh.clone(),
                    performance: i.mean?,
                    importance: i.importance?,
                })
            })
            .collect(),
        grand_performance: r.ipa_grand_performance.unwrap_or(0.0),
        grand_importance: r.ipa_grand_importance.unwrap_or(0.0),
    });
    if r.county_report {
        // Items down the side (long labels), offices across (short names).
        let mut offices: Vec<(String, String)> = r
            .office_items
            .iter()
            .map(|o| (o.office.clone(), short_office_name(&o.office_name)))
            .collect();
        offices.dedup();
        specs.push(Spec::Heat(HeatMap {
            rows: r.items.iter().map(|i| i.label_zh.clone()).collect(),
            columns: offices.iter().map(|(_, n)| n.clone()).collect(),
            values: r
                .items
                .iter()
                .map(|i| {
                    offices
                        .iter()
                        .map(|(code, _)| {
                            r.office_items
                                .iter()
                                .find(|o| &o.office == code && o.item == i.key)
                                .and_then(|o| o.rate)
                        })
                        .collect()
                })
                .collect(),
        }));
    }
    let c = &r.complaints;
    let cats: Vec<&data::CategoryRow> = c.categories.iter().filter(|k| k.received > 0).collect();
    specs.push(Spec::Complaints(Stacks {
        bars: (1..=4).map(|q| format!("{} Q{q}", r.year)).collect(),
        series: cats
            .iter()
            .map(|k| {
                (
                    k.name_zh.clone(),
                    (1..=4)
                        .map(|q| {
                            c.per_quarter
                                .iter()
                                .filter(|(qq, code, _)| *qq == q && *code == k.code)
                                .map(|(_, _, n)| *n as f64)
                                .sum()
                        })
                        .collect(),
                )
            })
            .collect(),
    }));
    specs.push(Spec::ReplyDays {
        days: c.reply_days.clone(),
        limit: None,
    });
    let names = ["1 非常不滿意", "2 不滿意", "3 普通", "4 滿意", "5 非常滿意"];
    specs.push(Spec::Answers(Stacks {
        bars: r.items.iter().map(|i| i.label_zh.clone()).collect(),
        series: names
            .iter()
            .enumerate()
            .map(|(k, n)| {
                (
                    (*n).to_owned(),
                    r.items.iter().map(|i| i.answers[k] as f64).collect(),
                )
            })
            .collect(),
    }));
    specs
}

/// "臺北市中正區戶政事務所" → "中正區": the part that tells offices of a county apart.
pub fn short_office_name(name: &str) -> String {
    let s = name.trim_end_matches("戶政事務所");
    let s = match s.char_indices().nth(3) {
        Some((i, _)) if s[..i].ends_with(['市', '縣']) => &s[i..],
        _ => s,
    };
    s.to_owned()
}

/// What a run wrote.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Written {
    pub dir: PathBuf,
    pub files: Vec<PathBuf>,
}

/// The steps of rendering after gathering, for progress.
pub fn render_steps(formats: &[Format]) -> usize {
    1 + formats.len()
}

/// Renders the report in `formats` into `dir` (created): charts (PNG and
/// SVG) always, then each format. `step` is told each step's name.
pub fn render(
    report: &Report,
    formats: &[Format],
    dir: &Path,
    step: &mut dyn FnMut(&str),
) -> Result<Written, ReportError> {
    std::fs::create_dir_all(dir.join("charts")).map_err(|e| ReportError::io(dir, e))?;
    let stem = stem(report);
    let mut written = Written {
        dir: dir.to_path_buf(),
        files: Vec::new(),
    };
    step("圖表 charts");
    let mut rendered = Vec::new();
    // An empty chart is not drawn: each document prints its one-line note instead.
    for spec in chart_specs(report).into_iter().filter(|s| !s.is_empty()) {
        let chart = charts::render(&spec)?;
        for (ext, bytes) in [("png", chart.png.as_slice()), ("svg", chart.svg.as_bytes())] {
            let path = dir.join("charts").join(format!("{}.{ext}", chart.key));
            write_atomic(&path, bytes)?;
            written.files.push(path);
        }
        rendered.push(chart);
    }
    let tables = tables::tables(report);
    for f in formats {
        step(f.as_str());
        let path = dir.join(format!("{stem}.{}", f.as_str()));
        match f {
            Format::Html => write_atomic(&path, html::render(report, &rendered)?.as_bytes())?,
            Format::Pdf => write_atomic(&path, &pdf::render(report, &rendered)?)?,
            Format::Odt => write_atomic(&path, &odt::render(report, &rendered)?)?,
            Format::Xlsx => tables::write_xlsx(&tables, &path)?,
            Format::Ods => tables::write_ods(&tables, &path)?,
            Format::Csv => {
                written
                    .files
                    .extend(tables::write_csv(&tables, &dir.join("csv"))?);
                continue;
            }
        }
        written.files.push(path);
    }
    Ok(written)
}

/// Progress of a run: steps done of the total and the step now running.
pub type Progress<'a> = &'a mut dyn FnMut(usize, usize, &str);

/// Gathers and renders a report into `dir`: what `manyi report annual` and
/// the console's background runs both do.
#[allow(clippy::too_many_arguments)]
pub fn generate(
    conn: &mut crate::db::DbConnection,
    source: &crate::warehouse::Source,
    request: &Request,
    visible: &[crate::offices::Office],
    options: &crate::analytics::Options,
    formats: &[Format],
    dir: &Path,
    progress: Progress<'_>,
) -> Result<(Report, Written), ReportError> {
    let total = gather::GATHER_STEPS.len() + render_steps(formats);
    let report = gather::gather(conn, source, request, visible, options, &mut |i| {
        progress(i, total, gather::GATHER_STEPS[i])
    })?;
    let mut done = gather::GATHER_STEPS.len();
    let written = render(&report, formats, dir, &mut |name| {
        progress(done, total, name);
        done += 1;
    })?;
    progress(total, total, "完成 done");
    Ok((report, written))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_office_names() {
        assert_eq!(short_office_name("臺北市中正區戶政事務所"), "中正區");
        assert_eq!(short_office_name("金門縣金沙鎮戶政事務所"), "金沙鎮");
        assert_eq!(short_office_name("某某戶政"), "某某戶政");
    }

    #[test]
    fn format_lists_name_the_bad_one() {
        assert_eq!(Format::parse_list("").unwrap(), Format::ALL);
        assert_eq!(
            Format::parse_list("pdf, HTML,pdf").unwrap(),
            [Format::Html, Format::Pdf]
        );
        assert_eq!(
            Format::parse_list("html,docx").unwrap_err().to_string(),
            "format: `docx` is not one of html, pdf, odt, xlsx, ods, csv"
        );
        assert!(Scope::parse_key("office:").is_err());
        assert_eq!(
            Scope::parse_key("county:金門縣").unwrap(),
            Scope::County("金門縣".into())
        );
    }
}
