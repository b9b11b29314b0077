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
    let colour = |k: usize| colours[k % colours.len()];
    let entries: Vec<(String, Swatch)> = s
        .series
        .iter()
        .enumerate()
        .map(|(k, (name, _))| (name.clone(), Swatch::Fill(colour(k).to_rgba())))
        .collect();
    let area = &legend_above(area, &entries)?;
    let n = s.bars.len().max(1);
    let totals: Vec<f64> = (0..s.bars.len())
        .map(|i| {
            s.series
                .iter()
                .map(|(_, v)| v.get(i).copied().unwrap_or(0.0))
                .sum()
        })
        .collect();
    let before = |k: usize, i: usize| -> f64 {
        s.series[..k]
            .iter()
            .map(|(_, w)| w.get(i).copied().unwrap_or(0.0))
            .sum()
    };
    if shares {
        let label_w = label_column(area, &s.bars, 420);
        let mut chart = ChartBuilder::on(area)
            .margin_right(30)
            .x_label_area_size(80)
            .y_label_area_size(label_w)
            .build_cartesian_2d(0f64..1f64, (n as f64 - 0.5)..-0.5f64)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .bold_line_style(grid_bold())
            .light_line_style(grid_light())
            .y_labels(n)
            .y_label_formatter(&|y| index_label(&s.bars, *y))
            .y_label_style(font(TEXT))
            .x_label_formatter(&|x| pct(*x))
            .x_label_style(font(TEXT))
            .x_desc(axis)
            .axis_desc_style(font(DESC))
            .draw()?;
        if totals.iter().all(|t| *t == 0.0) {
            return no_data(area);
        }
        for (k, (_, values)) in s.series.iter().enumerate() {
            let c = colour(k);
            chart.draw_series(
                values
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| totals[*i] > 0.0)
                    .map(|(i, v)| {
                        let b = before(k, i);
                        let (a, b) = (b / totals[i], (b + v) / totals[i]);
                        let y = i as f64;
                        Rectangle::new([(a, y - 0.35), (b, y + 0.35)], c.filled())
                    }),
            )?;
        }
        return Ok(());
    }
    let top = (totals.iter().copied().fold(0.0, f64::max).max(4.0) * 1.15).ceil();
    let mut chart = ChartBuilder::on(area)
        .x_label_area_size(50)
        .y_label_area_size(100)
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .bold_line_style(grid_bold())
        .light_line_style(grid_light())
        .x_labels(n)
        .y_labels((top as usize).min(10) + 1)
        .x_label_formatter(&|x| index_label(&s.bars, *x))
        .x_label_style(font(TEXT))
        .y_label_formatter(&|y| integer_label(*y))
        .y_label_style(font(TEXT))
        .y_desc(axis)
        .axis_desc_style(font(DESC))
        .draw()?;
    if totals.iter().all(|t| *t == 0.0) {
        return no_data(area);
    }
    for (k, (_, values)) in s.series.iter().enumerate() {
        let c = colour(k);
        chart.draw_series(values.iter().enumerate().map(|(i, v)| {
            let b = before(k, i);
            let x = i as f64;
            Rectangle::new([(x - 0.35, b), (x + 0.35, b + v)], c.filled())
        }))?;
    }
    Ok(())
}
