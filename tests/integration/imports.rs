//! `manyi import responses` beyond manyi's own CSV layout: XLSX and ODS
//! sheets, answers as labels, and other tools' exports through a mapping
//! file (the Google Forms and LimeSurvey samples of `tests/fixtures/import/`,
//! which the README shows). On both engines: what is stored, and that a bad
//! file stores nothing.

use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use manyi::db::DbConnection;
use manyi::db::schema::{answers, offices, responses};
use manyi::forms::Form;
use manyi::survey::import::{self, Format, ImportError, Mapping, Source};

use crate::helpers::{Engine, TestDb, manyi_command, on_both_engines, prepare, seed_org};

/// One stored answer with its response: office code, submitted_at (UTC),
/// channel, item, score, choice, text.
type Stored = (
    String,
    NaiveDateTime,
    String,
    String,
    Option<i16>,
    Option<String>,
    Option<String>,
);

fn stored(conn: &mut DbConnection) -> Vec<Stored> {
    let mut v: Vec<Stored> = answers::table
        .inner_join(responses::table.inner_join(offices::table))
        .select((
            offices::code,
            responses::submitted_at,
            responses::channel,
            answers::item_key,
            answers::score,
            answers::choice,
            answers::text_value,
        ))
        .load(conn)
        .unwrap();
    v.sort();
    v
}

fn counts(conn: &mut DbConnection) -> (i64, i64) {
    let a: i64 = answers::table.count().get_result(conn).unwrap();
    (crate::helpers::response_count(conn), a)
}

/// `(office, submitted_at, item, score)` of the stored scores, sorted: what
/// the samples are checked against.
fn scores(conn: &mut DbConnection) -> Vec<(String, String, String, i16)> {
    stored(conn)
        .into_iter()
        .filter_map(|(o, at, _, item, score, _, _)| Some((o, at.to_string(), item, score?)))
        .collect()
}

fn utc(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
}

/// A cell written into a test workbook.
#[derive(Clone, Copy)]
enum Cell {
    Text(&'static str),
    Number(f64),
    /// A date-time cell, formatted as a date and time.
    When(u16, u8, u8, u16, u8, u8),
    /// A date cell, formatted as a date.
    Day(u16, u8, u8),
    Empty,
}
use Cell::{Day, Empty, Number as N, Text as T, When};

fn xlsx(sheets: &[(&str, Vec<Vec<Cell>>)]) -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut wb = Workbook::new();
    let when = Format::new().set_num_format("yyyy/m/d hh:mm:ss");
    let day = Format::new().set_num_format("yyyy/m/d");
    for (name, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                match *cell {
                    T(s) => {
                        ws.write_string(r, c, s).unwrap();
                    }
                    N(n) => {
                        ws.write_number(r, c, n).unwrap();
                    }
                    When(y, m, d, h, mi, s) => {
                        let dt = ExcelDateTime::from_ymd(y, m, d)
                            .unwrap()
                            .and_hms(h, mi, s)
                            .unwrap();
                        ws.write_datetime_with_format(r, c, &dt, &when).unwrap();
                    }
                    Day(y, m, d) => {
                        let dt = ExcelDateTime::from_ymd(y, m, d).unwrap();
                        ws.write_datetime_with_format(r, c, &dt, &day).unwrap();
                    }
                    Empty => {}
                }
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

fn ods(name: &str, rows: &[Vec<Cell>]) -> Vec<u8> {
    use spreadsheet_ods::{Sheet, WorkBook};
    let mut wb = WorkBook::new_empty();
    let mut sheet = Sheet::new(name);
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u32);
            match *cell {
                T(s) => sheet.set_value(r, c, s),
                N(n) => sheet.set_value(r, c, n),
                When(y, m, d, h, mi, s) => sheet.set_value(
                    r,
                    c,
                    chrono::NaiveDate::from_ymd_opt(y.into(), m.into(), d.into())
                        .unwrap()
                        .and_hms_opt(h.into(), mi.into(), s.into())
                        .unwrap(),
                ),
                Day(y, m, d) => sheet.set_value(
                    r,
                    c,
                    chrono::NaiveDate::from_ymd_opt(y.into(), m.into(), d.into()).unwrap(),
                ),
                Empty => {}
            }
        }
    }
    wb.push_sheet(sheet);
    spreadsheet_ods::write_ods_buf(&mut wb, Vec::new()).unwrap()
}

const HEADER: [&str; 9] = [
    "office_code",
    "submitted_at",
    "channel",
    "service_type",
    "counter",
    "staff_attitude",
    "waiting_time",
    "overall",
    "comment",
];

/// The paper slips of one week as manyi's CSV layout …
const WEEK_CSV: &str = "\
office_code,submitted_at,channel,service_type,counter,staff_attitude,waiting_time,overall,comment
JS,2024-05-02 14:30:15,counter,戶籍謄本,,5,4,非常滿意,服務親切
JS,113/05/03,,,,4,,4,
DA,2024/5/6 上午 9:05:00,counter,,1,普通,2,Dissatisfied,等太久
";

/// … and the same slips as a spreadsheet keeps them: dates and times as
/// date cells, scores as numbers, labels as text, blank cells.
fn week_rows() -> Vec<Vec<Cell>> {
    vec![
        HEADER.map(T).to_vec(),
        vec![
            T("JS"),
            When(2024, 5, 2, 14, 30, 15),
            T("counter"),
            T("戶籍謄本"),
            Empty,
            N(5.0),
            N(4.0),
            T("非常滿意"),
            T("服務親切"),
        ],
        vec![
            T("JS"),
            Day(2024, 5, 3),
            Empty,
            Empty,
            Empty,
            N(4.0),
            Empty,
            N(4.0),
            Empty,
        ],
        // A blank row between slips is skipped.
        vec![Empty; 9],
        vec![
            T("DA"),
            When(2024, 5, 6, 9, 5, 0),
            T("counter"),
            Empty,
            N(1.0),
            T("普通"),
            N(2.0),
            T("Dissatisfied"),
            T("等太久"),
        ],
    ]
}

/// What the week stores, as the CSV and the sheets must: scores in UTC.
fn week_scores() -> Vec<(String, String, String, i16)> {
    let mut want: Vec<(String, String, String, i16)> = [
        ("DA", "2024-05-06 01:05:00", "overall", 2),
        ("DA", "2024-05-06 01:05:00", "staff_attitude", 3),
        ("DA", "2024-05-06 01:05:00", "waiting_time", 2),
        ("JS", "2024-05-02 06:30:15", "overall", 5),
        ("JS", "2024-05-02 06:30:15", "staff_attitude", 5),
        ("JS", "2024-05-02 06:30:15", "waiting_time", 4),
        // A date alone is noon Taipei time, in a sheet as in a CSV file.
        ("JS", "2024-05-03 04:00:00", "overall", 4),
        ("JS", "2024-05-03 04:00:00", "staff_attitude", 4),
    ]
    .iter()
    .map(|(o, at, item, s)| (o.to_string(), at.to_string(), item.to_string(), *s))
    .collect();
    want.sort();
    want
}

struct Db {
    _db: TestDb,
    conn: manyi::db::PooledConnection,
    form: Form,
    version: i32,
}

fn db(engine: Engine) -> Db {
    let db = TestDb::new(engine);
    let state = prepare(&db);
    let mut conn = state.pool.get().unwrap();
    seed_org(&mut conn);
    Db {
        form: state.catalog.get("counter").unwrap().form.clone(),
        version: state.form_version_ids["counter"],
        _db: db,
        conn,
    }
}

impl Db {
    fn import(
        &mut self,
        name: &str,
        bytes: &[u8],
        sheet: Option<&str>,
        mapping: Option<&Mapping>,
    ) -> Result<import::ImportSummary, ImportError> {
        let ctx = import::context(&mut self.conn, &self.form, self.version).unwrap();
        let source = Source {
            name,
            bytes,
            format: Format::of(Path::new(name)).unwrap(),
            sheet,
        };
        import::import_file(&mut self.conn, &source, mapping, &ctx)
    }

    /// An import that must fail: its message; nothing may be stored.
    fn refused(
        &mut self,
        name: &str,
        bytes: &[u8],
        sheet: Option<&str>,
        mapping: Option<&Mapping>,
    ) -> String {
        let before = counts(&mut self.conn);
        let e = self
            .import(name, bytes, sheet, mapping)
            .expect_err("the import must be refused")
            .to_string();
        assert_eq!(counts(&mut self.conn), before, "nothing stored by:\n{e}");
        e
    }
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
}

on_both_engines! {
    fn xlsx_and_ods_store_what_the_csv_stores(engine) {
        let mut by_csv = db(engine);
        let s = by_csv.import("week.csv", WEEK_CSV.as_bytes(), None, None).unwrap();
        assert_eq!((s.responses, s.answers), (3, 10));
        let from_csv = stored(&mut by_csv.conn);
        assert_eq!(scores(&mut by_csv.conn), week_scores());

        // The data on the first sheet; a second sheet of notes is not read.
        let notes = vec![vec![T("說明"), T("113 年 5 月紙本問卷")]];
        let book = xlsx(&[("回收問卷", week_rows()), ("說明", notes)]);
        let mut by_xlsx = db(engine);
        let s = by_xlsx.import("week.xlsx", &book, None, None).unwrap();
        assert_eq!((s.responses, s.answers, s.already_imported), (3, 10, 0));
        assert_eq!(stored(&mut by_xlsx.conn), from_csv);
        // The comment and the service type came through too.
        let texts: Vec<_> = from_csv.iter().filter_map(|r| r.6.clone()).collect();
        // Sorted by office: DA first.
        assert_eq!(texts, ["等太久", "服務親切"]);
        let service: Vec<Option<i32>> = responses::table
            .order(responses::submitted_at)
            .select(responses::service_type_id)
            .load(&mut by_xlsx.conn)
            .unwrap();
        assert!(service[0].is_some() && service[1].is_none(), "{service:?}");

        let mut by_ods = db(engine);
        let s = by_ods
            .import("week.ods", &ods("回收問卷", &week_rows()), None, None)
            .unwrap();
        assert_eq!((s.responses, s.answers), (3, 10));
        assert_eq!(stored(&mut by_ods.conn), from_csv);
    }

    fn a_workbook_imports_once_per_sheet(engine) {
        let mut d = db(engine);
        let book = xlsx(&[("說明", vec![vec![T("notes")]]), ("回收問卷", week_rows()), ("複本", week_rows())]);
        let s = d.import("week.xlsx", &book, Some("回收問卷"), None).unwrap();
        assert_eq!((s.responses, s.already_imported), (3, 0));
        let s = d.import("week.xlsx", &book, Some("回收問卷"), None).unwrap();
        assert_eq!((s.responses, s.answers, s.already_imported), (0, 0, 3));
        assert_eq!(counts(&mut d.conn), (3, 10));
        // The same bytes under another name are the same file.
        let s = d.import("again.xlsx", &book, Some("回收問卷"), None).unwrap();
        assert_eq!((s.responses, s.already_imported), (0, 3));
        // Another sheet is other slips, even with the same rows.
        let s = d.import("week.xlsx", &book, Some("複本"), None).unwrap();
        assert_eq!((s.responses, s.already_imported), (3, 0));
        assert_eq!(counts(&mut d.conn), (6, 20));
        // A sheet that is not there, or notes without manyi's header.
        let e = d.refused("week.xlsx", &book, Some("回收"), None);
        assert!(e.contains("--sheet: no sheet `回收`; the workbook has 說明, 回收問卷, 複本"), "{e}");
        let e = d.refused("week.xlsx", &book, None, None);
        assert!(e.contains("sheet 說明, row 1, column 1: expected `office_code`, found `notes`"), "{e}");
    }

    fn bad_sheets_store_nothing(engine) {
        let mut d = db(engine);
        // An unknown office and a bad label, each where it is.
        let mut rows = week_rows();
        rows[1][0] = T("XX");
        rows[4][7] = T("很好");
        let book = xlsx(&[("回收問卷", rows)]);
        let e = d.refused("bad.xlsx", &book, None, None);
        assert!(e.starts_with("bad.xlsx: the file was not imported (2 error(s)):"), "{e}");
        assert!(e.contains("sheet 回收問卷, row 2, column office_code: no office `XX`"), "{e}");
        assert!(
            e.contains(
                "sheet 回收問卷, row 5, column overall: `很好` is not a score 1-5 or a label of \
                 the satisfaction scale (非常滿意, 滿意, 普通, 不滿意, 非常不滿意, Very satisfied, \
                 Satisfied, Neutral, Dissatisfied, Very dissatisfied)"
            ),
            "{e}"
        );
        // A sheet missing a column.
        let rows: Vec<Vec<Cell>> = week_rows()
            .into_iter()
            .map(|mut r| {
                r.remove(2);
                r
            })
            .collect();
        let e = d.refused("short.xlsx", &xlsx(&[("回收問卷", rows)]), None, None);
        assert!(
            e.contains("sheet 回收問卷, row 1, column 3: expected `channel`, found `service_type`"),
            "{e}"
        );
        // Not a spreadsheet, or not a kind manyi reads.
        let e = d.refused("junk.xlsx", b"not a zip", None, None);
        assert!(e.contains("junk.xlsx: the file was not imported (1 error(s)):\nnot a readable XLSX workbook"), "{e}");
        assert!(Format::of(Path::new("old.xls")).is_err());
        assert_eq!(counts(&mut d.conn), (0, 0));
    }

    fn mapped_exports_store_nothing_when_they_do_not_fit(engine) {
        let mut d = db(engine);
        let csv = std::fs::read(fixture("google-forms.csv")).unwrap();
        let text = std::fs::read_to_string(fixture("google-forms.toml")).unwrap();
        // A mapping naming an item the form does not have.
        let bad = text.replace("= \"waiting_time\"", "= \"queue_time\"");
        let e = Mapping::parse("google-forms.toml", &bad, &d.form).unwrap_err().to_string();
        assert!(e.starts_with("google-forms.toml: the mapping is not valid (1 error(s)):\ngoogle-forms.toml:11:13: [columns] \"3. 等候時間\" = \"queue_time\": `queue_time` is not a manyi column: expected one of office_code, "), "{e}");
        // A column of the file neither mapped nor ignored.
        let bad = text.replace("columns = [\"Email Address\"]", "columns = []");
        let m = Mapping::parse("google-forms.toml", &bad, &d.form).unwrap();
        let e = d.refused("google-forms.csv", &csv, None, Some(&m));
        assert!(e.contains("row 1, column Email Address: not mapped in google-forms.toml: add it to [columns] or to [ignore] columns"), "{e}");
        // An office the value table does not know, named by their column.
        let bad = text.replace("\"臺北市大安區戶政事務所\" = \"DA\"", "");
        let m = Mapping::parse("google-forms.toml", &bad, &d.form).unwrap();
        let e = d.refused("google-forms.csv", &csv, None, Some(&m));
        assert!(e.contains("row 4, column 辦理的戶政事務所 (office_code): no office `臺北市大安區戶政事務所`"), "{e}");
        // A label of the wrong scale.
        let csv_bad = String::from_utf8(csv.clone()).unwrap().replace("非常滿意,滿意,普通,不適用", "非常同意,滿意,普通,不適用");
        let m = Mapping::parse("google-forms.toml", &text, &d.form).unwrap();
        let e = d.refused("google-forms.csv", csv_bad.as_bytes(), None, Some(&m));
        assert!(e.contains("row 2, column 1. 櫃檯人員服務態度 (staff_attitude): `非常同意` is not a score 1-5 or a label of the satisfaction scale"), "{e}");
        // Without the mapping the export's header is not manyi's.
        let e = d.refused("google-forms.csv", &csv, None, None);
        assert!(e.contains("row 1, column 1: expected `office_code`, found `Timestamp`"), "{e}");
        assert_eq!(counts(&mut d.conn), (0, 0));
        // And as it is, it imports.
        let s = d.import("google-forms.csv", &csv, None, Some(&m)).unwrap();
        assert_eq!(s.responses, 3);
    }
}

/// Runs `manyi import responses` on a file of the fixtures with its mapping
/// against `db`; the output.
fn run_import(db: &TestDb, file: &str, mapping: &str) -> std::process::Output {
    let work = tempfile::tempdir().unwrap();
    manyi_command()
        .current_dir(work.path())
        .env("MANYI_SNAPSHOT_DIR", work.path().join("snap"))
        .arg("--database-url")
        .arg(db.url.expose())
        .args(["import", "responses"])
        .arg(fixture(file))
        .args(["--form", "counter", "--mapping"])
        .arg(fixture(mapping))
        .arg("--forms")
        .arg(crate::helpers::forms_dir())
        .output()
        .unwrap()
}

fn owned(v: &[(&str, &str, &str, i16)]) -> Vec<(String, String, String, i16)> {
    let mut v: Vec<_> = v
        .iter()
        .map(|(o, at, i, s)| (o.to_string(), at.to_string(), i.to_string(), *s))
        .collect();
    v.sort();
    v
}

on_both_engines! {
    fn google_forms_sample_imports_with_its_mapping(engine) {
        let d = db(engine);
        let out = run_import(&d._db, "google-forms.csv", "google-forms.toml");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("3 response(s) with 16 answer(s) imported; 0 already"), "{stdout}");
        let mut conn = d.conn;
        assert_eq!(
            scores(&mut conn),
            owned(&[
                // 2024/5/2 下午 2:30:15 Taipei
                ("JS", "2024-05-02 06:30:15", "staff_attitude", 5),
                ("JS", "2024-05-02 06:30:15", "staff_efficiency", 4),
                ("JS", "2024-05-02 06:30:15", "waiting_time", 3),
                ("JS", "2024-05-02 06:30:15", "overall", 5),
                ("JS", "2024-05-03 01:05:00", "staff_attitude", 4),
                ("JS", "2024-05-03 01:05:00", "staff_efficiency", 4),
                ("JS", "2024-05-03 01:05:00", "waiting_time", 2),
                ("JS", "2024-05-03 01:05:00", "volunteer_attitude", 4),
                ("JS", "2024-05-03 01:05:00", "overall", 4),
                ("DA", "2024-05-06 03:12:40", "staff_attitude", 3),
                ("DA", "2024-05-06 03:12:40", "staff_efficiency", 1),
                ("DA", "2024-05-06 03:12:40", "waiting_time", 1),
                ("DA", "2024-05-06 03:12:40", "overall", 2),
            ])
        );
        let all = stored(&mut conn);
        // 不適用 is stored as the kiosk stores it.
        let na: Vec<_> = all.iter().filter(|r| r.5.is_some()).collect();
        assert_eq!(na.len(), 1);
        assert_eq!(
            (na[0].1, na[0].3.as_str(), na[0].4, na[0].5.as_deref()),
            (utc("2024-05-02 06:30:15"), "volunteer_attitude", None, Some("na"))
        );
        let comments: Vec<_> = all.iter().filter_map(|r| r.6.as_deref()).collect();
        assert_eq!(comments, ["等候時間太久，叫號系統很慢", "服務很親切"]);
        assert!(all.iter().all(|r| r.2 == "counter"));
        // Again: nothing new.
        let out = run_import(&d._db, "google-forms.csv", "google-forms.toml");
        assert!(out.status.success());
        assert!(String::from_utf8_lossy(&out.stdout).contains("0 response(s) with 0 answer(s) imported; 3 already"));
        assert_eq!(counts(&mut conn), (3, 16));
    }

    fn limesurvey_sample_imports_with_its_mapping(engine) {
        let d = db(engine);
        let out = run_import(&d._db, "limesurvey.csv", "limesurvey.toml");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
        let mut conn = d.conn;
        assert_eq!(
            scores(&mut conn),
            owned(&[
                ("JS", "2024-05-02 06:30:15", "staff_attitude", 5),
                ("JS", "2024-05-02 06:30:15", "staff_efficiency", 4),
                ("JS", "2024-05-02 06:30:15", "waiting_time", 3),
                ("JS", "2024-05-02 06:30:15", "overall", 5),
                ("JS", "2024-05-03 02:00:00", "staff_attitude", 4),
                ("JS", "2024-05-03 02:00:00", "staff_efficiency", 4),
                ("JS", "2024-05-03 02:00:00", "waiting_time", 2),
                ("JS", "2024-05-03 02:00:00", "overall", 4),
                ("JS", "2024-05-07 08:45:30", "staff_attitude", 1),
                ("JS", "2024-05-07 08:45:30", "staff_efficiency", 2),
                ("JS", "2024-05-07 08:45:30", "waiting_time", 1),
                ("JS", "2024-05-07 08:45:30", "overall", 1),
            ])
        );
        let comments: Vec<_> = stored(&mut conn).into_iter().filter_map(|r| r.6).collect();
        assert_eq!(comments, ["辦理很快，謝謝", "Waited too long"]);
    }

    fn a_bad_mapping_is_refused_by_the_command(engine) {
        let d = db(engine);
        let work = tempfile::tempdir().unwrap();
        let map = work.path().join("map.toml");
        std::fs::write(&map, "[columns]\n\"submitdate\" = \"submitted_at\"\n\"Q9\" = \"colour\"\n").unwrap();
        let out = manyi_command()
            .current_dir(work.path())
            .env("MANYI_SNAPSHOT_DIR", work.path().join("snap"))
            .arg("--database-url")
            .arg(d._db.url.expose())
            .args(["import", "responses"])
            .arg(fixture("limesurvey.csv"))
            .arg("--mapping")
            .arg(&map)
            .arg("--forms")
            .arg(crate::helpers::forms_dir())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(err.contains("map.toml:3:8: [columns] \"Q9\" = \"colour\": `colour` is not a manyi column"), "{err}");
        let mut conn = d.conn;
        assert_eq!(counts(&mut conn), (0, 0));
    }
}
