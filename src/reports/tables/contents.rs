//! Every table of the report, built from the report's data.

use super::{Cell, Table};
use crate::reports::data::Report;

/// Every table of the report.
pub fn tables(r: &Report) -> Vec<Table> {
    let h = &r.headline;
    let mut out = vec![Table {
        key: "summary",
        title_zh: "摘要",
        title_en: "Summary",
        columns: vec![("項目", "Measure"), ("數值", "Value")],
        rows: vec![
            vec![Cell::text("年度 ROC year"), Cell::Int(r.year as i64)],
            vec![Cell::text("範圍 Scope"), Cell::text(r.scope_zh.clone())],
            vec![Cell::text("有效問卷 Responses"), Cell::int(h.responses)],
            vec![Cell::text("整體滿意度 n"), Cell::int(h.n)],
            vec![Cell::text("整體滿意度 Satisfied"), Cell::pct(h.rate)],
            vec![Cell::text("95% 信賴區間下限 CI low"), Cell::pct(h.rate_low)],
            vec![
                Cell::text("95% 信賴區間上限 CI high"),
                Cell::pct(h.rate_high),
            ],
            vec![Cell::text("平均分數 Mean score"), Cell::num(h.mean, 2)],
            vec![
                Cell::text("抽樣誤差（百分點）Sampling error (points)"),
                Cell::num(h.sampling_error_points, 1),
            ],
            vec![
                Cell::text("去年整體滿意度 Last year"),
                Cell::pct(h.previous_rate),
            ],
            vec![
                Cell::text("變化（百分點）Change (points)"),
                Cell::num(h.change_points, 1),
            ],
            vec![
                Cell::text("變化顯著 Significant"),
                Cell::text(yes_no(h.change_significant)),
            ],
            vec![Cell::text("Cronbach's α"), Cell::num(h.alpha, 3)],
        ],
    }];
    out.push(Table {
        key: "years",
        title_zh: "歷年整體滿意度",
        title_en: "Overall satisfaction by year",
        columns: vec![
            ("年度", "Year"),
            ("樣本數", "n"),
            ("滿意度", "Satisfied"),
            ("信賴區間下限", "CI low"),
            ("信賴區間上限", "CI high"),
            ("平均分數", "Mean"),
        ],
        rows: r
            .years
            .iter()
            .map(|y| {
                vec![
                    Cell::Int(y.year as i64),
                    Cell::int(y.n),
                    Cell::pct(y.rate),
                    Cell::pct(y.rate_low),
                    Cell::pct(y.rate_high),
                    Cell::num(y.mean, 2),
                ]
            })
            .collect(),
    });
    out.push(Table {
        key: "quarters",
        title_zh: "各季整體滿意度",
        title_en: "Overall satisfaction by quarter",
        columns: vec![
            ("年度", "Year"),
            ("季", "Quarter"),
            ("樣本數", "n"),
            ("滿意度", "Satisfied"),
            ("信賴區間下限", "CI low"),
            ("信賴區間上限", "CI high"),
        ],
        rows: r
            .quarters
            .iter()
            .map(|q| {
                vec![
                    Cell::Int(q.year as i64),
                    Cell::Int(q.quarter as i64),
                    Cell::int(q.n),
                    Cell::pct(q.rate),
                    Cell::pct(q.rate_low),
                    Cell::pct(q.rate_high),
                ]
            })
            .collect(),
    });
    out.push(Table {
        key: "items",
        title_zh: "各題項滿意度",
        title_en: "Satisfaction per item",
        columns: vec![
            ("題項代碼", "Item"),
            ("題項", "Label"),
            ("樣本數", "n"),
            ("平均分數", "Mean"),
            ("滿意度", "Satisfied"),
            ("信賴區間下限", "CI low"),
            ("信賴區間上限", "CI high"),
            ("不滿意度", "Dissatisfied"),
            ("去年滿意度", "Last year"),
            ("變化（百分點）", "Change (points)"),
            ("調整後 p 值", "Holm p"),
            ("顯著變化", "Significant change"),
            ("重要度 r", "Importance r"),
            ("IPA 象限", "IPA quadrant"),
        ],
        rows: r
            .items
            .iter()
            .map(|i| {
                vec![
                    Cell::text(i.key.clone()),
                    Cell::text(i.label_zh.clone()),
                    Cell::int(i.n),
                    Cell::num(i.mean, 2),
                    Cell::pct(i.rate),
                    Cell::pct(i.rate_low),
                    Cell::pct(i.rate_high),
                    Cell::pct(i.dissatisfied_rate),
                    Cell::pct(i.previous_rate),
                    Cell::num(i.change_points, 1),
                    Cell::num(i.change_p, 4),
                    Cell::text(match i.change {
                        1 => "上升 up",
                        -1 => "下降 down",
                        _ => "",
                    }),
                    Cell::num(i.importance, 3),
                    Cell::text(i.quadrant_zh.clone().unwrap_or_default()),
                ]
            })
            .collect(),
    });
    out.push(Table {
        key: "answers",
        title_zh: "各題項作答分布",
        title_en: "Answers per item",
        columns: vec![
            ("題項代碼", "Item"),
            ("題項", "Label"),
            ("1 非常不滿意", "1 very dissatisfied"),
            ("2 不滿意", "2 dissatisfied"),
            ("3 普通", "3 neutral"),
            ("4 滿意", "4 satisfied"),
            ("5 非常滿意", "5 very satisfied"),
        ],
        rows: r
            .items
            .iter()
            .map(|i| {
                let mut row = vec![Cell::text(i.key.clone()), Cell::text(i.label_zh.clone())];
                row.extend(i.answers.iter().map(|c| Cell::int(*c)));
                row
            })
            .collect(),
    });
    out.push(Table {
        key: "profile",
        title_zh: "受訪者概況",
        title_en: "Respondents' profile",
        columns: vec![
            ("面向", "Aspect"),
            ("類別", "Value"),
            ("份數", "Responses"),
            ("占比", "Share"),
        ],
        rows: [
            ("填答管道 Channel", &r.profile.channels),
            ("服務項目 Service", &r.profile.services),
            ("櫃檯 Counter", &r.profile.counters),
        ]
        .into_iter()
        .flat_map(|(aspect, list)| {
            list.iter().map(move |s| {
                vec![
                    Cell::text(aspect),
                    Cell::text(if s.label_zh == s.label_en {
                        s.label_zh.clone()
                    } else {
                        format!("{} {}", s.label_zh, s.label_en)
                    }),
                    Cell::int(s.count),
                    Cell::pct(Some(s.share)),
                ]
            })
        })
        .collect(),
    });
    if r.county_report {
        out.push(Table {
            key: "office-summary",
            title_zh: "各所整體滿意度",
            title_en: "Overall satisfaction by office",
            columns: vec![
                ("所別", "Office"),
                ("樣本數", "n"),
                ("整體滿意度", "Satisfied"),
                ("平均分數", "Mean"),
                ("最低題項", "Lowest item"),
                ("最低題項滿意度", "Its rate"),
            ],
            rows: r
                .office_rows
                .iter()
                .map(|o| {
                    vec![
                        Cell::text(o.office_name.clone()),
                        Cell::int(o.n),
                        Cell::pct(o.rate),
                        Cell::num(o.mean, 2),
                        Cell::text(o.lowest_zh.clone()),
                        Cell::pct(o.lowest_rate),
                    ]
                })
                .collect(),
        });
        out.push(Table {
            key: "offices",
            title_zh: "各所各題項滿意度",
            title_en: "Satisfaction by office and item",
            columns: vec![
                ("所別代碼", "Office"),
                ("所別", "Office name"),
                ("題項代碼", "Item"),
                ("題項", "Label"),
                ("樣本數", "n"),
                ("滿意度", "Satisfied"),
                ("平均分數", "Mean"),
            ],
            rows: r
                .office_items
                .iter()
                .map(|o| {
                    vec![
                        Cell::text(o.office.clone()),
                        Cell::text(o.office_name.clone()),
                        Cell::text(o.item.clone()),
                        Cell::text(o.label_zh.clone()),
                        Cell::int(o.n),
                        Cell::pct(o.rate),
                        Cell::num(o.mean, 2),
                    ]
                })
                .collect(),
        });
    }
    out.push(Table {
        key: "shortfalls",
        title_zh: "未達標準項目",
        title_en: "Below the standard",
        columns: vec![
            ("所別代碼", "Office"),
            ("所別", "Office name"),
            ("題項代碼", "Item"),
            ("題項", "Label"),
            ("樣本數", "n"),
            ("滿意度", "Satisfied"),
            ("標準", "Standard"),
            ("差距（百分點）", "Gap (points)"),
            ("顯著低於標準", "Significantly below"),
        ],
        rows: r
            .shortfalls
            .iter()
            .map(|s| {
                vec![
                    Cell::text(s.office.clone()),
                    Cell::text(s.office_name.clone()),
                    Cell::text(s.item.clone()),
                    Cell::text(s.label_zh.clone()),
                    Cell::int(s.n),
                    Cell::Pct(s.rate),
                    Cell::Pct(s.standard),
                    Cell::Num(s.gap_points, 1),
                    Cell::text(yes_no(s.significantly_below)),
                ]
            })
            .collect(),
    });
    let c = &r.complaints;
    out.push(Table {
        key: "complaints",
        title_zh: "陳情案件（依類別）",
        title_en: "Complaints by category",
        columns: vec![
            ("類別代碼", "Category"),
            ("類別", "Name"),
            ("收件數", "Received"),
            ("去年收件數", "Last year"),
            ("如期回復率", "On-time rate"),
            ("首次回復工作日中位數", "Median days to first reply"),
            ("目前逾期未結", "Open, overdue now"),
        ],
        rows: c
            .categories
            .iter()
            .map(|k| {
                vec![
                    Cell::text(k.code.clone()),
                    Cell::text(k.name_zh.clone()),
                    Cell::int(k.received),
                    Cell::int(k.previous_received),
                    Cell::pct(k.on_time_rate),
                    Cell::num(k.median_days_to_first_reply, 1),
                    Cell::int(k.overdue),
                ]
            })
            .collect(),
    });
    out.push(Table {
        key: "complaint-review",
        title_zh: "陳情檢討（類別 × 結果 × 時效）",
        title_en: "Complaints: category × outcome × timeliness",
        columns: vec![
            ("類別", "Category"),
            ("處理結果", "Outcome"),
            ("時效", "Timeliness"),
            ("件數", "Cases"),
        ],
        rows: c
            .review
            .iter()
            .map(|v| {
                vec![
                    Cell::text(v.category_zh.clone()),
                    Cell::text(v.outcome_zh.clone()),
                    Cell::text(v.timeliness_zh.clone()),
                    Cell::int(v.count),
                ]
            })
            .collect(),
    });
    out.push(Table {
        key: "terms",
        title_zh: "意見常見詞彙",
        title_en: "Frequent comment terms",
        columns: vec![
            ("詞彙", "Term"),
            ("次數", "Count"),
            ("意見則數", "Comments"),
        ],
        rows: r
            .terms
            .iter()
            .map(|t| {
                vec![
                    Cell::text(t.term.clone()),
                    Cell::int(t.count),
                    Cell::int(t.comments),
                ]
            })
            .collect(),
    });
    out.push(Table {
        key: "key-terms",
        title_zh: "不滿意意見關鍵詞",
        title_en: "Terms of dissatisfied comments",
        columns: vec![
            ("詞彙", "Term"),
            ("不滿意則數", "Dissatisfied"),
            ("滿意則數", "Satisfied"),
            ("加權對數勝算", "Weighted log-odds"),
        ],
        rows: r
            .key_terms
            .iter()
            .map(|t| {
                vec![
                    Cell::text(t.term.clone()),
                    Cell::int(t.dissatisfied_count),
                    Cell::int(t.satisfied_count),
                    Cell::Num(t.log_odds, 2),
                ]
            })
            .collect(),
    });
    out.push(Table {
        key: "plan",
        title_zh: "改善計畫",
        title_en: "Improvement plan",
        columns: vec![
            ("類型", "Kind"),
            ("代碼", "Key"),
            ("項目", "Subject"),
            ("原因", "Why"),
            ("所別", "Office"),
            ("改善措施", "Measure"),
            ("負責單位", "Responsible"),
        ],
        rows: r
            .plan
            .iter()
            .flat_map(|e| {
                let base = vec![
                    Cell::text(kind_zh(e.kind)),
                    Cell::text(e.key.clone()),
                    Cell::text(e.label_zh.clone()),
                    Cell::text(e.reasons_zh.join("；")),
                ];
                if e.measures.is_empty() {
                    let mut row = base;
                    row.extend([Cell::Empty, Cell::text("（尚未填寫）"), Cell::Empty]);
                    vec![row]
                } else {
                    e.measures
                        .iter()
                        .map(|m| {
                            let mut row = base.clone();
                            row.extend([
                                Cell::text(m.office_name.clone()),
                                Cell::text(m.measure.clone()),
                                Cell::text(m.responsible.clone()),
                            ]);
                            row
                        })
                        .collect()
                }
            })
            .collect(),
    });
    out.push(Table {
        key: "follow-up",
        title_zh: "去年改善措施成效",
        title_en: "Last year's measures: results",
        columns: vec![
            ("類型", "Kind"),
            ("項目", "Subject"),
            ("所別", "Office"),
            ("改善措施", "Measure"),
            ("去年", "Before"),
            ("今年", "After"),
            ("結果", "Result"),
        ],
        rows: r
            .follow_up
            .iter()
            .map(|f| {
                let v = |x: Option<f64>| match f.kind {
                    crate::plans::measures::SubjectKind::Item => Cell::pct(x),
                    crate::plans::measures::SubjectKind::Category => Cell::num(x, 0),
                };
                vec![
                    Cell::text(kind_zh(f.kind)),
                    Cell::text(f.label_zh.clone()),
                    Cell::text(f.office_name.clone()),
                    Cell::text(f.measure.clone()),
                    v(f.before),
                    v(f.after),
                    Cell::text(f.verdict_zh),
                ]
            })
            .collect(),
    });
    out
}

fn yes_no(b: bool) -> &'static str {
    if b { "是 yes" } else { "否 no" }
}

fn kind_zh(k: crate::plans::measures::SubjectKind) -> &'static str {
    match k {
        crate::plans::measures::SubjectKind::Item => "滿意度題項",
        crate::plans::measures::SubjectKind::Category => "陳情類別",
    }
}
