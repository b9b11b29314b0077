//! What every import of a file shares (`manyi import responses|tallies`,
//! `manyi office import`, `manyi calendar import`): the table a CSV file or a
//! sheet of an XLSX or ODS workbook is read into ([`table`]), the encodings
//! offices' CSV files come in, the all-or-nothing error list, and the rule
//! that a quoted field never closed refuses the file.

pub mod table;

pub use table::{Format, Row, Source, Table, UnsupportedFormat, cell_text, read};

/// Every problem of a refused file, one per line (`row N, column X: why`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: the file was not imported ({} error(s)):\n{}", .errors.len(), .errors.join("\n"))]
pub struct RowErrors {
    pub file: String,
    pub errors: Vec<String>,
}

/// Decodes UTF-8 (a BOM is dropped) or, failing that, Big5 (the encoding of
/// Excel's CSV on a Traditional Chinese Windows).
pub fn decode(bytes: &[u8]) -> Result<String, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_owned());
    }
    let (text, _, had_errors) = encoding_rs::BIG5.decode(bytes);
    if had_errors {
        return Err("the file is neither UTF-8 nor Big5".into());
    }
    Ok(text.into_owned())
}

/// Where a quoted field opens and is never closed: its record (1 = the
/// header, as the imports count rows) and column (1 = the first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnclosedQuote {
    pub row: usize,
    pub column: usize,
}

/// The quoted field of `text` that is never closed, if any.
///
/// The csv crate, like most readers, takes such a field to run to the end of
/// the file and reports no error (rust-csv issue #252), so one stray `"`
/// would silently fold every later row into one field. This follows its
/// reader's rules with the settings the imports use (csv-core's defaults:
/// `,` between fields; a `"` at the start of a field opens quotes, `""`
/// inside them is a quote and a lone `"` closes them, a `"` anywhere else is
/// text; CR, LF or CRLF ends a record; blank lines are skipped) to find the
/// one state that reader never reports: the end of the file inside quotes.
pub fn unclosed_quote(text: &str) -> Option<UnclosedQuote> {
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum State {
        RecordStart,
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    use State::*;
    let (mut state, mut row, mut column) = (RecordStart, 0, 0);
    let mut opened = None;
    for b in text.bytes() {
        if state == RecordStart {
            if matches!(b, b'\r' | b'\n') {
                continue;
            }
            (row, column, state) = (row + 1, 1, FieldStart);
        }
        state = match (state, b) {
            (FieldStart, b'"') => {
                opened = Some(UnclosedQuote { row, column });
                Quoted
            }
            (Quoted, b'"') => QuoteInQuoted,
            (Quoted, _) => Quoted,
            (QuoteInQuoted, b'"') => Quoted,
            (_, b',') => {
                column += 1;
                FieldStart
            }
            (_, b'\r' | b'\n') => RecordStart,
            _ => Unquoted,
        };
    }
    if state == Quoted { opened } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_bom_and_big5() {
        assert_eq!(decode("\u{feff}金沙".as_bytes()).unwrap(), "金沙");
        let (big5, _, _) = encoding_rs::BIG5.encode("戶政事務所");
        assert_eq!(decode(&big5).unwrap(), "戶政事務所");
        assert!(decode(&[0xff, 0xff, 0xff]).is_err());
    }

    fn at(row: usize, column: usize) -> Option<UnclosedQuote> {
        Some(UnclosedQuote { row, column })
    }

    #[test]
    fn closed_quotes_pass() {
        for text in [
            "",
            "a,b\n1,2\n",
            "a,b\r\n1,\"x, \"\"y\"\"\r\nz\"\r\n",
            "a,b\n1,\"x\"",
            "a,b\n\n\n1,\"\"\n",
            // A quote inside an unquoted field, or after a closed one, is text.
            "a,b\n5\",2\n",
            "a,b\n\"x\"y\",2\n",
            "a,b\n1, \"x\n",
        ] {
            assert_eq!(unclosed_quote(text), None, "{text:?}");
        }
    }

    #[test]
    fn an_unclosed_quote_is_found_with_its_row_and_column() {
        assert_eq!(unclosed_quote("a,b,c\n1,2,3\n4,5,\"six\n7,8,9\n"), at(3, 3));
        assert_eq!(unclosed_quote("a,b\n1,\"x\"\"\n"), at(2, 2));
        // A closed quote, then an unclosed one in the same row.
        assert_eq!(unclosed_quote("a,b\n\"x\",\"y"), at(2, 2));
        // Blank lines do not count as rows; a multi-line field is one row.
        assert_eq!(unclosed_quote("a,b\n\n\"1\n2\",x\n\r\n\"y,z\n"), at(3, 1));
        assert_eq!(unclosed_quote("\"a,b\n1,2\n"), at(1, 1));
    }

    #[test]
    fn the_csv_crate_reads_such_a_field_to_the_end_without_error() {
        // Why the check exists: the reader folds the rest of the file into it.
        let text = "a,b\n1,\"x\n2,y\n";
        let records: Vec<_> = csv::Reader::from_reader(text.as_bytes())
            .records()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(&records[0][1], "x\n2,y\n");
        assert_eq!(unclosed_quote(text), at(2, 2));
    }
}
