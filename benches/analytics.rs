//! The national yearly analysis from the snapshot, against its floor: a
//! hand-written polars lazy query of the same group-bys on the same files.
//!
//! `cargo bench --bench analytics -- [1000000 10000000]`
//!
//! Generates (once, cached under target/bench-data/) a snapshot of N
//! responses over ROC years 112-113, 370 offices in 22 counties, 10 items
//! each, 5% with a comment; then times, each in a fresh child process so
//! that its peak memory (VmHWM) is its own:
//! - `floor`: the polars queries the analysis runs (a count of answers per
//!   item, the one group-by of every additive sum, the comments join),
//!   collected and nothing else;
//! - `full`: `analytics::analyze` by year and item, with changes, reliability,
//!   drivers, IPA, shortfalls and comment terms.
//!
//! Prints one line per run and the median ratio full/floor. Not a criterion
//! benchmark: peak memory needs a process per measurement.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use manyi::analytics::frame::{ResponseColumns, col as c, item_column};
use manyi::analytics::{
    self, AnalysisInput, Collect, Dim, Filter, FormItems, Options, Reference, summary,
};
use manyi::forms::FormCatalog;
use polars::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const OFFICES: u16 = 370;
const COUNTIES: u16 = 22;
const RUNS: usize = 3;

fn items() -> Vec<String> {
    let catalog = FormCatalog::load_dir(Path::new("survey-forms")).expect("forms");
    let form = &catalog.get("counter").expect("counter form").form;
    form.items
        .iter()
        .filter(|i| matches!(i.kind, manyi::forms::ItemKind::Likert5 { .. }))
        .map(|i| i.key.to_string())
        .collect()
}

fn form_items() -> FormItems {
    let catalog = FormCatalog::load_dir(Path::new("survey-forms")).expect("forms");
    let form = catalog.get("counter").expect("counter form").form.clone();
    FormItems::from_versions("counter", &[&form])
}

fn reference() -> Reference {
    let mut r = Reference::default();
    for id in 1..=OFFICES as i32 {
        let county = format!("縣市{:02}", id % COUNTIES as i32);
        r.offices.insert(
            id,
            manyi::offices::Office {
                id,
                code: manyi::offices::OfficeCode::parse(&format!("O{id:03}")).unwrap(),
                name_zh: format!("第{id}戶政事務所"),
                name_en: format!("Office {id}"),
                county_zh: county.clone(),
                county_en: county,
                active: true,
                created_at: chrono::NaiveDateTime::default(),
                alert_threshold: 2,
                address: String::new(),
                phone: String::new(),
            },
        );
    }
    let catalog = FormCatalog::load_dir(Path::new("survey-forms")).expect("forms");
    let form = catalog.get("counter").expect("counter form").form.clone();
    r.form_versions.insert(1, ("counter".into(), form));
    r
}

const COMMENTS: [&str; 8] = [
    "櫃檯人員服務親切，效率很好",
    "等太久了，叫號系統很慢",
    "申請戶籍謄本很快，謝謝",
    "停車位不足，希望改善",
    "印鑑證明的說明不清楚，態度不佳",
    "環境整潔，志工很熱心",
    "動線標示不清楚，找不到櫃檯",
    "線上申辦很方便",
];

fn generate(dir: &Path, n: usize) {
    std::fs::create_dir_all(dir).unwrap();
    let keys = items();
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let start = chrono::NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    let base = (start - epoch).num_days() as i32;
    let mut cols = ResponseColumns::with_capacity(n);
    let mut scores: Vec<Vec<Option<u8>>> = vec![Vec::with_capacity(n); keys.len()];
    let (mut c_ids, mut c_items, mut c_terms, mut c_texts) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let seg = analytics::terms::Segmenter::shared();
    let segmented: Vec<String> = COMMENTS.iter().map(|t| seg.terms(t).join(" ")).collect();
    for i in 0..n {
        let office = rng.random_range(1..=OFFICES);
        cols.ids.push(i as i64 + 1);
        cols.days.push(base + rng.random_range(0..731));
        cols.offices.push(office);
        cols.channels
            .push(if rng.random_bool(0.9) { 0u8 } else { 1u8 });
        cols.forms.push(1u16);
        cols.counters
            .push(Some(office as u32 * 10 + rng.random_range(0..8)));
        cols.staff
            .push(Some(office as u32 * 20 + rng.random_range(0..15)));
        cols.services.push(Some(rng.random_range(1..=11u16)));
        let level: f64 = 4.3 + (office % 7) as f64 * 0.05 + rng.random_range(-1.5..1.0);
        for (k, col) in scores.iter_mut().enumerate() {
            if k == 4 && rng.random_bool(0.3) {
                col.push(None);
                continue;
            }
            let v = (level + rng.random_range(-0.8..0.8))
                .round()
                .clamp(1.0, 5.0) as u8;
            col.push(Some(v));
        }
        if rng.random_bool(0.05) {
            let which = rng.random_range(0..COMMENTS.len());
            c_ids.push(i as i64 + 1);
            c_items.push("comment".to_string());
            c_terms.push(segmented[which].clone());
            c_texts.push(COMMENTS[which].to_string());
        }
    }
    cols.scores = scores;
    let mut df = cols.into_frame(&keys).unwrap();
    IpcWriter::new(std::fs::File::create(dir.join("responses.arrow")).unwrap())
        .finish(&mut df)
        .unwrap();
    let mut cm = DataFrame::new(
        c_ids.len(),
        vec![
            Column::new(c::RESPONSE_ID.into(), c_ids),
            Column::new(c::ITEM.into(), c_items),
            Column::new(c::TERMS.into(), c_terms),
            Column::new(c::TEXT.into(), c_texts),
        ],
    )
    .unwrap();
    IpcWriter::new(std::fs::File::create(dir.join("comments.arrow")).unwrap())
        .finish(&mut cm)
        .unwrap();
}

fn scan(path: PathBuf) -> LazyFrame {
    LazyFrame::scan_ipc(
        PlRefPath::try_from_path(&path).unwrap(),
        Default::default(),
        Default::default(),
    )
    .unwrap()
}

fn filtered(dir: &Path) -> LazyFrame {
    let from = chrono::NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
    let to = chrono::NaiveDate::from_ymd_opt(2024, 12, 31).unwrap();
    scan(dir.join("responses.arrow")).filter(
        col(c::FORM_VERSION)
            .eq(lit(1u16))
            .and(col(c::DAY).gt_eq(lit(from)))
            .and(col(c::DAY).lt_eq(lit(to))),
    )
}

fn step(name: &str, t: &mut Instant) {
    if std::env::var_os("MANYI_BENCH_STEPS").is_some() {
        eprintln!("  {name}: {:.3} s", t.elapsed().as_secs_f64());
    }
    *t = Instant::now();
}

/// The polars work of `analyze(by = year, item)` and nothing else: the count
/// of answers per item, the one group-by of every additive sum (the query the
/// pipeline builds, collected), and the comments joined with their year and
/// overall score. No folding, no statistics, no results.
fn floor(dir: &Path) -> usize {
    let mut t = Instant::now();
    let keys = items();
    let lf = filtered(dir);
    let mut rows = 0;
    let mut counts = vec![col(c::RESPONSE_ID).count()];
    counts.extend(keys.iter().map(|k| col(item_column(k).as_str()).count()));
    rows += lf.clone().select(counts).run().unwrap().height();
    step("count", &mut t);
    let fi = form_items();
    let all: std::collections::HashSet<String> = keys.iter().cloned().collect();
    let plan = summary::Plan {
        items: keys.clone(),
        scale: manyi::analytics::drivers::scale_items(&fi, 1, &all),
        overall: fi.overall.clone(),
        candidates: manyi::analytics::drivers::candidates(&fi),
    };
    rows += summary::query(
        lf.clone(),
        &summary::keys_for(&[Dim::Year, Dim::Item]),
        &plan,
    )
    .run()
    .unwrap()
    .height();
    step("summary group-by", &mut t);
    let year = (col(c::DAY).dt().year() - lit(1911)).alias("year");
    rows += lf
        .select([
            col(c::RESPONSE_ID),
            year,
            col(item_column("overall").as_str()),
        ])
        .join(
            scan(dir.join("comments.arrow")),
            [col(c::RESPONSE_ID)],
            [col(c::RESPONSE_ID)],
            JoinArgs::new(JoinType::Inner),
        )
        .run()
        .unwrap()
        .height();
    step("comments", &mut t);
    rows
}

fn full(dir: &Path) -> usize {
    let input = AnalysisInput {
        responses: filtered(dir),
        comments: scan(dir.join("comments.arrow")),
        term_counts: None,
        items: form_items(),
        reference: reference(),
        filter: Filter::form("counter"),
        versions: vec![1],
        tallies: Vec::new(),
    };
    let standards = vec![manyi::analytics::standards::Standard {
        year: 113,
        scope: manyi::analytics::standards::StandardScope::All,
        min_rate: 0.9,
        set_by: "bench".into(),
        set_at: chrono::NaiveDateTime::default(),
    }];
    let a = analytics::analyze(
        &input,
        &[Dim::Year, Dim::Item],
        &standards,
        &Options::default(),
    )
    .unwrap();
    a.metrics.len() + a.changes.len() + a.drivers.len() + a.shortfalls.len()
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|v| v.parse().unwrap_or(0)))
        })
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    // Child: `--child MODE DIR` runs one measurement and prints `seconds rss_kib rows`.
    if args.first().map(String::as_str) == Some("--child") {
        let dir = PathBuf::from(&args[2]);
        let t = Instant::now();
        let rows = match args[1].as_str() {
            "floor" => floor(&dir),
            _ => full(&dir),
        };
        println!("{} {} {rows}", t.elapsed().as_secs_f64(), peak_rss_kib());
        return;
    }
    let sizes: Vec<usize> = if args.is_empty() {
        vec![1_000_000, 10_000_000]
    } else {
        args.iter().filter_map(|a| a.parse().ok()).collect()
    };
    let exe = std::env::current_exe().unwrap();
    for n in sizes {
        let dir = PathBuf::from(format!("target/bench-data/analytics-{n}"));
        if !dir.join("comments.arrow").exists() {
            let t = Instant::now();
            generate(&dir, n);
            eprintln!(
                "generated {n} responses in {:.1} s",
                t.elapsed().as_secs_f64()
            );
        }
        let mut results: BTreeMap<&str, Vec<(f64, u64)>> = BTreeMap::new();
        // Interleaved, so that machine noise falls on both alike.
        for _ in 0..RUNS {
            for mode in ["floor", "full"] {
                let out = Command::new(&exe)
                    .args(["--child", mode])
                    .arg(&dir)
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let line = String::from_utf8(out.stdout).unwrap();
                let mut parts = line.split_whitespace();
                let secs: f64 = parts.next().unwrap().parse().unwrap();
                let rss: u64 = parts.next().unwrap().parse().unwrap();
                println!(
                    "n={n} {mode:<5} {secs:.3} s  peak {:.0} MiB",
                    rss as f64 / 1024.0
                );
                results.entry(mode).or_default().push((secs, rss));
            }
        }
        let median = |v: &Vec<(f64, u64)>| {
            let mut s: Vec<f64> = v.iter().map(|x| x.0).collect();
            s.sort_by(f64::total_cmp);
            s[s.len() / 2]
        };
        let peak = |v: &Vec<(f64, u64)>| v.iter().map(|x| x.1).max().unwrap_or(0) as f64 / 1024.0;
        let (fl, fu) = (&results["floor"], &results["full"]);
        println!(
            "n={n}: floor {:.3} s ({:.0} MiB), full {:.3} s ({:.0} MiB), ratio {:.2}",
            median(fl),
            peak(fl),
            median(fu),
            peak(fu),
            median(fu) / median(fl)
        );
    }
}
