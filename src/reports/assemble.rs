//! Putting a report together from what was gathered: pure, no I/O.

use std::collections::BTreeMap;

use super::data::*;
use crate::analytics::Analyses;
use crate::analytics::complaints::YearSummary;
use crate::analytics::drivers::Quadrant;
use crate::cases::mask_excerpt;
use crate::plans::measures::{Measure, SubjectKind};

pub(super) struct Parts<'a> {
    pub(super) year: i32,
    pub(super) form: &'a str,
    /// Groupings: year × item, year × quarter and (county reports) year × office × item.
    pub(super) analyses: &'a Analyses,
    pub(super) answers: &'a BTreeMap<String, [u64; 5]>,
    pub(super) overall: Option<String>,
    /// Every item of the form's versions: key → (zh-TW, English).
    pub(super) labels: BTreeMap<String, (String, String)>,
    pub(super) complaints: YearSummary,
    pub(super) measures: &'a [Measure],
    pub(super) offices: &'a [OfficeRef],
    pub(super) categories: &'a BTreeMap<String, (String, String)>,
}

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// Puts the report together from the analytics results (pure).
pub(super) fn assemble(p: Parts<'_>) -> Report {
    let year = p.year;
    let this = year.to_string();
    let by_item = &p.analyses.groupings[0];
    let by_quarter = &p.analyses.groupings[1];
    let by_office = p.analyses.groupings.get(2);
    let complaints = complaint_summary(p.complaints, p.categories);
    // Items this year, with last year's rate, the change and the IPA.
    let mut items = Vec::new();
    for m in by_item
        .metrics
        .iter()
        .filter(|m| m.group.year == Some(year))
    {
        let Some(key) = m.group.item.clone() else {
            continue;
        };
        let change = by_item
            .changes
            .iter()
            .find(|c| c.period == this && c.group.item.as_deref() == Some(&key));
        let driver = p
            .analyses
            .drivers
            .iter()
            .find(|d| d.year == year && d.item == key);
        let f = &m.figures;
        items.push(ItemRow {
            label_zh: m.group.label_zh.clone().unwrap_or_else(|| key.clone()),
            label_en: m.group.label_en.clone().unwrap_or_else(|| key.clone()),
            overall: false,
            n: f.n,
            mean: f.mean,
            rate: f.rate,
            rate_low: f.rate_ci.map(|c| c.low),
            rate_high: f.rate_ci.map(|c| c.high),
            dissatisfied_rate: f.dissatisfied_rate,
            previous_rate: change.and_then(|c| c.rate_previous),
            change_points: change.and_then(|c| c.rate_diff).map(|d| d * 100.0),
            change_p: change.and_then(|c| c.rate_p_adjusted),
            change: match change {
                Some(c) if c.rate_significant => {
                    if c.rate_diff.unwrap_or(0.0) > 0.0 {
                        1
                    } else {
                        -1
                    }
                }
                _ => 0,
            },
            importance: driver.and_then(|d| d.importance),
            quadrant_zh: driver
                .and_then(|d| d.quadrant)
                .map(|q| q.label_zh().to_owned()),
            quadrant_en: driver
                .and_then(|d| d.quadrant)
                .map(|q| q.label_en().to_owned()),
            answers: p.answers.get(&key).copied().unwrap_or_default(),
            key,
        });
    }
    for i in items.iter_mut() {
        i.overall = p.overall.as_deref() == Some(i.key.as_str());
    }
    let overall = items.iter().position(|i| i.overall);
    let overall_key = p.overall.clone();

    // Five years of the overall item (by_item rows of the overall item, or
    // pooled when the form has none: the by-quarter analysis is of the same).
    let mut years = Vec::new();
    for m in &by_item.metrics {
        if m.group.item.is_some() && m.group.item == overall_key {
            years.push(YearRow {
                year: m.group.year.unwrap_or(0),
                n: m.figures.n,
                rate: m.figures.rate,
                rate_low: m.figures.rate_ci.map(|c| c.low),
                rate_high: m.figures.rate_ci.map(|c| c.high),
                mean: m.figures.mean,
            });
        }
    }
    years.sort_by_key(|y| y.year);
    let quarters: Vec<QuarterRow> = by_quarter
        .metrics
        .iter()
        .filter(|m| m.figures.n > 0)
        .map(|m| QuarterRow {
            year: m.group.year.unwrap_or(0),
            quarter: m.group.quarter.unwrap_or(0),
            n: m.figures.n,
            rate: m.figures.rate,
            rate_low: m.figures.rate_ci.map(|c| c.low),
            rate_high: m.figures.rate_ci.map(|c| c.high),
        })
        .collect();

    // Headline.
    let mut headline = Headline {
        responses: 0,
        ..Default::default()
    };
    if let Some(o) = overall.map(|i| &items[i]) {
        headline.n = o.n;
        headline.rate = o.rate;
        headline.rate_low = o.rate_low;
        headline.rate_high = o.rate_high;
        headline.mean = o.mean;
        headline.previous_rate = o.previous_rate;
        headline.change_points = o.change_points;
        headline.change_p = o.change_p;
        headline.change_significant = o.change != 0;
        headline.sampling_error_points = by_item
            .metrics
            .iter()
            .find(|m| m.group.year == Some(year) && m.group.item.as_deref() == Some(&o.key))
            .and_then(|m| m.figures.sampling_error_points);
    }
    headline.responses = by_quarter
        .metrics
        .iter()
        .filter(|m| m.group.year == Some(year))
        .map(|m| m.figures.n)
        .sum::<u64>()
        .max(headline.n);
    if let Some(r) = p.analyses.reliability.iter().find(|r| r.year == year) {
        headline.alpha = r.alpha;
        headline.alpha_n = r.n;
    }

    // Per office (county reports).
    let office_items: Vec<OfficeItemRow> = by_office
        .map(|a| {
            a.metrics
                .iter()
                .filter(|m| m.group.year == Some(year) && m.figures.n > 0)
                .map(|m| OfficeItemRow {
                    office: m.group.office.clone().unwrap_or_default(),
                    office_name: m.group.office_name.clone().unwrap_or_default(),
                    item: m.group.item.clone().unwrap_or_default(),
                    label_zh: m.group.label_zh.clone().unwrap_or_default(),
                    n: m.figures.n,
                    rate: m.figures.rate,
                    mean: m.figures.mean,
                })
                .collect()
        })
        .unwrap_or_default();

    let shortfalls: Vec<ShortfallRow> = p
        .analyses
        .shortfalls
        .iter()
        .filter(|s| s.year == year)
        .map(|s| ShortfallRow {
            office: s.office.clone(),
            office_name: s.office_name.clone(),
            item: s.item.clone(),
            label_zh: s.label_zh.clone(),
            label_en: s.label_en.clone(),
            n: s.n,
            rate: s.rate,
            standard: s.standard,
            gap_points: s.gap_points,
            significantly_below: s.significantly_below,
        })
        .collect();

    let drivers_this: Vec<_> = p
        .analyses
        .drivers
        .iter()
        .filter(|d| d.year == year)
        .collect();
    let terms = p
        .analyses
        .terms
        .periods
        .iter()
        .find(|t| t.year == year)
        .map(|t| {
            t.top
                .iter()
                .filter(|t| is_plain_term(&t.term))
                .map(|t| TermRow {
                    term: t.term.clone(),
                    count: t.count,
                    comments: t.comments,
                })
                .collect()
        })
        .unwrap_or_default();
    let key_terms = p
        .analyses
        .terms
        .dissatisfied
        .iter()
        .filter(|t| is_plain_term(&t.term))
        .map(|t| KeyTermRow {
            term: t.term.clone(),
            dissatisfied_count: t.dissatisfied_count,
            satisfied_count: t.satisfied_count,
            log_odds: t.log_odds_weighted,
            examples: t.examples.iter().map(|e| mask_excerpt(e)).collect(),
        })
        .collect();

    // The improvement plan: subjects and why.
    let office_name = |code: &str| {
        p.offices
            .iter()
            .find(|o| o.code == code)
            .map(|o| o.name_zh.clone())
            .unwrap_or_default()
    };
    let mut plan: BTreeMap<(SubjectKind, String), PlanEntry> = BTreeMap::new();
    let label_of = |key: &str| {
        p.labels
            .get(key)
            .cloned()
            .unwrap_or_else(|| (key.to_owned(), key.to_owned()))
    };
    let mut add =
        |kind: SubjectKind, key: &str, label: (String, String), zh: String, en: String| {
            let e = plan
                .entry((kind, key.to_owned()))
                .or_insert_with(|| PlanEntry {
                    kind,
                    key: key.to_owned(),
                    label_zh: label.0,
                    label_en: label.1,
                    reasons_zh: Vec::new(),
                    reasons_en: Vec::new(),
                    measures: Vec::new(),
                });
            e.reasons_zh.push(zh);
            e.reasons_en.push(en);
        };
    for s in &shortfalls {
        let who = if p.offices.len() > 1 {
            format!("{}：", s.office_name)
        } else {
            String::new()
        };
        add(
            SubjectKind::Item,
            &s.item,
            (s.label_zh.clone(), s.label_en.clone()),
            format!(
                "{who}滿意度 {}，低於標準 {}（差 {:.1} 個百分點{}）",
                pct(s.rate),
                pct(s.standard),
                s.gap_points,
                if s.significantly_below {
                    "，顯著"
                } else {
                    ""
                }
            ),
            format!(
                "{}{} below the standard {} by {:.1} points{}",
                if p.offices.len() > 1 {
                    format!("{}: ", s.office)
                } else {
                    String::new()
                },
                pct(s.rate),
                pct(s.standard),
                s.gap_points,
                if s.significantly_below {
                    ", significant"
                } else {
                    ""
                }
            ),
        );
    }
    for i in items.iter().filter(|i| i.change < 0) {
        add(
            SubjectKind::Item,
            &i.key,
            (i.label_zh.clone(), i.label_en.clone()),
            format!(
                "較去年顯著下降 {:.1} 個百分點（{} → {}）",
                -i.change_points.unwrap_or(0.0),
                i.previous_rate.map(pct).unwrap_or_default(),
                i.rate.map(pct).unwrap_or_default()
            ),
            format!(
                "significant decline of {:.1} points on last year",
                -i.change_points.unwrap_or(0.0)
            ),
        );
    }
    for d in drivers_this
        .iter()
        .filter(|d| d.quadrant == Some(Quadrant::ConcentrateHere))
    {
        add(
            SubjectKind::Item,
            &d.item,
            label_of(&d.item),
            format!(
                "重要度高而表現低於平均（IPA 優先改善；r = {:.2}，平均 {:.2} 分）",
                d.importance.unwrap_or(0.0),
                d.performance.unwrap_or(0.0)
            ),
            "important but below-average performance (IPA: concentrate here)".into(),
        );
    }
    let total_cases = complaints.received.max(1);
    for c in complaints
        .categories
        .iter()
        .filter(|c| c.received > 0)
        .take(3)
    {
        add(
            SubjectKind::Category,
            &c.code,
            (c.name_zh.clone(), c.name_en.clone()),
            format!(
                "陳情 {} 件，占 {:.0}%（去年 {} 件）",
                c.received,
                c.received as f64 * 100.0 / total_cases as f64,
                c.previous_received
            ),
            format!(
                "{} complaints, {:.0}% of all (last year {})",
                c.received,
                c.received as f64 * 100.0 / total_cases as f64,
                c.previous_received
            ),
        );
    }
    let code_of = |id: i32| p.offices.iter().find(|o| o.id == id);
    for m in p.measures.iter().filter(|m| m.year == year) {
        if let (Some(e), Some(o)) = (plan.get_mut(&(m.kind, m.key.clone())), code_of(m.office_id)) {
            e.measures.push(MeasureText {
                office: o.code.clone(),
                office_name: o.name_zh.clone(),
                measure: m.measure.clone(),
                responsible: m.responsible.clone(),
            });
        }
    }
    // Subjects with a measure but no trigger this year are still planned work.
    for m in p.measures.iter().filter(|m| m.year == year) {
        let key = (m.kind, m.key.clone());
        if plan.contains_key(&key) {
            continue;
        }
        let Some(o) = code_of(m.office_id) else {
            continue;
        };
        let label = match m.kind {
            SubjectKind::Item => label_of(&m.key),
            SubjectKind::Category => p
                .categories
                .get(&m.key)
                .cloned()
                .unwrap_or_else(|| (m.key.clone(), m.key.clone())),
        };
        plan.insert(
            key,
            PlanEntry {
                kind: m.kind,
                key: m.key.clone(),
                label_zh: label.0,
                label_en: label.1,
                reasons_zh: vec!["自訂改善項目".into()],
                reasons_en: vec!["chosen by the office".into()],
                measures: vec![MeasureText {
                    office: o.code.clone(),
                    office_name: o.name_zh.clone(),
                    measure: m.measure.clone(),
                    responsible: m.responsible.clone(),
                }],
            },
        );
    }

    // Closing the loop: last year's measures and this year's result.
    let mut follow_up = Vec::new();
    for m in p.measures.iter().filter(|m| m.year == year - 1) {
        let Some(o) = code_of(m.office_id) else {
            continue;
        };
        let (label_zh, before, after, verdict) = match m.kind {
            SubjectKind::Item => {
                // The office's own change when the report covers several.
                let change = by_office
                    .and_then(|a| {
                        a.changes.iter().find(|c| {
                            c.period == this
                                && c.group.item.as_deref() == Some(&m.key)
                                && c.group.office.as_deref() == Some(&o.code)
                        })
                    })
                    .or_else(|| {
                        by_item
                            .changes
                            .iter()
                            .find(|c| c.period == this && c.group.item.as_deref() == Some(&m.key))
                    });
                let verdict = match change {
                    Some(c) if c.rate.is_none() || c.rate_previous.is_none() => "no_data",
                    Some(c) if c.rate_significant && c.rate_diff.unwrap_or(0.0) > 0.0 => "improved",
                    Some(c) if c.rate_significant => "declined",
                    Some(_) => "no_significant_change",
                    None => "no_data",
                };
                (
                    label_of(&m.key).0,
                    change.and_then(|c| c.rate_previous),
                    change.and_then(|c| c.rate),
                    verdict,
                )
            }
            SubjectKind::Category => {
                let c = complaints.categories.iter().find(|c| c.code == m.key);
                let (b, a) = c.map_or((0, 0), |c| (c.previous_received, c.received));
                let verdict = if a < b {
                    "improved"
                } else if a > b {
                    "declined"
                } else {
                    "no_significant_change"
                };
                (
                    p.categories
                        .get(&m.key)
                        .map_or(m.key.clone(), |n| n.0.clone()),
                    Some(b as f64),
                    Some(a as f64),
                    verdict,
                )
            }
        };
        follow_up.push(FollowUp {
            kind: m.kind,
            key: m.key.clone(),
            label_zh,
            office: o.code.clone(),
            office_name: office_name(&o.code),
            measure: m.measure.clone(),
            before,
            after,
            verdict,
            verdict_zh: match verdict {
                "improved" => "已改善",
                "declined" => "退步",
                "no_significant_change" => "無顯著變化",
                _ => "無資料",
            },
        });
    }

    let grand = drivers_this.first();
    let mut notes = by_item.notes.clone();
    notes.extend(p.analyses.notes.iter().cloned());
    notes.retain(|n| !n.starts_with("數字為整體滿意度題"));
    Report {
        year,
        gregorian: year + 1911,
        first_year: (year - 4).max(1),
        form: p.form.to_owned(),
        form_title_zh: String::new(),
        form_title_en: String::new(),
        scope: String::new(),
        scope_zh: String::new(),
        scope_en: String::new(),
        county_report: false,
        standards_set: false,
        profile: Default::default(),
        offices: p.offices.to_vec(),
        generated_at: String::new(),
        headline,
        years,
        quarters,
        items,
        office_rows: office_rows(&office_items, p.overall.as_deref()),
        office_items,
        ipa_grand_performance: grand.and_then(|d| d.grand_performance),
        ipa_grand_importance: grand.and_then(|d| d.grand_importance),
        shortfalls,
        complaints,
        terms,
        key_terms,
        plan: plan.into_values().collect(),
        follow_up,
        notes,
    }
}

/// The year's complaint figures with the names of their categories, outcomes
/// and timeliness.
fn complaint_summary(
    y: YearSummary,
    names: &BTreeMap<String, (String, String)>,
) -> ComplaintSummary {
    let name = |code: &str| {
        names
            .get(code)
            .cloned()
            .unwrap_or_else(|| (code.to_owned(), code.to_owned()))
    };
    ComplaintSummary {
        received: y.received,
        accepted: y.accepted,
        on_time_rate: y.on_time_rate,
        median_days_to_first_reply: y.median_days_to_first_reply,
        p90_days_to_first_reply: y.p90_days_to_first_reply,
        median_days_to_close: y.median_days_to_close,
        overdue: y.overdue,
        categories: y
            .categories
            .into_iter()
            .map(|c| {
                let (name_zh, name_en) = name(&c.category);
                CategoryRow {
                    code: c.category,
                    name_zh,
                    name_en,
                    received: c.received,
                    previous_received: c.previous_received,
                    on_time_rate: c.on_time_rate,
                    median_days_to_first_reply: c.median_days_to_first_reply,
                    overdue: c.overdue,
                }
            })
            .collect(),
        review: y
            .review
            .into_iter()
            .map(|cell| ReviewRow {
                category_zh: name(&cell.category).0,
                outcome_zh: cell.outcome.label_zh().to_owned(),
                timeliness_zh: cell.timeliness.label_zh().to_owned(),
                count: cell.count,
            })
            .collect(),
        per_quarter: y.per_quarter,
        reply_days: y.reply_days,
    }
}

/// A comment term fit to print: one the excerpt mask leaves alone (an ID
/// number or an e-mail address cut out of a comment is no term to count).
fn is_plain_term(term: &str) -> bool {
    mask_excerpt(term) == term
}

#[cfg(test)]
mod tests {
    use super::is_plain_term;

    #[test]
    fn terms_that_are_numbers_or_addresses_are_left_out() {
        assert!(is_plain_term("櫃檯") && is_plain_term("15分鐘") && is_plain_term("QR code"));
        assert!(!is_plain_term("A123456789"));
        assert!(!is_plain_term("wang@example.com"));
    }
}

/// The per-office table of a county report, from the office × item rows: the
/// overall item's n, rate and mean, and the office's lowest-rated item.
pub(super) fn office_rows(rows: &[OfficeItemRow], overall: Option<&str>) -> Vec<OfficeRow> {
    let mut offices: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.office.as_str(), r.office_name.as_str()))
        .collect();
    offices.sort();
    offices.dedup();
    offices
        .into_iter()
        .map(|(office, name)| {
            let own: Vec<&OfficeItemRow> = rows.iter().filter(|r| r.office == office).collect();
            let head = own
                .iter()
                .find(|r| Some(r.item.as_str()) == overall)
                .or_else(|| own.iter().max_by_key(|r| r.n));
            let lowest = own
                .iter()
                .filter(|r| Some(r.item.as_str()) != overall)
                .filter_map(|r| r.rate.map(|v| (v, *r)))
                .min_by(|a, b| a.0.total_cmp(&b.0));
            OfficeRow {
                office: office.to_owned(),
                office_name: name.to_owned(),
                n: head.map_or(0, |r| r.n),
                rate: head.and_then(|r| r.rate),
                mean: head.and_then(|r| r.mean),
                lowest_zh: lowest.map(|(_, r)| r.label_zh.clone()).unwrap_or_default(),
                lowest_rate: lowest.map(|(v, _)| v),
            }
        })
        .collect()
}

#[cfg(test)]
mod office_row_tests {
    use super::*;

    fn row(office: &str, item: &str, n: u64, rate: f64) -> OfficeItemRow {
        OfficeItemRow {
            office: office.into(),
            office_name: format!("{office} 所"),
            item: item.into(),
            label_zh: format!("題{item}"),
            n,
            rate: Some(rate),
            mean: Some(4.0),
        }
    }

    #[test]
    fn each_office_gets_its_overall_figures_and_weakest_item() {
        let rows = [
            row("B", "overall", 80, 0.9),
            row("B", "wait", 78, 0.7),
            row("B", "staff", 80, 0.95),
            row("A", "overall", 50, 0.8),
            row("A", "wait", 50, 0.85),
            row("A", "staff", 49, 0.75),
        ];
        let got = office_rows(&rows, Some("overall"));
        assert_eq!(got.len(), 2);
        assert_eq!(
            (got[0].office.as_str(), got[0].n, got[0].rate),
            ("A", 50, Some(0.8))
        );
        assert_eq!(
            (got[0].lowest_zh.as_str(), got[0].lowest_rate),
            ("題staff", Some(0.75))
        );
        assert_eq!(
            (got[1].lowest_zh.as_str(), got[1].lowest_rate),
            ("題wait", Some(0.7))
        );
    }
}
