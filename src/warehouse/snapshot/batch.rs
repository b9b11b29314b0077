//! Reading responses and their answers from the database into the
//! snapshot's two frames (responses, comments), as each form version's items
//! say.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use polars::prelude::Column;
use polars::prelude::*;

use crate::analytics::frame::{ResponseColumns, channel_code, col};
use crate::db::DbConnection;
use crate::db::schema::{answers, responses};
use crate::forms::{Channel, Form, ItemKind};
use crate::warehouse::WarehouseError;

/// How a form version's items enter the snapshot.
#[derive(Debug, Clone, Default)]
pub(super) struct VersionItems {
    pub(super) likert: HashSet<String>,
    text: HashSet<String>,
    /// The overall item, whose score keys the term counts.
    pub(super) overall: Option<String>,
}

pub(super) fn version_items(
    conn: &mut DbConnection,
) -> Result<HashMap<i32, VersionItems>, WarehouseError> {
    let mut out = HashMap::new();
    for version in crate::forms::all_versions(conn)? {
        let id = version.id;
        let form: Form = version
            .form()
            .map_err(|e| WarehouseError::Data(format!("form version {id}: {e}")))?;
        let mut v = VersionItems {
            overall: form.overall_item().map(|i| i.key.to_string()),
            ..VersionItems::default()
        };
        for item in &form.items {
            match item.kind {
                ItemKind::Likert5 { .. } => {
                    v.likert.insert(item.key.to_string());
                }
                ItemKind::Text { .. } => {
                    v.text.insert(item.key.to_string());
                }
                _ => {}
            }
        }
        out.insert(id, v);
    }
    Ok(out)
}

/// Taipei calendar day (days since 1970-01-01) of a UTC instant.
fn taipei_day(at: NaiveDateTime) -> i32 {
    (crate::calendar::taipei::date_of(at)
        - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch"))
    .num_days() as i32
}

fn narrow<T: TryFrom<i32>>(v: i32, what: &str) -> Result<T, WarehouseError> {
    T::try_from(v).map_err(|_| WarehouseError::Data(format!("{what} id {v} is out of range")))
}

type ResponseTuple = (
    i64,
    i32,
    String,
    i32,
    NaiveDateTime,
    Option<i32>,
    Option<i32>,
    Option<i32>,
);

/// Rows of the database turned into the snapshot's two frames.
pub(super) struct Batch {
    pub(super) responses: DataFrame,
    pub(super) comments: DataFrame,
    pub(super) last_id: i64,
}

/// Reads responses with `id > after` (at most `limit`), skipping ids in `skip`.
pub(super) fn read_batch(
    conn: &mut DbConnection,
    after: i64,
    limit: i64,
    skip: &HashSet<i64>,
    items: &[String],
    versions: &HashMap<i32, VersionItems>,
) -> Result<Option<Batch>, WarehouseError> {
    let rows: Vec<ResponseTuple> = responses::table
        .filter(responses::id.gt(after))
        .order(responses::id)
        .limit(limit)
        .select((
            responses::id,
            responses::office_id,
            responses::channel,
            responses::form_version_id,
            responses::submitted_at,
            responses::counter_id,
            responses::staff_id,
            responses::service_type_id,
        ))
        .load(conn)?;
    let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
        return Ok(None);
    };
    let (first_id, last_id) = (first.0, last.0);
    let rows: Vec<ResponseTuple> = rows.into_iter().filter(|r| !skip.contains(&r.0)).collect();
    let answer_rows: Vec<(i64, String, Option<i16>, Option<String>)> = answers::table
        .filter(answers::response_id.between(first_id, last_id))
        .filter(
            answers::score
                .is_not_null()
                .or(answers::text_value.is_not_null()),
        )
        .select((
            answers::response_id,
            answers::item_key,
            answers::score,
            answers::text_value,
        ))
        .load(conn)?;

    let index: HashMap<i64, usize> = rows.iter().enumerate().map(|(i, r)| (r.0, i)).collect();
    let version_of: Vec<i32> = rows.iter().map(|r| r.3).collect();
    let column_of: HashMap<&str, usize> = items
        .iter()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i))
        .collect();
    let mut scores: Vec<Vec<Option<u8>>> = vec![vec![None; rows.len()]; items.len()];
    let (mut c_ids, mut c_items, mut c_texts) = (Vec::new(), Vec::new(), Vec::new());
    let empty = VersionItems::default();
    for (rid, key, score, text) in answer_rows {
        let Some(&row) = index.get(&rid) else {
            continue;
        };
        let v = versions.get(&version_of[row]).unwrap_or(&empty);
        if let Some(s) = score
            && v.likert.contains(&key)
            && (1..=5).contains(&s)
            && let Some(&c) = column_of.get(key.as_str())
        {
            scores[c][row] = Some(s as u8);
        } else if let Some(t) = text
            && v.text.contains(&key)
            && !t.trim().is_empty()
        {
            c_ids.push(rid);
            c_items.push(key);
            c_texts.push(t);
        }
    }

    // Terms from the masked text: a telephone, ID or address cut into pieces
    // (`A123`, `wang.xm`) never becomes a term to count and show. The
    // segmenter (its dictionary takes ~0.1 s to build) only when there is a
    // comment to cut.
    let c_terms: Vec<String> = if c_texts.is_empty() {
        Vec::new()
    } else {
        let seg = crate::analytics::terms::Segmenter::shared();
        c_texts
            .iter()
            .map(|t| seg.terms(&crate::cases::mask_excerpt(t)).join(" "))
            .collect()
    };
    let n = rows.len();
    let mut cols = ResponseColumns::with_capacity(n);
    cols.scores = scores;
    for r in &rows {
        cols.ids.push(r.0);
        cols.offices.push(narrow::<u16>(r.1, "office")?);
        let channel = Channel::parse(&r.2)
            .ok_or_else(|| WarehouseError::Data(format!("response {}: channel {}", r.0, r.2)))?;
        cols.channels.push(channel_code(channel));
        cols.forms.push(narrow::<u16>(r.3, "form version")?);
        cols.days.push(taipei_day(r.4));
        cols.counters
            .push(r.5.map(|v| narrow::<u32>(v, "counter")).transpose()?);
        cols.staff
            .push(r.6.map(|v| narrow::<u32>(v, "staff")).transpose()?);
        cols.services
            .push(r.7.map(|v| narrow::<u16>(v, "service type")).transpose()?);
    }
    let responses = cols.into_frame(items)?;
    let comments = DataFrame::new(
        c_ids.len(),
        vec![
            Column::new(col::RESPONSE_ID.into(), c_ids),
            Column::new(col::ITEM.into(), c_items),
            Column::new(col::TERMS.into(), c_terms),
            Column::new(col::TEXT.into(), c_texts),
        ],
    )?;
    Ok(Some(Batch {
        responses,
        comments,
        last_id,
    }))
}
