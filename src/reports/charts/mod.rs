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
pub mod layout;
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

/// Charts are drawn [`WIDTH`] px wide and printed no narrower than
/// [`PRINT_CM`] (the A4 PDF sets them 17.8 cm wide, the printed HTML 18.6 cm):
/// one pixel is at most 0.378 pt on paper.
pub const WIDTH: u32 = 1200;
pub const PRINT_CM: f64 = 16.0;

/// The size on paper, in points, of `px` pixels of a chart.
pub fn print_pt(px: f64) -> f64 {
    px * PRINT_CM / 2.54 * 72.0 / f64::from(WIDTH)
}

// Plotters' font size is the line height; a glyph's em is size / 1.24 (and
// the SVG's font-size is that em).

/// Every label, tick and value: an em of 24.2 px, 9.1 pt in print (no chart
/// text is smaller).
pub const TEXT: f64 = 30.0;
/// Axis titles: 9.7 pt.
const DESC: f64 = 32.0;
/// The chart's zh-TW title: 11.6 pt; its English line is [`TEXT`].
const TITLE: f64 = 38.0;
/// Height of the two-line title band above every chart.
pub const TITLE_H: u32 = 104;

/// A text's width in pixels, on the safe side: the font's own measure or,
/// when wider, one em per CJK character and 0.55 em per other (the measure
/// the overlap check of the tests uses).
fn text_width<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, text: &str, size: f64) -> i32 {
    let measured = area
        .estimate_text_size(text, &font(size))
        .map_or(0, |(w, _)| w as i32);
    let em = size / 1.24;
    let rough: f64 = text
        .chars()
        .map(|c| if (c as u32) >= 0x2E80 { 1.0 } else { 0.55 })
        .sum::<f64>()
        * em;
    measured.max(rough.ceil() as i32)
}

/// The width of a label column: its widest label and a margin, kept between
/// 120 px and `max` (longer labels then run into the margin, never the plot).
fn label_column<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    labels: &[String],
    max: u32,
) -> u32 {
    labels
        .iter()
        .map(|l| text_width(area, l, TEXT) as u32)
        .max()
        .unwrap_or(200)
        .clamp(120, max)
        + 20
}

fn font(size: f64) -> TextStyle<'static> {
    (FAMILY, size).into_font().into()
}

fn bold(size: f64) -> TextStyle<'static> {
    (FAMILY, size, FontStyle::Bold).into_font().into()
}

/// The grid: light enough to read values against, never over the data.
fn grid_bold() -> ShapeStyle {
    BLACK.mix(0.12).stroke_width(1)
}

/// The minor lines between the labelled ones: not drawn.
fn grid_light() -> ShapeStyle {
    TRANSPARENT.stroke_width(0)
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

/// The line a report prints where a chart of this key has nothing to show:
/// (zh-TW, English).
pub fn empty_note(key: &str) -> (&'static str, &'static str) {
    match key {
        "complaints" => ("本年度無陳情案件。", "No complaints this year."),
        "reply-days" => (
            "本年度無已回復的陳情案件，未繪製回復工作日分布。",
            "No complaint was replied to this year.",
        ),
        "ipa" => (
            "有分數的題項不足兩題，未進行重要度－表現分析。",
            "Fewer than two scored items: no importance-performance analysis.",
        ),
        "heatmap" => (
            "各所均無問卷資料，未繪製各所比較圖。",
            "No office has survey data: no comparison chart.",
        ),
        _ => (
            "本年度無問卷資料，未繪製此圖。",
            "No survey data this year: no chart.",
        ),
    }
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

    /// Nothing to draw: the report says so in one line instead of a page-sized
    /// empty chart.
    pub fn is_empty(&self) -> bool {
        let all_zero = |s: &Stacks| s.series.iter().all(|(_, v)| v.iter().all(|x| *x == 0.0));
        match self {
            Spec::Trend(points) => points.is_empty(),
            Spec::Items { bars, .. } => bars
                .iter()
                .all(|b| b.this_year.is_none() && b.last_year.is_none()),
            Spec::Ipa { points, .. } => points.len() < 2,
            Spec::Heat(h) => h.values.iter().flatten().all(Option::is_none),
            Spec::Complaints(s) | Spec::Answers(s) => all_zero(s),
            Spec::ReplyDays { days, .. } => days.is_empty(),
        }
    }

    /// Pixel size: item charts grow with their items.
    pub fn size(&self) -> (u32, u32) {
        let rows = |n: usize, per: u32| (TITLE_H + 140 + per * n as u32).max(480);
        match self {
            Spec::Items { bars, .. } => (WIDTH, rows(bars.len(), 84).max(540)),
            Spec::Answers(s) => (WIDTH, rows(s.bars.len(), 54)),
            Spec::Heat(h) => (WIDTH, rows(h.rows.len(), 54).max(500)),
            Spec::Ipa { .. } => (WIDTH, 900),
            _ => (WIDTH, 660),
        }
    }

    /// Draws the chart under its two-line title (zh-TW, then English).
    pub fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        title: (&str, &str),
    ) -> Drawn
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        root.draw(&Text::new(
            title.0.to_owned(),
            (24, 12),
            bold(TITLE).pos(Pos::new(HPos::Left, VPos::Top)),
        ))?;
        root.draw(&Text::new(
            title.1.to_owned(),
            (24, 12 + TITLE as i32 + 8),
            font(TEXT)
                .color(&RGBColor(0x5d, 0x6d, 0x7e))
                .pos(Pos::new(HPos::Left, VPos::Top)),
        ))?;
        let body = root.margin(TITLE_H, 16, 16, 28);
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
pub fn rgb(spec: &Spec, title: (&str, &str)) -> Result<Vec<u8>, ChartError> {
    register_fonts();
    let (w, h) = spec.size();
    let mut buf = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        spec.draw(&root, title).map_err(|e| ChartError {
            chart: spec.key(),
            message: e.to_string(),
        })?;
    }
    Ok(buf)
}

/// Renders SVG only (the console draws charts inline, without the PNG).
pub fn svg(spec: &Spec) -> Result<String, ChartError> {
    register_fonts();
    let (zh, en) = spec.title();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, spec.size()).into_drawing_area();
        spec.draw(&root, (&zh, &en)).map_err(|e| ChartError {
            chart: spec.key(),
            message: e.to_string(),
        })?;
    }
    Ok(svg)
}

/// Renders PNG and SVG.
pub fn render(spec: &Spec) -> Result<Chart, ChartError> {
    let (title_zh, title_en) = spec.title();
    let title = (title_zh.as_str(), title_en.as_str());
    let (w, h) = spec.size();
    let err = |message: String| ChartError {
        chart: spec.key(),
        message,
    };
    let pixels = rgb(spec, title)?;
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
        spec.draw(&root, title).map_err(|e| err(e.to_string()))?;
    }
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

/// Axis ticks: whole percents.
fn pct(v: f64) -> String {
    format!("{:.0}%", v * 100.0)
}

/// Values: the report's one format for a rate, one decimal (97.9%).
fn pct1(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
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

/// How a legend entry shows its series.
#[derive(Clone, Copy)]
enum Swatch {
    Fill(RGBAColor),
    Line(RGBColor),
}

/// A legend in rows across the top of `area`, outside the plot so that it
/// never covers data; returns the area left below it for the plot.
fn legend_above<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(String, Swatch)],
) -> Result<DrawingArea<DB, Shift>, Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    if entries.is_empty() {
        return Ok(area.clone());
    }
    let style = font(TEXT);
    let (width, _) = area.dim_in_pixel();
    let row_h = TEXT as i32 + 14;
    let (left, gap, swatch) = (90, 36, 30);
    let mut spots = Vec::with_capacity(entries.len());
    let (mut x, mut row) = (left, 0);
    for (label, _) in entries {
        let w = swatch + 10 + text_width(area, label, TEXT);
        if x > left && x + w > width as i32 {
            x = left;
            row += 1;
        }
        spots.push((x, row * row_h));
        x += w + gap;
    }
    for ((label, sw), &(x, y)) in entries.iter().zip(&spots) {
        let mid = y + row_h / 2;
        match *sw {
            Swatch::Fill(c) => area.draw(&Rectangle::new(
                [(x, mid - 9), (x + swatch, mid + 9)],
                c.filled(),
            ))?,
            Swatch::Line(c) => area.draw(&PathElement::new(
                [(x, mid), (x + swatch, mid)],
                c.stroke_width(4),
            ))?,
        }
        area.draw(&Text::new(
            label.clone(),
            (x + swatch + 10, mid),
            style.pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    let used = (row + 1) * row_h + 10;
    Ok(area.split_vertically(used).1)
}

fn no_data<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>) -> Drawn
where
    DB::ErrorType: 'static,
{
    let (w, h) = area.dim_in_pixel();
    area.draw(&Text::new(
        "無資料 No data".to_owned(),
        (w as i32 / 2, h as i32 / 2),
        font(DESC).pos(Pos::new(HPos::Center, VPos::Center)),
    ))?;
    Ok(())
}

#[cfg(test)]
mod tests;
