//! Stacked bars: complaints per quarter by category, answers 1-5.

use super::*;

/// Vertical stacked bars (complaints) or horizontal 100% bars (answers).
pub(super) fn stacked<DB: DrawingBackend>(
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
