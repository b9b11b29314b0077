//! Importance-performance quadrants.

use super::*;

pub(super) fn ipa<DB: DrawingBackend>(
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
        .x_label_area_size(90)
        .y_label_area_size(110)
        .build_cartesian_2d(px0..px1, iy0..iy1)?;
    chart
        .configure_mesh()
        .bold_line_style(grid_bold())
        .light_line_style(grid_light())
        .x_desc("表現（平均分數 1-5）Performance (mean score)")
        .y_desc("重要度（與整體滿意度之相關）Importance (r)")
        .axis_desc_style(font(DESC))
        .label_style(font(TEXT))
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
    let dx = (px1 - px0) * 0.01;
    let dy = (iy1 - iy0) * 0.01;
    let corners = [
        (
            px0 + dx,
            iy1 - dy,
            HPos::Left,
            VPos::Top,
            "優先改善 Concentrate here",
            &RED,
        ),
        (
            px1 - dx,
            iy1 - dy,
            HPos::Right,
            VPos::Top,
            "繼續保持 Keep up the good work",
            &GREEN,
        ),
        (
            px0 + dx,
            iy0 + dy,
            HPos::Left,
            VPos::Bottom,
            "次要改善 Low priority",
            &GREY,
        ),
        (
            px1 - dx,
            iy0 + dy,
            HPos::Right,
            VPos::Bottom,
            "過度投入 Possible overkill",
            &BLUE,
        ),
    ];
    let corner_style = bold(TEXT);
    // The corner names, in pixels: point labels keep clear of them too.
    let mut taken = Vec::new();
    for &(x, y, h, v, text, colour) in &corners {
        let w = text_width(area, text, TEXT) * 21 / 20;
        let th = (TEXT / 1.24) as i32 + 6;
        let (cx, cy) = chart.backend_coord(&(x, y));
        let left = if matches!(h, HPos::Left) { cx } else { cx - w };
        let top = if matches!(v, VPos::Top) { cy } else { cy - th };
        taken.push((left, top, w, th));
        chart.draw_series(std::iter::once(Text::new(
            text.to_owned(),
            (x, y),
            corner_style.clone().color(colour).pos(Pos::new(h, v)),
        )))?;
    }
    // Labels placed so that none covers another or a point: crowded items
    // (the usual case: most items sit near the grand means) stay readable.
    let style = font(TEXT);
    let pixels: Vec<(i32, i32)> = points
        .iter()
        .map(|p| chart.backend_coord(&(p.performance, p.importance)))
        .collect();
    let sizes: Vec<(i32, i32)> = points
        .iter()
        .map(|p| {
            (
                text_width(area, &p.label, TEXT) + 6,
                (TEXT / 1.24) as i32 + 6,
            )
        })
        .collect();
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    let bounds = (xr.start, yr.start, xr.end - xr.start, yr.end - yr.start);
    let boxes = super::layout::place(&pixels, &sizes, bounds, 7, &taken);
    chart.draw_series(
        points
            .iter()
            .zip(pixels.iter().zip(&boxes))
            .map(|(p, (&(x, y), b))| {
                let (dx, dy) = (b.0 - x, b.1 - y);
                // A label set further out is tied to its point by a thin line.
                let near = (b.0 + b.2 / 2 - x, b.1 + b.3 / 2 - y);
                let far = near.0.abs() > b.2 / 2 + 20 || near.1.abs() > b.3 / 2 + 20;
                let leader = if far {
                    vec![(0, 0), near]
                } else {
                    vec![(0, 0), (0, 0)]
                };
                EmptyElement::at((p.performance, p.importance))
                    + PathElement::new(leader, GREY.stroke_width(1))
                    + Circle::new((0, 0), 7, BLUE.filled())
                    + Text::new(
                        p.label.clone(),
                        (dx + 2, dy + 1),
                        style.clone().pos(Pos::new(HPos::Left, VPos::Top)),
                    )
            }),
    )?;
    Ok(())
}
