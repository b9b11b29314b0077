//! The report as one self-contained HTML file: styles inlined, charts embedded
//! as PNG data (drawn with the shipped font, so they look the same
//! everywhere), and a print stylesheet for clean A4 pages.

use askama::Template;
use base64::Engine as _;

use super::ReportError;
use super::charts::Chart;
use super::data::{FollowUp, Report};
use crate::plans::measures::SubjectKind;

static CSS: &str = include_str!("../../reports/report.css");

/// Optional numbers as the template passes them (values or references).
pub trait Num {
    fn get(&self) -> Option<f64>;
}
impl Num for f64 {
    fn get(&self) -> Option<f64> {
        Some(*self)
    }
}
impl Num for Option<f64> {
    fn get(&self) -> Option<f64> {
        *self
    }
}
impl<T: Num + ?Sized> Num for &T {
    fn get(&self) -> Option<f64> {
        (**self).get()
    }
}

const DASH: &str = "—";

pub fn pct(v: impl Num) -> String {
    v.get()
        .map_or_else(|| DASH.to_owned(), |v| format!("{:.1}%", v * 100.0))
}

pub fn num(v: impl Num, decimals: usize) -> String {
    v.get()
        .map_or_else(|| DASH.to_owned(), |v| format!("{v:.decimals$}"))
}

/// A p-value: three decimals, and "< 0.001" rather than a false 0.000.
pub fn pvalue(v: impl Num) -> String {
    v.get().map_or_else(
        || DASH.to_owned(),
        |v| {
            if v < 0.001 {
                "< 0.001".to_owned()
            } else {
                format!("{v:.3}")
            }
        },
    )
}

pub fn signed(v: impl Num) -> String {
    v.get()
        .map_or_else(|| DASH.to_owned(), |v| format!("{v:+.1}"))
}

/// The sampling error sentence of the summary.
pub fn sampling_error(r: &Report) -> String {
    match r.headline.sampling_error_points {
        Some(e) => format!(
            "在 95% 信心水準下，抽樣誤差約為正負 {e:.1} 個百分點（n = {}）",
            r.headline.n
        ),
        None => DASH.to_owned(),
    }
}

/// The change of the overall rate, in words.
pub fn change_text(r: &Report) -> String {
    let h = &r.headline;
    match (h.change_points, h.previous_rate) {
        (Some(d), Some(prev)) => format!(
            "{}（去年 {}，{}{}）",
            signed(d) + " 個百分點",
            pct(prev),
            if h.change_significant {
                "達統計顯著"
            } else {
                "未達統計顯著"
            },
            h.change_p
                .map(|p| format!("，雙比例 z 檢定 p = {p:.3}，經 Holm 多重比較校正"))
                .unwrap_or_default()
        ),
        _ => "去年無資料 no data last year".into(),
    }
}

pub fn follow_value(f: &FollowUp, before: bool) -> String {
    let v = if before { f.before } else { f.after };
    match f.kind {
        SubjectKind::Item => pct(v),
        SubjectKind::Category => v.map_or_else(|| DASH.to_owned(), |v| format!("{v:.0} 件")),
    }
}

struct Figure {
    key: &'static str,
    title_zh: String,
    title_en: String,
    width: u32,
    height: u32,
    data_uri: String,
}

use crate::analytics::profile::Share;

#[derive(Template)]
#[template(path = "annual.html")]
struct AnnualHtml<'a> {
    r: &'a Report,
    css: &'a str,
    figures: Vec<Figure>,
    summary: Vec<super::summary::Sentence>,
    coverage: super::summary::Sentence,
    method: Vec<super::summary::Sentence>,
}

impl AnnualHtml<'_> {
    fn pct(&self, v: impl Num) -> String {
        pct(v)
    }
    fn num(&self, v: impl Num, d: usize) -> String {
        num(v, d)
    }
    fn signed(&self, v: impl Num) -> String {
        signed(v)
    }
    fn pvalue(&self, v: impl Num) -> String {
        pvalue(v)
    }
    fn opt_i(&self, v: &Option<i64>) -> String {
        v.map_or_else(|| DASH.to_owned(), |v| v.to_string())
    }
    fn arrow(&self, change: &i8) -> &'static str {
        match change {
            1 => " ▲",
            -1 => " ▼",
            _ => "",
        }
    }
    fn change_class(&self, change: &i8) -> &'static str {
        match change {
            1 => "up",
            -1 => "down",
            _ => "",
        }
    }
    /// The respondents' profile as (title zh, title en, values).
    fn profile_lists(&self) -> Vec<(&'static str, &'static str, &[Share])> {
        let p = &self.r.profile;
        vec![
            ("填答管道", "Channel", &p.channels),
            ("服務項目", "Service", &p.services),
            ("櫃檯", "Counter", &p.counters),
        ]
    }
    fn sampling_error(&self) -> String {
        sampling_error(self.r)
    }
    fn change_text(&self) -> String {
        change_text(self.r)
    }
    fn follow(&self, f: &FollowUp, before: bool) -> String {
        follow_value(f, before)
    }
    /// The figure element of a chart (escaped here, output as safe).
    fn figure(&self, key: &str) -> String {
        let Some(f) = self.figures.iter().find(|f| f.key == key) else {
            let (zh, en) = super::charts::empty_note(key);
            return format!(
                r#"<p class="empty-chart" data-chart="{key}">{zh} <span class="en">{en}</span></p>"#
            );
        };
        let esc = |s: &str| {
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
        };
        format!(
            r#"<figure><img src="{}" width="{}" height="{}" alt="{} {}"><figcaption>{} <span class="en">{}</span></figcaption></figure>"#,
            f.data_uri,
            f.width,
            f.height,
            esc(&f.title_zh),
            esc(&f.title_en),
            esc(&f.title_zh),
            esc(&f.title_en)
        )
    }
}

pub fn render(report: &Report, charts: &[Chart]) -> Result<String, ReportError> {
    let figures = charts
        .iter()
        .map(|c| Figure {
            key: c.key,
            title_zh: c.title_zh.clone(),
            title_en: c.title_en.clone(),
            width: c.width,
            height: c.height,
            data_uri: format!(
                "data:image/png;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(&c.png)
            ),
        })
        .collect();
    AnnualHtml {
        r: report,
        css: CSS,
        figures,
        summary: super::summary::executive_summary(report),
        coverage: super::summary::coverage(report),
        method: super::summary::method(report),
    }
    .render()
    .map_err(|e| ReportError::Render(format!("html: {e}")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn p_values_never_read_zero() {
        assert_eq!(super::pvalue(Some(0.000_04)), "< 0.001");
        assert_eq!(super::pvalue(Some(0.001)), "0.001");
        assert_eq!(super::pvalue(Some(0.1724)), "0.172");
        assert_eq!(super::pvalue(None::<f64>), "—");
    }
}
