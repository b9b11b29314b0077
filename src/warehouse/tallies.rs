//! Aggregated tallies as rows of the response frame: a count of 37 for the
//! answer 5 of an item becomes 37 rows that answer only that item, dated in
//! the middle of the quarter, with negative response ids (`-1`, `-2` …) so
//! that the analysis can tell them from individual answers. Every figure
//! that counts allow then comes out exactly as if the slips had been keyed
//! in; reliability and key drivers, which need an individual's answers to
//! several items, find nothing complete in them and leave them out.

use polars::prelude::*;

use crate::analytics::frame::{ResponseColumns, channel_code};
use crate::calendar::RocYear;
use crate::forms::Channel;
use crate::survey::tallies::{Tally, quarter_day};

/// The tallies as response rows over the snapshot's items (None: no tallies).
pub fn tally_frame(tallies: &[Tally], items: &[String]) -> PolarsResult<Option<DataFrame>> {
    let rows: usize = tallies
        .iter()
        .map(|t| {
            t.counts()
                .iter()
                .map(|n| (*n).max(0) as usize)
                .sum::<usize>()
        })
        .sum();
    if rows == 0 {
        return Ok(None);
    }
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    let mut c = ResponseColumns::with_capacity(rows);
    c.scores = vec![Vec::with_capacity(rows); items.len()];
    let mut next_id = -1i64;
    for t in tallies {
        let Some(item) = items.iter().position(|k| *k == t.item_key) else {
            continue;
        };
        let (Ok(year), Some(channel)) = (RocYear::new(t.roc_year), Channel::parse(&t.channel))
        else {
            continue;
        };
        let day = (quarter_day(year, t.quarter) - epoch).num_days() as i32;
        for (score, n) in (1u8..=5).zip(t.counts()) {
            for _ in 0..n.max(0) {
                c.ids.push(next_id);
                next_id -= 1;
                c.days.push(day);
                c.offices.push(t.office_id as u16);
                c.channels.push(channel_code(channel));
                c.forms.push(t.form_version_id as u16);
                c.counters.push(None);
                c.staff.push(None);
                c.services.push(None);
                for (i, scores) in c.scores.iter_mut().enumerate() {
                    scores.push((i == item).then_some(score));
                }
            }
        }
    }
    if c.ids.is_empty() {
        return Ok(None);
    }
    c.into_frame(items).map(Some)
}
