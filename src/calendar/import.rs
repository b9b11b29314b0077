//! The official yearly calendar CSV (`西元日期,星期,是否放假,備註`, dates as
//! `YYYYMMDD`, `是否放假` 2 for a day off and 0 for a working day), in Big5 or
//! UTF-8 (with or without BOM). All or nothing: any bad row, or a quoted
//! field that is never closed ([`crate::tabular`]), rejects the file.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{Datelike, NaiveDate, Utc};
use diesel::prelude::*;

use crate::db::schema::calendar_days;
use crate::db::{self, DbConnection};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedDay {
    pub date: NaiveDate,
    pub holiday: bool,
    pub description: String,
}

/// Every problem of a file, each as `file: row N, column X: why`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarError {
    pub file: String,
    pub problems: Vec<String>,
}

impl fmt::Display for CalendarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}: {p}", self.file)?;
        }
        Ok(())
    }
}

impl std::error::Error for CalendarError {}

/// UTF-8 (BOM or not) when the bytes are valid UTF-8, else Big5 (cp950).
fn decode(bytes: &[u8]) -> Result<String, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_owned());
    }
    let (text, _, had_errors) = encoding_rs::BIG5.decode(bytes);
    if had_errors {
        Err("the file is neither UTF-8 nor Big5".into())
    } else {
        Ok(text.into_owned())
    }
}

const HEADER: [&str; 4] = ["西元日期", "星期", "是否放假", "備註"];
const WEEKDAYS: [&str; 7] = ["一", "二", "三", "四", "五", "六", "日"];

/// Parses the official CSV. `file` names the file in messages.
pub fn parse_official_csv(file: &str, bytes: &[u8]) -> Result<Vec<ImportedDay>, CalendarError> {
    let fail = |problems: Vec<String>| CalendarError {
        file: file.to_owned(),
        problems,
    };
    let text = decode(bytes).map_err(|e| fail(vec![e]))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| fail(vec![format!("row 1: {e}")]))?
        .iter()
        .map(str::to_owned)
        .collect();
    if let Some(q) = crate::tabular::unclosed_quote(&text) {
        let column = match header.get(q.column - 1) {
            Some(h) if q.row > 1 => h.clone(),
            _ => q.column.to_string(),
        };
        return Err(fail(vec![format!(
            "row {}, column {column}: a quoted field is not closed",
            q.row
        )]));
    }
    if header.len() < 4 || header[..4] != HEADER {
        return Err(fail(vec![format!(
            "row 1: the header must be {}, found {}",
            HEADER.join(","),
            header.join(",")
        )]));
    }
    let mut days = Vec::new();
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, record) in reader.records().enumerate() {
        let row = i + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("row {row}: {e}"));
                continue;
            }
        };
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        let field = |n: usize| record.get(n).unwrap_or("");
        let date = match NaiveDate::parse_from_str(field(0), "%Y%m%d") {
            Ok(d) => d,
            Err(_) => {
                problems.push(format!(
                    "row {row}, column 西元日期: `{}` is not a date written YYYYMMDD",
                    field(0)
                ));
                continue;
            }
        };
        let weekday = WEEKDAYS[date.weekday().num_days_from_monday() as usize];
        if field(1) != weekday {
            problems.push(format!(
                "row {row}, column 星期: {date} is a 星期{weekday}, the file says `{}`",
                field(1)
            ));
        }
        let holiday = match field(2) {
            "2" => true,
            "0" => false,
            other => {
                problems.push(format!(
                    "row {row}, column 是否放假: `{other}` must be 2 (day off) or 0 (working day)"
                ));
                continue;
            }
        };
        if !seen.insert(date) {
            problems.push(format!("row {row}, column 西元日期: {date} appears twice"));
        }
        days.push(ImportedDay {
            date,
            holiday,
            description: field(3).to_owned(),
        });
    }
    if problems.is_empty() {
        // A calendar year is imported whole, or a missing day would silently count as a weekday.
        let years: BTreeSet<i32> = days.iter().map(|d| d.date.year()).collect();
        for y in years {
            let expected = NaiveDate::from_ymd_opt(y, 12, 31).expect("valid").ordinal() as usize;
            let got = days.iter().filter(|d| d.date.year() == y).count();
            if got != expected {
                problems.push(format!("year {y}: {got} days, a whole year has {expected}"));
            }
        }
        if days.is_empty() {
            problems.push("no days in the file".into());
        }
    }
    if problems.is_empty() {
        Ok(days)
    } else {
        Err(fail(problems))
    }
}

/// Stores imported years, replacing any earlier import of them, in one transaction.
pub fn import_days(
    conn: &mut DbConnection,
    source: &str,
    days: &[ImportedDay],
) -> QueryResult<BTreeSet<i32>> {
    let years: BTreeSet<i32> = days.iter().map(|d| d.date.year()).collect();
    let now = Utc::now().naive_utc();
    db::write_transaction(conn, |conn| {
        for y in &years {
            let first = NaiveDate::from_ymd_opt(*y, 1, 1).expect("valid");
            let last = NaiveDate::from_ymd_opt(*y, 12, 31).expect("valid");
            diesel::delete(
                calendar_days::table
                    .filter(calendar_days::day.ge(first))
                    .filter(calendar_days::day.le(last)),
            )
            .execute(conn)?;
        }
        let rows: Vec<_> = days
            .iter()
            .map(|d| {
                (
                    calendar_days::day.eq(d.date),
                    calendar_days::is_holiday.eq(d.holiday),
                    calendar_days::description.eq(d.description.as_str()),
                    calendar_days::source.eq(source),
                    calendar_days::imported_at.eq(now),
                )
            })
            .collect();
        for chunk in rows.chunks(1000) {
            crate::on_engine!(&mut *conn, |c| diesel::insert_into(calendar_days::table)
                .values(chunk)
                .execute(c))?;
        }
        Ok(years)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A whole year as the official CSV, built from the shipped calendar.
    fn official_csv(year: i32) -> String {
        let cal = super::super::Calendar::shipped();
        let mut out = String::from("西元日期,星期,是否放假,備註\n");
        let mut date = NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
        while date.year() == year {
            let day = cal.day(date).unwrap();
            let wd = WEEKDAYS[date.weekday().num_days_from_monday() as usize];
            out.push_str(&format!(
                "{},{wd},{},{}\n",
                date.format("%Y%m%d"),
                if day.holiday { 2 } else { 0 },
                day.description
            ));
            date = date.succ_opt().unwrap();
        }
        out
    }

    #[test]
    fn reads_utf8_with_bom_and_big5() {
        let csv = official_csv(2024);
        let utf8 = parse_official_csv("2024.csv", csv.as_bytes()).unwrap();
        assert_eq!(utf8.len(), 366);
        let lny = utf8
            .iter()
            .find(|d| d.date == NaiveDate::from_ymd_opt(2024, 2, 9).unwrap())
            .unwrap();
        assert!(lny.holiday);
        assert_eq!(lny.description, "農曆除夕");
        let bom = [b"\xEF\xBB\xBF".as_slice(), csv.as_bytes()].concat();
        assert_eq!(parse_official_csv("2024.csv", &bom).unwrap(), utf8);
        let (big5, _, lossy) = encoding_rs::BIG5.encode(&csv);
        assert!(!lossy);
        assert!(std::str::from_utf8(&big5).is_err(), "really Big5 bytes");
        assert_eq!(parse_official_csv("2024.csv", &big5).unwrap(), utf8);
    }

    #[test]
    fn every_bad_row_is_reported_with_row_and_column() {
        let csv = official_csv(2024)
            .replace("20240102,二,0,", "2024-01-02,二,0,")
            .replace("20240103,三,0,", "20240103,四,0,")
            .replace("20240104,四,0,", "20240104,四,1,");
        let err = parse_official_csv("cal.csv", csv.as_bytes()).unwrap_err();
        let text = err.to_string();
        assert_eq!(err.problems.len(), 3, "{text}");
        assert!(
            text.contains("cal.csv: row 3, column 西元日期: `2024-01-02`"),
            "{text}"
        );
        assert!(text.contains("cal.csv: row 4, column 星期"), "{text}");
        assert!(
            text.contains("cal.csv: row 5, column 是否放假: `1`"),
            "{text}"
        );
    }

    #[test]
    fn an_unclosed_quote_is_refused_with_its_row() {
        // Read as the csv crate reads it, the last day's note would run to
        // the end of the file and the year would look whole.
        let csv = official_csv(2024).replace("20241231,二,0,", "20241231,二,0,\"跨年");
        let err = parse_official_csv("cal.csv", csv.as_bytes()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cal.csv: row 367, column 備註: a quoted field is not closed"
        );
        let csv = official_csv(2024).replace("20240102,二,0,", "20240102,二,0,\"");
        let err = parse_official_csv("cal.csv", csv.as_bytes()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cal.csv: row 3, column 備註: a quoted field is not closed"
        );
    }

    #[test]
    fn a_partial_year_or_wrong_header_is_refused() {
        let csv: String = official_csv(2024)
            .lines()
            .take(100)
            .map(|l| format!("{l}\n"))
            .collect();
        let err = parse_official_csv("cal.csv", csv.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("year 2024: 99 days"), "{err}");
        let err = parse_official_csv("cal.csv", b"date,weekday,off,note\n").unwrap_err();
        assert!(
            err.to_string().contains("row 1: the header must be"),
            "{err}"
        );
    }
}
