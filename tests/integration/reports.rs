//! The yearly report over the analytics fixture (tests/integration/analytics.rs),
//! whose figures are worked out by hand from the literal scores: what the
//! report says, the workbooks and CSV read back, and the documents opened by
//! the programs people will open them with (Chromium, poppler, LibreOffice).

use std::path::{Path, PathBuf};
use std::process::Command;

use calamine::{Data, Reader};
use manyi::analytics::{RocYear, standards};
use manyi::plans::measures::{self, SubjectKind};
use manyi::reports::{self, Format, Report, Request, Scope};

use crate::fixtures::{Fixture, analyse, close, fixture, insert_case, req};
use crate::helpers::{Engine, on_both_engines};

/// Cases (JS: two waiting in 113, two attitude in 113, one attitude in 112),
/// a standard of 70% for 113, and measures for 112 and 113.
fn seed_report_data(f: &mut Fixture) {
    let c = &mut f.conn;
    insert_case(
        c,
        "JS-113-1",
        "JS",
        "mailbox",
        "waiting",
        "closed",
        (
            "2024-03-04",
            "2024-03-07",
            Some("2024-03-06"),
            Some("2024-03-08"),
        ),
    );
    insert_case(
        c,
        "JS-113-2",
        "JS",
        "mailbox",
        "waiting",
        "replied",
        ("2024-03-04", "2024-03-07", Some("2024-03-11"), None),
    );
    insert_case(
        c,
        "JS-113-3",
        "JS",
        "petition_written",
        "attitude",
        "accepted",
        ("2024-03-05", "2024-03-08", None, None),
    );
    insert_case(
        c,
        "JS-113-4",
        "JS",
        "mailbox",
        "attitude",
        "not_accepted",
        ("2024-03-05", "2024-03-08", None, None),
    );
    insert_case(
        c,
        "JS-112-1",
        "JS",
        "mailbox",
        "attitude",
        "closed",
        (
            "2023-05-02",
            "2023-05-05",
            Some("2023-05-03"),
            Some("2023-05-03"),
        ),
    );
    insert_case(
        c,
        "DA-113-1",
        "DA",
        "mailbox",
        "waiting",
        "closed",
        (
            "2024-03-06",
            "2024-03-11",
            Some("2024-03-07"),
            Some("2024-03-07"),
        ),
    );
    manyi::plans::standards::set(
        c,
        RocYear::new(113).unwrap(),
        &standards::StandardScope::All,
        0.7,
        "test",
    )
    .unwrap();
    let js = manyi::offices::find_office_by_code(c, &crate::helpers::code("JS"))
        .unwrap()
        .unwrap();
    measures::set(
        c,
        js.id,
        112,
        SubjectKind::Item,
        "waiting_time",
        "加開櫃台，尖峰時段增派人力",
        "戶籍課",
        "test",
    )
    .unwrap();
    measures::set(
        c,
        js.id,
        112,
        SubjectKind::Category,
        "attitude",
        "服務禮儀訓練",
        "",
        "test",
    )
    .unwrap();
    measures::set(
        c,
        js.id,
        113,
        SubjectKind::Item,
        "waiting_time",
        "線上預約取號",
        "資訊課",
        "test",
    )
    .unwrap();
}

fn gather(f: &mut Fixture, scope: Scope) -> Report {
    let offices = manyi::offices::list_offices(&mut f.conn).unwrap();
    let request = Request {
        year: RocYear::new(113).unwrap(),
        scope,
        form: "counter".into(),
    };
    reports::gather::gather(
        &mut f.conn,
        &f.settings.analytics_source(),
        &request,
        &offices,
        &f.settings.analytics_options(),
        &mut |_| {},
    )
    .unwrap()
}

fn item<'a>(r: &'a Report, key: &str) -> &'a reports::data::ItemRow {
    r.items
        .iter()
        .find(|i| i.key == key)
        .unwrap_or_else(|| panic!("no item {key}"))
}

/// Checks the JS report of 113 against the hand-worked fixture.
fn check_js_report(r: &Report) {
    // JS 113 overall: 5,5,4,4,1 (version 1) and 5,3 (version 2).
    assert_eq!(r.headline.responses, 7);
    assert_eq!(r.headline.n, 7);
    close(r.headline.rate.unwrap(), 5.0 / 7.0);
    close(r.headline.mean.unwrap(), 27.0 / 7.0);
    // 112: 5,4,3,2 → 2/4.
    close(r.headline.previous_rate.unwrap(), 0.5);
    close(r.headline.change_points.unwrap(), (5.0 / 7.0 - 0.5) * 100.0);
    let overall = item(r, "overall");
    assert!(overall.overall);
    assert_eq!(overall.answers, [1, 0, 1, 2, 3]);
    let w = manyi::analytics::stats::wilson(5, 7).unwrap();
    close(overall.rate_low.unwrap(), w.low);
    close(overall.rate_high.unwrap(), w.high);
    // waiting_time: 5,4,4,2,1 (dropped in version 2).
    let wt = item(r, "waiting_time");
    assert_eq!((wt.n, wt.answers), (5, [1, 1, 0, 2, 1]));
    close(wt.rate.unwrap(), 0.6);
    close(wt.previous_rate.unwrap(), 0.25);
    let qs = item(r, "queue_system");
    assert_eq!((qs.n, qs.answers), (2, [0, 1, 0, 1, 0]));
    // The executive summary is written from these figures: 5/7 = 71.4%, up
    // (5/7 − 1/2) = 21.4 points; the cover names the years that have data.
    let summary = manyi::reports::summary::executive_summary(r);
    assert!(
        summary[0]
            .zh
            .starts_with("整體滿意度為 71.4%，較去年上升 21.4 個百分點"),
        "{:?}",
        summary[0]
    );
    let complaints = if r.complaints.received > 0 {
        format!("陳情案件 {} 件", r.complaints.received)
    } else {
        "本年度無陳情案件".to_owned()
    };
    assert!(
        summary.iter().any(|s| s.zh.starts_with(&complaints)),
        "{summary:?}"
    );
    assert_eq!(
        manyi::reports::summary::coverage(r).zh,
        "問卷資料：民國 112–113 年"
    );
    // The method names the form by its title, and the respondents' profile
    // counts this year's 7 individual responses, every one in a channel.
    assert_ne!(r.form_title_zh, r.form);
    let method = manyi::reports::summary::method(r);
    assert!(
        method[0]
            .zh
            .contains(&format!("問卷「{}」", r.form_title_zh)),
        "{method:?}"
    );
    assert_eq!(r.profile.responses, 7);
    assert_eq!(r.profile.channels.iter().map(|s| s.count).sum::<u64>(), 7);
    assert!((r.profile.channels.iter().map(|s| s.share).sum::<f64>() - 1.0).abs() < 1e-9);
    // Five years asked, two with answers: 112 and 113.
    assert_eq!(r.first_year, 109);
    assert_eq!(
        r.years.iter().map(|y| (y.year, y.n)).collect::<Vec<_>>(),
        [(112, 4), (113, 7)]
    );
    // Quarters of the overall item: 112 one each (5, 4, 3, 2); 113 (5,5), (4,4,1), (5), (3).
    let q: Vec<(i32, i32, u64, f64)> = r
        .quarters
        .iter()
        .map(|q| (q.year, q.quarter, q.n, q.rate.unwrap()))
        .collect();
    assert_eq!(
        q,
        [
            (112, 1, 1, 1.0),
            (112, 2, 1, 1.0),
            (112, 3, 1, 0.0),
            (112, 4, 1, 0.0),
            (113, 1, 2, 1.0),
            (113, 2, 3, 2.0 / 3.0),
            (113, 3, 1, 1.0),
            (113, 4, 1, 0.0),
        ]
    );
    // Standard 70%: waiting_time 60% and queue_system 50% fall short, the rest (5/7) do not.
    let mut short: Vec<(&str, f64)> = r
        .shortfalls
        .iter()
        .map(|s| (s.item.as_str(), s.gap_points))
        .collect();
    short.sort_by(|a, b| a.0.cmp(b.0));
    assert_eq!(short.len(), 2, "{short:?}");
    assert_eq!(short[0].0, "queue_system");
    close(short[0].1, 20.0);
    assert_eq!(short[1].0, "waiting_time");
    close(short[1].1, 10.0);
    // Complaints of JS in 113: waiting 2 (1 on time), attitude 2 (1 accepted, late, overdue).
    let c = &r.complaints;
    assert_eq!((c.received, c.accepted, c.overdue), (4, 3, 1));
    close(c.on_time_rate.unwrap(), 1.0 / 3.0);
    assert_eq!(c.reply_days, [2, 5]);
    let cat = |code: &str| c.categories.iter().find(|k| k.code == code).unwrap();
    assert_eq!(
        (cat("attitude").received, cat("attitude").previous_received),
        (2, 1)
    );
    assert_eq!(
        (cat("waiting").received, cat("waiting").previous_received),
        (2, 0)
    );
    assert_eq!(
        c.per_quarter
            .iter()
            .map(|(q, k, n)| (*q, k.as_str(), *n))
            .collect::<Vec<_>>(),
        [(1, "attitude", 2), (1, "waiting", 2)]
    );
    let review: Vec<(&str, &str, &str, u64)> = c
        .review
        .iter()
        .map(|v| {
            (
                v.category_zh.as_str(),
                v.outcome_zh.as_str(),
                v.timeliness_zh.as_str(),
                v.count,
            )
        })
        .collect();
    assert_eq!(
        review,
        [
            ("服務態度", "不受理", "不適用", 1),
            ("服務態度", "處理中", "逾期", 1),
            ("等候時間", "已回復", "逾期", 1),
            ("等候時間", "已回復", "如期", 1),
        ]
    );
    // The plan: both shortfalls and both complaint categories, with this year's measure.
    let subject = |kind: SubjectKind, key: &str| {
        r.plan
            .iter()
            .find(|e| e.kind == kind && e.key == key)
            .unwrap_or_else(|| panic!("{key} not planned"))
    };
    let wt_plan = subject(SubjectKind::Item, "waiting_time");
    assert!(
        wt_plan
            .reasons_zh
            .iter()
            .any(|z| z.contains("低於標準 70.0%")),
        "{:?}",
        wt_plan.reasons_zh
    );
    assert_eq!(wt_plan.measures.len(), 1);
    assert_eq!(wt_plan.measures[0].measure, "線上預約取號");
    assert_eq!(wt_plan.measures[0].responsible, "資訊課");
    assert!(
        subject(SubjectKind::Item, "queue_system")
            .measures
            .is_empty()
    );
    assert!(subject(SubjectKind::Category, "attitude").reasons_zh[0].contains("陳情 2 件"));
    subject(SubjectKind::Category, "waiting");
    // Closing the loop on 112's measures.
    let fu = |key: &str| r.follow_up.iter().find(|f| f.key == key).unwrap();
    let wt_fu = fu("waiting_time");
    close(wt_fu.before.unwrap(), 0.25);
    close(wt_fu.after.unwrap(), 0.6);
    // Two-proportion z of 3/5 against 1/4: p ≈ 0.29 before any correction.
    let p = manyi::analytics::stats::two_proportion_z(3, 5, 1, 4)
        .unwrap()
        .p_value;
    assert!(p > 0.05);
    assert_eq!(wt_fu.verdict, "no_significant_change");
    let at_fu = fu("attitude");
    assert_eq!(
        (at_fu.before, at_fu.after, at_fu.verdict),
        (Some(1.0), Some(2.0), "declined")
    );
}

fn cell_f64(d: &Data) -> Option<f64> {
    match d {
        Data::Float(f) => Some(*f),
        Data::Int(i) => Some(*i as f64),
        _ => None,
    }
}

/// The rows of a sheet (header on row 2) as (first column text, row).
fn sheet_rows<R: std::io::Read + std::io::Seek, W: Reader<R>>(
    wb: &mut W,
    sheet: &str,
) -> (Vec<String>, Vec<Vec<Data>>)
where
    W::Error: std::fmt::Debug,
{
    let range = wb.worksheet_range(sheet).unwrap();
    let rows: Vec<Vec<Data>> = range.rows().map(|r| r.to_vec()).collect();
    let header: Vec<String> = rows[1].iter().map(|d| d.to_string()).collect();
    (header, rows[2..].to_vec())
}

fn col(header: &[String], starts: &str) -> usize {
    header
        .iter()
        .position(|h| h.starts_with(starts))
        .unwrap_or_else(|| panic!("no column {starts} in {header:?}"))
}

/// The items sheet of a workbook equals the analytics results, exactly.
fn check_items_sheet<R: std::io::Read + std::io::Seek, W: Reader<R>>(
    wb: &mut W,
    analysis: &manyi::analytics::Analysis,
) where
    W::Error: std::fmt::Debug,
{
    let (header, rows) = sheet_rows(wb, "各題項滿意度");
    let (n, rate, mean) = (
        col(&header, "樣本數"),
        col(&header, "滿意度 "),
        col(&header, "平均分數"),
    );
    let mut seen = 0;
    for m in analysis
        .metrics
        .iter()
        .filter(|m| m.group.year == Some(113))
    {
        let key = m.group.item.as_deref().unwrap();
        let row = rows
            .iter()
            .find(|r| matches!(&r[0], Data::String(s) if s == key))
            .unwrap_or_else(|| panic!("{key} row"));
        assert_eq!(cell_f64(&row[n]), Some(m.figures.n as f64), "{key} n");
        assert_eq!(cell_f64(&row[rate]), m.figures.rate, "{key} rate");
        assert_eq!(cell_f64(&row[mean]), m.figures.mean, "{key} mean");
        seen += 1;
    }
    assert_eq!(seen, 5);
    let (header, rows) = sheet_rows(wb, "各題項作答分布");
    let overall = rows
        .iter()
        .find(|r| matches!(&r[0], Data::String(s) if s == "overall"))
        .unwrap();
    let counts: Vec<f64> = (2..7).map(|c| cell_f64(&overall[c]).unwrap()).collect();
    assert_eq!(header.len(), 7);
    assert_eq!(counts, [1.0, 0.0, 1.0, 2.0, 3.0]);
}

on_both_engines! {
    fn annual_report_of_an_office_by_hand(engine) {
        let mut f = fixture(engine);
        seed_report_data(&mut f);
        let r = gather(&mut f, Scope::Office("JS".into()));
        assert!(!r.county_report);
        assert_eq!(r.scope_zh, "金門縣金沙鎮戶政事務所");
        check_js_report(&r);

        // The workbooks and CSV carry the analytics figures exactly.
        let dir = tempfile::tempdir().unwrap();
        let written = reports::render(&r, &[Format::Xlsx, Format::Ods, Format::Csv], dir.path(), &mut |_| {}).unwrap();
        let mut r_js = req("year,item");
        r_js.office = Some("JS".into());
        let analysis = analyse(&mut f, r_js);
        let stem = reports::stem(&r);
        assert_eq!(stem, "annual-113-office-JS");
        let mut xlsx: calamine::Xlsx<_> = calamine::open_workbook(dir.path().join(format!("{stem}.xlsx"))).unwrap();
        check_items_sheet(&mut xlsx, &analysis);
        let mut ods: calamine::Ods<_> = calamine::open_workbook(dir.path().join(format!("{stem}.ods"))).unwrap();
        check_items_sheet(&mut ods, &analysis);
        assert!(ods.sheet_names().contains(&"改善計畫".to_owned()));
        // CSV: UTF-8 with BOM, and the numbers round-trip.
        let bytes = std::fs::read(dir.path().join("csv/items.csv")).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let mut rd = csv::Reader::from_reader(&bytes[3..]);
        let header: Vec<String> = rd.headers().unwrap().iter().map(str::to_owned).collect();
        assert_eq!(header[0], "題項代碼 Item");
        let rate_col = col(&header, "滿意度 ");
        for rec in rd.records() {
            let rec = rec.unwrap();
            let i = item(&r, &rec[0]);
            assert_eq!(rec[1].to_string(), i.label_zh);
            assert_eq!(rec[rate_col].parse::<f64>().ok(), i.rate, "{}", &rec[0]);
        }
        // No personal data: no case subjects, contents or petitioners in any export.
        for file in &written.files {
            let text = String::from_utf8_lossy(&std::fs::read(file).unwrap()).to_string();
            assert!(!text.contains("內容") && !text.contains("主旨"), "{}", file.display());
        }
        assert!(written.files.iter().any(|p| p.ends_with("csv/plan.csv")));
    }

    fn annual_report_of_a_county(engine) {
        let mut f = fixture(engine);
        seed_report_data(&mut f);
        // Kinmen: 金沙 (JS) with answers and 金城 (JC) without; DA is in Taipei.
        let r = gather(&mut f, Scope::County("金門縣".into()));
        assert!(r.county_report);
        assert_eq!(r.offices.len(), 2);
        check_js_report(&r);
        assert!(r.office_items.iter().all(|o| o.office == "JS"));
        let o = r.office_items.iter().find(|o| o.item == "overall").unwrap();
        close(o.rate.unwrap(), 5.0 / 7.0);
        // A county report draws the office × item heat map too.
        let keys: Vec<&str> = reports::chart_specs(&r).iter().map(|s| s.key()).collect();
        assert_eq!(keys, ["trend", "items", "ipa", "heatmap", "complaints", "reply-days", "answers"]);
        // Taipei's 大安 is not in it: its case is not counted.
        assert_eq!(r.complaints.received, 4);
    }

    fn report_refuses_bad_requests_and_writes_nothing(engine) {
        let mut f = fixture(engine);
        let offices = manyi::offices::list_offices(&mut f.conn).unwrap();
        let js_only: Vec<_> = offices.iter().filter(|o| o.code == "JS").cloned().collect();
        for (scope, visible, want) in [
            (Scope::Office("NOPE".into()), &offices, "office: no office `NOPE`"),
            (Scope::County("火星".into()), &offices, "county: no offices in `火星`"),
            // Outside the caller's offices: not found, like an unknown one.
            (Scope::Office("DA".into()), &js_only, "office: no office `DA`"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let err = reports::generate(
                &mut f.conn,
                &f.settings.analytics_source(),
                &Request { year: RocYear::new(113).unwrap(), scope, form: "counter".into() },
                visible,
                &f.settings.analytics_options(),
                &Format::ALL,
                &dir.path().join("out"),
                &mut |_, _, _| {},
            )
            .unwrap_err();
            assert_eq!(err.to_string(), want);
            assert!(!dir.path().join("out").exists());
        }
        let err = reports::generate(
            &mut f.conn,
            &f.settings.analytics_source(),
            &Request { year: RocYear::new(113).unwrap(), scope: Scope::All, form: "nope".into() },
            &offices,
            &f.settings.analytics_options(),
            &Format::ALL,
            Path::new("/nonexistent/never"),
            &mut |_, _, _| {},
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("form: no form `nope`"), "{err}");
    }
}

fn artifacts() -> PathBuf {
    crate::browser::artifacts_dir("reports")
}

use crate::helpers::run_ok as run;

/// The documents, opened by the programs people open them with. Rendering
/// is the same on both engines (the report is gathered on SQLite here).
#[test]
fn documents_open_in_chromium_poppler_and_libreoffice() {
    let mut f = fixture(Engine::Sqlite);
    seed_report_data(&mut f);
    let r = gather(&mut f, Scope::County("金門縣".into()));
    let dir = tempfile::tempdir().unwrap();
    let written = reports::render(
        &r,
        &[Format::Html, Format::Pdf, Format::Odt],
        dir.path(),
        &mut |_| {},
    )
    .unwrap();
    let stem = reports::stem(&r);
    let file = |ext: &str| dir.path().join(format!("{stem}.{ext}"));
    let keep = artifacts();
    for (i, f) in written.files.iter().enumerate() {
        if f.extension().is_some_and(|e| e == "png") && i < 40 {
            std::fs::copy(f, keep.join(f.file_name().unwrap())).unwrap();
        }
    }

    // PDF: more than one page; its text layer has the Chinese headings.
    let pdf = file("pdf");
    std::fs::copy(&pdf, keep.join("report.pdf")).unwrap();
    let info = String::from_utf8(run(Command::new("pdfinfo").arg(&pdf)).stdout).unwrap();
    let pages: u32 = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .map(|v| v.trim().parse().unwrap())
        .unwrap();
    assert!(pages > 1, "{pages} pages");
    let text = String::from_utf8(
        run(Command::new("pdftotext")
            .args(["-layout"])
            .arg(&pdf)
            .arg("-"))
        .stdout,
    )
    .unwrap();
    for heading in [
        "服務滿意度趨勢分析及改善報告",
        "一、摘要",
        "二、歷年趨勢",
        "三、各題項滿意度",
        "四、重要度－表現分析",
        "六、陳情案件檢討",
        "八、改善計畫",
        "線上預約取號",
        "金門縣",
    ] {
        assert!(text.contains(heading), "PDF text lacks {heading}");
    }
    // Every chart the run drew: no text box covers another (from the SVG's
    // text elements), and none is empty (an empty chart is a note instead).
    let svgs: Vec<&PathBuf> = written
        .files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "svg"))
        .collect();
    assert!(svgs.len() >= 5, "{svgs:?}");
    for svg in svgs {
        let text = std::fs::read_to_string(svg).unwrap();
        let boxes = manyi::reports::charts::layout::text_boxes(&text);
        let overlaps = manyi::reports::charts::layout::overlapping(&boxes);
        assert!(overlaps.is_empty(), "{}: {overlaps:?}", svg.display());
        assert!(
            !text.contains("無資料 No data"),
            "{}: an empty chart was drawn",
            svg.display()
        );
    }
    // Every page of the PDF, rendered to PNG: none blank, none carrying
    // nothing but a chart's caption and the footer.
    let pages_dir = keep.join("report-pages");
    let _ = std::fs::remove_dir_all(&pages_dir);
    std::fs::create_dir_all(&pages_dir).unwrap();
    run(Command::new("pdftoppm")
        .args(["-png", "-r", "40"])
        .arg(&pdf)
        .arg(pages_dir.join("page")));
    let mut pngs: Vec<PathBuf> = std::fs::read_dir(&pages_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    pngs.sort();
    assert_eq!(pngs.len(), pages as usize);
    for (i, page) in pngs.iter().enumerate() {
        let decoder =
            png::Decoder::new(std::io::BufReader::new(std::fs::File::open(page).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        let channels = info.color_type.samples();
        let px = &buf[..info.buffer_size()];
        let inked = px
            .chunks(channels)
            .filter(|p| p.iter().take(3).any(|c| *c < 200))
            .count();
        let share = inked as f64 / (info.width * info.height) as f64;
        assert!(share > 0.01, "page {} is nearly blank ({share:.4})", i + 1);
        let n = (i + 1).to_string();
        let words = String::from_utf8(
            run(Command::new("pdftotext")
                .args(["-f", &n, "-l", &n])
                .arg(&pdf)
                .arg("-"))
            .stdout,
        )
        .unwrap();
        // Without the footer ("滿意 manyi · 金門縣… · 3 / 12"), a page says something.
        let body: String = words
            .lines()
            .filter(|l| !l.contains("滿意 manyi ·"))
            .collect::<String>()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        assert!(
            body.chars().count() > 40,
            "page {} says almost nothing: {body}",
            i + 1
        );
    }

    // ODT: LibreOffice converts it without error, and the result has the text.
    let lo_profile = tempfile::tempdir().unwrap();
    let lo_out = tempfile::tempdir().unwrap();
    run(Command::new("libreoffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            lo_profile.path().display()
        ))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(lo_out.path())
        .arg(file("odt")));
    let converted = lo_out.path().join(format!("{stem}.pdf"));
    let odt_text =
        String::from_utf8(run(Command::new("pdftotext").arg(&converted).arg("-")).stdout).unwrap();
    assert!(odt_text.contains("八、改善計畫"), "{odt_text}");
    std::fs::copy(&converted, keep.join("report-odt-libreoffice.pdf")).unwrap();

    // HTML: Chromium shows it with no console errors and no outside requests.
    let browser = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    assert!(
        browser.join("node_modules/playwright-core").exists(),
        "run `npm ci --prefix tests/browser` first (scripts/test does)"
    );
    let out = run(Command::new("node")
        .arg(browser.join("report.mjs"))
        .env("REPORT_HTML", file("html"))
        .env("ARTIFACTS", &keep));
    let seen = String::from_utf8_lossy(&out.stdout);
    assert!(
        seen.contains("一、摘要") && seen.contains("八、改善計畫"),
        "{seen}"
    );
    std::fs::copy(file("html"), keep.join("report.html")).unwrap();
}

crate::helpers::on_both_engines! {
    async fn console_runs_reports_in_the_background_and_keeps_measures(engine) {
        use crate::helpers::{Browser, seed_org, spawn_app};
        let app = spawn_app(engine).await;
        let org = seed_org(&mut app.conn());
        let b = Browser::new(&app);
        b.login("res-js").await;
        // No data at all: no report is offered.
        let html = b.get("/console/reports").await.text().await.unwrap();
        assert!(html.contains("id=\"no-data\"") && !html.contains("id=\"report-form\""), "a form with nothing to report");
        // One case received in 民國113年 (2024) is data for that year only.
        {
            let conn = &mut app.conn();
            let director = crate::helpers::user(conn, "dir-js");
            let mut case = crate::helpers::petition(org.js.id, manyi::cases::CaseChannel::PetitionWritten);
            case.received_on = chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
            manyi::cases::register_case(conn, &manyi::calendar::Calendar::shipped(), &case, Some(&director)).unwrap();
        }
        let page = b.get("/console/reports").await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("年度滿意度趨勢分析及改善報告") && html.contains("office:JS"));
        assert!(!html.contains("office:DA"), "another county's office offered");
        assert!(html.contains("<option value=\"113\" selected>") && !html.contains("<option value=\"112\""), "only the years with data");
        let csrf = crate::helpers::hidden_csrf(&html);
        // A year without data is refused in words.
        let res = b.post("/console/reports", &[("csrf", &csrf), ("year", "112"), ("scope", "office:JS"), ("html", "on")]).await;
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("民國 112 年沒有任何問卷回覆"));

        // Bad input names the field; nothing is queued.
        let res = b.post("/console/reports", &[("csrf", &csrf), ("year", "abc"), ("scope", "office:JS"), ("html", "on")]).await;
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("year"));
        let res = b.post("/console/reports", &[("csrf", &csrf), ("year", "113"), ("scope", "office:JS")]).await;
        assert_eq!(res.status(), 400);
        let res = b.post("/console/reports", &[("csrf", &csrf), ("year", "113"), ("scope", "office:DA"), ("html", "on")]).await;
        assert_eq!(res.status(), 404);
        let res = b.post("/console/reports", &[("year", "113"), ("scope", "office:JS"), ("html", "on")]).await;
        assert_eq!(res.status(), 403, "no CSRF token");

        // A measure, recorded and audited.
        let res = b.get("/console/reports/measures?office=JS&year=113").await;
        assert_eq!(res.status(), 200);
        let res = b.post("/console/reports/measures", &[
            ("csrf", &csrf), ("office", "JS"), ("year", "113"), ("kind", "item"),
            ("key", "waiting_time"), ("measure", "尖峰時段加開櫃台"), ("responsible", "戶籍課"),
        ]).await;
        assert_eq!(res.status(), 303);
        let back = res.headers()["location"].to_str().unwrap().to_owned();
        assert_eq!(back, "/console/reports/measures?office=JS&year=113&saved=1");
        let html = b.get(&back).await.text().await.unwrap();
        assert!(html.contains("等候時間"), "the form's label, not the key");
        assert!(html.contains("尖峰時段加開櫃台") && html.contains("已儲存"), "{html}");
        let res = b.post("/console/reports/measures", &[
            ("csrf", &csrf), ("office", "DA"), ("year", "113"), ("kind", "item"), ("key", "overall"), ("measure", "x"),
        ]).await;
        assert_eq!(res.status(), 404, "another office's measures");
        {
            use diesel::prelude::*;
            use manyi::db::schema::audit_log;
            let n: i64 = audit_log::table
                .filter(audit_log::action.eq("measure.set"))
                .count()
                .get_result(&mut app.conn())
                .unwrap();
            assert_eq!(n, 1);
        }
        // The page saves every subject in one go: two measures stored by one
        // post, the unchanged one not audited again; one refused field
        // stores none of them.
        let page = b.get("/console/reports/measures?office=JS&year=113").await.text().await.unwrap();
        assert!(page.contains("id=\"measures-form\"") && page.contains("name=\"measure.0\""), "one form");
        let long = "長".repeat(2001);
        let res = b.post("/console/reports/measures", &[
            ("csrf", &csrf), ("office", "JS"), ("year", "113"),
            ("kind.0", "item"), ("key.0", "waiting_time"), ("measure.0", "尖峰時段加開櫃台"), ("responsible.0", "戶籍課"),
            ("kind.1", "item"), ("key.1", "staff_attitude"), ("measure.1", "服務禮儀訓練"), ("responsible.1", ""),
            ("kind.2", "category"), ("key.2", "waiting"), ("measure.2", &long), ("responsible.2", ""),
        ]).await;
        assert_eq!(res.status(), 400, "a measure too long");
        let page = b.get("/console/reports/measures?office=JS&year=113").await.text().await.unwrap();
        assert!(!page.contains("服務禮儀訓練"), "nothing of a refused post is stored");
        let res = b.post("/console/reports/measures", &[
            ("csrf", &csrf), ("office", "JS"), ("year", "113"),
            ("kind.0", "item"), ("key.0", "waiting_time"), ("measure.0", "尖峰時段加開櫃台"), ("responsible.0", "戶籍課"),
            ("kind.1", "item"), ("key.1", "staff_attitude"), ("measure.1", "服務禮儀訓練"), ("responsible.1", ""),
            ("kind.2", "category"), ("key.2", "waiting"), ("measure.2", "叫號系統加顯示等候人數"), ("responsible.2", "資訊股"),
        ]).await;
        assert_eq!(res.status(), 303);
        let page = b.get("/console/reports/measures?office=JS&year=113").await.text().await.unwrap();
        assert!(page.contains("服務禮儀訓練") && page.contains("叫號系統加顯示等候人數") && page.contains("尖峰時段加開櫃台"));
        {
            use diesel::prelude::*;
            use manyi::db::schema::audit_log;
            let n: i64 = audit_log::table
                .filter(audit_log::action.eq("measure.set"))
                .count()
                .get_result(&mut app.conn())
                .unwrap();
            assert_eq!(n, 3, "two new measures audited, the unchanged one not");
        }

        // A run in the background, its progress, then its files.
        let res = b.post("/console/reports", &[
            ("csrf", &csrf), ("year", "113"), ("scope", "office:JS"), ("html", "on"), ("xlsx", "on"),
        ]).await;
        assert_eq!(res.status(), 303);
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with("/console/reports?year=113"), "the year stays chosen: {location}");
        let id: i32 = location.rsplit("run-").next().unwrap().parse().unwrap();
        let status = b.report_run_ended(id).await;
        assert_eq!(status["status"], "done", "{status}");
        assert_eq!(status["progress"], 100);
        let files: Vec<String> = serde_json::from_value(status["files"].clone()).unwrap();
        assert!(files.contains(&"annual-113-office-JS.html".to_owned()), "{files:?}");
        assert!(files.contains(&"annual-113-office-JS.xlsx".to_owned()));
        assert!(!files.iter().any(|f| f.ends_with(".pdf")), "only the formats asked");
        let res = b.get(&format!("/console/reports/{id}/files/annual-113-office-JS.html")).await;
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        let html = res.text().await.unwrap();
        assert!(html.contains("服務滿意度趨勢分析及改善報告") && html.contains("尖峰時段加開櫃台"));
        // One case and no answers: the complaints chart is drawn, the survey charts are not.
        let res = b.get(&format!("/console/reports/{id}/files/charts/complaints.png")).await;
        assert_eq!(res.status(), 200);
        assert!(!files.iter().any(|f| f == "charts/trend.png"), "an empty trend chart: {files:?}");
        assert!(html.contains("本年度無問卷資料，未繪製此圖"), "the empty chart's one line");
        for bad in ["../../../../etc/passwd", "nope.html", "..%2F..%2Fetc%2Fpasswd"] {
            let res = b.get(&format!("/console/reports/{id}/files/{bad}")).await;
            assert_eq!(res.status(), 404, "{bad}");
        }
        let page = b.get("/console/reports").await.text().await.unwrap();
        assert!(page.contains(&format!("run-{id}")) && page.contains("annual-113-office-JS.html"));
        // Every file of the run, charts and CSVs too, in one ZIP.
        let res = b.get(&format!("/console/reports/{id}/all.zip")).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "application/zip");
        let bytes = res.bytes().await.unwrap();
        let zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
        let prefix = format!("manyi-report-113-{id}/");
        for f in &files {
            assert!(names.contains(&format!("{prefix}{f}")), "{f} missing from the ZIP: {names:?}");
        }
        assert_eq!(names.len(), files.len());

        // Someone else's run is not there; counter staff may not run reports.
        let other = Browser::new(&app);
        other.login("dir-da").await;
        assert_eq!(other.get(&format!("/console/reports/{id}/status")).await.status(), 404);
        assert_eq!(other.get(&format!("/console/reports/{id}/files/annual-113-office-JS.html")).await.status(), 404);
        assert_eq!(other.get(&format!("/console/reports/{id}/all.zip")).await.status(), 404);
        // Refusals of these links are pages in words, never JSON.
        let body = other.get(&format!("/console/reports/{id}/all.zip")).await.text().await.unwrap();
        assert!(!body.trim_start().starts_with('{') && body.contains("<html"), "{body}");
        let counter = Browser::new(&app);
        counter.login("ctr-js").await;
        assert_eq!(counter.get("/console/reports").await.status(), 403);
        assert_eq!(counter.get(&format!("/console/reports/{id}/status")).await.status(), 403);
    }
}
