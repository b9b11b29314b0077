//! The executive summary: a few sentences written from the report's own
//! figures (the overall change, the largest significant changes, the
//! shortfalls, the main complaint categories, the words of the dissatisfied),
//! and the years the data really covers. Pure; every document prints these.

use super::data::Report;

/// One sentence in zh-TW and English.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Sentence {
    pub zh: String,
    pub en: String,
}

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

fn points(v: f64) -> String {
    format!("{:+.1}", v)
}

/// The years of survey data the report covers: "民國 112–113 年", or that
/// there is none.
pub fn coverage(r: &Report) -> Sentence {
    let years: Vec<i32> = r.years.iter().filter(|y| y.n > 0).map(|y| y.year).collect();
    match (years.iter().min(), years.iter().max()) {
        (Some(a), Some(b)) if a == b => Sentence {
            zh: format!("問卷資料：民國 {a} 年"),
            en: format!("Survey data: ROC year {a} ({})", a + 1911),
        },
        (Some(a), Some(b)) => Sentence {
            zh: format!("問卷資料：民國 {a}–{b} 年"),
            en: format!("Survey data: ROC years {a}–{b} ({}–{})", a + 1911, b + 1911),
        },
        _ => Sentence {
            zh: "本報告期間無問卷資料".into(),
            en: "No survey data in the period".into(),
        },
    }
}

/// The summary's sentences, most important first.
pub fn executive_summary(r: &Report) -> Vec<Sentence> {
    let mut out = Vec::new();
    let h = &r.headline;
    match (h.rate, h.change_points, h.previous_rate) {
        (Some(rate), Some(d), Some(_)) => {
            let (zh_dir, en_dir) = if d >= 0.0 {
                ("上升", "up")
            } else {
                ("下降", "down")
            };
            let (zh_sig, en_sig) = if h.change_significant {
                ("，達統計顯著", ", a significant change")
            } else {
                ("，未達統計顯著", ", not a significant change")
            };
            out.push(Sentence {
                zh: format!(
                    "整體滿意度為 {}，較去年{zh_dir} {:.1} 個百分點{zh_sig}。",
                    pct(rate),
                    d.abs()
                ),
                en: format!(
                    "Overall satisfaction is {}, {en_dir} {:.1} points on last year{en_sig}.",
                    pct(rate),
                    d.abs()
                ),
            });
        }
        (Some(rate), _, _) => out.push(Sentence {
            zh: format!("整體滿意度為 {}（去年無資料可比較）。", pct(rate)),
            en: format!("Overall satisfaction is {} (no data last year).", pct(rate)),
        }),
        _ => out.push(Sentence {
            zh: "本年度無問卷資料，無法計算滿意度。".into(),
            en: "No survey data this year: no satisfaction to report.".into(),
        }),
    }
    // The largest significant rise and fall among the items (not the overall one).
    let significant = |sign: i8| {
        r.items
            .iter()
            .filter(|i| !i.overall && i.change == sign)
            .filter_map(|i| Some((i, i.change_points?)))
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
    };
    for (sign, zh, en) in [(1, "進步最多", "rose most"), (-1, "退步最多", "fell most")] {
        if let Some((i, d)) = significant(sign) {
            out.push(Sentence {
                zh: format!("「{}」{zh}（{} 個百分點，顯著）。", i.label_zh, points(d)),
                en: format!("“{}” {en} ({} points, significant).", i.label_en, points(d)),
            });
        }
    }
    if r.standards_set {
        match r
            .shortfalls
            .iter()
            .max_by(|a, b| a.gap_points.abs().total_cmp(&b.gap_points.abs()))
        {
            Some(worst) => out.push(Sentence {
                zh: format!(
                    "共 {} 項低於標準，差距最大者為{}「{}」（{}，標準 {}）。",
                    r.shortfalls.len(),
                    if r.county_report {
                        worst.office_name.clone()
                    } else {
                        String::new()
                    },
                    worst.label_zh,
                    pct(worst.rate),
                    pct(worst.standard)
                ),
                en: format!(
                    "{} below their standard; the widest gap is “{}” ({} against {}).",
                    r.shortfalls.len(),
                    worst.label_en,
                    pct(worst.rate),
                    pct(worst.standard)
                ),
            }),
            None => out.push(Sentence {
                zh: "各題項均達設定之滿意度標準。".into(),
                en: "Every item meets its standard.".into(),
            }),
        }
    }
    let c = &r.complaints;
    if c.received == 0 {
        out.push(Sentence {
            zh: "本年度無陳情案件。".into(),
            en: "No complaints this year.".into(),
        });
    } else {
        let mut cats: Vec<_> = c.categories.iter().filter(|k| k.received > 0).collect();
        cats.sort_by(|a, b| b.received.cmp(&a.received).then(a.code.cmp(&b.code)));
        let top: Vec<_> = cats.iter().take(2).collect();
        let zh_top = top
            .iter()
            .map(|k| format!("「{}」{} 件", k.name_zh, k.received))
            .collect::<Vec<_>>()
            .join("、");
        let en_top = top
            .iter()
            .map(|k| format!("“{}” {}", k.name_en, k.received))
            .collect::<Vec<_>>()
            .join(", ");
        let on_time = c.on_time_rate.map(pct).unwrap_or_else(|| "—".into());
        out.push(Sentence {
            zh: format!(
                "陳情案件 {} 件，以{zh_top}最多；如期回復率 {on_time}，逾期未結 {} 件。",
                c.received, c.overdue
            ),
            en: format!(
                "{} complaints, most about {en_top}; {on_time} answered on time, {} overdue.",
                c.received, c.overdue
            ),
        });
    }
    let words: Vec<&str> = r
        .key_terms
        .iter()
        .take(3)
        .map(|t| t.term.as_str())
        .collect();
    if !words.is_empty() {
        out.push(Sentence {
            zh: format!(
                "不滿意民眾的意見中較常出現：{}。",
                words.iter().map(|w| format!("「{w}」")).collect::<String>()
            ),
            en: format!(
                "Words dissatisfied respondents used more often: {}.",
                words.join(", ")
            ),
        });
    }
    out
}

/// The survey method in sentences: the form, the period, how many answered
/// and through which channels (from the respondents' profile).
pub fn method(r: &Report) -> Vec<Sentence> {
    let p = &r.profile;
    let mut out = vec![Sentence {
        zh: format!(
            "問卷「{}」，調查期間民國 {} 年 1 月 1 日至 12 月 31 日，有效問卷 {} 份（其中個別問卷 {} 份，其餘為彙總計數）。",
            r.form_title_zh, r.year, r.headline.responses, p.responses
        ),
        en: format!(
            "Questionnaire “{}”, 1 January to 31 December {} (ROC {}): {} valid responses ({} individual, the rest aggregated tallies).",
            r.form_title_en, r.gregorian, r.year, r.headline.responses, p.responses
        ),
    }];
    if r.headline.responses == p.responses {
        out[0].zh = format!(
            "問卷「{}」，調查期間民國 {} 年 1 月 1 日至 12 月 31 日，有效問卷 {} 份。",
            r.form_title_zh, r.year, p.responses
        );
        out[0].en = format!(
            "Questionnaire “{}”, 1 January to 31 December {} (ROC {}): {} valid responses.",
            r.form_title_en, r.gregorian, r.year, p.responses
        );
    }
    if !p.channels.is_empty() {
        out.push(Sentence {
            zh: format!(
                "填答管道：{}。",
                p.channels
                    .iter()
                    .map(|s| format!("{} {}", s.label_zh, pct(s.share)))
                    .collect::<Vec<_>>()
                    .join("、")
            ),
            en: format!(
                "Channels: {}.",
                p.channels
                    .iter()
                    .map(|s| format!("{} {}", s.label_en, pct(s.share)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    out.push(Sentence {
        zh: "滿意度為回答 4–5 分（滿意、非常滿意）之比率；樣本為到所洽公並自願填答之民眾，非隨機抽樣，比率之信賴區間反映抽樣變異而非選樣偏誤。".into(),
        en: "Satisfied is the share answering 4–5; respondents are visitors who chose to answer (not a random sample), so intervals reflect sampling variation, not selection bias.".into(),
    });
    out
}
