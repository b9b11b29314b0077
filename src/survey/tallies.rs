//! Aggregated tallies: many offices kept only the quarterly count of each
//! answer per item (非常滿意 37, 滿意 52 …), not the slips. `manyi import
//! tallies FILE` brings them in: one row per office, year, quarter and item,
//! with the five counts. The analysis counts them in every figure that counts
//! allow (n, rates, means, intervals, changes, shortfalls); reliability, key
//! drivers and IPA need individual answers and leave them out.
//!
//! The file's header names its columns, in any order: `office_code`, `year`
//! (ROC `113` or `2024`), `quarter` (`1`-`4`, `Q2`), `item` (an item key of
//! the form, or its Chinese text), optional `channel` (default `counter`),
//! and the five counts, each named by its answer (`非常滿意` … `非常不滿意`, the
//! agreement scale's `非常同意` … `非常不同意`, `very_satisfied` …
//! `very_dissatisfied`, or `n5` … `n1`). A CSV file (UTF-8 or Big5) or a sheet
//! of an XLSX or ODS workbook. All or nothing: every bad row is listed as
//! `[sheet S, ]row N, column X: why`. A row for a key already
//! stored replaces its counts, so importing the same file again changes
//! nothing. A quarter that already holds individual answers of the same
//! office, form and channel is refused: its answers would count twice.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::calendar::RocYear;
use crate::db::schema::{responses, tallies};
use crate::db::{self, DbConnection};
use crate::forms::{Channel, Form, ItemKind};
use crate::tabular::{RowErrors, Source, Table};

/// One stored tally.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = tallies)]
pub struct Tally {
    pub id: i32,
    pub office_id: i32,
    pub form_version_id: i32,
    pub roc_year: i32,
    pub quarter: i16,
    pub item_key: String,
    pub channel: String,
    pub n1: i32,
    pub n2: i32,
    pub n3: i32,
    pub n4: i32,
    pub n5: i32,
    pub imported_at: NaiveDateTime,
}

impl Tally {
    /// The counts of the answers 1 to 5.
    pub fn counts(&self) -> [i32; 5] {
        [self.n1, self.n2, self.n3, self.n4, self.n5]
    }
}

/// Every tally (the warehouse adds them to the analysis input).
pub fn all_tallies(conn: &mut DbConnection) -> QueryResult<Vec<Tally>> {
    tallies::table
        .order(tallies::id)
        .select(Tally::as_select())
        .load(conn)
}

/// The quarters that hold tallies of a form: (office id, ROC year, quarter,
/// channel). Individual answers for them would count twice.
pub fn tallied_quarters(
    conn: &mut DbConnection,
    form_key: &str,
) -> QueryResult<HashSet<(i32, i32, i16, String)>> {
    Ok(tallies::table
        .inner_join(crate::db::schema::form_versions::table)
        .filter(crate::db::schema::form_versions::form_key.eq(form_key))
        .select((
            tallies::office_id,
            tallies::roc_year,
            tallies::quarter,
            tallies::channel,
        ))
        .load::<(i32, i32, i16, String)>(conn)?
        .into_iter()
        .collect())
}

/// The ROC year and quarter (Taipei time) of an instant stored in UTC.
pub fn quarter_of(at_utc: NaiveDateTime) -> (i32, i16) {
    let local = crate::calendar::taipei::local(at_utc);
    (local.year() - 1911, (local.month0() / 3 + 1) as i16)
}

/// The most answers of one kind a tally row may count: far above a quarter
/// of the busiest office, far below what would overflow a figure.
pub const MAX_COUNT: i32 = 100_000;

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct TallyImport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Answers counted in the file.
    pub answers: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum TallyError {
    #[error(transparent)]
    Rejected(#[from] RowErrors),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

/// Reference data rows are checked against.
pub struct TallyContext<'a> {
    pub form: &'a Form,
    pub form_version_id: i32,
    /// office code → id
    pub offices: HashMap<String, i32>,
    /// The current ROC year: later years are refused.
    pub this_year: RocYear,
    /// Now (UTC): a quarter that has not ended takes no tallies (its answers
    /// still come from the kiosks and the web).
    pub now: NaiveDateTime,
}

/// The names a count column may have, for the answers 5 down to 1.
const COUNT_NAMES: [&[&str]; 5] = [
    &[
        "n5",
        "非常滿意",
        "非常同意",
        "very_satisfied",
        "very satisfied",
        "strongly_agree",
        "strongly agree",
    ],
    &["n4", "滿意", "同意", "satisfied", "agree"],
    &["n3", "普通", "無意見", "neutral"],
    &["n2", "不滿意", "不同意", "dissatisfied", "disagree"],
    &[
        "n1",
        "非常不滿意",
        "非常不同意",
        "very_dissatisfied",
        "very dissatisfied",
        "strongly_disagree",
        "strongly disagree",
    ],
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Column {
    Office,
    Year,
    Quarter,
    Item,
    Channel,
    /// The count of the answer 1..=5.
    Count(u8),
}

fn column_of(header: &str) -> Option<Column> {
    let h = header.trim().to_lowercase();
    let fixed = match h.as_str() {
        "office_code" | "office" | "事務所代碼" => Some(Column::Office),
        "year" | "年度" => Some(Column::Year),
        "quarter" | "季" | "季別" => Some(Column::Quarter),
        "item" | "題目" => Some(Column::Item),
        "channel" | "管道" => Some(Column::Channel),
        _ => None,
    };
    fixed.or_else(|| {
        COUNT_NAMES
            .iter()
            .position(|names| names.contains(&h.as_str()))
            .map(|i| Column::Count(5 - i as u8))
    })
}

fn column_name(c: Column) -> String {
    match c {
        Column::Office => "office_code".into(),
        Column::Year => "year".into(),
        Column::Quarter => "quarter".into(),
        Column::Item => "item".into(),
        Column::Channel => "channel".into(),
        Column::Count(v) => format!("n{v}"),
    }
}

/// A checked row, before storing.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    office_id: i32,
    year: RocYear,
    quarter: i16,
    item: String,
    channel: Channel,
    /// Answers 1 to 5.
    counts: [i32; 5],
}

type Key = (i32, i32, i16, String, Channel);

impl Row {
    fn key(&self) -> Key {
        (
            self.office_id,
            self.year.get(),
            self.quarter,
            self.item.clone(),
            self.channel,
        )
    }
}

/// `113`/`2024`.
fn parse_year(s: &str) -> Option<RocYear> {
    let n: i32 = s.trim().parse().ok()?;
    let roc = if n >= 1912 { n - 1911 } else { n };
    RocYear::new(roc).ok()
}

/// `1`..`4`, `Q1`..`Q4`, `第1季`.
fn parse_quarter(s: &str) -> Option<i16> {
    let s = s.trim();
    let s = s
        .strip_prefix(['Q', 'q'])
        .or_else(|| s.strip_prefix('第').and_then(|r| r.strip_suffix('季')))
        .unwrap_or(s);
    s.parse::<i16>().ok().filter(|q| (1..=4).contains(q))
}

/// A count: a whole number, not negative (`37`, `37.0` as spreadsheets write it).
fn parse_count(s: &str) -> Result<i32, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(0);
    }
    let n = s
        .parse::<i64>()
        .ok()
        .or_else(|| {
            s.parse::<f64>()
                .ok()
                .filter(|f| f.fract() == 0.0 && f.abs() < 1e12)
                .map(|f| f as i64)
        })
        .ok_or_else(|| format!("`{s}` is not a whole number"))?;
    if n < 0 {
        return Err(format!("`{s}` is negative"));
    }
    if n > i64::from(MAX_COUNT) {
        return Err(format!(
            "`{s}` is more answers than a quarter holds (at most {MAX_COUNT})"
        ));
    }
    i32::try_from(n).map_err(|_| format!("`{s}` is too large"))
}

fn parse(source: &Source<'_>, ctx: &TallyContext<'_>) -> Result<Vec<(usize, Row)>, RowErrors> {
    let fail = |errors: Vec<String>| RowErrors {
        file: source.name.to_owned(),
        errors,
    };
    let table = crate::tabular::read(source)?;
    let headers = &table.headers;
    let mut errors = Vec::new();
    let mut at: HashMap<Column, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        match column_of(h) {
            None => errors.push(format!(
                "{}: `{h}` is not one of office_code, year, quarter, item, channel, or a count (非常滿意 … 非常不滿意, n5 … n1)",
                table.at_header(Some(i))
            )),
            Some(c) if at.contains_key(&c) => errors.push(format!(
                "{}: `{h}` names the column {} twice",
                table.at_header(Some(i)),
                column_name(c)
            )),
            Some(c) => {
                at.insert(c, i);
            }
        }
    }
    let mut required = vec![Column::Office, Column::Year, Column::Quarter, Column::Item];
    required.extend((1..=5).rev().map(Column::Count));
    for c in required {
        if !at.contains_key(&c) {
            errors.push(format!(
                "{}: the column `{}` is missing",
                table.at_header(None),
                column_name(c)
            ));
        }
    }
    if !errors.is_empty() {
        return Err(fail(errors));
    }
    // An item by key or by its Chinese text.
    let items: HashMap<String, String> = ctx
        .form
        .items
        .iter()
        .filter(|i| matches!(i.kind, ItemKind::Likert5 { .. }))
        .flat_map(|i| {
            [
                (i.key.to_string(), i.key.to_string()),
                (i.text.zh_tw.trim().to_owned(), i.key.to_string()),
            ]
        })
        .collect();
    let mut rows = Vec::new();
    let mut first_row_of: HashMap<Key, usize> = HashMap::new();
    for record in &table.rows {
        let row = record.number;
        let get = |c: Column| Table::cell(record, at.get(&c).copied()).to_owned();
        let mut bad = |c: Column, why: String| {
            errors.push(format!("{}: {why}", table.at(row, at.get(&c).copied())));
        };
        let office = get(Column::Office).to_ascii_uppercase();
        let office_id = ctx.offices.get(&office).copied();
        if office_id.is_none() {
            bad(
                Column::Office,
                format!("no office `{}`", get(Column::Office)),
            );
        }
        let year = parse_year(&get(Column::Year));
        match year {
            None => bad(
                Column::Year,
                format!("`{}` is not a year like 113 or 2024", get(Column::Year)),
            ),
            Some(y) if y > ctx.this_year => {
                bad(Column::Year, format!("{} lies in the future", y.get()))
            }
            Some(_) => {}
        }
        let quarter = parse_quarter(&get(Column::Quarter));
        match (year, quarter) {
            (_, None) => bad(
                Column::Quarter,
                format!("`{}` is not a quarter 1-4", get(Column::Quarter)),
            ),
            (Some(y), Some(q)) if y <= ctx.this_year && quarter_bounds(y, q).1 > ctx.now => bad(
                Column::Quarter,
                format!(
                    "{} Q{q} has not ended: its answers still come from the kiosks and the web",
                    y.get()
                ),
            ),
            _ => {}
        }
        let item = items.get(&get(Column::Item)).cloned();
        if item.is_none() {
            bad(
                Column::Item,
                format!(
                    "`{}` is not a 5-point item of form `{}`",
                    get(Column::Item),
                    ctx.form.key
                ),
            );
        }
        let channel = match get(Column::Channel).as_str() {
            "" => Some(Channel::Counter),
            c => match Channel::parse(c) {
                Some(ch) if ctx.form.accepts(ch) => Some(ch),
                Some(_) => {
                    bad(
                        Column::Channel,
                        format!("form `{}` does not take `{c}` answers", ctx.form.key),
                    );
                    None
                }
                None => {
                    bad(
                        Column::Channel,
                        format!("`{c}` is not counter, web or internal"),
                    );
                    None
                }
            },
        };
        let mut counts = [0i32; 5];
        let mut counts_ok = true;
        for v in 1..=5u8 {
            match parse_count(&get(Column::Count(v))) {
                Ok(n) => counts[usize::from(v - 1)] = n,
                Err(why) => {
                    bad(Column::Count(v), why);
                    counts_ok = false;
                }
            }
        }
        if counts_ok && counts.iter().all(|n| *n == 0) {
            errors.push(format!("{}: every count is 0", table.at(row, None)));
            counts_ok = false;
        }
        let (Some(office_id), Some(year), Some(quarter), Some(item), Some(channel), true) =
            (office_id, year, quarter, item, channel, counts_ok)
        else {
            continue;
        };
        let parsed = Row {
            office_id,
            year,
            quarter,
            item,
            channel,
            counts,
        };
        match first_row_of.get(&parsed.key()) {
            Some(first) => errors.push(format!(
                "{}: office, year, quarter, item and channel are those of row {first}",
                table.at(row, None)
            )),
            None => {
                first_row_of.insert(parsed.key(), row);
                rows.push((row, parsed));
            }
        }
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push("the file has no data rows".into());
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(fail(errors))
    }
}

/// The first and last instant (UTC) of a quarter, Taipei time.
fn quarter_bounds(year: RocYear, quarter: i16) -> (NaiveDateTime, NaiveDateTime) {
    let start_month = (quarter as u32 - 1) * 3 + 1;
    let start = NaiveDate::from_ymd_opt(year.gregorian(), start_month, 1).expect("valid quarter");
    let end = if quarter == 4 {
        NaiveDate::from_ymd_opt(year.gregorian() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year.gregorian(), start_month + 3, 1)
    }
    .expect("valid quarter");
    let midnight =
        |d: NaiveDate| crate::calendar::taipei::to_utc(d.and_hms_opt(0, 0, 0).expect("midnight"));
    (midnight(start), midnight(end))
}

/// Checks the whole file, then stores every row in one transaction, or nothing.
pub fn import_tallies(
    conn: &mut DbConnection,
    source: &Source<'_>,
    ctx: &TallyContext<'_>,
) -> Result<TallyImport, TallyError> {
    let file = source.name;
    let rows = parse(source, ctx)?;
    // Quarters that hold individual answers already would count twice.
    let mut refused = Vec::new();
    let mut checked: HashSet<(i32, i32, i16, Channel)> = HashSet::new();
    for (row, r) in &rows {
        if !checked.insert((r.office_id, r.year.get(), r.quarter, r.channel)) {
            continue;
        }
        let (from, to) = quarter_bounds(r.year, r.quarter);
        let individual: i64 = responses::table
            .inner_join(crate::db::schema::form_versions::table)
            .filter(responses::office_id.eq(r.office_id))
            .filter(crate::db::schema::form_versions::form_key.eq(&ctx.form.key))
            .filter(responses::channel.eq(r.channel.as_str()))
            .filter(responses::submitted_at.ge(from))
            .filter(responses::submitted_at.lt(to))
            .count()
            .get_result(conn)?;
        if individual > 0 {
            refused.push(format!(
                "row {row}: the office has {individual} individual answer(s) of form `{}` in {} Q{}; the tallies would count them twice",
                ctx.form.key,
                r.year.get(),
                r.quarter
            ));
        }
    }
    if !refused.is_empty() {
        return Err(RowErrors {
            file: file.to_owned(),
            errors: refused,
        }
        .into());
    }
    let now = chrono::Utc::now().naive_utc();
    db::write_transaction(conn, |conn| {
        let mut done = TallyImport::default();
        for (_, r) in &rows {
            done.answers += r.counts.iter().map(|n| *n as u64).sum::<u64>();
            let existing: Option<Tally> = tallies::table
                .filter(tallies::office_id.eq(r.office_id))
                .filter(tallies::form_version_id.eq(ctx.form_version_id))
                .filter(tallies::roc_year.eq(r.year.get()))
                .filter(tallies::quarter.eq(r.quarter))
                .filter(tallies::item_key.eq(&r.item))
                .filter(tallies::channel.eq(r.channel.as_str()))
                .select(Tally::as_select())
                .first(conn)
                .optional()?;
            let [n1, n2, n3, n4, n5] = r.counts;
            match existing {
                Some(t) if t.counts() == r.counts => done.unchanged += 1,
                Some(t) => {
                    diesel::update(tallies::table.filter(tallies::id.eq(t.id)))
                        .set((
                            tallies::n1.eq(n1),
                            tallies::n2.eq(n2),
                            tallies::n3.eq(n3),
                            tallies::n4.eq(n4),
                            tallies::n5.eq(n5),
                            tallies::imported_at.eq(now),
                        ))
                        .execute(conn)?;
                    done.updated += 1;
                }
                None => {
                    diesel::insert_into(tallies::table)
                        .values((
                            tallies::office_id.eq(r.office_id),
                            tallies::form_version_id.eq(ctx.form_version_id),
                            tallies::roc_year.eq(r.year.get()),
                            tallies::quarter.eq(r.quarter),
                            tallies::item_key.eq(&r.item),
                            tallies::channel.eq(r.channel.as_str()),
                            tallies::n1.eq(n1),
                            tallies::n2.eq(n2),
                            tallies::n3.eq(n3),
                            tallies::n4.eq(n4),
                            tallies::n5.eq(n5),
                            tallies::imported_at.eq(now),
                        ))
                        .execute(conn)?;
                    done.created += 1;
                }
            }
        }
        if done.created + done.updated > 0 {
            crate::auth::record_audit(
                conn,
                &crate::auth::AuditEntry {
                    actor: None,
                    action: "tallies_imported",
                    office_id: None,
                    target: &format!("file:{file}"),
                    detail: &format!(
                        "form={} created={} updated={} answers={}",
                        ctx.form.key, done.created, done.updated, done.answers
                    ),
                    client_addr: None,
                },
            )?;
        }
        Ok(done)
    })
}

/// Loads the reference data an import checks rows against.
pub fn context<'a>(
    conn: &mut DbConnection,
    form: &'a Form,
    form_version_id: i32,
) -> QueryResult<TallyContext<'a>> {
    let offices = crate::offices::list_offices(conn)?
        .into_iter()
        .map(|o| (o.code.to_string(), o.id))
        .collect();
    let today = crate::calendar::taipei::today();
    Ok(TallyContext {
        form,
        form_version_id,
        offices,
        this_year: RocYear::new(today.year() - 1911).expect("a ROC year"),
        now: chrono::Utc::now().naive_utc(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_quarters_and_counts() {
        assert_eq!(parse_year("113").map(|y| y.get()), Some(113));
        assert_eq!(parse_year("2024").map(|y| y.get()), Some(113));
        assert_eq!(parse_year("x"), None);
        for (s, q) in [
            ("1", Some(1)),
            ("Q2", Some(2)),
            ("q3", Some(3)),
            ("第4季", Some(4)),
            ("5", None),
            ("", None),
        ] {
            assert_eq!(parse_quarter(s), q, "{s}");
        }
        assert_eq!(parse_count("37"), Ok(37));
        assert_eq!(parse_count("37.0"), Ok(37));
        assert_eq!(parse_count(""), Ok(0));
        assert_eq!(parse_count("-3"), Err("`-3` is negative".into()));
        assert_eq!(
            parse_count("3.5"),
            Err("`3.5` is not a whole number".into())
        );
    }

    #[test]
    fn count_columns_by_label() {
        assert_eq!(column_of("非常滿意"), Some(Column::Count(5)));
        assert_eq!(column_of("Very satisfied"), Some(Column::Count(5)));
        assert_eq!(column_of("不滿意"), Some(Column::Count(2)));
        assert_eq!(column_of("n1"), Some(Column::Count(1)));
        assert_eq!(column_of("office_code"), Some(Column::Office));
        assert_eq!(column_of("fax"), None);
    }

    #[test]
    fn quarters_in_taipei_time() {
        let y = RocYear::new(113).unwrap();
        let (from, to) = quarter_bounds(y, 4);
        // 2024-10-01 00:00 Taipei is 2024-09-30 16:00 UTC.
        assert_eq!(from.to_string(), "2024-09-30 16:00:00");
        assert_eq!(to.to_string(), "2024-12-31 16:00:00");
    }
}
