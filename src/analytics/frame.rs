//! The frames the analytics read, as the warehouse writes them: column names
//! and types of the response frame and the comments frame. One contract, in
//! the module that consumes it; `warehouse::snapshot` writes it.

use polars::prelude::*;

use crate::forms::Channel;

/// Column names of the response frame.
pub mod col {
    pub const RESPONSE_ID: &str = "response_id";
    pub const DAY: &str = "day";
    pub const OFFICE: &str = "office";
    pub const CHANNEL: &str = "channel";
    pub const FORM_VERSION: &str = "form_version";
    pub const COUNTER: &str = "counter";
    pub const STAFF: &str = "staff";
    pub const SERVICE_TYPE: &str = "service_type";
    /// Prefix of the item score columns: `i:staff_attitude`.
    pub const ITEM_PREFIX: &str = "i:";
    pub const ITEM: &str = "item";
    pub const TEXT: &str = "text";
    /// The comment's terms (segmented once, when the snapshot is written), space-separated.
    pub const TERMS: &str = "terms";
}

/// Column names of the term-count frame: the comments' terms counted once,
/// when the snapshot is written, per ROC year, office, form version, channel
/// and the response's score on its version's overall item (null when it has
/// none or left it unanswered). Every filter of an analysis (form versions,
/// offices, channels, years) is a selection of these keys, and every count is
/// a sum, so an analysis adds rows instead of cutting comments.
pub mod terms_col {
    pub use super::col::{CHANNEL, FORM_VERSION, OFFICE};
    /// ROC year (Int32).
    pub const YEAR: &str = "year";
    /// Score 1-5 on the overall item (UInt8, nullable).
    pub const SCORE: &str = "score";
    /// The term; null on the row that counts the key's comments.
    pub const TERM: &str = "term";
    /// Comments with the term (on the null-term row: comments).
    pub const COMMENTS: &str = "comments";
    /// Occurrences of the term (on the null-term row: comments).
    pub const COUNT: &str = "count";
    pub const KEYS: [&str; 6] = [YEAR, OFFICE, FORM_VERSION, CHANNEL, SCORE, TERM];
}

/// The term-count frame's schema with no rows.
pub fn empty_term_counts() -> DataFrame {
    use terms_col as t;
    DataFrame::new(
        0,
        vec![
            Column::new_empty(t::YEAR.into(), &DataType::Int32),
            Column::new_empty(t::OFFICE.into(), &DataType::UInt16),
            Column::new_empty(t::FORM_VERSION.into(), &DataType::UInt16),
            Column::new_empty(t::CHANNEL.into(), &DataType::UInt8),
            Column::new_empty(t::SCORE.into(), &DataType::UInt8),
            Column::new_empty(t::TERM.into(), &DataType::String),
            Column::new_empty(t::COMMENTS.into(), &DataType::UInt64),
            Column::new_empty(t::COUNT.into(), &DataType::UInt64),
        ],
    )
    .expect("empty frame")
}

pub fn item_column(key: &str) -> String {
    format!("{}{key}", col::ITEM_PREFIX)
}

/// The channel's code in the frame.
pub fn channel_code(c: Channel) -> u8 {
    match c {
        Channel::Counter => 0,
        Channel::Web => 1,
        Channel::Internal => 2,
    }
}

/// The response frame's columns before they become a frame (the snapshot
/// writer, tests and the benchmark's generator build it the same way).
#[derive(Debug, Clone, Default)]
pub struct ResponseColumns {
    pub ids: Vec<i64>,
    /// Taipei calendar day, days since 1970-01-01.
    pub days: Vec<i32>,
    pub offices: Vec<u16>,
    pub channels: Vec<u8>,
    pub forms: Vec<u16>,
    pub counters: Vec<Option<u32>>,
    pub staff: Vec<Option<u32>>,
    pub services: Vec<Option<u16>>,
    /// One vector per item, in the order of the item keys given to `into_frame`.
    pub scores: Vec<Vec<Option<u8>>>,
}

impl ResponseColumns {
    pub fn with_capacity(n: usize) -> Self {
        ResponseColumns {
            ids: Vec::with_capacity(n),
            days: Vec::with_capacity(n),
            offices: Vec::with_capacity(n),
            channels: Vec::with_capacity(n),
            forms: Vec::with_capacity(n),
            counters: Vec::with_capacity(n),
            staff: Vec::with_capacity(n),
            services: Vec::with_capacity(n),
            scores: Vec::new(),
        }
    }

    pub fn into_frame(self, items: &[String]) -> PolarsResult<DataFrame> {
        let n = self.ids.len();
        let mut columns = vec![
            Column::new(col::RESPONSE_ID.into(), self.ids),
            Column::new(col::DAY.into(), self.days).cast(&DataType::Date)?,
            Column::new(col::OFFICE.into(), self.offices),
            Column::new(col::CHANNEL.into(), self.channels),
            Column::new(col::FORM_VERSION.into(), self.forms),
            Column::new(col::COUNTER.into(), self.counters),
            Column::new(col::STAFF.into(), self.staff),
            Column::new(col::SERVICE_TYPE.into(), self.services),
        ];
        for (key, values) in items.iter().zip(self.scores) {
            columns.push(Column::new(item_column(key).into(), values));
        }
        DataFrame::new(n, columns)
    }
}

/// The response frame's schema with no rows.
pub fn empty_responses(items: &[String]) -> DataFrame {
    let mut columns = vec![
        Column::new_empty(col::RESPONSE_ID.into(), &DataType::Int64),
        Column::new_empty(col::DAY.into(), &DataType::Date),
        Column::new_empty(col::OFFICE.into(), &DataType::UInt16),
        Column::new_empty(col::CHANNEL.into(), &DataType::UInt8),
        Column::new_empty(col::FORM_VERSION.into(), &DataType::UInt16),
        Column::new_empty(col::COUNTER.into(), &DataType::UInt32),
        Column::new_empty(col::STAFF.into(), &DataType::UInt32),
        Column::new_empty(col::SERVICE_TYPE.into(), &DataType::UInt16),
    ];
    for k in items {
        columns.push(Column::new_empty(item_column(k).into(), &DataType::UInt8));
    }
    DataFrame::new(0, columns).expect("empty frame")
}
