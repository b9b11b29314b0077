//! The quarterly trend with its 95% Wilson band.

use super::*;

/// Every `step`-th quarter is labelled, so that labels stay horizontal and
/// apart (`label_px` wide each, over `plot_px`).
pub(super) fn label_step(n: usize, label_px: u32, plot_px: u32) -> usize {
    let fit = (plot_px / label_px.max(1)).max(1) as usize;
    n.div_ceil(fit).max(1)
}

pub(super) fn trend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    points: &[TrendPoint],
) -> Drawn
where
    DB::ErrorType: 'static,
{
    let area = &legend_above(
        area,
        &[
            ("滿意度 Satisfied".to_owned(), Swatch::Line(BLUE)),
            (
                "95% 信賴區間 95% CI".to_owned(),
                Swatch::Fill(BLUE.mix(0.18)),
            ),
        ],
    )?;
    let n = points.len().max(1);
    let lo = rate_floor(points.iter().map(|p| p.low));
    let y_area = 100;
    let (w, _) = area.dim_in_pixel();
    let widest = points
        .iter()
        .map(|p| text_width(area, &p.label, TEXT) as u32)
        .max()
        .unwrap_or(90);
    let step = label_step(n, widest + 24, w.saturating_sub(y_area));
    let mut chart = ChartBuilder::on(area)
        .x_label_area_size(50)
        .y_label_area_size(y_area)
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), lo..1.0f64)?;
    let labels: Vec<String> = points.iter().map(|p| p.label.clone()).collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .bold_line_style(grid_bold())
        .light_line_style(grid_light())
        .x_labels(n.min(80))
        .x_label_formatter(&|x| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize).is_multiple_of(step) {
                index_label(&labels, *x)
            } else {
                String::new()
            }
        })
        .x_label_style(font(TEXT))
        .y_label_formatter(&|y| pct(*y))
        .y_label_style(font(TEXT))
        .y_desc("滿意度 Satisfied (%)")
        .axis_desc_style(font(DESC))
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
    chart.draw_series(std::iter::once(Polygon::new(band, BLUE.mix(0.18).filled())))?;
    chart.draw_series(LineSeries::new(
        points.iter().enumerate().map(|(i, p)| (i as f64, p.rate)),
        BLUE.stroke_width(3),
    ))?;
    chart.draw_series(
        points
            .iter()
            .enumerate()
            .map(|(i, p)| Circle::new((i as f64, p.rate), 5, BLUE.filled())),
    )?;
    Ok(())
}
