//! `manyi office import FILE.csv`: a county sets up its offices in one
//! command. One row per office; the header names the columns (English or
//! Chinese, in any order): `code`/`代碼`, `name_zh`/`名稱`, `name_en`/`英文名稱`,
//! `county_zh`/`縣市`, `county_en`/`縣市英文`, `address`/`地址`, `phone`/`電話`;
//! `code`, `name_zh` and `county_zh` are required. UTF-8 or Big5. All or
//! nothing: every bad row is listed as `row N, column X: why` and nothing is
//! written. A known code is updated, so importing the same file again
//! changes nothing.

use std::collections::HashMap;

use super::{Actor, AdminError, check_office_change, store_office};
use crate::csv_input::{RowErrors, decode, unclosed_quote};
use crate::db::{self, DbConnection};
use crate::offices::Saved;
use crate::offices::details::{OfficeDetails, OfficeInput};

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
fn parse(file: &str, bytes: &[u8]) -> Result<Vec<(usize, OfficeDetails)>, RowErrors> {
    let fail = |errors: Vec<String>| RowErrors {
        file: file.to_owned(),
        errors,
    };
    let text = decode(bytes).map_err(|e| fail(vec![e]))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_owned()).collect(),
        Err(e) => return Err(fail(vec![format!("row 1: {e}")])),
    };
    if let Some(q) = unclosed_quote(&text) {
        return Err(fail(vec![format!(
            "row {}, column {}: a quoted field is not closed",
            q.row,
            headers
                .get(q.column - 1)
                .cloned()
                .unwrap_or_else(|| q.column.to_string())
        )]));
    }
    let mut errors = Vec::new();
    // column name -> (index, the header as the file writes it)
    let mut at: HashMap<&'static str, (usize, String)> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        match column_of(h) {
            None => errors.push(format!(
                "row 1, column {}: `{h}` is not one of {}",
                i + 1,
                COLUMNS.map(|(c, _)| c).join(", ")
            )),
            Some(c) if at.contains_key(c) => {
                errors.push(format!("row 1, column {}: `{c}` appears twice", i + 1))
            }
            Some(c) => {
                at.insert(c, (i, h.clone()));
            }
        }
    }
    for r in REQUIRED {
        if !at.contains_key(r) {
            errors.push(format!("row 1: the column `{r}` is missing"));
        }
    }
    if !errors.is_empty() {
        return Err(fail(errors));
    }
    let mut offices = Vec::new();
    let mut first_row_of: HashMap<String, usize> = HashMap::new();
    for (idx, record) in reader.records().enumerate() {
        let row = idx + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(format!("row {row}: {e}"));
                continue;
            }
        };
        let get = |c: &str| {
            at.get(c)
                .and_then(|(i, _)| record.get(*i))
                .unwrap_or("")
                .to_owned()
        };
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
                    let header = at.get(e.field).map(|(_, h)| h.as_str()).unwrap_or(e.field);
                    errors.push(format!("row {row}, column {header}: {}", e.message));
                }
            }
            Ok(d) => {
                if let Some(first) = first_row_of.get(d.code.as_str()) {
                    errors.push(format!(
                        "row {row}, column {}: `{}` is on row {first} already",
                        at["code"].1, d.code
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
    file: &str,
    bytes: &[u8],
) -> Result<OfficeImport, AdminError> {
    let offices = parse(file, bytes)?;
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

    fn errors(text: &[u8]) -> Vec<String> {
        parse("offices.csv", text).unwrap_err().errors
    }

    #[test]
    fn chinese_headers_in_any_order_and_big5() {
        let csv = "縣市,名稱,代碼,電話\n金門縣,金沙鎮戶政事務所,js,082-352141\n";
        let (big5, _, _) = encoding_rs::BIG5.encode(csv);
        for bytes in [csv.as_bytes(), &big5] {
            let rows = parse("o.csv", bytes).unwrap();
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
                "row 1, column 3: `fax` is not one of code, name_zh, name_en, county_zh, county_en, address, phone",
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
