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

/// Dark fills carry white numbers, light ones black: WCAG relative
/// luminance against the two text colours.
pub(super) fn ink_on(fill: RGBColor) -> RGBColor {
    let lin = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let l = 0.2126 * lin(fill.0) + 0.7152 * lin(fill.1) + 0.0722 * lin(fill.2);
    // Contrast with white (1.05 / (l + 0.05)) against black ((l + 0.05) / 0.05).
    if 1.05 / (l + 0.05) > (l + 0.05) / 0.05 {
        WHITE
    } else {
        BLACK
    }
}

/// The colour key above the map: the gradient from the lowest rate to the
/// highest, with both written out; returns the area below it.
fn key<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    lo: f64,
    hi: f64,
) -> Result<DrawingArea<DB, Shift>, Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    let style = font(TEXT);
    let y = 10;
    let label = "色階 Key：".to_owned();
    let lw = text_width(area, &label, TEXT);
    area.draw(&Text::new(
        label,
        (90, y + 12),
        style.pos(Pos::new(HPos::Left, VPos::Center)),
    ))?;
    let low = format!("{} 最低 lowest", pct1(lo));
    let low_w = text_width(area, &low, TEXT);
    let x0 = 90 + lw + 16;
    area.draw(&Text::new(
        low,
        (x0, y + 12),
        style.pos(Pos::new(HPos::Left, VPos::Center)),
    ))?;
    let bar0 = x0 + low_w + 16;
    let bar_w = 300;
    for i in 0..bar_w {
        let v = lo + (hi - lo) * f64::from(i) / f64::from(bar_w - 1);
        area.draw(&Rectangle::new(
            [(bar0 + i, y), (bar0 + i + 1, y + 24)],
            heat_colour(v, lo, hi).filled(),
        ))?;
    }
    area.draw(&Rectangle::new([(bar0, y), (bar0 + bar_w, y + 24)], GREY))?;
    area.draw(&Text::new(
        format!("{} 最高 highest", pct1(hi)),
        (bar0 + bar_w + 16, y + 12),
        style.pos(Pos::new(HPos::Left, VPos::Center)),
    ))?;
    Ok(area.split_vertically(y + 24 + 20).1)
}

pub(super) fn heat<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, h: &HeatMap) -> Drawn
where
    DB::ErrorType: 'static,
{
    let all: Vec<f64> = h.values.iter().flatten().flatten().copied().collect();
    let lo = all.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let area = &if all.is_empty() {
        area.clone()
    } else {
        key(area, lo, hi)?
    };
    let (rows, cols) = (h.rows.len().max(1), h.columns.len().max(1));
    let label_w = label_column(area, &h.rows, 380);
    let (w, _) = area.dim_in_pixel();
    let cell_w = (w.saturating_sub(label_w + 16) / cols as u32) as i32;
    // Column heads above the map; when they do not fit a cell, every other
    // one goes a line lower (and may use two cells' width).
    let style = font(TEXT);
    let widths: Vec<i32> = h
        .columns
        .iter()
        .map(|l| text_width(area, l, TEXT))
        .collect();
    let staggered = widths.iter().any(|w| w + 10 > cell_w);
    let line = TEXT as i32 + 8;
    let (heads, rest) = area.split_vertically(if staggered { 2 * line + 8 } else { line + 8 });
    let mut chart = ChartBuilder::on(&rest)
        .margin_right(16)
        .x_label_area_size(0)
        .y_label_area_size(label_w)
        .build_cartesian_2d(-0.5f64..(cols as f64 - 0.5), (rows as f64 - 0.5)..-0.5f64)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(rows)
        .y_label_formatter(&|y| index_label(&h.rows, *y))
        .y_label_style(font(TEXT))
        .draw()?;
    let (xr, _) = chart.plotting_area().get_pixel_range();
    let x0 = xr.start - heads.get_base_pixel().0;
    let room = if staggered {
        2 * cell_w - 10
    } else {
        cell_w - 6
    };
    for (c, name) in h.columns.iter().enumerate() {
        let mut text = name.clone();
        while text.chars().count() > 1 && text_width(area, &text, TEXT) > room {
            text.pop();
            text.pop();
            text.push('…');
        }
        let cx = x0 + (xr.end - xr.start) * (2 * c as i32 + 1) / (2 * cols as i32);
        let cy = if staggered && c % 2 == 1 {
            line * 3 / 2
        } else {
            line / 2
        };
        heads.draw(&Text::new(
            text,
            (cx, cy),
            style.pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
    }
    let area = &rest;
    if all.is_empty() {
        return no_data(area);
    }
    for (r, row) in h.values.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (x, y) = (c as f64, r as f64);
            let fill = v.map_or(WHITE, |v| heat_colour(v, lo, hi));
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)],
                fill.filled(),
            )))?;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)],
                WHITE.stroke_width(2),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                v.map_or_else(|| "—".to_owned(), pct1),
                (x, y),
                font(TEXT)
                    .color(&ink_on(fill))
                    .pos(Pos::new(HPos::Center, VPos::Center)),
            )))?;
        }
    }
    Ok(())
}
