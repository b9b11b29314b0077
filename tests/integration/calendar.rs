//! Imported calendar years, on both engines and through the command line.

use chrono::{Datelike, NaiveDate, Weekday};
use manyi::calendar::{self, Calendar, WorkingDays};

use crate::helpers::{TestDb, on_both_engines};

/// An official-format CSV for 2026: weekends off, plus New Year's Day.
fn csv_2026() -> String {
    let mut out = String::from("西元日期,星期,是否放假,備註\n");
    let names = ["一", "二", "三", "四", "五", "六", "日"];
    let mut d = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    while d.year() == 2026 {
        let weekend = matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
        let (off, note) = if d.ordinal() == 1 {
            (2, "開國紀念日")
        } else if weekend {
            (2, "")
        } else {
            (0, "")
        };
        out.push_str(&format!(
            "{},{},{off},{note}\n",
            d.format("%Y%m%d"),
            names[d.weekday().num_days_from_monday() as usize]
        ));
        d = d.succ_opt().unwrap();
    }
    out
}

on_both_engines! {
    async fn imported_year_is_used_for_deadlines(engine) {
        let db = TestDb::new(engine);
        let mut conn = db.pool().get().unwrap();
        let received = NaiveDate::from_ymd_opt(2025, 12, 30).unwrap();
        let five = WorkingDays::new(5).unwrap();
        let before = Calendar::load(&mut conn).unwrap().add_working_days(received, five);
        assert!(before.assumed_weekdays);
        assert_eq!(before.date, NaiveDate::from_ymd_opt(2026, 1, 6).unwrap());
        let big5 = encoding_rs::BIG5.encode(&csv_2026()).0.into_owned();
        let days = calendar::parse_official_csv("2026.csv", &big5).unwrap();
        let years = calendar::import_days(&mut conn, "2026.csv", &days).unwrap();
        assert_eq!(years.into_iter().collect::<Vec<_>>(), vec![2026]);
        let cal = Calendar::load(&mut conn).unwrap();
        assert!(cal.has_year(2026));
        // Jan 1 2026 is now known to be off: Wed 31, Fri 2, Mon 5, Tue 6, Wed 7.
        let after = cal.add_working_days(received, five);
        assert!(!after.assumed_weekdays);
        assert_eq!(after.date, NaiveDate::from_ymd_opt(2026, 1, 7).unwrap());
        // Importing again replaces, never doubles.
        calendar::import_days(&mut conn, "2026.csv", &days).unwrap();
        let n: i64 = diesel::RunQueryDsl::get_result(
            diesel::QueryDsl::count(manyi::db::schema::calendar_days::table), &mut conn).unwrap();
        assert_eq!(n, 365);
    }
}

#[test]
fn calendar_commands() {
    let work = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/m.db", work.path().display());
    let run = |args: &[&str]| {
        crate::helpers::manyi_command()
            .current_dir(work.path())
            .args(args)
            .args(["--database-url", &db])
            .output()
            .unwrap()
    };
    let out = run(&["calendar", "deadline", "2024-02-07", "3"]);
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), "2024-02-17");
    let out = run(&["calendar", "show", "2024"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("2024-02-17\twork\t補行上班"), "{text}");
    assert!(text.contains("2024-02-09\toff\t農曆除夕"), "{text}");
    assert!(!run(&["calendar", "show", "2026"]).status.success());
    let file = work.path().join("2026.csv");
    std::fs::write(
        &file,
        csv_2026().replace("20260105,一,0,", "20260105,一,X,"),
    )
    .unwrap();
    let out = run(&["calendar", "import", file.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("row 6, column 是否放假: `X`"), "{err}");
    assert!(
        !run(&["calendar", "show", "2026"]).status.success(),
        "nothing imported"
    );
    std::fs::write(&file, csv_2026()).unwrap();
    assert!(
        run(&["calendar", "import", file.to_str().unwrap()])
            .status
            .success()
    );
    let out = run(&["calendar", "deadline", "2025-12-30", "5"]);
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), "2026-01-07");
}
