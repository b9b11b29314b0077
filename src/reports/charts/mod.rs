//! The report's charts, drawn with plotters as PNG and SVG from plain data
//! (no database, no analytics types): each [`Spec`] knows its title and how to
//! draw itself on any plotters backend.
//!
//! Text is drawn with the Noto Sans TC face shipped in `assets/fonts/` and
//! compiled into the binary, registered under every family name plotters may
//! ask for, so no chart depends on a system font. SVG files name the family
//! and leave the glyphs to the viewer (as SVG does).

mod heat;
mod ipa;
mod items;
mod reply_days;
mod stacked;
mod trend;

use heat::heat;
use ipa::ipa;
use items::items;
use reply_days::reply_days;
use stacked::stacked;
use trend::trend;

use std::error::Error;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The shipped Traditional Chinese face (SIL OFL 1.1, `assets/fonts/OFL.txt`).
pub static FONT_REGULAR: &[u8] =
    include_bytes!("../../../assets/fonts/NotoSansTC-Regular-Big5.otf");
pub static FONT_BOLD: &[u8] = include_bytes!("../../../assets/fonts/NotoSansTC-Bold-Big5.otf");
/// The family name charts and documents use.
pub const FAMILY: &str = "Noto Sans CJK TC";

type Drawn = Result<(), Box<dyn Error>>;

#[derive(Debug, thiserror::Error)]
#[error("chart `{chart}`: {message}")]
pub struct ChartError {
    pub chart: &'static str,
    pub message: String,
}

/// Registers the shipped font once per process under our family name and the
/// generic names plotters' defaults use.
pub fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for name in [FAMILY, "sans-serif", "serif", "monospace"] {
            for (style, bytes) in [
                (FontStyle::Normal, FONT_REGULAR),
                (FontStyle::Bold, FONT_BOLD),
            ] {
                if plotters::style::register_font(name, style, bytes).is_err() {
                    // The bytes are compiled in and tested to load; nothing to recover.
                    tracing::error!("the shipped chart font failed to load");
                }
            }
        }
    });
}

fn font(size: f64) -> TextStyle<'static> {
    (FAMILY, size).into_font().into()
}

fn bold(size: f64) -> TextStyle<'static> {
    (FAMILY, size, FontStyle::Bold).into_font().into()
}

const BLUE: RGBColor = RGBColor(0x1f, 0x5f, 0xa8);
const GREY: RGBColor = RGBColor(0xa0, 0xa8, 0xb0);
const RED: RGBColor = RGBColor(0xc0, 0x39, 0x2b);
const GREEN: RGBColor = RGBColor(0x1e, 0x84, 0x49);
/// 1 (very dissatisfied) to 5 (very satisfied).
const SCALE: [RGBColor; 5] = [
    RGBColor(0xc0, 0x39, 0x2b),
    RGBColor(0xf0, 0x9a, 0x6c),
    RGBColor(0xd5, 0xd8, 0xdc),
    RGBColor(0x85, 0xb7, 0xe0),
    RGBColor(0x1f, 0x5f, 0xa8),
];
const CATEGORY: [RGBColor; 8] = [
    RGBColor(0x1f, 0x5f, 0xa8),
    RGBColor(0xe6, 0x7e, 0x22),
    RGBColor(0x27, 0xae, 0x60),
    RGBColor(0x8e, 0x44, 0xad),
    RGBColor(0xc0, 0x39, 0x2b),
    RGBColor(0x16, 0xa0, 0x85),
    RGBColor(0x7f, 0x8c, 0x8d),
    RGBColor(0xd4, 0xac, 0x0d),
];

/// One point of the quarterly trend (rates 0-1).
#[derive(Debug, Clone, PartialEq)]
pub struct TrendPoint {
    /// "113 Q1".
    pub label: String,
    pub rate: f64,
    pub low: f64,
    pub high: f64,
}

/// This year's and last year's rate of one item; `change` is +1 / -1 when the
/// change is significant.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemBar {
    pub label: String,
    pub this_year: Option<f64>,
    pub last_year: Option<f64>,
    pub change: i8,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IpaPoint {
    pub label: String,
    /// Performance: mean score 1-5.
    pub performance: f64,
    /// Importance: r with the overall item.
    pub importance: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HeatMap {
    pub rows: Vec<String>,
    pub columns: Vec<String>,
    /// rows × columns, rates 0-1.
    pub values: Vec<Vec<Option<f64>>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stacks {
    /// Bars (quarters, items).
    pub bars: Vec<String>,
    /// Series names and one value per bar.
    pub series: Vec<(String, Vec<f64>)>,
}

/// What a chart shows; [`Spec::draw`] draws it.
#[derive(Debug, Clone, PartialEq)]
pub enum Spec {
    /// Overall satisfaction by quarter with 95% intervals, over the years.
    Trend(Vec<TrendPoint>),
    /// Per item, this year against last year.
    Items { year: i32, bars: Vec<ItemBar> },
    /// Importance-performance quadrants, split at the grand means.
    Ipa {
        points: Vec<IpaPoint>,
        grand_performance: f64,
        grand_importance: f64,
    },
    /// Office × item rates.
    Heat(HeatMap),
    /// Complaints received per quarter, stacked by category.
    Complaints(Stacks),
    /// Cases by working days to the first reply.
    ReplyDays { days: Vec<i64>, limit: Option<i64> },
    /// Shares of the answers 1-5 per item (each series one score).
    Answers(Stacks),
}

impl Spec {
    pub fn key(&self) -> &'static str {
        match self {
            Spec::Trend(_) => "trend",
            Spec::Items { .. } => "items",
            Spec::Ipa { .. } => "ipa",
            Spec::Heat(_) => "heatmap",
            Spec::Complaints(_) => "complaints",
            Spec::ReplyDays { .. } => "reply-days",
            Spec::Answers(_) => "answers",
        }
    }

    /// (zh-TW, English)
    pub fn title(&self) -> (String, String) {
        let (zh, en) = match self {
            Spec::Trend(_) => (
                "整體滿意度趨勢（按季，95% 信賴區間）",
                "Overall satisfaction by quarter, 95% CI",
            ),
            Spec::Items { year, .. } => {
                return (
                    format!(
                        "各題項滿意度：{year} 年與 {} 年比較（▲▼ 顯著變化）",
                        year - 1
                    ),
                    format!(
                        "Satisfaction per item, {year} vs {} (▲▼ significant)",
                        year - 1
                    ),
                );
            }
            Spec::Ipa { .. } => ("重要度－表現分析（IPA）", "Importance-performance analysis"),
            Spec::Heat(_) => ("各所各題項滿意度", "Satisfaction by office and item"),
            Spec::Complaints(_) => (
                "各季陳情案件數（依類別）",
                "Complaints per quarter by category",
            ),
            Spec::ReplyDays { .. } => ("首次回復所需工作日分布", "Working days to first reply"),
            Spec::Answers(_) => ("各題項作答分布", "Distribution of answers per item"),
        };
        (zh.to_owned(), en.to_owned())
    }

    /// Pixel size: item charts grow with their items.
    pub fn size(&self) -> (u32, u32) {
        let rows = |n: usize| (170 + 44 * n as u32).max(420);
        match self {
            Spec::Items { bars, .. } => (1200, rows(bars.len()).max(520)),
            Spec::Answers(s) => (1200, rows(s.bars.len())),
            Spec::Heat(h) => (1200, (200 + 46 * h.rows.len() as u32).max(480)),
            Spec::Ipa { .. } => (1200, 860),
            _ => (1200, 620),
        }
    }

    fn caption(&self) -> String {
        let (zh, en) = self.title();
        format!("{zh}  {en}")
    }

    /// Draws the chart with `caption` as its title.
    pub fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, caption: &str) -> Drawn
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let (_, h) = root.dim_in_pixel();
        let title_h = 68;
        root.draw(&Text::new(
            caption.to_owned(),
            (24, 14),
            bold(26.0).pos(Pos::new(HPos::Left, VPos::Top)),
        ))?;
        let body = root.margin(title_h, 16, 16, 28);
        let _ = h;
        match self {
            Spec::Trend(points) => trend(&body, points),
            Spec::Items { year, bars } => items(&body, *year, bars),
            Spec::Ipa {
                points,
                grand_performance,
                grand_importance,
            } => ipa(&body, points, *grand_performance, *grand_importance),
            Spec::Heat(h) => heat(&body, h),
            Spec::Complaints(s) => stacked(&body, s, &CATEGORY, false, "件數 Cases"),
            Spec::ReplyDays { days, limit } => reply_days(&body, days, *limit),
            Spec::Answers(s) => stacked(&body, s, &SCALE, true, "占比 Share (%)"),
        }?;
        root.present()?;
        Ok(())
    }
}

/// A rendered chart.
#[derive(Debug, Clone)]
pub struct Chart {
    pub key: &'static str,
    pub title_zh: String,
    pub title_en: String,
    pub width: u32,
    pub height: u32,
    pub png: Vec<u8>,
    pub svg: String,
}

/// Draws on an RGB buffer (for PNG and for tests that count pixels).
pub fn rgb(spec: &Spec, caption: &str) -> Result<Vec<u8>, ChartError> {
    register_fonts();
    let (w, h) = spec.size();
    let mut buf = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        spec.draw(&root, caption).map_err(|e| ChartError {
            chart: spec.key(),
            message: e.to_string(),
        })?;
    }
    Ok(buf)
}

/// Renders SVG only (the console draws charts inline, without the PNG).
pub fn svg(spec: &Spec) -> Result<String, ChartError> {
    register_fonts();
    let caption = spec.caption();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, spec.size()).into_drawing_area();
        spec.draw(&root, &caption).map_err(|e| ChartError {
            chart: spec.key(),
            message: e.to_string(),
        })?;
    }
    Ok(svg)
}

/// Renders PNG and SVG.
pub fn render(spec: &Spec) -> Result<Chart, ChartError> {
    let caption = spec.caption();
    let (w, h) = spec.size();
    let err = |message: String| ChartError {
        chart: spec.key(),
        message,
    };
    let pixels = rgb(spec, &caption)?;
    let mut png_bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut png_bytes, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(|e| err(e.to_string()))?;
        writer
            .write_image_data(&pixels)
            .map_err(|e| err(e.to_string()))?;
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        spec.draw(&root, &caption).map_err(|e| err(e.to_string()))?;
    }
    let (title_zh, title_en) = spec.title();
    Ok(Chart {
        key: spec.key(),
        title_zh,
        title_en,
        width: w,
        height: h,
        png: png_bytes,
        svg,
    })
}

fn pct(v: f64) -> String {
    format!("{:.0}%", v * 100.0)
}

/// The y range of rates: from a round value below the lowest to 100%.
fn rate_floor(values: impl Iterator<Item = f64>) -> f64 {
    let min = values.fold(1.0f64, f64::min);
    ((min - 0.05) * 10.0).floor().clamp(0.0, 9.0) / 10.0
}

/// Counts on an axis: whole numbers only.
fn integer_label(y: f64) -> String {
    if (y - y.round()).abs() < 1e-6 {
        format!("{y:.0}")
    } else {
        String::new()
    }
}

fn index_label(labels: &[String], x: f64) -> String {
    if (x - x.round()).abs() > 1e-6 || x < -0.01 {
        return String::new();
    }
    labels.get(x.round() as usize).cloned().unwrap_or_default()
}

fn legend<'a, DB: DrawingBackend + 'a, X: Ranged, Y: Ranged>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
) -> Drawn
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font(font(16.0))
        .background_style(WHITE.mix(0.85))
        .border_style(GREY)
        .draw()?;
    Ok(())
}

fn no_data<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>) -> Drawn
where
    DB::ErrorType: 'static,
{
    let (w, h) = area.dim_in_pixel();
    area.draw(&Text::new(
        "無資料 No data".to_owned(),
        (w as i32 / 2, h as i32 / 2),
        font(24.0).pos(Pos::new(HPos::Center, VPos::Center)),
    ))?;
    Ok(())
}

#[cfg(test)]
mod tests;
