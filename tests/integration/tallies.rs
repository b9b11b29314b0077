//! Aggregated tallies (`manyi import tallies`): the same answers imported as
//! individual rows in one database and as quarterly counts in another give
//! identical per-item figures (n, rates, means, intervals, changes,
//! shortfalls); the figures that need individual answers say so per year;
//! bad files change nothing. Both engines.

use std::collections::BTreeMap;

use diesel::prelude::*;
use manyi::analytics::{Analysis, RocYear, standards};
use manyi::db::schema::tallies as tallies_t;
use manyi::survey::tallies::{self, TallyError};

use crate::fixtures::{Fixture, analyse, req};
use crate::helpers::{Engine, TestDb, on_both_engines, prepare, seed_org, settings};

const ITEMS: [&str; 4] = [
    "staff_attitude",
    "staff_efficiency",
    "waiting_time",
    "overall",
];

/// 96 slips of office JS over ROC 112 and 113, every quarter, from a fixed
/// sequence: (year, quarter, scores of ITEMS).
fn slips() -> Vec<(i32, u32, [u8; 4])> {
    let mut state: u32 = 12345;
    let mut next = || {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        (state >> 16) % 100
    };
    let mut out = Vec::new();
    for year in [112, 113] {
        for quarter in 1..=4u32 {
            for _ in 0..12 {
                let mut s = [0u8; 4];
                for x in &mut s {
                    // Mostly satisfied, some not: 5 35%, 4 35%, 3 15%, 2 10%, 1 5%.
                    *x = match next() {
                        0..35 => 5,
                        35..70 => 4,
                        70..85 => 3,
                        85..95 => 2,
                        _ => 1,
                    };
                }
                out.push((year, quarter, s));
            }
        }
    }
    out
}

fn individual_csv(slips: &[(i32, u32, [u8; 4])]) -> String {
    let mut csv = format!(
        "office_code,submitted_at,channel,service_type,counter,{},comment\n",
        ITEMS.join(",")
    );
    for (i, (year, quarter, s)) in slips.iter().enumerate() {
        let month = (quarter - 1) * 3 + 1 + (i as u32 % 3);
        csv.push_str(&format!(
            "JS,{year}/{month:02}/10,counter,,,{},{},{},{},\n",
            s[0], s[1], s[2], s[3]
        ));
    }
    csv
}

/// The same slips as counts per year, quarter and item, with Chinese headers
/// in another order than the file format's.
fn tally_csv(slips: &[(i32, u32, [u8; 4])]) -> String {
    let mut counts: BTreeMap<(i32, u32, usize), [u32; 5]> = BTreeMap::new();
    for (year, quarter, s) in slips {
        for (i, v) in s.iter().enumerate() {
            counts.entry((*year, *quarter, i)).or_default()[usize::from(*v) - 1] += 1;
        }
    }
    let mut csv = String::from("年度,季別,office_code,item,非常不滿意,不滿意,普通,滿意,非常滿意\n");
    for ((year, quarter, i), c) in counts {
        // The Chinese text of an item names it as well as its key.
        let item = if ITEMS[i] == "overall" {
            "整體而言，您對本所今天的服務滿意程度".to_owned()
        } else {
            ITEMS[i].to_owned()
        };
        csv.push_str(&format!(
            "{year},Q{quarter},js,{item},{},{},{},{},{}\n",
            c[0], c[1], c[2], c[3], c[4]
        ));
    }
    csv
}

struct Db {
    f: Fixture,
    version: i32,
    form: manyi::forms::Form,
}

fn db(engine: Engine) -> Db {
    let test_db = TestDb::new(engine);
    let state = prepare(&test_db);
    let mut conn = state.pool.get().unwrap();
    seed_org(&mut conn);
    let form = state.catalog.get("counter").unwrap().form.clone();
    let version = state.form_version_ids["counter"];
    let snap_dir = tempfile::tempdir().unwrap();
    let mut settings = settings(&test_db);
    settings.snapshot_dir = snap_dir.path().join("snap");
    Db {
        f: Fixture::new(test_db, settings, conn, snap_dir),
        version,
        form,
    }
}

fn import_tallies(d: &mut Db, text: &str) -> Result<tallies::TallyImport, TallyError> {
    let ctx = tallies::context(&mut d.f.conn, &d.form, d.version).unwrap();
    tallies::import_tallies(
        &mut d.f.conn,
        &csv_source("tallies.csv", text.as_bytes()),
        &ctx,
    )
}

fn csv_source<'a>(name: &'a str, bytes: &'a [u8]) -> manyi::tabular::Source<'a> {
    manyi::tabular::Source {
        name,
        bytes,
        format: manyi::tabular::Format::Csv,
        sheet: None,
    }
}

fn errors(r: Result<tallies::TallyImport, TallyError>) -> Vec<String> {
    match r {
        Err(TallyError::Rejected(e)) => e.errors,
        other => panic!("expected a refused file, got {other:?}"),
    }
}

fn figures(a: &Analysis) -> serde_json::Value {
    serde_json::json!({
        "metrics": a.metrics,
        "changes": a.changes,
        "shortfalls": a.shortfalls,
    })
}

on_both_engines! {
    fn tallies_give_the_figures_of_the_same_answers_as_slips(engine) {
        let slips = slips();
        let mut slipped = db(engine);
        let mut tallied = db(engine);
        let csv = individual_csv(&slips);
        crate::fixtures::import(&mut slipped.f.conn, &slipped.form.clone(), slipped.version, &csv);
        let done = import_tallies(&mut tallied, &tally_csv(&slips)).unwrap();
        assert_eq!((done.created, done.updated, done.unchanged), (32, 0, 0));
        assert_eq!(done.answers, 96 * 4);
        let year = RocYear::new(113).unwrap();
        for d in [&mut slipped, &mut tallied] {
            manyi::plans::standards::set(&mut d.f.conn, year, &standards::StandardScope::All, 0.95, "test").unwrap();
        }

        for by in ["year,item", "year,quarter,item", "year,office,item", "year,dimension"] {
            let a = analyse(&mut slipped.f, req(by));
            let b = analyse(&mut tallied.f, req(by));
            assert!(!a.metrics.is_empty() && !a.changes.is_empty(), "{by}");
            assert_eq!(figures(&a), figures(&b), "by {by}");
        }
        let a = analyse(&mut slipped.f, req("year,item"));
        let b = analyse(&mut tallied.f, req("year,item"));
        assert!(!a.shortfalls.is_empty(), "the standard of 95% is missed somewhere");
        // What needs an individual's several answers: there for slips, not for tallies.
        assert_eq!(a.responses, 96);
        assert_eq!(b.responses, 0);
        assert!(a.tallied.is_empty());
        assert!(!a.drivers.is_empty() && !a.reliability.is_empty());
        assert!(b.drivers.iter().all(|d| d.importance.is_none()), "{:?}", b.drivers);
        assert!(b.reliability.iter().all(|r| r.alpha.is_none()), "{:?}", b.reliability);
        let years: Vec<(i32, u64, u64)> = b.tallied.iter().map(|t| (t.year.get(), t.individual_responses, t.tallied_answers)).collect();
        assert_eq!(years, [(112, 0, 192), (113, 0, 192)]);
        let note = b.notes.iter().find(|n| n.starts_with("民國113年只有彙總計數")).expect("a note for 113");
        assert!(note.contains("Cronbach") && note.contains("IPA") && note.contains("not available"), "{note}");

        // Importing the same file again changes nothing; a changed count replaces its row.
        let again = import_tallies(&mut tallied, &tally_csv(&slips)).unwrap();
        assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 32));
        let stored: i64 = tallies_t::table.count().get_result(&mut tallied.f.conn).unwrap();
        assert_eq!(stored, 32);
        // The import is in the audit log once (the unchanged second one is not).
        let audited: Vec<String> = manyi::auth::list_audit(&mut tallied.f.conn, &manyi::auth::Scope::All, None, 100)
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "tallies_imported")
            .map(|e| e.detail)
            .collect();
        assert_eq!(audited, ["form=counter created=32 updated=0 answers=384"]);
    }

    fn a_year_of_slips_and_a_year_of_tallies_side_by_side(engine) {
        let slips = slips();
        let mut d = db(engine);
        let (y112, y113): (Vec<_>, Vec<_>) = slips.iter().partition(|s| s.0 == 112);
        crate::fixtures::import(&mut d.f.conn, &d.form.clone(), d.version, &individual_csv(&y113));
        import_tallies(&mut d, &tally_csv(&y112)).unwrap();
        let mut both = db(engine);
        crate::fixtures::import(&mut both.f.conn, &both.form.clone(), both.version, &individual_csv(&slips));
        let a = analyse(&mut d.f, req("year,item"));
        let b = analyse(&mut both.f, req("year,item"));
        // Items per year and the change 112 → 113: as with slips throughout.
        assert_eq!(serde_json::to_value(&a.metrics).unwrap(), serde_json::to_value(&b.metrics).unwrap());
        assert_eq!(serde_json::to_value(&a.changes).unwrap(), serde_json::to_value(&b.changes).unwrap());
        assert_eq!(a.responses, 48);
        let tallied: Vec<i32> = a.tallied.iter().map(|t| t.year.get()).collect();
        assert_eq!(tallied, [112]);
        // Drivers of 113 come from its slips; 112 has none.
        assert!(a.drivers.iter().any(|d| d.year == 113 && d.importance.is_some()));
        assert!(a.drivers.iter().all(|d| d.year != 112 || d.importance.is_none()));

        // Tallies for a quarter that holds slips would count them twice: refused.
        let e = errors(import_tallies(&mut d, &tally_csv(&y113)));
        assert!(e[0].contains("individual answer(s)") && e[0].contains("113 Q1"), "{e:?}");
        // And slips for a tallied quarter: refused too, nothing stored.
        let before = crate::helpers::response_count(&mut d.f.conn);
        let ctx = manyi::survey::import::context(&mut d.f.conn, &d.form, d.version).unwrap();
        let r = manyi::survey::import::import_responses(&mut d.f.conn, "late.csv", individual_csv(&y112[..2]).as_bytes(), &ctx);
        match r {
            Err(manyi::survey::import::ImportError::Rejected(e)) => {
                assert_eq!(e.errors.len(), 2, "{e:?}");
                assert!(e.errors[0].starts_with("row 2: 112 Q1 of this office is kept as tallies"), "{e:?}");
            }
            other => panic!("expected a refused file, got {other:?}"),
        }
        assert_eq!(crate::helpers::response_count(&mut d.f.conn), before);
    }

    fn bad_tally_files_change_nothing(engine) {
        let mut d = db(engine);
        let head = "office_code,year,quarter,item,n5,n4,n3,n2,n1\n";
        let cases: Vec<(String, Vec<&str>)> = vec![
            (format!("{head}ZZ,113,1,overall,1,2,3,4,5\n"), vec!["row 2, column office_code: no office `ZZ`"]),
            (format!("{head}JS,113,1,overall,1,-2,3,4,5\n"), vec!["row 2, column n4: `-2` is negative"]),
            (format!("{head}JS,113,5,overall,1,2,3,4,5\n"), vec!["row 2, column quarter: `5` is not a quarter 1-4"]),
            (format!("{head}JS,113,1,comment,1,2,3,4,5\n"), vec!["row 2, column item: `comment` is not a 5-point item of form `counter`"]),
            (format!("{head}JS,113,1,overall,0,0,0,0,0\n"), vec!["row 2: every count is 0"]),
            (format!("{head}JS,113,1,overall,1,2,3,4,5\nJS,113,1,overall,1,1,1,1,1\n"), vec!["row 3: office, year, quarter, item and channel are those of row 2"]),
            (format!("{head}JS,999,1,overall,1,2,3,4,5\n"), vec!["row 2, column year: `999` is not a year"]),
            ("office_code,year,quarter,item,n5,n4,n3,n2\nJS,113,1,overall,1,2,3,4\n".into(), vec!["row 1: the column `n1` is missing"]),
            (format!("{head}JS,113,1,overall,1,2,3,4,5\nJS,113,2,overall,x,2,3,4,5\n"), vec!["row 3, column n5: `x` is not a whole number"]),
            // Counts beyond any quarter: refused, not taken in (and never expanded).
            (format!("{head}JS,113,1,overall,2147483647,0,0,0,0\n"), vec!["row 2, column n5: `2147483647` is more answers than a quarter holds"]),
        ];
        // The quarter that has not ended yet: its answers still come in live.
        let today = manyi::calendar::taipei::today();
        let (y, q) = (chrono::Datelike::year(&today) - 1911, chrono::Datelike::month0(&today) / 3 + 1);
        let e = errors(import_tallies(&mut d, &format!("{head}JS,{y},{q},overall,1,2,3,4,5\n")));
        assert!(e[0].starts_with(&format!("row 2, column quarter: {y} Q{q} has not ended")), "{e:?}");
        for (text, wants) in cases {
            let e = errors(import_tallies(&mut d, &text));
            assert_eq!(e.len(), wants.len(), "{e:?}");
            for (got, want) in e.iter().zip(&wants) {
                assert!(got.starts_with(want), "expected `{want}`, got `{got}`");
            }
        }
        let (big5_garbage, _, _) = encoding_rs::BIG5.encode("office_code,年度\n");
        let mut bytes = big5_garbage.into_owned();
        bytes.extend_from_slice(b"\xff\xff\n");
        let ctx = tallies::context(&mut d.f.conn, &d.form, d.version).unwrap();
        let e = errors(tallies::import_tallies(&mut d.f.conn, &csv_source("t.csv", &bytes), &ctx));
        assert_eq!(e, ["the file is neither UTF-8 nor Big5"]);
        let stored: i64 = tallies_t::table.count().get_result(&mut d.f.conn).unwrap();
        assert_eq!(stored, 0);
    }
}

/// A workbook of one sheet named `name` with these rows (every cell text,
/// except whole numbers, which are written as numbers as Excel keeps them).
pub(crate) fn workbook(name: &str, rows: &[Vec<String>]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(name).unwrap();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            match v.parse::<f64>() {
                Ok(n) => sheet.write_number(r as u32, c as u16, n).unwrap(),
                Err(_) => sheet.write_string(r as u32, c as u16, v).unwrap(),
            };
        }
    }
    book.save_to_buffer().unwrap()
}

fn csv_rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

on_both_engines! {
    fn tallies_from_an_excel_workbook(engine) {
        let slips = slips();
        let (y112, _): (Vec<_>, Vec<_>) = slips.iter().partition(|s| s.0 == 112);
        let mut from_csv = db(engine);
        import_tallies(&mut from_csv, &tally_csv(&y112)).unwrap();
        let mut from_xlsx = db(engine);
        let bytes = workbook("季報", &csv_rows(&tally_csv(&y112)));
        let ctx = tallies::context(&mut from_xlsx.f.conn, &from_xlsx.form, from_xlsx.version).unwrap();
        let source = manyi::tabular::Source { name: "tallies.xlsx", bytes: &bytes, format: manyi::tabular::Format::Xlsx, sheet: None };
        let done = tallies::import_tallies(&mut from_xlsx.f.conn, &source, &ctx).unwrap();
        assert_eq!(done.created, 16);
        let a = analyse(&mut from_csv.f, req("year,quarter,item"));
        let b = analyse(&mut from_xlsx.f, req("year,quarter,item"));
        assert_eq!(figures(&a), figures(&b));
        // A sheet with a negative count names the sheet, row and column; nothing is stored.
        let mut bad = csv_rows(&tally_csv(&y112));
        bad[3][4] = "-1".into();
        let bytes = workbook("季報", &bad);
        let mut empty = db(engine);
        let ctx = tallies::context(&mut empty.f.conn, &empty.form, empty.version).unwrap();
        let source = manyi::tabular::Source { name: "tallies.xlsx", bytes: &bytes, format: manyi::tabular::Format::Xlsx, sheet: None };
        let e = errors(tallies::import_tallies(&mut empty.f.conn, &source, &ctx));
        assert_eq!(e, ["sheet 季報, row 4, column 非常不滿意: `-1` is negative"]);
        let stored: i64 = tallies_t::table.count().get_result(&mut empty.f.conn).unwrap();
        assert_eq!(stored, 0);
    }
}
