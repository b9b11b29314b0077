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
        .x_label_area_size(70)
        .y_label_area_size(90)
        .build_cartesian_2d(px0..px1, iy0..iy1)?;
    chart
        .configure_mesh()
        .x_desc("表現（平均分數 1-5）Performance (mean score)")
        .y_desc("重要度（與整體滿意度之相關）Importance (r)")
        .axis_desc_style(font(18.0))
        .label_style(font(16.0))
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
    let corner = |x: f64, y: f64, h: HPos, v: VPos, text: &str, colour: &'static RGBColor| {
        Text::new(
            text.to_owned(),
            (x, y),
            bold(18.0).color(colour).pos(Pos::new(h, v)),
        )
    };
    let dx = (px1 - px0) * 0.01;
    let dy = (iy1 - iy0) * 0.01;
    chart.draw_series([
        corner(
            px0 + dx,
            iy1 - dy,
            HPos::Left,
            VPos::Top,
            "優先改善 Concentrate here",
            &RED,
        ),
        corner(
            px1 - dx,
            iy1 - dy,
            HPos::Right,
            VPos::Top,
            "繼續保持 Keep up the good work",
            &GREEN,
        ),
        corner(
            px0 + dx,
            iy0 + dy,
            HPos::Left,
            VPos::Bottom,
            "次要改善 Low priority",
            &GREY,
        ),
        corner(
            px1 - dx,
            iy0 + dy,
            HPos::Right,
            VPos::Bottom,
            "過度投入 Possible overkill",
            &BLUE,
        ),
    ])?;
    chart.draw_series(points.iter().map(|p| {
        EmptyElement::at((p.performance, p.importance))
            + Circle::new((0, 0), 7, BLUE.filled())
            + Text::new(
                p.label.clone(),
                (10, -8),
                font(16.0).pos(Pos::new(HPos::Left, VPos::Center)),
            )
    }))?;
    Ok(())
}
