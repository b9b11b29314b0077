//! Historical import: years of paper-survey results kept in spreadsheets.
//!
//! One CSV row per response: `office_code, submitted_at, channel,
//! service_type, counter`, then one column per 5-point item key of the form
//! (scores 1-5, empty = not answered), then `comment`. Dates in ISO 8601 or
//! the ROC calendar (`113/05/02`, `113-05-02 14:30`), Taipei time. UTF-8
//! (with or without BOM) or Big5. All or nothing: any bad row rejects the
//! file, with every error listed as `row N, column X: why`; so does a quoted
//! field that is never closed ([`crate::csv_input`]). Each row's
//! idempotency key is derived from the file's content and the row number, so
//! importing the same file twice stores it once.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use sha2::{Digest, Sha256};

use super::{AnswerRow, ResponseRow, insert_answers, insert_responses};
use crate::db::DbConnection;
use crate::db::schema::responses;
use crate::forms::{Channel, Form, ItemKind};
use diesel::prelude::*;

/// Every problem of a rejected file, one per line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: the file was not imported ({} error(s)):\n{}", .errors.len(), .errors.join("\n"))]
pub struct ImportErrors {
    pub file: String,
    pub errors: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Rejected(#[from] ImportErrors),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    pub responses: usize,
    pub answers: usize,
    /// Rows already stored by an earlier import of the same file.
    pub already_imported: usize,
}

const FIXED: [&str; 5] = [
    "office_code",
    "submitted_at",
    "channel",
    "service_type",
    "counter",
];

/// Decodes UTF-8 (a BOM is dropped) or, failing that, Big5.
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

/// A time as exports write it, as Taipei local time:
/// - an instant with its offset (RFC 3339, seconds optional):
///   `2021-11-26T14:13:00+08:00`, `2021-11-26T06:13Z`, `2021-11-26 14:13:00.5+08:00`;
/// - a local time: `2024-05-02`, `2024-05-02 14:30[:00]`, `2024-05-02T14:30:00`,
///   `2024/5/2`, ROC `113/05/02`, `113-05-02 14:30`;
/// - the zh-TW spreadsheet form `2024/5/2 下午 2:30:15` (上午 / 下午), or
///   `2024/5/2 2:30:15 PM`.
///
/// A date alone is noon.
pub fn parse_when(s: &str) -> Result<NaiveDateTime, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty".into());
    }
    if let Some(instant) = parse_instant(s) {
        return Ok(crate::calendar::taipei::local(instant.naive_utc()));
    }
    let (date_part, time_part) = match s.split_once(['T', ' ']) {
        Some((d, t)) => (d.trim(), Some(t.trim())),
        None => (s, None),
    };
    let sep = if date_part.contains('/') { '/' } else { '-' };
    let fields: Vec<&str> = date_part.split(sep).collect();
    let [y, m, d] = fields.as_slice() else {
        return Err(format!("`{s}` is not a date like 2024-05-02 or 113/05/02"));
    };
    let bad = || format!("`{s}` is not a date like 2024-05-02 or 113/05/02");
    let y: i32 = y.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    let d: u32 = d.parse().map_err(|_| bad())?;
    // Three digits or fewer: a ROC year (民國).
    let year = if y < 1000 { y + 1911 } else { y };
    let date = NaiveDate::from_ymd_opt(year, m, d).ok_or_else(|| format!("`{s}`: no such day"))?;
    let time = match time_part {
        None => NaiveTime::from_hms_opt(12, 0, 0).expect("noon"),
        Some(t) => parse_clock(t).ok_or_else(|| {
            format!("`{t}` is not a time like 14:30, 14:30:15, 下午 2:30 or 2:30 PM")
        })?,
    };
    Ok(date.and_time(time))
}

/// An instant with an offset or `Z` (RFC 3339; seconds and their fraction
/// optional; `T` or a space between date and time).
fn parse_instant(s: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    let s = match s.strip_suffix(['Z', 'z']) {
        Some(rest) => format!("{rest}+00:00"),
        None => s.to_owned(),
    };
    [
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M%:z",
    ]
    .iter()
    .find_map(|f| chrono::DateTime::parse_from_str(&s, f).ok())
}

/// `14:30`, `14:30:15`, `下午 2:30[:15]` / `上午 …`, `2:30[:15] PM` / `AM`.
fn parse_clock(t: &str) -> Option<NaiveTime> {
    let t = t.trim();
    let upper = t.to_ascii_uppercase();
    let (afternoon, clock) = if let Some(rest) = t.strip_prefix("上午") {
        (Some(false), rest)
    } else if let Some(rest) = t.strip_prefix("下午") {
        (Some(true), rest)
    } else if upper.ends_with("AM") {
        (Some(false), &t[..t.len() - 2])
    } else if upper.ends_with("PM") {
        (Some(true), &t[..t.len() - 2])
    } else {
        (None, t)
    };
    let clock = clock.trim();
    let time = NaiveTime::parse_from_str(clock, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(clock, "%H:%M"))
        .ok()?;
    let Some(afternoon) = afternoon else {
        return Some(time);
    };
    // On a 12-hour clock: 上午 12:05 is 00:05, 下午 12:05 is 12:05, 下午 2:30 is 14:30.
    let hour = time.hour();
    if !(1..=12).contains(&hour) {
        return None;
    }
    let hour24 = (hour % 12) + if afternoon { 12 } else { 0 };
    time.with_hour(hour24)
}

/// Reference data rows are checked against.
pub struct ImportContext<'a> {
    pub form: &'a Form,
    pub form_version_id: i32,
    /// office code → id
    pub offices: HashMap<String, i32>,
    /// (office id, counter code) → id
    pub counters: HashMap<(i32, String), i32>,
    /// service type code or Chinese name → id
    pub service_types: HashMap<String, i32>,
    /// Rows dated after this (UTC) are refused.
    pub now: NaiveDateTime,
}

/// An answer of a row: item key, score, text.
type RowAnswer = (String, Option<i16>, Option<String>);

struct Parsed {
    responses: Vec<ResponseRow>,
    answers: Vec<Vec<RowAnswer>>,
}

fn parse_rows(file: &str, text: &str, ctx: &ImportContext<'_>) -> Result<Parsed, ImportErrors> {
    let mut errors = Vec::new();
    let fail = |errors: Vec<String>| ImportErrors {
        file: file.to_owned(),
        errors,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_owned()).collect(),
        Err(e) => return Err(fail(vec![format!("row 1: {e}")])),
    };
    if let Some(q) = crate::csv_input::unclosed_quote(text) {
        let column = match headers.get(q.column - 1) {
            Some(h) if q.row > 1 => h.clone(),
            _ => q.column.to_string(),
        };
        return Err(fail(vec![format!(
            "row {}, column {column}: a quoted field is not closed",
            q.row
        )]));
    }
    for (i, want) in FIXED.iter().enumerate() {
        if headers.get(i).map(String::as_str) != Some(*want) {
            errors.push(format!(
                "row 1, column {}: expected `{want}`, found `{}`",
                i + 1,
                headers.get(i).map(String::as_str).unwrap_or("")
            ));
        }
    }
    if headers.last().map(String::as_str) != Some("comment") {
        errors.push(format!(
            "row 1, column {}: the last column must be `comment`",
            headers.len()
        ));
    }
    let comment_item = ctx
        .form
        .items
        .iter()
        .find(|i| matches!(i.kind, ItemKind::Text { .. }));
    let item_cols: Vec<(usize, &crate::forms::Item)> = headers
        .iter()
        .enumerate()
        .take(headers.len().saturating_sub(1))
        .skip(FIXED.len())
        .filter_map(|(i, h)| match ctx.form.item(h) {
            Some(item) if matches!(item.kind, ItemKind::Likert5 { .. }) => Some((i, item)),
            _ => {
                errors.push(format!(
                    "row 1, column {h}: not a 5-point item of form `{}`",
                    ctx.form.key
                ));
                None
            }
        })
        .collect();
    if item_cols.is_empty() && errors.is_empty() {
        errors.push("row 1: no item columns".into());
    }
    if !errors.is_empty() {
        return Err(fail(errors));
    }
    let mut parsed = Parsed {
        responses: Vec::new(),
        answers: Vec::new(),
    };
    for (idx, record) in reader.records().enumerate() {
        let row = idx + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(format!("row {row}: {e}"));
                continue;
            }
        };
        let get = |i: usize| record.get(i).unwrap_or("").trim();
        let mut row_errors = Vec::new();
        let office = ctx.offices.get(get(0)).copied();
        if office.is_none() {
            row_errors.push(format!(
                "row {row}, column office_code: no office `{}`",
                get(0)
            ));
        }
        let when = match parse_when(get(1)) {
            Ok(local) => {
                let at = crate::calendar::taipei::to_utc(local);
                if at > ctx.now {
                    row_errors.push(format!("row {row}, column submitted_at: in the future"));
                }
                Some(at)
            }
            Err(e) => {
                row_errors.push(format!("row {row}, column submitted_at: {e}"));
                None
            }
        };
        let channel = match get(2) {
            "" => Some(Channel::Counter),
            c => Channel::parse(c).or_else(|| {
                row_errors.push(format!(
                    "row {row}, column channel: `{c}` is not counter, web or internal"
                ));
                None
            }),
        };
        if let Some(c) = channel
            && !ctx.form.accepts(c)
        {
            row_errors.push(format!(
                "row {row}, column channel: form `{}` does not take `{c}` answers",
                ctx.form.key
            ));
        }
        let service_type = match get(3) {
            "" => None,
            s => ctx.service_types.get(s).copied().or_else(|| {
                row_errors.push(format!(
                    "row {row}, column service_type: no service type `{s}`"
                ));
                None
            }),
        };
        let counter = match (get(4), office) {
            ("", _) | (_, None) => None,
            (c, Some(o)) => ctx.counters.get(&(o, c.to_owned())).copied().or_else(|| {
                row_errors.push(format!(
                    "row {row}, column counter: office `{}` has no counter `{c}`",
                    get(0)
                ));
                None
            }),
        };
        let mut answers = Vec::new();
        for (i, item) in &item_cols {
            let v = get(*i);
            if v.is_empty() {
                continue;
            }
            match v.parse::<i16>() {
                Ok(s) if (1..=5).contains(&s) => {
                    answers.push((item.key.to_string(), Some(s), None))
                }
                _ => row_errors.push(format!(
                    "row {row}, column {}: `{v}` is not a score 1-5",
                    item.key
                )),
            }
        }
        if answers.is_empty() {
            row_errors.push(format!("row {row}: no scores"));
        }
        let comment = get(headers.len() - 1);
        if !comment.is_empty() {
            match comment_item {
                Some(item) => {
                    let max = match item.kind {
                        ItemKind::Text { max_length } => max_length as usize,
                        _ => usize::MAX,
                    };
                    if comment.chars().count() > max {
                        row_errors.push(format!(
                            "row {row}, column comment: longer than {max} characters"
                        ));
                    } else {
                        answers.push((item.key.to_string(), None, Some(comment.to_owned())));
                    }
                }
                None => row_errors.push(format!(
                    "row {row}, column comment: form `{}` has no text item",
                    ctx.form.key
                )),
            }
        }
        if !row_errors.is_empty() {
            errors.append(&mut row_errors);
            continue;
        }
        let (Some(office), Some(at), Some(channel)) = (office, when, channel) else {
            continue;
        };
        parsed.responses.push(ResponseRow {
            office_id: office,
            channel: channel.as_str().to_owned(),
            form_version_id: ctx.form_version_id,
            submitted_at: at,
            received_at: ctx.now,
            counter_id: counter,
            staff_id: None,
            service_type_id: service_type,
            device_id: None,
            idempotency_key: String::new(),
        });
        parsed.answers.push(answers);
    }
    if parsed.responses.is_empty() && errors.is_empty() {
        errors.push("the file has no data rows".into());
    }
    if errors.is_empty() {
        Ok(parsed)
    } else {
        Err(fail(errors))
    }
}

/// Checks the whole file, then stores every row in one transaction, or
/// nothing. Rows already stored by an earlier import of the same bytes are
/// skipped (their keys exist).
pub fn import_responses(
    conn: &mut DbConnection,
    file: &str,
    bytes: &[u8],
    ctx: &ImportContext<'_>,
) -> Result<ImportSummary, ImportError> {
    let text = decode(bytes).map_err(|e| ImportErrors {
        file: file.to_owned(),
        errors: vec![e],
    })?;
    let mut parsed = parse_rows(file, &text, ctx)?;
    let digest = hex::encode(Sha256::digest(bytes));
    for (i, r) in parsed.responses.iter_mut().enumerate() {
        // Row numbers as in the file (header = row 1).
        r.idempotency_key = format!("import:{}:{}", &digest[..24], i + 2);
    }
    crate::db::write_transaction(conn, |conn| {
        let keys: Vec<&str> = parsed
            .responses
            .iter()
            .map(|r| r.idempotency_key.as_str())
            .collect();
        let mut existing = std::collections::HashSet::new();
        for chunk in keys.chunks(5_000) {
            let found: Vec<String> = responses::table
                .filter(responses::idempotency_key.eq_any(chunk))
                .select(responses::idempotency_key)
                .load(conn)?;
            existing.extend(found);
        }
        let mut rows = Vec::new();
        let mut answer_sets = Vec::new();
        for (r, a) in parsed.responses.iter().zip(&parsed.answers) {
            if !existing.contains(&r.idempotency_key) {
                rows.push(r.clone());
                answer_sets.push(a);
            }
        }
        let ids = insert_responses(conn, &rows)?;
        let mut answer_rows = Vec::new();
        for (id, set) in ids.iter().zip(answer_sets) {
            for (key, score, text) in set {
                answer_rows.push(AnswerRow {
                    response_id: *id,
                    item_key: key.clone(),
                    score: *score,
                    choice: None,
                    text_value: text.clone(),
                });
            }
        }
        let answers = insert_answers(conn, &answer_rows)?;
        Ok(ImportSummary {
            responses: rows.len(),
            answers,
            already_imported: existing.len(),
        })
    })
}

/// Loads the reference data an import checks rows against.
pub fn context<'a>(
    conn: &mut DbConnection,
    form: &'a Form,
    form_version_id: i32,
) -> QueryResult<ImportContext<'a>> {
    use crate::db::schema::{counters, offices, service_types};
    let offices: HashMap<String, i32> = offices::table
        .select((offices::code, offices::id))
        .load::<(String, i32)>(conn)?
        .into_iter()
        .collect();
    let counters: HashMap<(i32, String), i32> = counters::table
        .select((counters::office_id, counters::code, counters::id))
        .load::<(i32, String, i32)>(conn)?
        .into_iter()
        .map(|(o, c, id)| ((o, c), id))
        .collect();
    let mut service: HashMap<String, i32> = HashMap::new();
    for (code, zh, id) in service_types::table
        .select((
            service_types::code,
            service_types::name_zh,
            service_types::id,
        ))
        .load::<(String, String, i32)>(conn)?
    {
        service.insert(code, id);
        service.insert(zh, id);
    }
    Ok(ImportContext {
        form,
        form_version_id,
        offices,
        counters,
        service_types: service,
        now: chrono::Utc::now().naive_utc(),
    })
}

/// The header line a file for `form` starts with (for documentation and templates).
pub fn header_for(form: &Form) -> String {
    let mut cols: Vec<String> = FIXED.iter().map(|s| s.to_string()).collect();
    cols.extend(
        form.items
            .iter()
            .filter(|i| matches!(i.kind, ItemKind::Likert5 { .. }))
            .map(|i| i.key.to_string()),
    );
    cols.push("comment".into());
    cols.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_iso_and_roc() {
        let d = |y, m, dd, h, mi| {
            NaiveDate::from_ymd_opt(y, m, dd)
                .unwrap()
                .and_hms_opt(h, mi, 0)
                .unwrap()
        };
        assert_eq!(parse_when("113/05/02").unwrap(), d(2024, 5, 2, 12, 0));
        assert_eq!(
            parse_when("113-05-02 14:30").unwrap(),
            d(2024, 5, 2, 14, 30)
        );
        assert_eq!(parse_when("2024-05-02").unwrap(), d(2024, 5, 2, 12, 0));
        assert_eq!(
            parse_when("2024-05-02T08:05:00").unwrap(),
            d(2024, 5, 2, 8, 5)
        );
        assert_eq!(parse_when("99/12/31").unwrap(), d(2010, 12, 31, 12, 0));
        assert!(parse_when("113/02/30").is_err());
        assert!(parse_when("113/05").is_err());
        assert!(parse_when("113-05-02 25:00").is_err());
        assert!(parse_when("").is_err());
    }

    #[test]
    fn instants_with_offsets_and_spreadsheet_times() {
        let d = |y, m, dd, h, mi, s| {
            NaiveDate::from_ymd_opt(y, m, dd)
                .unwrap()
                .and_hms_opt(h, mi, s)
                .unwrap()
        };
        let cases = [
            // RFC 3339: the Taipei local time of the instant.
            ("2021-11-26T14:13:00+08:00", d(2021, 11, 26, 14, 13, 0)),
            ("2021-11-26T06:13:00Z", d(2021, 11, 26, 14, 13, 0)),
            ("2021-11-26T06:13z", d(2021, 11, 26, 14, 13, 0)),
            ("2021-11-26T14:13+08:00", d(2021, 11, 26, 14, 13, 0)),
            ("2021-11-26 14:13:00+08:00", d(2021, 11, 26, 14, 13, 0)),
            // Another offset, and a fraction of a second.
            (
                "2021-11-25T23:13:07.250-07:00",
                d(2021, 11, 26, 14, 13, 7)
                    .with_nanosecond(250_000_000)
                    .unwrap(),
            ),
            // The zh-TW spreadsheet form, single-digit month and day; 12-hour clocks.
            ("2024/5/2 下午 2:30:15", d(2024, 5, 2, 14, 30, 15)),
            ("2024/5/2 上午 9:05", d(2024, 5, 2, 9, 5, 0)),
            ("2024/5/2 上午 12:05", d(2024, 5, 2, 0, 5, 0)),
            ("2024/5/2 下午 12:05", d(2024, 5, 2, 12, 5, 0)),
            ("2024/5/2 2:30:15 PM", d(2024, 5, 2, 14, 30, 15)),
            ("2024/5/2", d(2024, 5, 2, 12, 0, 0)),
        ];
        for (given, want) in cases {
            assert_eq!(parse_when(given), Ok(want), "{given}");
        }
        // Refused, with the reason.
        assert!(parse_when("2024/5/2 下午 13:00").is_err());
        assert!(parse_when("2024/5/2 上午 0:30").is_err());
        assert!(parse_when("2021-11-26T14:13:00+25:00").is_err());
        let e = parse_when("2024/5/2 午後 2:30").unwrap_err();
        assert!(e.contains("is not a time like"), "{e}");
    }

    #[test]
    fn decodes_bom_and_big5() {
        assert_eq!(decode("\u{feff}金沙".as_bytes()).unwrap(), "金沙");
        let (big5, _, _) = encoding_rs::BIG5.encode("戶政事務所");
        assert_eq!(decode(&big5).unwrap(), "戶政事務所");
        assert!(decode(&[0xff, 0xff, 0xff]).is_err());
    }
}
