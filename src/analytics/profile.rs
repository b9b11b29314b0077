//! The respondents' profile of one year (pure): how the answers came in
//! (channel), for which services and at which counters. Aggregated tallies
//! carry none of these, so only individual responses count here.

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::Serialize;

use super::frame::col as c;
use super::input::AnalysisInput;
use super::{AnalyticsError, RocYear};
use crate::forms::Channel;

/// One value of a profile: its words, how many responses and their share.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Share {
    pub label_zh: String,
    pub label_en: String,
    pub count: u64,
    /// Of the year's responses, 0-1.
    pub share: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Profile {
    /// Individual responses of the year.
    pub responses: u64,
    pub channels: Vec<Share>,
    /// Service types, the most frequent first; "未填" for none given.
    pub services: Vec<Share>,
    /// Counters, the busiest first (at most [`COUNTERS`]).
    pub counters: Vec<Share>,
}

/// The counters a profile lists; the rest are summed as "其他".
pub const COUNTERS: usize = 12;

fn counts(frame: &DataFrame, column: &str) -> Result<BTreeMap<Option<i64>, u64>, AnalyticsError> {
    let values = frame.column(column)?.cast(&DataType::Int64)?;
    let mut out = BTreeMap::new();
    for v in values.i64()?.iter() {
        *out.entry(v).or_insert(0) += 1;
    }
    Ok(out)
}

fn shares(
    counted: BTreeMap<Option<i64>, u64>,
    total: u64,
    label: impl Fn(Option<i64>) -> (String, String),
    keep: usize,
) -> Vec<Share> {
    let mut list: Vec<(Option<i64>, u64)> = counted.into_iter().collect();
    // Most first; a value left blank goes last whatever its count.
    list.sort_by_key(|(k, n)| (k.is_none(), std::cmp::Reverse(*n), *k));
    let share = |n: u64| {
        if total == 0 {
            0.0
        } else {
            n as f64 / total as f64
        }
    };
    let mut out: Vec<Share> = Vec::new();
    let mut rest = 0u64;
    for (i, (k, n)) in list.into_iter().enumerate() {
        if i < keep || k.is_none() {
            let (label_zh, label_en) = label(k);
            out.push(Share {
                label_zh,
                label_en,
                count: n,
                share: share(n),
            });
        } else {
            rest += n;
        }
    }
    if rest > 0 {
        let at = out
            .iter()
            .position(|s| s.label_zh == "未填")
            .unwrap_or(out.len());
        out.insert(
            at,
            Share {
                label_zh: "其他".into(),
                label_en: "Others".into(),
                count: rest,
                share: share(rest),
            },
        );
    }
    out
}

/// The profile of `year`'s individual responses in the selection.
pub fn profile(input: &AnalysisInput, year: RocYear) -> Result<Profile, AnalyticsError> {
    let frame = input
        .responses
        .clone()
        .filter(col(c::DAY).dt().year().eq(lit(year.gregorian())))
        .select([col(c::CHANNEL), col(c::SERVICE_TYPE), col(c::COUNTER)])
        .collect()?;
    let total = frame.height() as u64;
    let reference = &input.reference;
    let blank = || ("未填".to_owned(), "Not given".to_owned());
    let channels = shares(
        counts(&frame, c::CHANNEL)?,
        total,
        |k| {
            Channel::ALL
                .into_iter()
                .find(|ch| Some(i64::from(super::frame::channel_code(*ch))) == k)
                .map_or_else(blank, |ch| (ch.label_zh().into(), ch.label_en().into()))
        },
        usize::MAX,
    );
    let services = shares(
        counts(&frame, c::SERVICE_TYPE)?,
        total,
        |k| {
            k.and_then(|id| reference.service_types.get(&(id as i32)))
                .map_or_else(blank, |(_, zh, en)| (zh.clone(), en.clone()))
        },
        usize::MAX,
    );
    let counters = shares(
        counts(&frame, c::COUNTER)?,
        total,
        |k| {
            k.and_then(|id| reference.counters.get(&(id as i32)))
                .map_or_else(blank, |(_, name)| (name.clone(), name.clone()))
        },
        COUNTERS,
    );
    Ok(Profile {
        responses: total,
        channels,
        services,
        counters,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_rank_by_count_sum_the_rest_and_keep_blank_last() {
        // 10 responses: counter 7 ×4, counter 3 ×3, counter 9 ×1, none ×2.
        let counted = BTreeMap::from([(Some(7), 4), (Some(3), 3), (Some(9), 1), (None, 2)]);
        let label = |k: Option<i64>| match k {
            Some(k) => (format!("{k} 號"), format!("No. {k}")),
            None => ("未填".into(), "Not given".into()),
        };
        let got = shares(counted, 10, label, 2);
        let words: Vec<(&str, u64)> = got.iter().map(|s| (s.label_zh.as_str(), s.count)).collect();
        assert_eq!(words, [("7 號", 4), ("3 號", 3), ("其他", 1), ("未填", 2)]);
        assert!((got[0].share - 0.4).abs() < 1e-12);
        assert!((got.iter().map(|s| s.share).sum::<f64>() - 1.0).abs() < 1e-12);
    }
}
