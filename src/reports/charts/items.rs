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
    let n = bars.len().max(1);
    let lo = rate_floor(
        bars.iter()
            .flat_map(|b| [b.this_year, b.last_year])
            .flatten(),
    );
    let labels: Vec<String> = bars.iter().map(|b| b.label.clone()).collect();
    let mut chart = ChartBuilder::on(area)
        .x_label_area_size(50)
        .y_label_area_size(300)
        .build_cartesian_2d(lo..1.0f64, (n as f64 - 0.5)..-0.5f64)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n)
        .y_label_formatter(&|y| index_label(&labels, *y))
        .y_label_style(font(17.0))
        .x_label_formatter(&|x| pct(*x))
        .x_label_style(font(16.0))
        .draw()?;
    if bars.is_empty() {
        return no_data(area);
    }
    let h = 0.36;
    chart
        .draw_series(bars.iter().enumerate().filter_map(|(i, b)| {
            b.last_year.map(|v| {
                let y = i as f64;
                Rectangle::new([(lo, y - h), (v, y)], GREY.filled())
            })
        }))?
        .label(format!("{} 年 ROC {}", year - 1, year - 1))
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], GREY.filled()));
    chart
        .draw_series(bars.iter().enumerate().filter_map(|(i, b)| {
            b.this_year.map(|v| {
                let y = i as f64;
                Rectangle::new([(lo, y), (v, y + h)], BLUE.filled())
            })
        }))?
        .label(format!("{year} 年 ROC {year}"))
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], BLUE.filled()));
    chart.draw_series(bars.iter().enumerate().filter_map(|(i, b)| {
        let v = b.this_year?;
        let text = format!(
            "{}{}",
            pct(v),
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
        Some(Text::new(
            text,
            (v, i as f64 + h / 2.0),
            font(16.0)
                .color(colour)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))
    }))?;
    legend(&mut chart)
}
