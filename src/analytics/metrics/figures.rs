//! A group's identity in results ([`Group`]) and its satisfaction figures
//! ([`Figures`]), as rows and as a frame.

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::Serialize;

use super::tallies::Key;
use crate::analytics::stats::{self, Interval, Tally};
use crate::analytics::{FormItems, Options, Reference};
use crate::forms::Channel;

/// A group's identity in results: codes and names, stable field names.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Group {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quarter: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub month: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub county: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub office: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub office_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counter: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counter_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staff: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staff_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_type_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dimension: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// The item's or dimension's name: Traditional Chinese, English.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_zh: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_en: Option<String>,
}

const NONE_LABEL: &str = "(none)";

pub fn group_of(key: &Key, items: &FormItems, reference: &Reference) -> Group {
    let office = key.office.map(|o| reference.offices.get(&(o as i32)));
    let channel = key.channel.map(|c| match c {
        0 => Channel::Counter.as_str().to_owned(),
        1 => Channel::Web.as_str().to_owned(),
        2 => Channel::Internal.as_str().to_owned(),
        _ => NONE_LABEL.to_owned(),
    });
    let named = |id: Option<i64>, map: &BTreeMap<i32, (String, String)>| {
        id.map(|v| {
            map.get(&(v as i32))
                .map(|x| x.0.clone())
                .unwrap_or_else(|| NONE_LABEL.to_owned())
        })
    };
    let service = key
        .service_type
        .map(|v| reference.service_types.get(&(v as i32)));
    let (mut label_zh, mut label_en) = (None, None);
    let item = key.item.map(|i| {
        let info = &items.items[i];
        label_zh = Some(info.zh_tw.clone());
        label_en = Some(info.en.clone());
        info.key.clone()
    });
    let dimension = key.dimension.map(|d| {
        let (k, zh, en) = &items.dimensions[d];
        label_zh = Some(zh.clone());
        label_en = Some(en.clone());
        k.clone()
    });
    Group {
        year: key.year,
        quarter: key.quarter,
        month: key.month,
        county: key.county.clone(),
        office: office.map(|o| {
            o.map(|o| o.code.to_string())
                .unwrap_or_else(|| NONE_LABEL.into())
        }),
        office_name: office.and_then(|o| o.map(|o| o.name_zh.clone())),
        counter: named(key.counter, &reference.counters),
        counter_name: key
            .counter
            .and_then(|v| reference.counters.get(&(v as i32)).map(|x| x.1.clone())),
        staff: named(key.staff, &reference.staff),
        staff_name: key
            .staff
            .and_then(|v| reference.staff.get(&(v as i32)).map(|x| x.1.clone())),
        service_type: service.map(|s| s.map(|s| s.0.clone()).unwrap_or_else(|| NONE_LABEL.into())),
        service_type_name: service.and_then(|s| s.map(|s| s.1.clone())),
        channel,
        dimension,
        item,
        label_zh,
        label_en,
    }
}

/// Satisfaction figures of one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    pub n: u64,
    /// Mean score 1-5.
    pub mean: Option<f64>,
    pub mean_ci: Option<Interval>,
    pub sd: Option<f64>,
    /// Share answering 滿意 or 非常滿意 (top-2-box).
    pub rate: Option<f64>,
    pub rate_ci: Option<Interval>,
    /// Share answering 不滿意 or 非常不滿意 (bottom-2-box).
    pub dissatisfied_rate: Option<f64>,
    pub dissatisfied_ci: Option<Interval>,
    /// 95% 信心水準下抽樣誤差 ±x 個百分點 (at p = 0.5).
    pub sampling_error_points: Option<f64>,
    /// Figures withheld: a staff member's group below the minimum n.
    pub suppressed: bool,
}

impl Figures {
    pub fn of(t: &Tally, suppressed: bool) -> Self {
        if suppressed {
            return Figures {
                n: t.n,
                mean: None,
                mean_ci: None,
                sd: None,
                rate: None,
                rate_ci: None,
                dissatisfied_rate: None,
                dissatisfied_ci: None,
                sampling_error_points: None,
                suppressed: true,
            };
        }
        Figures {
            n: t.n,
            mean: t.mean(),
            mean_ci: stats::t_interval(t),
            sd: t.variance().map(f64::sqrt),
            rate: t.rate(),
            rate_ci: stats::wilson(t.top2, t.n),
            dissatisfied_rate: t.dissatisfied_rate(),
            dissatisfied_ci: stats::wilson(t.bottom2, t.n),
            sampling_error_points: stats::sampling_error_points(t.n),
            suppressed: false,
        }
    }

    /// "95% 信心水準下，抽樣誤差為 ±x 個百分點"
    pub fn sampling_error_statement(&self) -> Option<String> {
        self.sampling_error_points.map(|e| {
            format!(
                "95% 信心水準下，抽樣誤差為 ±{e:.1} 個百分點 (±{e:.1} points at 95% confidence)"
            )
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricRow {
    #[serde(flatten)]
    pub group: Group,
    #[serde(flatten)]
    pub figures: Figures,
}

/// Figures for every group, in key order.
pub fn metric_rows(
    folded: &BTreeMap<Key, Tally>,
    items: &FormItems,
    reference: &Reference,
    options: &Options,
) -> Vec<MetricRow> {
    folded
        .iter()
        .map(|(k, t)| MetricRow {
            group: group_of(k, items, reference),
            figures: Figures::of(t, k.staff.is_some() && t.n < options.staff_min_n),
        })
        .collect()
}

/// The figures as a frame (one row per group), for exports and charts.
pub fn metrics_frame(rows: &[MetricRow]) -> PolarsResult<DataFrame> {
    let s =
        |f: &dyn Fn(&Group) -> Option<String>| rows.iter().map(|r| f(&r.group)).collect::<Vec<_>>();
    let i =
        |f: &dyn Fn(&Group) -> Option<i32>| rows.iter().map(|r| f(&r.group)).collect::<Vec<_>>();
    let x = |f: &dyn Fn(&Figures) -> Option<f64>| {
        rows.iter().map(|r| f(&r.figures)).collect::<Vec<_>>()
    };
    DataFrame::new(
        rows.len(),
        vec![
            Column::new("year".into(), i(&|g| g.year)),
            Column::new("quarter".into(), i(&|g| g.quarter)),
            Column::new("month".into(), i(&|g| g.month)),
            Column::new("county".into(), s(&|g| g.county.clone())),
            Column::new("office".into(), s(&|g| g.office.clone())),
            Column::new("office_name".into(), s(&|g| g.office_name.clone())),
            Column::new("counter".into(), s(&|g| g.counter.clone())),
            Column::new("staff".into(), s(&|g| g.staff.clone())),
            Column::new("service_type".into(), s(&|g| g.service_type.clone())),
            Column::new("channel".into(), s(&|g| g.channel.clone())),
            Column::new("dimension".into(), s(&|g| g.dimension.clone())),
            Column::new("item".into(), s(&|g| g.item.clone())),
            Column::new("label_zh".into(), s(&|g| g.label_zh.clone())),
            Column::new("label_en".into(), s(&|g| g.label_en.clone())),
            Column::new(
                "n".into(),
                rows.iter().map(|r| r.figures.n).collect::<Vec<_>>(),
            ),
            Column::new("mean".into(), x(&|f| f.mean)),
            Column::new("mean_low".into(), x(&|f| f.mean_ci.map(|c| c.low))),
            Column::new("mean_high".into(), x(&|f| f.mean_ci.map(|c| c.high))),
            Column::new("rate".into(), x(&|f| f.rate)),
            Column::new("rate_low".into(), x(&|f| f.rate_ci.map(|c| c.low))),
            Column::new("rate_high".into(), x(&|f| f.rate_ci.map(|c| c.high))),
            Column::new("dissatisfied_rate".into(), x(&|f| f.dissatisfied_rate)),
            Column::new(
                "sampling_error_points".into(),
                x(&|f| f.sampling_error_points),
            ),
            Column::new(
                "suppressed".into(),
                rows.iter()
                    .map(|r| r.figures.suppressed)
                    .collect::<Vec<_>>(),
            ),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_figures_below_the_floor_are_withheld() {
        let items = FormItems {
            form: "counter".into(),
            items: vec![],
            overall: None,
            dimensions: vec![],
        };
        let mut folded = std::collections::BTreeMap::new();
        let few = Tally::from_scores([5u8; 29]);
        let enough = Tally::from_scores([4u8; 30]);
        folded.insert(
            Key {
                staff: Some(1),
                ..Key::default()
            },
            few,
        );
        folded.insert(
            Key {
                staff: Some(2),
                ..Key::default()
            },
            enough,
        );
        folded.insert(
            Key {
                office: Some(1),
                ..Key::default()
            },
            few,
        );
        let rows = metric_rows(&folded, &items, &Reference::default(), &Options::default());
        // Reference has no staff names: ids show as "(none)"; order by key.
        assert_eq!(rows.len(), 3);
        let withheld: Vec<bool> = rows.iter().map(|r| r.figures.suppressed).collect();
        // Keys sort office (Some) before staff-only keys? office: Some(1) > None, so
        // the two staff rows (office None) come first: staff 1 (29, withheld), staff 2 (30).
        assert_eq!(withheld, [true, false, false]);
        assert!(rows[0].figures.mean.is_none() && rows[0].figures.rate.is_none());
        assert_eq!(rows[0].figures.n, 29);
        assert_eq!(rows[1].figures.mean, Some(4.0));
        assert_eq!(rows[1].figures.n, 30);
        // The floor is for staff members only: an office with 29 answers is shown.
        assert!(!rows[2].figures.suppressed);
        assert_eq!((rows[2].figures.n, rows[2].figures.mean), (29, Some(5.0)));
    }
}
