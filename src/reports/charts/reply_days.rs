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
    let mut entries = vec![(
        "回復件數 Cases replied".to_owned(),
        Swatch::Fill(BLUE.to_rgba()),
    )];
    if let Some(l) = limit {
        entries.push((
            format!("逾 {l} 工作日 Past the deadline"),
            Swatch::Fill(RED.to_rgba()),
        ));
        entries.push((format!("期限 {l} 工作日 Deadline"), Swatch::Line(RED)));
    }
    let area = &legend_above(area, &entries)?;
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
    let top = (counts.iter().copied().max().unwrap_or(0).max(4) as f64 * 1.1).ceil();
    let mut chart = ChartBuilder::on(area)
        .x_label_area_size(80)
        .y_label_area_size(100)
        .build_cartesian_2d(-0.5f64..(max_day as f64 + 0.5), 0f64..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .bold_line_style(grid_bold())
        .light_line_style(grid_light())
        .x_desc("工作日 Working days")
        .y_desc("件數 Cases")
        .axis_desc_style(font(DESC))
        .label_style(font(TEXT))
        .x_labels(((max_day + 1) as usize).min(31))
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
        chart.draw_series(std::iter::once(PathElement::new(
            [(x, 0.0), (x, top)],
            RED.stroke_width(3),
        )))?;
    }
    Ok(())
}
