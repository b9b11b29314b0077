//! Every chart drawn from fixture data: glyphs really drawn, sizes, SVG.

use super::heat::heat_colour;
use super::*;

/// Every chart of the report, from small literal data.
pub(crate) fn fixtures() -> Vec<Spec> {
    let trend = (0..8)
        .map(|i| TrendPoint {
            label: format!("{} Q{}", 112 + i / 4, i % 4 + 1),
            rate: 0.85 + 0.01 * i as f64,
            low: 0.80 + 0.01 * i as f64,
            high: 0.90 + 0.01 * i as f64,
        })
        .collect();
    let items = vec![
        ItemBar {
            label: "櫃台人員服務態度".into(),
            this_year: Some(0.92),
            last_year: Some(0.88),
            change: 1,
        },
        ItemBar {
            label: "等候時間".into(),
            this_year: Some(0.71),
            last_year: Some(0.80),
            change: -1,
        },
        ItemBar {
            label: "環境整潔".into(),
            this_year: Some(0.90),
            last_year: None,
            change: 0,
        },
    ];
    let ipa = Spec::Ipa {
        points: vec![
            IpaPoint {
                label: "服務態度".into(),
                performance: 4.4,
                importance: 0.71,
            },
            IpaPoint {
                label: "等候時間".into(),
                performance: 3.8,
                importance: 0.66,
            },
            IpaPoint {
                label: "環境整潔".into(),
                performance: 4.3,
                importance: 0.41,
            },
        ],
        grand_performance: 4.17,
        grand_importance: 0.59,
    };
    let heat = HeatMap {
        rows: vec!["中正戶政".into(), "大安戶政".into()],
        columns: vec!["服務態度".into(), "等候時間".into(), "環境整潔".into()],
        values: vec![
            vec![Some(0.9), Some(0.7), None],
            vec![Some(0.95), Some(0.8), Some(0.85)],
        ],
    };
    let complaints = Stacks {
        bars: vec![
            "113 Q1".into(),
            "113 Q2".into(),
            "113 Q3".into(),
            "113 Q4".into(),
        ],
        series: vec![
            ("服務態度".into(), vec![3.0, 1.0, 0.0, 2.0]),
            ("等候時間".into(), vec![1.0, 4.0, 2.0, 0.0]),
        ],
    };
    let answers = Stacks {
        bars: vec!["服務態度".into(), "等候時間".into()],
        series: (1..=5)
            .map(|s| (format!("{s} 分"), vec![s as f64, 6.0 - s as f64]))
            .collect(),
    };
    vec![
        Spec::Trend(trend),
        Spec::Items {
            year: 113,
            bars: items,
        },
        ipa,
        Spec::Heat(heat),
        Spec::Complaints(complaints),
        Spec::ReplyDays {
            days: vec![0, 1, 1, 2, 3, 3, 3, 5, 8, 12],
            limit: Some(7),
        },
        Spec::Answers(answers),
    ]
}

fn ink(buf: &[u8], w: u32, rows: std::ops::Range<u32>) -> usize {
    rows.flat_map(|y| (0..w).map(move |x| ((y * w + x) * 3) as usize))
        .filter(|&i| buf[i] < 200 || buf[i + 1] < 200 || buf[i + 2] < 200)
        .count()
}

fn differing(a: &[u8], b: &[u8], w: u32, rows: std::ops::Range<u32>) -> usize {
    rows.flat_map(|y| (0..w).map(move |x| ((y * w + x) * 3) as usize))
        .filter(|&i| a[i..i + 3] != b[i..i + 3])
        .count()
}

#[test]
fn every_chart_draws_its_chinese_title_and_body() {
    for spec in fixtures() {
        let (w, h) = spec.size();
        let (zh, _) = spec.title();
        let title_rows = 0..48;
        let blank = rgb(&spec, ("", "")).unwrap();
        let drawn = rgb(&spec, (&zh, "")).unwrap();
        // Characters the font lacks come out as its .notdef box: the same
        // number of them must look different from the real glyphs.
        let missing: String = zh.chars().map(|_| '\u{E000}').collect();
        let tofu = rgb(&spec, (&missing, "")).unwrap();
        let (title_ink, blank_ink) = (
            ink(&drawn, w, title_rows.clone()),
            ink(&blank, w, title_rows.clone()),
        );
        assert_eq!(
            blank_ink,
            0,
            "{}: nothing but the title is drawn up there",
            spec.key()
        );
        assert!(
            title_ink > 40 * zh.chars().count(),
            "{}: title ink {title_ink}",
            spec.key()
        );
        let diff = differing(&drawn, &tofu, w, title_rows.clone());
        assert!(
            diff > 20 * zh.chars().count(),
            "{}: glyphs look like .notdef boxes ({diff})",
            spec.key()
        );
        // Distinct glyphs: swapping two characters changes the picture.
        let body = ink(&blank, w, TITLE_H..h);
        assert!(
            body > 2000,
            "{}: the chart body is nearly blank ({body})",
            spec.key()
        );
    }
}

#[test]
fn png_and_svg_are_well_formed() {
    for spec in fixtures() {
        let chart = render(&spec).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(&chart.png));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), spec.size());
        let px = &buf[..info.buffer_size()];
        let dark = px.chunks(3).filter(|p| p.iter().any(|c| *c < 128)).count();
        assert!(dark > 1000, "{}: PNG nearly blank", spec.key());
        let doc = roxmltree::Document::parse(&chart.svg)
            .unwrap_or_else(|e| panic!("{}: SVG not well-formed: {e}", spec.key()));
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        assert!(
            chart.svg.contains(&chart.title_zh),
            "{}: SVG title text",
            spec.key()
        );
    }
}

#[test]
fn empty_data_draws_a_no_data_note_instead_of_failing() {
    for spec in [
        Spec::Trend(vec![]),
        Spec::Items {
            year: 113,
            bars: vec![],
        },
        Spec::Ipa {
            points: vec![],
            grand_performance: 0.0,
            grand_importance: 0.0,
        },
        Spec::Heat(HeatMap {
            rows: vec![],
            columns: vec![],
            values: vec![],
        }),
        Spec::ReplyDays {
            days: vec![],
            limit: None,
        },
        Spec::Answers(Stacks {
            bars: vec![],
            series: vec![],
        }),
    ] {
        let chart = render(&spec).unwrap();
        assert!(
            chart.svg.contains("無資料 No data"),
            "{}: the note is drawn",
            spec.key()
        );
        assert!(
            chart.svg.contains(&chart.title_zh),
            "{}: with its title",
            spec.key()
        );
    }
}

#[test]
fn heat_colours_run_from_red_to_blue() {
    assert_eq!(heat_colour(0.5, 0.5, 0.9), RED);
    assert_eq!(heat_colour(0.9, 0.5, 0.9), BLUE);
    assert_eq!(heat_colour(0.7, 0.5, 0.9), RGBColor(0xf7, 0xf7, 0xf7));
}

use super::layout::{overlapping, text_boxes};

#[test]
fn the_overlap_check_finds_an_overlap() {
    let svg = r#"<text x="10" y="10" font-size="16">等候時間</text><text x="20" y="12" font-size="16">服務態度</text><text x="10" y="60" font-size="16">環境</text>"#;
    let found = overlapping(&text_boxes(svg));
    assert_eq!(found, [("等候時間".to_owned(), "服務態度".to_owned())]);
}

#[test]
fn no_text_of_a_chart_covers_another() {
    // The fixtures, and an IPA chart of twelve items crowded near the grand
    // means, as real years are.
    let names = [
        "櫃檯人員服務態度",
        "等候時間",
        "環境整潔",
        "動線指標",
        "叫號系統",
        "申辦流程說明",
        "表單填寫協助",
        "服務效率",
        "專業知識",
        "網路預約",
        "無障礙設施",
        "整體滿意度",
    ];
    let crowded = Spec::Ipa {
        points: names
            .iter()
            .enumerate()
            .map(|(i, n)| IpaPoint {
                label: (*n).into(),
                performance: 4.2 + 0.02 * (i % 4) as f64,
                importance: 0.60 + 0.01 * (i / 4) as f64,
            })
            .collect(),
        grand_performance: 4.23,
        grand_importance: 0.61,
    };
    let mut problems = Vec::new();
    for spec in fixtures().into_iter().chain([crowded]) {
        let chart = render(&spec).unwrap();
        for (a, b) in overlapping(&text_boxes(&chart.svg)) {
            problems.push(format!("{}: “{a}” overlaps “{b}”", spec.key()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_chart_text_is_smaller_than_9_pt_in_print() {
    // An em of 30 / 1.24 = 24.2 px of a 1200 px chart set 16 cm wide:
    // 24.2 × 16 / 2.54 × 72 / 1200 = 9.15 pt.
    assert!((print_pt(TEXT / 1.24) - 9.15).abs() < 0.01);
    let size = regex::Regex::new(r#"<text [^>]*font-size="([0-9.]+)""#).unwrap();
    for spec in fixtures() {
        let chart = render(&spec).unwrap();
        assert_eq!(chart.width, WIDTH);
        let sizes: Vec<f64> = size
            .captures_iter(&chart.svg)
            .map(|c| c[1].parse().unwrap())
            .collect();
        assert!(sizes.len() > 5, "{}: texts found", spec.key());
        for s in sizes {
            assert!(
                print_pt(s) >= 9.0,
                "{}: text of {s} px is {:.1} pt in print",
                spec.key(),
                print_pt(s)
            );
        }
    }
}

#[test]
fn no_chart_text_is_rotated_or_off_the_canvas() {
    let rotated =
        regex::Regex::new(r#"<text [^>]*transform="[^"]*rotate[^>]*>([^<]*)</text>"#).unwrap();
    for spec in fixtures() {
        let chart = render(&spec).unwrap();
        // Only a vertical axis's title runs up its side, as in print.
        for c in rotated.captures_iter(&chart.svg) {
            assert!(
                [
                    "滿意度 Satisfied (%)",
                    "件數 Cases",
                    "重要度（與整體滿意度之相關）Importance (r)"
                ]
                .contains(&c[1].trim()),
                "{}: “{}” is rotated",
                spec.key(),
                &c[1]
            );
        }
        for (l, t, r, b, text) in text_boxes(&chart.svg) {
            assert!(
                l >= -1.0
                    && t >= -1.0
                    && r <= chart.width as f64 + 1.0
                    && b <= chart.height as f64 + 1.0,
                "{}: “{text}” leaves the canvas ({l:.0}, {t:.0}, {r:.0}, {b:.0})",
                spec.key()
            );
        }
    }
}

#[test]
fn long_trends_label_every_few_quarters_instead_of_rotating() {
    assert_eq!(trend::label_step(8, 100, 1000), 1);
    assert_eq!(trend::label_step(40, 100, 1000), 4);
    assert_eq!(trend::label_step(41, 100, 1000), 5);
}

#[test]
fn heat_numbers_keep_their_contrast() {
    use super::heat::ink_on;
    assert_eq!(ink_on(BLUE), WHITE);
    assert_eq!(ink_on(RED), WHITE);
    assert_eq!(ink_on(RGBColor(0xf7, 0xf7, 0xf7)), BLACK);
    assert_eq!(ink_on(RGBColor(0x85, 0xb7, 0xe0)), BLACK);
}

#[test]
fn the_heat_map_carries_its_colour_key() {
    let spec = fixtures()
        .into_iter()
        .find(|s| s.key() == "heatmap")
        .unwrap();
    let chart = render(&spec).unwrap();
    assert!(
        chart.svg.contains("70.0% 最低 lowest"),
        "lowest rate in the key"
    );
    assert!(
        chart.svg.contains("95.0% 最高 highest"),
        "highest rate in the key"
    );
}
