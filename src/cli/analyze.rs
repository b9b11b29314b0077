//! `manyi analyze`, `manyi standard` and `manyi snapshot`: command-line glue
//! around the analytics module, and the plain-text rendering of its results.

use std::fmt::Write as _;

use anyhow::Context;

use crate::analytics::{self, Analysis, AnalyzeRequest, RocYear, standards};
use crate::config::Settings;
use crate::warehouse::{Snapshot, snapshot};

pub fn analyze(settings: &Settings, req: AnalyzeRequest) -> anyhow::Result<()> {
    let mut conn = super::connect(settings)?;
    let offices = crate::offices::list_offices(&mut conn)?;
    let analysis = crate::warehouse::run_request(
        &mut conn,
        &settings.analytics_source(),
        &settings.analytics_options(),
        &req,
        &offices,
    )?;
    if req.json {
        println!("{}", serde_json::to_string_pretty(&analysis)?);
    } else {
        print!("{}", render_text(&analysis));
    }
    Ok(())
}

fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{:.1}%", x * 100.0))
        .unwrap_or_else(|| "-".into())
}

fn num(v: Option<f64>, digits: usize) -> String {
    v.map(|x| format!("{x:.digits$}"))
        .unwrap_or_else(|| "-".into())
}

fn group_label(g: &analytics::metrics::Group) -> String {
    let mut parts = Vec::new();
    if let Some(y) = g.year {
        parts.push(format!("{y}年"));
    }
    if let Some(q) = g.quarter {
        parts.push(format!("Q{q}"));
    }
    if let Some(m) = g.month {
        parts.push(format!("{m}月"));
    }
    for v in [
        &g.county,
        &g.office_name,
        &g.counter,
        &g.staff,
        &g.service_type_name,
        &g.channel,
    ]
    .into_iter()
    .flatten()
    {
        parts.push(v.clone());
    }
    if g.office_name.is_none()
        && let Some(o) = &g.office
    {
        parts.push(o.clone());
    }
    if let Some(l) = &g.label_zh {
        parts.push(l.clone());
    }
    parts.join(" · ")
}

/// The analysis as text: Traditional Chinese headings first, English second.
pub fn render_text(a: &Analysis) -> String {
    let mut s = String::new();
    let range = |y: Option<RocYear>| y.map(|y| y.to_string()).unwrap_or_else(|| "…".into());
    let _ = writeln!(
        s,
        "滿意度分析 Satisfaction analysis · 問卷 form `{}` · 民國 {}–{} 年 · {} 份回應 responses",
        a.form,
        range(a.from),
        range(a.to),
        a.responses
    );
    for n in &a.notes {
        let _ = writeln!(s, "註 note: {n}");
    }
    let _ = writeln!(s, "\n## 滿意度 Satisfaction (95% 信賴區間 CI)");
    let _ = writeln!(
        s,
        "{:<40} {:>7} {:>6} {:>15} {:>7} {:>17} {:>7} {:>7}",
        "group", "n", "mean", "mean CI", "rate", "rate CI", "dissat", "±pts"
    );
    for r in &a.metrics {
        let f = &r.figures;
        let ci = |c: Option<analytics::stats::Interval>, p: bool| {
            c.map(|c| {
                if p {
                    format!("{:.1}–{:.1}%", c.low * 100.0, c.high * 100.0)
                } else {
                    format!("{:.2}–{:.2}", c.low, c.high)
                }
            })
            .unwrap_or_else(|| "-".into())
        };
        let _ = writeln!(
            s,
            "{:<40} {:>7} {:>6} {:>15} {:>7} {:>17} {:>7} {:>7}{}",
            group_label(&r.group),
            f.n,
            num(f.mean, 2),
            ci(f.mean_ci, false),
            pct(f.rate),
            ci(f.rate_ci, true),
            pct(f.dissatisfied_rate),
            num(f.sampling_error_points, 1),
            if f.suppressed {
                "  (n < floor: withheld 未達最低樣本數)"
            } else {
                ""
            }
        );
    }
    if !a.changes.is_empty() {
        let _ = writeln!(
            s,
            "\n## 變化 Changes (Holm 校正 adjusted; * = 顯著 significant at 5%)"
        );
        for c in &a.changes {
            let _ = writeln!(
                s,
                "{} vs {} · {:<32} rate {} → {} ({}{}) p={}  mean {} → {} (p={}{})",
                c.period,
                c.previous,
                group_label(&c.group),
                pct(c.rate_previous),
                pct(c.rate),
                c.rate_diff
                    .map(|d| format!("{:+.1} pts", d * 100.0))
                    .unwrap_or_else(|| "-".into()),
                if c.rate_significant { " *" } else { "" },
                num(c.rate_p_adjusted, 4),
                num(c.mean_previous, 2),
                num(c.mean, 2),
                num(c.mean_p_adjusted, 4),
                if c.mean_significant { " *" } else { "" },
            );
        }
    }
    if !a.reliability.is_empty() {
        let _ = writeln!(s, "\n## 信度 Reliability (Cronbach's alpha)");
        for r in &a.reliability {
            let _ = writeln!(
                s,
                "{}年 alpha = {} (n = {}, {} items){}",
                r.year,
                num(r.alpha, 3),
                r.n,
                r.items.len(),
                if r.below_floor {
                    "  低於 0.7 below 0.7"
                } else {
                    ""
                }
            );
        }
    }
    if !a.drivers.is_empty() {
        let _ = writeln!(
            s,
            "\n## 重要度-表現度分析 Importance-performance (r with overall)"
        );
        for d in &a.drivers {
            let _ = writeln!(
                s,
                "{}年 #{:<2} {:<24} r = {}  mean = {}  {} {}",
                d.year,
                d.rank.map(|r| r.to_string()).unwrap_or_else(|| "-".into()),
                d.label_zh,
                num(d.importance, 3),
                num(d.performance, 2),
                d.quadrant_zh.unwrap_or("-"),
                d.quadrant.map(|q| q.label_en()).unwrap_or("")
            );
        }
    }
    let _ = writeln!(s, "\n## 未達標準 Below standard");
    if a.shortfalls.is_empty() {
        let _ = writeln!(s, "(none 無)");
    }
    for f in &a.shortfalls {
        let _ = writeln!(
            s,
            "{}年 {} {} {:.1}% < {:.1}% (gap {:.1} pts; 不滿意 {:.1}%){}",
            f.year,
            f.office_name,
            f.label_zh,
            f.rate * 100.0,
            f.standard * 100.0,
            f.gap_points,
            f.dissatisfied_rate * 100.0,
            if f.significantly_below {
                " 顯著 significant"
            } else {
                ""
            }
        );
    }
    s
}

pub fn set_standard(
    settings: &Settings,
    year: &str,
    rate: f64,
    office: Option<&str>,
    county: Option<&str>,
) -> anyhow::Result<()> {
    let mut conn = super::connect(settings)?;
    let year = RocYear::parse(year).context("--year")?;
    let scope = match (office, county) {
        (Some(code), _) => {
            let code = crate::offices::OfficeCode::parse(code).context("--office")?;
            let o = crate::offices::find_office_by_code(&mut conn, &code)?
                .with_context(|| format!("--office: no office `{code}`"))?;
            standards::StandardScope::Office(o.id)
        }
        (None, Some(c)) => standards::StandardScope::County(c.trim().to_owned()),
        (None, None) => standards::StandardScope::All,
    };
    crate::plans::standards::set(&mut conn, year, &scope, rate, "command line")?;
    println!("standard for {year}: {:.1}% ({scope:?})", rate * 100.0);
    Ok(())
}

pub fn list_standards(settings: &Settings) -> anyhow::Result<()> {
    let mut conn = super::connect(settings)?;
    for s in crate::plans::standards::list(&mut conn)? {
        println!(
            "{}\t{:?}\t{:.1}%\t{}",
            s.year,
            s.scope,
            s.min_rate * 100.0,
            s.set_by
        );
    }
    Ok(())
}

/// `manyi snapshot export --format parquet DIR`.
pub fn snapshot_export(settings: &Settings, dir: &std::path::Path) -> anyhow::Result<()> {
    let mut conn = super::connect(settings)?;
    let started = std::time::Instant::now();
    let fp = snapshot::fingerprint(&settings.database_url);
    let (snap, _) = Snapshot::refresh(&mut conn, &settings.snapshot_dir, &fp)?;
    let offices = crate::offices::list_offices(&mut conn)?;
    let forms: Vec<(i32, String)> = crate::forms::all_versions(&mut conn)?
        .into_iter()
        .map(|v| (v.id, v.form_key))
        .collect();
    let out = crate::warehouse::export::export_parquet(&snap, &offices, &forms, dir)?;
    let total: u64 = out.years.iter().map(|(_, n)| n).sum();
    for (year, n) in &out.years {
        println!("{}/responses/year={year}: {n} responses", dir.display());
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{}: {total} responses and {} comments in {} year(s) in {secs:.2} s ({:.0} responses/s)",
        dir.display(),
        out.comments,
        out.years.len(),
        total as f64 / secs.max(1e-9)
    );
    Ok(())
}

pub fn snapshot(settings: &Settings, rebuild: bool) -> anyhow::Result<()> {
    let mut conn = super::connect(settings)?;
    let started = std::time::Instant::now();
    let fp = snapshot::fingerprint(&settings.database_url);
    let (_, stats) = if rebuild {
        Snapshot::rebuild(&mut conn, &settings.snapshot_dir, &fp)?
    } else {
        Snapshot::refresh(&mut conn, &settings.snapshot_dir, &fp)?
    };
    println!(
        "{}: {} added, {} responses in {} part(s){} in {:.2} s",
        settings.snapshot_dir.display(),
        stats.added,
        stats.total,
        stats.parts,
        if stats.rebuilt { ", rebuilt" } else { "" },
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
