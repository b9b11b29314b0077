//! The office × item heat map of a county.

use super::*;

/// Red (low) through white to blue (high), over [lo, hi].
pub(super) fn heat_colour(v: f64, lo: f64, hi: f64) -> RGBColor {
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

pub(super) fn heat<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, h: &HeatMap) -> Drawn
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
