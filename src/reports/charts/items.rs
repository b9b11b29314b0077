//! Items this year against last year, significant changes marked.

use super::*;

pub(super) fn items<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    year: i32,
    bars: &[ItemBar],
) -> Drawn
where
    DB::ErrorType: 'static,
{
    let area = &legend_above(
        area,
        &[
            (
                format!("{year} 年 ROC {year}"),
                Swatch::Fill(BLUE.to_rgba()),
            ),
            (
                format!("{} 年 ROC {}", year - 1, year - 1),
                Swatch::Fill(GREY.to_rgba()),
            ),
        ],
    )?;
    let n = bars.len().max(1);
    let lo = rate_floor(
        bars.iter()
            .flat_map(|b| [b.this_year, b.last_year])
            .flatten(),
    );
    let labels: Vec<String> = bars.iter().map(|b| b.label.clone()).collect();
    let label_w = label_column(area, &labels, 420);
    // Room on the right for the value written after the longest bar.
    let mut chart = ChartBuilder::on(area)
        .margin_right(110)
        .x_label_area_size(50)
        .y_label_area_size(label_w)
        .build_cartesian_2d(lo..1.0f64, (n as f64 - 0.5)..-0.5f64)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .bold_line_style(grid_bold())
        .light_line_style(grid_light())
        .y_labels(n)
        .y_label_formatter(&|y| index_label(&labels, *y))
        .y_label_style(font(TEXT))
        .x_label_formatter(&|x| pct(*x))
        .x_label_style(font(TEXT))
        .draw()?;
    if bars.is_empty() {
        return no_data(area);
    }
    let h = 0.38;
    chart.draw_series(bars.iter().enumerate().filter_map(|(i, b)| {
        b.last_year.map(|v| {
            let y = i as f64;
            Rectangle::new([(lo, y - h), (v, y)], GREY.filled())
        })
    }))?;
    chart.draw_series(bars.iter().enumerate().filter_map(|(i, b)| {
        b.this_year.map(|v| {
            let y = i as f64;
            Rectangle::new([(lo, y), (v, y + h)], BLUE.filled())
        })
    }))?;
    chart.draw_series(bars.iter().enumerate().filter_map(|(i, b)| {
        let v = b.this_year?;
        let text = format!(
            "{}{}",
            pct1(v),
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
        Some(
            EmptyElement::at((v, i as f64 + h / 2.0))
                + Text::new(
                    text,
                    (6, 0),
                    font(TEXT)
                        .color(colour)
                        .pos(Pos::new(HPos::Left, VPos::Center)),
                ),
        )
    }))?;
    Ok(())
}
