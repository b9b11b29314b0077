//! What a file holds before any check: a header and rows of text, from a CSV
//! file or from one sheet of an XLSX or ODS workbook. Every later step (the
//! mapping, the row checks) reads this one shape.

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Reader};
use chrono::NaiveDateTime;

use super::RowErrors as ImportErrors;

/// The kinds of file an import reads, told by the file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    Ods,
}

/// A file whose extension is not one of `.csv`, `.xlsx`, `.ods`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: cannot import a `{extension}` file: give a .csv, .xlsx or .ods file")]
pub struct UnsupportedFormat {
    pub file: String,
    pub extension: String,
}

impl Format {
    /// By extension, in any case: `.csv`, `.xlsx`, `.ods`.
    pub fn of(path: &Path) -> Result<Self, UnsupportedFormat> {
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match extension.as_str() {
            "csv" => Ok(Format::Csv),
            "xlsx" => Ok(Format::Xlsx),
            "ods" => Ok(Format::Ods),
            _ => Err(UnsupportedFormat {
                file: path.display().to_string(),
                extension: if extension.is_empty() {
                    "(no extension)".into()
                } else {
                    format!(".{extension}")
                },
            }),
        }
    }
}

/// A file to import: its name (for messages), bytes, kind and, for a
/// workbook, the sheet to read (default: the first).
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    pub name: &'a str,
    pub bytes: &'a [u8],
    pub format: Format,
    pub sheet: Option<&'a str>,
}

/// One data row: its number in the file or sheet (as a spreadsheet counts
/// them; the header of a CSV file is row 1) and its cells as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub number: usize,
    pub cells: Vec<String>,
}

/// The header and rows of a file, every cell as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The sheet read, for a workbook.
    pub sheet: Option<String>,
    /// The header's row number.
    pub header_row: usize,
    pub headers: Vec<String>,
    /// How messages name each column (`Q1[SQ001] → staff_attitude` after a
    /// mapping); the header itself otherwise.
    pub shown: Vec<String>,
    pub rows: Vec<Row>,
}

impl Table {
    pub fn new(sheet: Option<String>, header_row: usize, headers: Vec<String>) -> Self {
        Table {
            sheet,
            header_row,
            shown: headers.clone(),
            headers,
            rows: Vec::new(),
        }
    }

    /// Where a message is about: `sheet 回收問卷, row 3, column overall`, or
    /// `row 3, column overall` in a CSV file; without a column for the row.
    pub fn at(&self, row: usize, column: Option<usize>) -> String {
        let mut s = match &self.sheet {
            Some(sheet) => format!("sheet {sheet}, row {row}"),
            None => format!("row {row}"),
        };
        if let Some(c) = column {
            let name = self.shown.get(c).map(String::as_str).unwrap_or("");
            if name.is_empty() {
                s.push_str(&format!(", column {}", c + 1));
            } else {
                s.push_str(&format!(", column {name}"));
            }
        }
        s
    }

    /// A place in the header row.
    pub fn at_header(&self, column: Option<usize>) -> String {
        self.at(self.header_row, column)
    }

    /// The cell of `row` in `column`, trimmed; empty when there is no such column.
    pub fn cell(row: &Row, column: Option<usize>) -> &str {
        column
            .and_then(|c| row.cells.get(c))
            .map(|s| s.trim())
            .unwrap_or("")
    }
}

/// Reads the file as a table: a CSV file (UTF-8 or Big5), or the sheet of a
/// workbook.
pub fn read(source: &Source<'_>) -> Result<Table, ImportErrors> {
    let fail = |errors: Vec<String>| ImportErrors {
        file: source.name.to_owned(),
        errors,
    };
    match source.format {
        Format::Csv => match source.sheet {
            Some(_) => Err(fail(vec!["--sheet: a CSV file has no sheets".into()])),
            None => read_csv(source.bytes).map_err(fail),
        },
        Format::Xlsx => {
            let book =
                calamine::open_workbook_from_rs::<calamine::Xlsx<_>, _>(Cursor::new(source.bytes))
                    .map_err(|e| fail(vec![format!("not a readable XLSX workbook: {e}")]))?;
            read_sheet(book, source.sheet).map_err(fail)
        }
        Format::Ods => {
            let book =
                calamine::open_workbook_from_rs::<calamine::Ods<_>, _>(Cursor::new(source.bytes))
                    .map_err(|e| fail(vec![format!("not a readable ODS workbook: {e}")]))?;
            read_sheet(book, source.sheet).map_err(fail)
        }
    }
}

fn read_csv(bytes: &[u8]) -> Result<Table, Vec<String>> {
    let text = super::decode(bytes).map_err(|e| vec![e])?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_owned()).collect(),
        Err(e) => return Err(vec![format!("row 1: {e}")]),
    };
    if let Some(q) = super::unclosed_quote(&text) {
        let column = match headers.get(q.column - 1) {
            Some(h) if q.row > 1 => h.clone(),
            _ => q.column.to_string(),
        };
        return Err(vec![format!(
            "row {}, column {column}: a quoted field is not closed",
            q.row
        )]);
    }
    let mut table = Table::new(None, 1, headers);
    let mut errors = Vec::new();
    for (idx, record) in reader.records().enumerate() {
        // Row numbers as the imports have always counted them: the header is
        // row 1, each record one more.
        let number = idx + 2;
        match record {
            Ok(r) => table.rows.push(Row {
                number,
                cells: r.iter().map(str::to_owned).collect(),
            }),
            Err(e) => errors.push(format!("row {number}: {e}")),
        }
    }
    if errors.is_empty() {
        Ok(table)
    } else {
        Err(errors)
    }
}

fn read_sheet<RS, R>(mut book: R, wanted: Option<&str>) -> Result<Table, Vec<String>>
where
    RS: std::io::Read + std::io::Seek,
    R: Reader<RS>,
    R::Error: std::fmt::Display,
{
    let names = book.sheet_names();
    let name = match wanted {
        Some(w) => names
            .iter()
            .find(|n| n.as_str() == w)
            .cloned()
            .ok_or_else(|| {
                vec![format!(
                    "--sheet: no sheet `{w}`; the workbook has {}",
                    names.join(", ")
                )]
            })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| vec!["the workbook has no sheets".to_owned()])?,
    };
    let range = book
        .worksheet_range(&name)
        .map_err(|e| vec![format!("sheet {name}: cannot be read: {e}")])?;
    let Some((first_row, first_col)) = range.start() else {
        return Err(vec![format!("sheet {name}: the sheet is empty")]);
    };
    let mut errors = Vec::new();
    // Spreadsheet numbering: the first row is 1, the first column A.
    let mut grid: Vec<(usize, Vec<String>)> = Vec::new();
    for (i, cells) in range.rows().enumerate() {
        let number = first_row as usize + i + 1;
        let texts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(j, cell)| {
                cell_text(cell).unwrap_or_else(|why| {
                    errors.push((number, first_col as usize + j, why));
                    String::new()
                })
            })
            .collect();
        grid.push((number, texts));
    }
    let Some((header_row, headers)) = grid.first().cloned() else {
        return Err(vec![format!("sheet {name}: the sheet is empty")]);
    };
    let headers: Vec<String> = headers.iter().map(|h| h.trim().to_owned()).collect();
    // A column with neither a header nor any value is not part of the table
    // (a sheet's used range often runs wider than its data).
    let keep: Vec<usize> = (0..headers.len())
        .filter(|&c| {
            !headers[c].is_empty() || grid.iter().any(|(_, cells)| !cells[c].trim().is_empty())
        })
        .collect();
    let mut table = Table::new(
        Some(name),
        header_row,
        keep.iter().map(|&c| headers[c].clone()).collect(),
    );
    if !errors.is_empty() {
        return Err(errors
            .into_iter()
            .map(|(row, col, why)| {
                let column = match headers.get(col - first_col as usize) {
                    Some(h) if !h.is_empty() && row != header_row => h.clone(),
                    _ => column_letters(col),
                };
                format!("{}, column {column}: {why}", table.at(row, None))
            })
            .collect());
    }
    for (number, cells) in grid.into_iter().skip(1) {
        // Blank rows (between or after the data) are skipped, as CSV blank lines are.
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        table.rows.push(Row {
            number,
            cells: keep.iter().map(|&c| cells[c].clone()).collect(),
        });
    }
    Ok(table)
}

/// `A` for the first column (0), `Z`, `AA` …
fn column_letters(mut index: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).expect("ASCII")
}

/// A spreadsheet cell as the text a CSV export of it would hold: strings as
/// they are; a whole number without a fraction (`4.0` is `4`); a date and
/// time as `2024-05-02 14:30:15` (Taipei local time, as the sheet shows it;
/// a date without a time, or at exactly midnight, as `2024-05-02`, which the
/// import takes as noon);
/// an empty cell empty. An error cell (`#N/A`) or a duration is refused.
pub fn cell_text(cell: &Data) -> Result<String, String> {
    match cell {
        Data::Empty => Ok(String::new()),
        Data::String(s) => Ok(s.clone()),
        Data::Int(n) => Ok(n.to_string()),
        Data::Float(f) => Ok(number_text(*f)),
        Data::Bool(b) => Ok(if *b { "TRUE" } else { "FALSE" }.to_owned()),
        Data::DateTime(d) if d.is_duration() => Err(format!(
            "a duration ({}), not a date and time",
            number_text(d.as_f64())
        )),
        Data::DateTime(d) => {
            let (y, m, day, h, mi, s, _milli) = d.to_ymd_hms_milli();
            if d.as_f64().fract() == 0.0 {
                Ok(format!("{y:04}-{m:02}-{day:02}"))
            } else {
                Ok(format!("{y:04}-{m:02}-{day:02} {h:02}:{mi:02}:{s:02}"))
            }
        }
        Data::DateTimeIso(s) => iso_text(s),
        Data::DurationIso(s) => Err(format!("a duration ({s}), not a date and time")),
        Data::Error(e) => Err(format!("the cell holds the error {e}")),
    }
}

fn number_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// An ODS date or date-time value (`2024-05-02`, `2024-05-02T14:30:15[.5]`)
/// in the form [`cell_text`] gives every date; exactly midnight is a date
/// alone, as in an XLSX sheet (where the two cannot be told apart).
fn iso_text(s: &str) -> Result<String, String> {
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.format("%Y-%m-%d").to_string());
    }
    let t = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .map_err(|_| format!("`{s}` is not a date and time"))?;
    if t.time() == chrono::NaiveTime::MIN {
        Ok(t.format("%Y-%m-%d").to_string())
    } else {
        Ok(t.format("%Y-%m-%d %H:%M:%S").to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{CellErrorType, ExcelDateTime, ExcelDateTimeType};

    #[test]
    fn cells_as_csv_text() {
        let dt = |v: f64| Data::DateTime(ExcelDateTime::new(v, ExcelDateTimeType::DateTime, false));
        let cases = [
            (Data::Empty, "".to_owned()),
            (Data::String("非常滿意".into()), "非常滿意".to_owned()),
            (Data::String(" 5 ".into()), " 5 ".to_owned()),
            (Data::Int(4), "4".to_owned()),
            (Data::Float(4.0), "4".to_owned()),
            (Data::Float(-2.0), "-2".to_owned()),
            (Data::Float(4.5), "4.5".to_owned()),
            (Data::Bool(true), "TRUE".to_owned()),
            // 2024-05-02 is serial 45414; 14:30:15 is 52215 of 86400 seconds.
            (
                dt(45414.0 + 52215.0 / 86400.0),
                "2024-05-02 14:30:15".to_owned(),
            ),
            (dt(45414.0), "2024-05-02".to_owned()),
            (
                Data::DateTimeIso("2024-05-02T14:30:15".into()),
                "2024-05-02 14:30:15".to_owned(),
            ),
            (
                Data::DateTimeIso("2024-05-02T14:30:15.250".into()),
                "2024-05-02 14:30:15".to_owned(),
            ),
            (
                Data::DateTimeIso("2024-05-02".into()),
                "2024-05-02".to_owned(),
            ),
        ];
        for (cell, want) in cases {
            assert_eq!(cell_text(&cell), Ok(want), "{cell:?}");
        }
        // The 1904 epoch (old Mac workbooks) gives the same day.
        let mac = Data::DateTime(ExcelDateTime::new(
            45414.0 - 1462.0 + 0.5,
            ExcelDateTimeType::DateTime,
            true,
        ));
        assert_eq!(cell_text(&mac).unwrap(), "2024-05-02 12:00:00");
        // What the CSV path makes of the text is what the sheet shows.
        let local =
            crate::survey::import::parse_when(&cell_text(&dt(45414.0 + 0.5)).unwrap()).unwrap();
        assert_eq!(local.to_string(), "2024-05-02 12:00:00");
        let noon = crate::survey::import::parse_when(&cell_text(&dt(45414.0)).unwrap()).unwrap();
        assert_eq!(noon.to_string(), "2024-05-02 12:00:00");
        // Refused, with the reason.
        let e = cell_text(&Data::Error(CellErrorType::NA)).unwrap_err();
        assert_eq!(e, "the cell holds the error #N/A");
        let e = cell_text(&Data::DurationIso("PT14H30M".into())).unwrap_err();
        assert!(e.contains("a duration (PT14H30M)"), "{e}");
        let d = Data::DateTime(ExcelDateTime::new(0.5, ExcelDateTimeType::TimeDelta, false));
        assert!(cell_text(&d).unwrap_err().contains("a duration"));
        assert!(cell_text(&Data::DateTimeIso("soon".into())).is_err());
    }

    #[test]
    fn formats_by_extension() {
        assert_eq!(Format::of(Path::new("a/b.csv")), Ok(Format::Csv));
        assert_eq!(Format::of(Path::new("回收問卷.XLSX")), Ok(Format::Xlsx));
        assert_eq!(Format::of(Path::new("x.ods")), Ok(Format::Ods));
        let e = Format::of(Path::new("old.xls")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "old.xls: cannot import a `.xls` file: give a .csv, .xlsx or .ods file"
        );
        assert_eq!(
            Format::of(Path::new("data")).unwrap_err().extension,
            "(no extension)"
        );
    }

    #[test]
    fn column_names_like_a_spreadsheet() {
        let l: Vec<String> = [0, 1, 25, 26, 27, 51, 52, 701, 702]
            .into_iter()
            .map(column_letters)
            .collect();
        assert_eq!(l, ["A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]);
    }

    #[test]
    fn places_name_the_sheet() {
        let mut t = Table::new(
            Some("回收問卷".into()),
            1,
            vec!["overall".into(), "".into()],
        );
        assert_eq!(t.at(3, Some(0)), "sheet 回收問卷, row 3, column overall");
        assert_eq!(t.at(3, Some(1)), "sheet 回收問卷, row 3, column 2");
        assert_eq!(t.at(3, None), "sheet 回收問卷, row 3");
        t.sheet = None;
        assert_eq!(t.at_header(Some(0)), "row 1, column overall");
    }

    #[test]
    fn csv_with_a_sheet_is_refused() {
        let e = read(&Source {
            name: "a.csv",
            bytes: b"x\n1\n",
            format: Format::Csv,
            sheet: Some("S"),
        })
        .unwrap_err();
        assert_eq!(e.errors, ["--sheet: a CSV file has no sheets"]);
    }
}
