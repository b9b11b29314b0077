//! Placing point labels so that none covers another: a greedy search over a
//! ring of positions around each point (right, left, above, below, the
//! diagonals, then twice and three times as far), in pixels.

/// A label's box: left, top, width, height (pixels).
pub type Rect = (i32, i32, i32, i32);

fn overlap(a: Rect, b: Rect) -> i64 {
    let w = (a.0 + a.2).min(b.0 + b.2) - a.0.max(b.0);
    let h = (a.1 + a.3).min(b.1 + b.3) - a.1.max(b.1);
    if w > 0 && h > 0 {
        i64::from(w) * i64::from(h)
    } else {
        0
    }
}

/// Boxes for labels of `sizes` (width, height) beside `points`, inside
/// `bounds`, overlapping neither each other nor the points (drawn as circles
/// of `radius`) nor the boxes already `taken`. When no position is free the
/// least covered one is taken.
pub fn place(
    points: &[(i32, i32)],
    sizes: &[(i32, i32)],
    bounds: Rect,
    radius: i32,
    taken: &[Rect],
) -> Vec<Rect> {
    let dots: Vec<Rect> = points
        .iter()
        .map(|&(x, y)| (x - radius, y - radius, 2 * radius, 2 * radius))
        .collect();
    let mut placed: Vec<Rect> = Vec::with_capacity(points.len());
    for (i, (&(x, y), &(w, h))) in points.iter().zip(sizes).enumerate() {
        let gap = radius + 4;
        let mut candidates = Vec::new();
        for ring in 1..=4 {
            let g = gap * ring + (ring - 1) * h / 2;
            candidates.extend([
                (x + g, y - h / 2),
                (x - g - w, y - h / 2),
                (x - w / 2, y - g - h),
                (x - w / 2, y + g),
                (x + g, y - g - h / 2),
                (x + g, y + g - h / 2),
                (x - g - w, y - g - h / 2),
                (x - g - w, y + g - h / 2),
            ]);
        }
        let inside = |r: Rect| {
            r.0 >= bounds.0
                && r.1 >= bounds.1
                && r.0 + r.2 <= bounds.0 + bounds.2
                && r.1 + r.3 <= bounds.1 + bounds.3
        };
        let cost = |r: Rect| -> i64 {
            let labels: i64 = placed.iter().chain(taken).map(|p| overlap(*p, r)).sum();
            let others: i64 = dots
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, d)| overlap(*d, r))
                .sum();
            let outside = if inside(r) {
                0
            } else {
                i64::from(w) * i64::from(h)
            };
            labels * 4 + others * 4 + outside
        };
        let rects: Vec<Rect> = candidates.into_iter().map(|(l, t)| (l, t, w, h)).collect();
        let best = rects
            .iter()
            .copied()
            .find(|r| cost(*r) == 0)
            .unwrap_or_else(|| {
                rects
                    .iter()
                    .copied()
                    .min_by_key(|r| cost(*r))
                    .expect("candidates are never empty")
            });
        placed.push(best);
    }
    placed
}

// The check that no text of a drawn chart covers another, on its SVG
// (used by the unit tests and by the test that renders the report's PDF).

/// A text element of an SVG chart as a box: (left, top, right, bottom, text).
pub type TextBox = (f64, f64, f64, f64, String);

/// The boxes of an SVG's unrotated text, from its position, anchor, baseline
/// shift and size; a CJK character is one em wide, others about half.
pub fn text_boxes(svg: &str) -> Vec<TextBox> {
    let re = regex::Regex::new(r#"<text ([^>]*)>([^<]*)</text>"#).expect("a valid pattern");
    let attr = |attrs: &str, name: &str| -> Option<String> {
        let key = format!(" {name}=\"");
        let s = format!(" {attrs}");
        let start = s.find(&key)? + key.len();
        Some(s[start..].split('"').next()?.to_owned())
    };
    let mut out = Vec::new();
    for c in re.captures_iter(svg) {
        let (attrs, text) = (&c[1], c[2].trim().to_owned());
        if text.is_empty() || attrs.contains("transform") {
            continue;
        }
        let num = |n: &str| attr(attrs, n).and_then(|v| v.parse::<f64>().ok());
        let (Some(x), Some(y), Some(size)) = (num("x"), num("y"), num("font-size")) else {
            continue;
        };
        let width: f64 = text
            .replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .chars()
            .map(|ch| if (ch as u32) >= 0x2E80 { 1.0 } else { 0.55 })
            .sum::<f64>()
            * size;
        let left = match attr(attrs, "text-anchor").as_deref() {
            Some("middle") => x - width / 2.0,
            Some("end") => x - width,
            _ => x,
        };
        let dy = match attr(attrs, "dy").as_deref() {
            Some("0.76em") => 0.76 * size,
            Some("0.5ex") => 0.25 * size,
            Some("-0.5ex") => -0.25 * size,
            _ => 0.0,
        };
        let baseline = y + dy;
        out.push((
            left,
            baseline - 0.8 * size,
            left + width,
            baseline + 0.15 * size,
            text,
        ));
    }
    out
}

/// Pairs of texts whose boxes overlap by more than 2 px both ways.
pub fn overlapping(boxes: &[TextBox]) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            let w = a.2.min(b.2) - a.0.max(b.0);
            let h = a.3.min(b.3) - a.1.max(b.1);
            if w > 2.0 && h > 2.0 {
                found.push((a.4.clone(), b.4.clone()));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crowded_labels_do_not_overlap() {
        // Six points in a tight cluster, long labels: a naive "to the right"
        // layout would stack every label on the next.
        let points: Vec<(i32, i32)> = (0..6).map(|i| (400 + i * 6, 300 + i * 5)).collect();
        let sizes = vec![(140, 20); 6];
        let boxes = place(&points, &sizes, (0, 0, 1000, 700), 7, &[]);
        for (i, a) in boxes.iter().enumerate() {
            for b in &boxes[i + 1..] {
                assert_eq!(overlap(*a, *b), 0, "{a:?} and {b:?} overlap");
            }
            assert!(a.0 >= 0 && a.1 >= 0 && a.0 + a.2 <= 1000 && a.1 + a.3 <= 700);
        }
        // A lone point keeps its label right beside it.
        let one = place(&[(100, 100)], &[(50, 20)], (0, 0, 1000, 700), 7, &[]);
        assert_eq!(one[0], (111, 90, 50, 20));
    }

    #[test]
    fn overlap_is_the_shared_area() {
        assert_eq!(overlap((0, 0, 10, 10), (5, 5, 10, 10)), 25);
        assert_eq!(overlap((0, 0, 10, 10), (10, 0, 10, 10)), 0);
    }
}
