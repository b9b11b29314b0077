//! `manyi office import FILE.csv`: a county sets up its offices in one
//! command. One row per office; the header names the columns (English or
//! Chinese, in any order): `code`/`代碼`, `name_zh`/`名稱`, `name_en`/`英文名稱`,
//! `county_zh`/`縣市`, `county_en`/`縣市英文`, `address`/`地址`, `phone`/`電話`;
//! `code`, `name_zh` and `county_zh` are required. A CSV file (UTF-8 or
//! Big5) or a sheet of an XLSX or ODS workbook. All or
//! nothing: every bad row is listed as `row N, column X: why` and nothing is
//! written. A known code is updated, so importing the same file again
//! changes nothing.

use std::collections::HashMap;

use super::{Actor, AdminError, check_office_change, store_office};
use crate::db::{self, DbConnection};
use crate::offices::Saved;
use crate::offices::details::{OfficeDetails, OfficeInput};
use crate::tabular::{RowErrors, Source, Table};

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct OfficeImport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// The columns, each with the names a header may give it.
const COLUMNS: [(&str, &[&str]); 7] = [
    ("code", &["code", "代碼", "機關代碼"]),
    ("name_zh", &["name_zh", "名稱", "機關名稱"]),
    ("name_en", &["name_en", "英文名稱"]),
    ("county_zh", &["county_zh", "縣市"]),
    ("county_en", &["county_en", "縣市英文"]),
    ("address", &["address", "地址"]),
    ("phone", &["phone", "電話"]),
];
const REQUIRED: [&str; 3] = ["code", "name_zh", "county_zh"];

fn column_of(header: &str) -> Option<&'static str> {
    let h = header.trim();
    COLUMNS
        .iter()
        .find(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case(h)))
        .map(|(c, _)| *c)
}

/// The offices of a file, checked; or every error.
fn parse(source: &Source<'_>) -> Result<Vec<(usize, OfficeDetails)>, RowErrors> {
    let fail = |errors: Vec<String>| RowErrors {
        file: source.name.to_owned(),
        errors,
    };
    let table = crate::tabular::read(source)?;
    let headers = &table.headers;
    let mut errors = Vec::new();
    // column name -> (index, the header as the file writes it)
    let mut at: HashMap<&'static str, (usize, String)> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        match column_of(h) {
            None => errors.push(format!(
                "{}: `{h}` is not one of {}",
                table.at_header(Some(i)),
                COLUMNS.map(|(c, _)| c).join(", ")
            )),
            Some(c) if at.contains_key(c) => {
                errors.push(format!("{}: `{c}` appears twice", table.at_header(Some(i))))
            }
            Some(c) => {
                at.insert(c, (i, h.clone()));
            }
        }
    }
    for r in REQUIRED {
        if !at.contains_key(r) {
            errors.push(format!(
                "{}: the column `{r}` is missing",
                table.at_header(None)
            ));
        }
    }
    if !errors.is_empty() {
        return Err(fail(errors));
    }
    let mut offices = Vec::new();
    let mut first_row_of: HashMap<String, usize> = HashMap::new();
    for record in &table.rows {
        let row = record.number;
        let get = |c: &str| Table::cell(record, at.get(c).map(|(i, _)| *i)).to_owned();
        let input = OfficeInput {
            code: get("code"),
            name_zh: get("name_zh"),
            name_en: get("name_en"),
            county_zh: get("county_zh"),
            county_en: get("county_en"),
            address: get("address"),
            phone: get("phone"),
        };
        match OfficeDetails::parse(&input) {
            Err(field_errors) => {
                for e in field_errors {
                    let column = at.get(e.field).map(|(i, _)| *i);
                    errors.push(format!("{}: {}", table.at(row, column), e.message));
                }
            }
            Ok(d) => {
                if let Some(first) = first_row_of.get(d.code.as_str()) {
                    errors.push(format!(
                        "{}: `{}` is on row {first} already",
                        table.at(row, Some(at["code"].0)),
                        d.code
                    ));
                } else {
                    first_row_of.insert(d.code.to_string(), row);
                    offices.push((row, d));
                }
            }
        }
    }
    if offices.is_empty() && errors.is_empty() {
        errors.push("the file has no data rows".into());
    }
    if errors.is_empty() {
        Ok(offices)
    } else {
        Err(fail(errors))
    }
}

/// Checks the whole file (also that the actor may set up every office in
/// it), then stores every office in one transaction, or nothing.
pub fn import_offices(
    conn: &mut DbConnection,
    actor: Actor<'_>,
    source: &Source<'_>,
) -> Result<OfficeImport, AdminError> {
    let file = source.name;
    let offices = parse(source)?;
    let mut refused = Vec::new();
    for (row, d) in &offices {
        match check_office_change(conn, &actor, d) {
            Ok(()) => {}
            Err(e @ AdminError::OutsideCounty(_)) => {
                refused.push(format!("row {row}, column county_zh: {e}"))
            }
            Err(e) => return Err(e),
        }
    }
    if !refused.is_empty() {
        return Err(RowErrors {
            file: file.to_owned(),
            errors: refused,
        }
        .into());
    }
    db::write_transaction(conn, |conn| {
        let mut done = OfficeImport::default();
        for (_, d) in &offices {
            match store_office(conn, &actor, d)?.1 {
                Saved::Created => done.created += 1,
                Saved::Updated(_) => done.updated += 1,
                Saved::Unchanged => done.unchanged += 1,
            }
        }
        Ok(done)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tabular::Format;

    fn source(bytes: &[u8]) -> Source<'_> {
        Source {
            name: "offices.csv",
            bytes,
            format: Format::Csv,
            sheet: None,
        }
    }

    fn errors(text: &[u8]) -> Vec<String> {
        parse(&source(text)).unwrap_err().errors
    }

    #[test]
    fn chinese_headers_in_any_order_and_big5() {
        let csv = "縣市,名稱,代碼,電話\n金門縣,金沙鎮戶政事務所,js,082-352141\n";
        let (big5, _, _) = encoding_rs::BIG5.encode(csv);
        for bytes in [csv.as_bytes(), &big5] {
            let rows = parse(&source(bytes)).unwrap();
            assert_eq!(rows.len(), 1);
            let (row, d) = &rows[0];
            assert_eq!(*row, 2);
            assert_eq!(
                (d.code.as_str(), d.name_zh.as_str(), d.county_zh.as_str()),
                ("JS", "金沙鎮戶政事務所", "金門縣")
            );
            assert_eq!(d.phone, "082-352141");
        }
    }

    #[test]
    fn every_bad_row_and_column_is_named() {
        assert_eq!(
            errors(b"code,name_zh,fax\n"),
            [
                "row 1, column fax: `fax` is not one of code, name_zh, name_en, county_zh, county_en, address, phone",
                "row 1: the column `county_zh` is missing",
            ]
        );
        let e = errors(
            "code,name_zh,county_zh\nJS,金沙,金門縣\n1A,,金門縣\njs,金沙二,金門縣\n".as_bytes(),
        );
        assert_eq!(
            e,
            [
                "row 3, column code: `1A` is no office code (letters A-Z, digits and `-`, starting with a letter)",
                "row 3, column name_zh: must not be empty",
                "row 4, column code: `JS` is on row 2 already",
            ]
        );
        assert_eq!(
            errors(b"code,name_zh,county_zh\n"),
            ["the file has no data rows"]
        );
        assert_eq!(
            errors(b"code,name_zh,county_zh\n\xff\xfe\xff,x,y\n"),
            ["the file is neither UTF-8 nor Big5"]
        );
        assert_eq!(
            errors(b"code,name_zh,county_zh\nJS,\"open,x\n"),
            ["row 2, column name_zh: a quoted field is not closed"]
        );
    }
}
