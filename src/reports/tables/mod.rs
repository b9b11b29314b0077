//! The report's tables, one model for every spreadsheet-like output: XLSX
//! (rust_xlsxwriter), ODS (spreadsheet-ods) and CSV (UTF-8 with BOM, one file
//! per table, for the open-data platform). Shares are stored as numbers
//! (0-1) with a percentage format, so a reader gets the analytics figures
//! exactly. No personal data: no comment text or names of citizens at all.
//! Text cells pass through [`neutralise_formula`], as every CSV the service
//! writes does, so no text a person typed runs as a formula.
//!
//! Here the table model ([`Cell`], [`Table`]); `contents.rs` builds the
//! report's tables, `write.rs` writes them as files.

use std::borrow::Cow;

pub use contents::tables;
pub use write::{write_csv, write_ods, write_xlsx};

mod contents;
mod write;

/// Text made safe to open in a spreadsheet, as OWASP advises against CSV
/// (formula) injection: text starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return, which Excel and LibreOffice would take for a formula
/// (`=HYPERLINK(…)`, `+cmd|…`), gets a leading `'` and is shown as typed.
/// Text such as `-3` is prefixed too; numbers belong in number cells.
pub fn neutralise_formula(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// A number shown with the given decimals.
    Num(f64, u8),
    /// A share 0-1 shown as a percentage.
    Pct(f64),
    Empty,
}

impl Cell {
    fn num(v: Option<f64>, decimals: u8) -> Cell {
        v.map_or(Cell::Empty, |v| Cell::Num(v, decimals))
    }
    fn pct(v: Option<f64>) -> Cell {
        v.map_or(Cell::Empty, Cell::Pct)
    }
    fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }
    fn int(v: u64) -> Cell {
        Cell::Int(v as i64)
    }

    /// The CSV field: numbers at full precision (shortest round-trip form),
    /// text neutralised ([`neutralise_formula`]).
    pub fn csv(&self) -> String {
        match self {
            Cell::Text(s) => neutralise_formula(s).into_owned(),
            Cell::Int(v) => v.to_string(),
            Cell::Num(v, _) | Cell::Pct(v) => v.to_string(),
            Cell::Empty => String::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// File and sheet key (ASCII).
    pub key: &'static str,
    pub title_zh: &'static str,
    pub title_en: &'static str,
    /// (zh-TW, English) per column.
    pub columns: Vec<(&'static str, &'static str)>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn header(&self) -> Vec<String> {
        self.columns
            .iter()
            .map(|(zh, en)| format!("{zh} {en}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        for (text, want) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("-1+1", "'-1+1"),
            ("@SUM(1)", "'@SUM(1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("-3", "'-3"),
            ("延長服務時間", "延長服務時間"),
            ("a=1", "a=1"),
            ("", ""),
        ] {
            assert_eq!(neutralise_formula(text), want, "{text:?}");
        }
        assert!(matches!(neutralise_formula("戶政"), Cow::Borrowed(_)));
    }
}
