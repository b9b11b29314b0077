//! Working days to the first reply.

use super::*;

pub(super) fn reply_days<DB: DrawingBackend>(
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
