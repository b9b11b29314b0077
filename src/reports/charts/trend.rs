//! The quarterly trend with its 95% Wilson band.

use super::*;

pub(super) fn trend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    points: &[TrendPoint],
) -> Drawn
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
