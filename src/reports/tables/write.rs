//! Writing the tables out: an XLSX and an ODS workbook (one sheet per table)
//! and one CSV file per table.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{Cell, Table, neutralise_formula};
use crate::reports::{ReportError, write_atomic};

/// Sheet names: at most 31 characters, unique.
fn sheet_name(t: &Table) -> String {
    t.title_zh.chars().take(31).collect()
}

pub fn write_xlsx(tables: &[Table], path: &Path) -> Result<(), ReportError> {
    use rust_xlsxwriter::{Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| ReportError::Render(format!("xlsx: {e}"));
    let mut wb = Workbook::new();
    let head = Format::new().set_bold().set_text_wrap();
    let pct = Format::new().set_num_format("0.0%");
    let formats: Vec<Format> = (0..=4u8)
        .map(|d| {
            Format::new().set_num_format(if d == 0 {
                "0".to_owned()
            } else {
                format!("0.{}", "0".repeat(d as usize))
            })
        })
        .collect();
    for t in tables {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(t)).map_err(err)?;
        ws.write_string(0, 0, format!("{} {}", t.title_zh, t.title_en))
            .map_err(err)?;
        for (c, h) in t.header().iter().enumerate() {
            ws.write_string_with_format(1, c as u16, h, &head)
                .map_err(err)?;
            ws.set_column_width(c as u16, 16).map_err(err)?;
        }
        for (r, row) in t.rows.iter().enumerate() {
            let r = r as u32 + 2;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(s) => ws.write_string(r, c, neutralise_formula(s)).map(|_| ()),
                    Cell::Int(v) => ws.write_number(r, c, *v as f64).map(|_| ()),
                    Cell::Num(v, d) => ws
                        .write_number_with_format(r, c, *v, &formats[(*d).min(4) as usize])
                        .map(|_| ()),
                    Cell::Pct(v) => ws.write_number_with_format(r, c, *v, &pct).map(|_| ()),
                    Cell::Empty => Ok(()),
                }
                .map_err(err)?;
            }
        }
        ws.set_freeze_panes(2, 0).map_err(err)?;
    }
    let bytes = wb.save_to_buffer().map_err(err)?;
    write_atomic(path, &bytes)
}

pub fn write_ods(tables: &[Table], path: &Path) -> Result<(), ReportError> {
    use spreadsheet_ods::{CellStyle, Sheet, WorkBook, format};
    let mut wb = WorkBook::new_empty();
    let pct_format = wb.add_percentage_format(format::create_percentage_format("pct1", 1));
    let pct = wb.add_cellstyle(CellStyle::new("pct", &pct_format));
    let num: Vec<_> = (0..=4u8)
        .map(|d| {
            let f = wb.add_number_format(format::create_number_format_fixed(
                format!("num{d}"),
                d,
                false,
            ));
            wb.add_cellstyle(CellStyle::new(format!("n{d}"), &f))
        })
        .collect();
    for t in tables {
        let mut sheet = Sheet::new(sheet_name(t));
        sheet.set_value(0, 0, format!("{} {}", t.title_zh, t.title_en));
        for (c, h) in t.header().iter().enumerate() {
            sheet.set_value(1, c as u32, h.as_str());
        }
        for (r, row) in t.rows.iter().enumerate() {
            let r = r as u32 + 2;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u32;
                match cell {
                    Cell::Text(s) => sheet.set_value(r, c, &*neutralise_formula(s)),
                    Cell::Int(v) => sheet.set_value(r, c, *v as f64),
                    Cell::Num(v, d) => sheet.set_styled_value(r, c, *v, &num[(*d).min(4) as usize]),
                    Cell::Pct(v) => {
                        sheet.set_styled_value(r, c, spreadsheet_ods::Value::Percentage(*v), &pct)
                    }
                    Cell::Empty => {}
                }
            }
        }
        wb.push_sheet(sheet);
    }
    let bytes = spreadsheet_ods::write_ods_buf(&mut wb, Vec::new())
        .map_err(|e| ReportError::Render(format!("ods: {e}")))?;
    write_atomic(path, &bytes)
}

/// One CSV per table in `dir`, UTF-8 with a byte-order mark, English-and-
/// Chinese header row. Returns the files.
pub fn write_csv(tables: &[Table], dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(dir).map_err(|e| ReportError::io(dir, e))?;
    let mut files = Vec::new();
    for t in tables {
        let mut buf = Vec::new();
        buf.write_all(b"\xEF\xBB\xBF").expect("writing to memory");
        {
            let mut w = csv::Writer::from_writer(&mut buf);
            let err = |e: csv::Error| ReportError::Render(format!("csv {}: {e}", t.key));
            w.write_record(t.header()).map_err(err)?;
            for row in &t.rows {
                w.write_record(row.iter().map(Cell::csv)).map_err(err)?;
            }
            w.flush().map_err(|e| ReportError::io(dir, e))?;
        }
        let path = dir.join(format!("{}.csv", t.key));
        write_atomic(&path, &buf)?;
        files.push(path);
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use calamine::{Data, Reader};

    use super::*;

    /// One table as a report writes it: text a person typed (an improvement
    /// measure) beside numbers, negative ones too.
    fn typed_table() -> Table {
        Table {
            key: "plan",
            title_zh: "改善計畫",
            title_en: "Improvement plan",
            columns: vec![
                ("改善措施", "Measure"),
                ("變化", "Change"),
                ("比率", "Rate"),
            ],
            rows: vec![
                vec![
                    Cell::text("=HYPERLINK(\"http://x\",\"y\")"),
                    Cell::Num(-3.5, 1),
                    Cell::Pct(0.25),
                ],
                vec![Cell::text("-3"), Cell::Int(-2), Cell::Empty],
                vec![Cell::text("@SUM(1)"), Cell::Int(7), Cell::Empty],
            ],
        }
    }

    const WANT: [&str; 3] = ["'=HYPERLINK(\"http://x\",\"y\")", "'-3", "'@SUM(1)"];

    fn check_sheet(range: &calamine::Range<Data>) {
        // Rows 0 and 1 are the title and the header.
        for (i, want) in WANT.iter().enumerate() {
            assert_eq!(range.get((i + 2, 0)), Some(&Data::String((*want).into())));
        }
        let number = |row: usize, col: usize| match range.get((row, col)) {
            Some(Data::Float(v)) => Some(*v),
            Some(Data::Int(v)) => Some(*v as f64),
            _ => None,
        };
        assert_eq!(number(2, 1), Some(-3.5), "a number stays a number");
        assert_eq!(number(3, 1), Some(-2.0));
        assert_eq!(number(4, 1), Some(7.0));
    }

    #[test]
    fn spreadsheets_and_csv_neutralise_typed_text() {
        let dir = tempfile::tempdir().unwrap();
        let tables = [typed_table()];
        write_xlsx(&tables, &dir.path().join("t.xlsx")).unwrap();
        write_ods(&tables, &dir.path().join("t.ods")).unwrap();
        let files = write_csv(&tables, &dir.path().join("csv")).unwrap();

        let mut xlsx: calamine::Xlsx<_> =
            calamine::open_workbook(dir.path().join("t.xlsx")).unwrap();
        check_sheet(&xlsx.worksheet_range("改善計畫").unwrap());
        let mut ods: calamine::Ods<_> = calamine::open_workbook(dir.path().join("t.ods")).unwrap();
        check_sheet(&ods.worksheet_range("改善計畫").unwrap());

        let bytes = std::fs::read(&files[0]).unwrap();
        let mut rd = csv::Reader::from_reader(&bytes[3..]);
        let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
        let first: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
        assert_eq!(first, WANT);
        assert_eq!(
            &rows[0][1], "-3.5",
            "a number cell is written as the number"
        );
        assert_eq!(&rows[1][1], "-2");
    }
}
