//! The report's charts, drawn with plotters as PNG and SVG from plain data
//! (no database, no analytics types): each [`Spec`] knows its title and how to
//! draw itself on any plotters backend.
//!
//! Text is drawn with the Noto Sans TC face shipped in `assets/fonts/` and
//! compiled into the binary, registered under every family name plotters may
//! ask for, so no chart depends on a system font. SVG files name the family
//! and leave the glyphs to the viewer (as SVG does).

use std::error::Error;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The shipped Traditional Chinese face (SIL OFL 1.1, `assets/fonts/OFL.txt`).
pub static FONT_REGULAR: &[u8] = include_bytes!("../../assets/fonts/NotoSansTC-Regular-Big5.otf");
pub static FONT_BOLD: &[u8] = include_bytes!("../../assets/fonts/NotoSansTC-Bold-Big5.otf");
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

fn trend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, points: &[TrendPoint]) -> Drawn
where
    DB::ErrorType: 'static,
{
    let n = points.len().max(1);
    let lo = rate_floor(points.iter().map(|p| p.low));
    let mut chart = ChartBuilder::on(area)
        .x_label_area_size(70)
        .y_label_area_size(90)
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), lo..1.0f64)?;
    let labels: Vec<String> = points.iter().map(|p| p.label.clone()).collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n.min(40))
        .x_label_formatter(&|x| index_label(&labels, *x))
        .x_label_style(font(15.0).transform(FontTransform::Rotate90))
        .y_label_formatter(&|y| pct(*y))
        .y_label_style(font(17.0))
        .y_desc("滿意度 Satisfied (%)")
        .axis_desc_style(font(18.0))
        .draw()?;
    if points.is_empty() {
        return no_data(area);
    }
    let band: Vec<(f64, f64)> = points
        .iter()
        .enumerate()
        .map(|(i, p)| (i as f64, p.high))
        .chain(
            points
                .iter()
                .enumerate()
                .rev()
                .map(|(i, p)| (i as f64, p.low)),
        )
        .collect();
    chart
        .draw_series(std::iter::once(Polygon::new(band, BLUE.mix(0.18).filled())))?
        .label("95% 信賴區間 95% CI")
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], BLUE.mix(0.18).filled()));
    chart
        .draw_series(LineSeries::new(
            points.iter().enumerate().map(|(i, p)| (i as f64, p.rate)),
            BLUE.stroke_width(3),
        ))?
        .label("滿意度 Satisfied")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLUE.stroke_width(3)));
    chart.draw_series(
        points
            .iter()
            .enumerate()
            .map(|(i, p)| Circle::new((i as f64, p.rate), 4, BLUE.filled())),
    )?;
    legend(&mut chart)
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

fn items<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, year: i32, bars: &[ItemBar]) -> Drawn
where
    DB::ErrorType: 'static,
{
    let n = bars.len().max(1);
    let lo = rate_floor(
        bars.iter()
            .flat_map(|b| [b.this_year, b.last_year])
            .flatten(),
    );
    let labels: Vec<String> = bars.iter().map(|b| b.label.clone()).collect();
    let mut chart = ChartBuilder::on(area)
        .x_label_area_size(50)
        .y_label_area_size(300)
        .build_cartesian_2d(lo..1.0f64, (n as f64 - 0.5)..-0.5f64)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n)
        .y_label_formatter(&|y| index_label(&labels, *y))
        .y_label_style(font(17.0))
        .x_label_formatter(&|x| pct(*x))
        .x_label_style(font(16.0))
        .draw()?;
    if bars.is_empty() {
        return no_data(area);
    }
    let h = 0.36;
    chart
        .draw_series(bars.iter().enumerate().filter_map(|(i, b)| {
            b.last_year.map(|v| {
                let y = i as f64;
                Rectangle::new([(lo, y - h), (v, y)], GREY.filled())
            })
        }))?
        .label(format!("{} 年 ROC {}", year - 1, year - 1))
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], GREY.filled()));
    chart
        .draw_series(bars.iter().enumerate().filter_map(|(i, b)| {
            b.this_year.map(|v| {
                let y = i as f64;
                Rectangle::new([(lo, y), (v, y + h)], BLUE.filled())
            })
        }))?
        .label(format!("{year} 年 ROC {year}"))
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], BLUE.filled()));
    chart.draw_series(bars.iter().enumerate().filter_map(|(i, b)| {
        let v = b.this_year?;
        let text = format!(
            "{}{}",
            pct(v),
            match b.change {
                1 => " ▲",
                -1 => " ▼",
                _ => "",
            }
        );
        let colour: &'static RGBColor = match b.change {
            1 => &GREEN,
            -1 => &RED,
            _ => &BLACK,
        };
        Some(Text::new(
            text,
            (v, i as f64 + h / 2.0),
            font(16.0)
                .color(colour)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))
    }))?;
    legend(&mut chart)
}

fn ipa<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    points: &[IpaPoint],
    gp: f64,
    gi: f64,
) -> Drawn
where
    DB::ErrorType: 'static,
{
    let span = |vals: Vec<f64>, pad: f64| {
        let lo = vals.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if lo.is_finite() && hi.is_finite() {
            let p = ((hi - lo) * 0.15).max(pad);
            (lo - p, hi + p)
        } else {
            (0.0, 1.0)
        }
    };
    let (px0, px1) = span(
        points.iter().map(|p| p.performance).chain([gp]).collect(),
        0.05,
    );
    let (iy0, iy1) = span(
        points.iter().map(|p| p.importance).chain([gi]).collect(),
        0.03,
    );
    let mut chart = ChartBuilder::on(area)
        .x_label_area_size(70)
        .y_label_area_size(90)
        .build_cartesian_2d(px0..px1, iy0..iy1)?;
    chart
        .configure_mesh()
        .x_desc("表現（平均分數 1-5）Performance (mean score)")
        .y_desc("重要度（與整體滿意度之相關）Importance (r)")
        .axis_desc_style(font(18.0))
        .label_style(font(16.0))
        .x_label_formatter(&|x| format!("{x:.2}"))
        .y_label_formatter(&|y| format!("{y:.2}"))
        .draw()?;
    if points.is_empty() {
        return no_data(area);
    }
    let dashed = BLACK.mix(0.55).stroke_width(2);
    chart.draw_series(std::iter::once(PathElement::new(
        [(gp, iy0), (gp, iy1)],
        dashed,
    )))?;
    chart.draw_series(std::iter::once(PathElement::new(
        [(px0, gi), (px1, gi)],
        dashed,
    )))?;
    let corner = |x: f64, y: f64, h: HPos, v: VPos, text: &str, colour: &'static RGBColor| {
        Text::new(
            text.to_owned(),
            (x, y),
            bold(18.0).color(colour).pos(Pos::new(h, v)),
        )
    };
    let dx = (px1 - px0) * 0.01;
    let dy = (iy1 - iy0) * 0.01;
    chart.draw_series([
        corner(
            px0 + dx,
            iy1 - dy,
            HPos::Left,
            VPos::Top,
            "優先改善 Concentrate here",
            &RED,
        ),
        corner(
            px1 - dx,
            iy1 - dy,
            HPos::Right,
            VPos::Top,
            "繼續保持 Keep up the good work",
            &GREEN,
        ),
        corner(
            px0 + dx,
            iy0 + dy,
            HPos::Left,
            VPos::Bottom,
            "次要改善 Low priority",
            &GREY,
        ),
        corner(
            px1 - dx,
            iy0 + dy,
            HPos::Right,
            VPos::Bottom,
            "過度投入 Possible overkill",
            &BLUE,
        ),
    ])?;
    chart.draw_series(points.iter().map(|p| {
        EmptyElement::at((p.performance, p.importance))
            + Circle::new((0, 0), 7, BLUE.filled())
            + Text::new(
                p.label.clone(),
                (10, -8),
                font(16.0).pos(Pos::new(HPos::Left, VPos::Center)),
            )
    }))?;
    Ok(())
}

/// Red (low) through white to blue (high), over [lo, hi].
fn heat_colour(v: f64, lo: f64, hi: f64) -> RGBColor {
    let t = if hi > lo {
        ((v - lo) / (hi - lo)).clamp(0.0, 1.0)
    } else {
        0.5
    };
    let lerp = |a: u8, b: u8, t: f64| (a as f64 + (b as f64 - a as f64) * t).round() as u8;
    let (from, to, t) = if t < 0.5 {
        (RED, RGBColor(0xf7, 0xf7, 0xf7), t * 2.0)
    } else {
        (RGBColor(0xf7, 0xf7, 0xf7), BLUE, (t - 0.5) * 2.0)
    };
    RGBColor(
        lerp(from.0, to.0, t),
        lerp(from.1, to.1, t),
        lerp(from.2, to.2, t),
    )
}

fn heat<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, h: &HeatMap) -> Drawn
where
    DB::ErrorType: 'static,
{
    let (rows, cols) = (h.rows.len().max(1), h.columns.len().max(1));
    let mut chart = ChartBuilder::on(area)
        .x_label_area_size(50)
        .y_label_area_size(300)
        .build_cartesian_2d(-0.5f64..(cols as f64 - 0.5), (rows as f64 - 0.5)..-0.5f64)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(cols)
        .y_labels(rows)
        .x_label_formatter(&|x| index_label(&h.columns, *x))
        .y_label_formatter(&|y| index_label(&h.rows, *y))
        .x_label_style(font(if cols > 8 { 14.0 } else { 16.0 }))
        .y_label_style(font(16.0))
        .draw()?;
    let all: Vec<f64> = h.values.iter().flatten().flatten().copied().collect();
    if all.is_empty() {
        return no_data(area);
    }
    let lo = all.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    for (r, row) in h.values.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (x, y) = (c as f64, r as f64);
            let fill = v.map_or(WHITE, |v| heat_colour(v, lo, hi));
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)],
                fill.filled(),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                v.map_or_else(|| "—".to_owned(), |v| format!("{:.1}", v * 100.0)),
                (x, y),
                font(15.0).pos(Pos::new(HPos::Center, VPos::Center)),
            )))?;
        }
    }
    Ok(())
}

/// Vertical stacked bars (complaints) or horizontal 100% bars (answers).
fn stacked<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &Stacks,
    colours: &[RGBColor],
    shares: bool,
    axis: &str,
) -> Drawn
where
    DB::ErrorType: 'static,
{
    let n = s.bars.len().max(1);
    let totals: Vec<f64> = (0..s.bars.len())
        .map(|i| {
            s.series
                .iter()
                .map(|(_, v)| v.get(i).copied().unwrap_or(0.0))
                .sum()
        })
        .collect();
    let colour = |k: usize| colours[k % colours.len()];
    if shares {
        let mut chart = ChartBuilder::on(area)
            .x_label_area_size(50)
            .y_label_area_size(300)
            .build_cartesian_2d(0f64..1f64, (n as f64 - 0.5)..-0.5f64)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .y_label_formatter(&|y| index_label(&s.bars, *y))
            .y_label_style(font(17.0))
            .x_label_formatter(&|x| pct(*x))
            .x_label_style(font(16.0))
            .x_desc(axis)
            .axis_desc_style(font(16.0))
            .draw()?;
        if totals.iter().all(|t| *t == 0.0) {
            return no_data(area);
        }
        for (k, (name, values)) in s.series.iter().enumerate() {
            let c = colour(k);
            chart
                .draw_series(
                    values
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| totals[*i] > 0.0)
                        .map(|(i, v)| {
                            let before: f64 = s.series[..k]
                                .iter()
                                .map(|(_, w)| w.get(i).copied().unwrap_or(0.0))
                                .sum();
                            let (a, b) = (before / totals[i], (before + v) / totals[i]);
                            let y = i as f64;
                            Rectangle::new([(a, y - 0.35), (b, y + 0.35)], c.filled())
                        }),
                )?
                .label(name.clone())
                .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], c.filled()));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font(font(15.0))
            .background_style(WHITE.mix(0.9))
            .border_style(GREY)
            .draw()?;
        return Ok(());
    }
    let top = (totals.iter().copied().fold(0.0, f64::max).max(4.0) * 1.25).ceil();
    let mut chart = ChartBuilder::on(area)
        .x_label_area_size(60)
        .y_label_area_size(80)
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n)
        .y_labels((top as usize).min(10) + 1)
        .x_label_formatter(&|x| index_label(&s.bars, *x))
        .x_label_style(font(16.0))
        .y_label_formatter(&|y| integer_label(*y))
        .y_label_style(font(16.0))
        .y_desc(axis)
        .axis_desc_style(font(16.0))
        .draw()?;
    if totals.iter().all(|t| *t == 0.0) {
        return no_data(area);
    }
    for (k, (name, values)) in s.series.iter().enumerate() {
        let c = colour(k);
        chart
            .draw_series(values.iter().enumerate().map(|(i, v)| {
                let before: f64 = s.series[..k]
                    .iter()
                    .map(|(_, w)| w.get(i).copied().unwrap_or(0.0))
                    .sum();
                let x = i as f64;
                Rectangle::new([(x - 0.35, before), (x + 0.35, before + v)], c.filled())
            }))?
            .label(name.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], c.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(font(15.0))
        .background_style(WHITE.mix(0.9))
        .border_style(GREY)
        .draw()?;
    Ok(())
}

fn reply_days<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    days: &[i64],
    limit: Option<i64>,
) -> Drawn
where
    DB::ErrorType: 'static,
{
    let max_day = days
        .iter()
        .copied()
        .max()
        .unwrap_or(0)
        .max(limit.unwrap_or(0))
        .max(5);
    let mut counts = vec![0u32; max_day as usize + 1];
    for d in days.iter().filter(|d| **d >= 0) {
        counts[*d as usize] += 1;
    }
    let top = (counts.iter().copied().max().unwrap_or(0).max(4) as f64 * 1.2).ceil();
    let mut chart = ChartBuilder::on(area)
        .x_label_area_size(70)
        .y_label_area_size(80)
        .build_cartesian_2d(-0.5f64..(max_day as f64 + 0.5), 0f64..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc("工作日 Working days")
        .y_desc("件數 Cases")
        .axis_desc_style(font(18.0))
        .label_style(font(16.0))
        .x_label_formatter(&|x| {
            if (x - x.round()).abs() < 1e-6 {
                format!("{x:.0}")
            } else {
                String::new()
            }
        })
        .y_labels((top as usize).min(10) + 1)
        .y_label_formatter(&|y| integer_label(*y))
        .draw()?;
    if days.is_empty() {
        return no_data(area);
    }
    chart.draw_series(counts.iter().enumerate().map(|(d, c)| {
        let over = limit.is_some_and(|l| d as i64 > l);
        let x = d as f64;
        Rectangle::new(
            [(x - 0.4, 0.0), (x + 0.4, *c as f64)],
            if over { RED.filled() } else { BLUE.filled() },
        )
    }))?;
    if let Some(l) = limit {
        let x = l as f64 + 0.5;
        chart
            .draw_series(std::iter::once(PathElement::new(
                [(x, 0.0), (x, top)],
                RED.stroke_width(2),
            )))?
            .label(format!("期限 {l} 工作日 Deadline"))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], RED.stroke_width(2)));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font(font(16.0))
            .background_style(WHITE.mix(0.9))
            .border_style(GREY)
            .draw()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every chart of the report, from small literal data.
    pub(crate) fn fixtures() -> Vec<Spec> {
        let trend = (0..8)
            .map(|i| TrendPoint {
                label: format!("{} Q{}", 112 + i / 4, i % 4 + 1),
                rate: 0.85 + 0.01 * i as f64,
                low: 0.80 + 0.01 * i as f64,
                high: 0.90 + 0.01 * i as f64,
            })
            .collect();
        let items = vec![
            ItemBar {
                label: "櫃台人員服務態度".into(),
                this_year: Some(0.92),
                last_year: Some(0.88),
                change: 1,
            },
            ItemBar {
                label: "等候時間".into(),
                this_year: Some(0.71),
                last_year: Some(0.80),
                change: -1,
            },
            ItemBar {
                label: "環境整潔".into(),
                this_year: Some(0.90),
                last_year: None,
                change: 0,
            },
        ];
        let ipa = Spec::Ipa {
            points: vec![
                IpaPoint {
                    label: "服務態度".into(),
                    performance: 4.4,
                    importance: 0.71,
                },
                IpaPoint {
                    label: "等候時間".into(),
                    performance: 3.8,
                    importance: 0.66,
                },
                IpaPoint {
                    label: "環境整潔".into(),
                    performance: 4.3,
                    importance: 0.41,
                },
            ],
            grand_performance: 4.17,
            grand_importance: 0.59,
        };
        let heat = HeatMap {
            rows: vec!["中正戶政".into(), "大安戶政".into()],
            columns: vec!["服務態度".into(), "等候時間".into(), "環境整潔".into()],
            values: vec![
                vec![Some(0.9), Some(0.7), None],
                vec![Some(0.95), Some(0.8), Some(0.85)],
            ],
        };
        let complaints = Stacks {
            bars: vec![
                "113 Q1".into(),
                "113 Q2".into(),
                "113 Q3".into(),
                "113 Q4".into(),
            ],
            series: vec![
                ("服務態度".into(), vec![3.0, 1.0, 0.0, 2.0]),
                ("等候時間".into(), vec![1.0, 4.0, 2.0, 0.0]),
            ],
        };
        let answers = Stacks {
            bars: vec!["服務態度".into(), "等候時間".into()],
            series: (1..=5)
                .map(|s| (format!("{s} 分"), vec![s as f64, 6.0 - s as f64]))
                .collect(),
        };
        vec![
            Spec::Trend(trend),
            Spec::Items {
                year: 113,
                bars: items,
            },
            ipa,
            Spec::Heat(heat),
            Spec::Complaints(complaints),
            Spec::ReplyDays {
                days: vec![0, 1, 1, 2, 3, 3, 3, 5, 8, 12],
                limit: Some(7),
            },
            Spec::Answers(answers),
        ]
    }

    fn ink(buf: &[u8], w: u32, rows: std::ops::Range<u32>) -> usize {
        rows.flat_map(|y| (0..w).map(move |x| ((y * w + x) * 3) as usize))
            .filter(|&i| buf[i] < 200 || buf[i + 1] < 200 || buf[i + 2] < 200)
            .count()
    }

    fn differing(a: &[u8], b: &[u8], w: u32, rows: std::ops::Range<u32>) -> usize {
        rows.flat_map(|y| (0..w).map(move |x| ((y * w + x) * 3) as usize))
            .filter(|&i| a[i..i + 3] != b[i..i + 3])
            .count()
    }

    #[test]
    fn every_chart_draws_its_chinese_title_and_body() {
        for spec in fixtures() {
            let (w, h) = spec.size();
            let (zh, _) = spec.title();
            let title_rows = 0..52;
            let blank = rgb(&spec, "").unwrap();
            let drawn = rgb(&spec, &zh).unwrap();
            // Characters the font lacks come out as its .notdef box: the same
            // number of them must look different from the real glyphs.
            let missing: String = zh.chars().map(|_| '\u{E000}').collect();
            let tofu = rgb(&spec, &missing).unwrap();
            let (title_ink, blank_ink) = (
                ink(&drawn, w, title_rows.clone()),
                ink(&blank, w, title_rows.clone()),
            );
            assert_eq!(
                blank_ink,
                0,
                "{}: nothing but the title is drawn up there",
                spec.key()
            );
            assert!(
                title_ink > 40 * zh.chars().count(),
                "{}: title ink {title_ink}",
                spec.key()
            );
            let diff = differing(&drawn, &tofu, w, title_rows.clone());
            assert!(
                diff > 20 * zh.chars().count(),
                "{}: glyphs look like .notdef boxes ({diff})",
                spec.key()
            );
            // Distinct glyphs: swapping two characters changes the picture.
            let body = ink(&blank, w, 68..h);
            assert!(
                body > 2000,
                "{}: the chart body is nearly blank ({body})",
                spec.key()
            );
        }
    }

    #[test]
    fn png_and_svg_are_well_formed() {
        for spec in fixtures() {
            let chart = render(&spec).unwrap();
            let decoder = png::Decoder::new(std::io::Cursor::new(&chart.png));
            let mut reader = decoder.read_info().unwrap();
            let mut buf = vec![0; reader.output_buffer_size()];
            let info = reader.next_frame(&mut buf).unwrap();
            assert_eq!((info.width, info.height), spec.size());
            let px = &buf[..info.buffer_size()];
            let dark = px.chunks(3).filter(|p| p.iter().any(|c| *c < 128)).count();
            assert!(dark > 1000, "{}: PNG nearly blank", spec.key());
            let doc = roxmltree::Document::parse(&chart.svg)
                .unwrap_or_else(|e| panic!("{}: SVG not well-formed: {e}", spec.key()));
            assert_eq!(doc.root_element().tag_name().name(), "svg");
            assert!(
                chart.svg.contains(&chart.title_zh),
                "{}: SVG title text",
                spec.key()
            );
        }
    }

    #[test]
    fn empty_data_draws_a_no_data_note_instead_of_failing() {
        for spec in [
            Spec::Trend(vec![]),
            Spec::Items {
                year: 113,
                bars: vec![],
            },
            Spec::Ipa {
                points: vec![],
                grand_performance: 0.0,
                grand_importance: 0.0,
            },
            Spec::Heat(HeatMap {
                rows: vec![],
                columns: vec![],
                values: vec![],
            }),
            Spec::ReplyDays {
                days: vec![],
                limit: None,
            },
            Spec::Answers(Stacks {
                bars: vec![],
                series: vec![],
            }),
        ] {
            render(&spec).unwrap();
        }
    }

    #[test]
    fn heat_colours_run_from_red_to_blue() {
        assert_eq!(heat_colour(0.5, 0.5, 0.9), RED);
        assert_eq!(heat_colour(0.9, 0.5, 0.9), BLUE);
        assert_eq!(heat_colour(0.7, 0.5, 0.9), RGBColor(0xf7, 0xf7, 0xf7));
    }
}
