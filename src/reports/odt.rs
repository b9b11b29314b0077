//! The report's narrative as an OpenDocument text (ODT, ODF 1.3): offices
//! publish documents in ODF. A zip of `mimetype` (first, stored), the
//! manifest, `content.xml` (askama template `reports/templates/odt-content.xml`),
//! `styles.xml` (static, `reports/odt/styles.xml`), `meta.xml` and the chart
//! PNGs in `Pictures/`.

use std::io::Write;

use askama::Template;

use super::ReportError;
use super::charts::Chart;
use super::data::Report;
use super::html::{change_text, num, pct, sampling_error};
use super::tables::{self, Cell};

static STYLES: &str = include_str!("../../reports/odt/styles.xml");

pub enum Block {
    Title(String),
    Subtitle(String),
    H1(String),
    H2(String),
    P(String),
    Bullets(Vec<String>),
    Image {
        href: String,
        width_cm: String,
        height_cm: String,
        caption: String,
    },
    Table {
        name: String,
        header: Vec<String>,
        /// Each cell's text, and whether it is a number (set right-aligned).
        rows: Vec<Vec<(String, bool)>>,
    },
}

#[derive(Template)]
#[template(path = "odt-content.xml")]
struct Content {
    blocks: Vec<Block>,
}

fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Text(s) => s.clone(),
        Cell::Int(v) => v.to_string(),
        Cell::Num(v, d) => num(*v, *d as usize),
        Cell::Pct(v) => pct(*v),
        Cell::Empty => "—".into(),
    }
}

fn table_block(t: &tables::Table) -> Block {
    Block::Table {
        name: t.key.to_owned(),
        header: t.header(),
        rows: t
            .rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|c| (cell_text(c), !matches!(c, Cell::Text(_))))
                    .collect()
            })
            .collect(),
    }
}

/// The document's blocks, in reading order.
pub fn blocks(r: &Report, charts: &[Chart]) -> Vec<Block> {
    let tables = tables::tables(r);
    let table = |key: &str| tables.iter().find(|t| t.key == key).map(table_block);
    // A chart, or the one line that says why there is none.
    let image = |key: &str| {
        Some(match charts.iter().find(|c| c.key == key) {
            Some(c) => {
                let w = 16.5f64;
                Block::Image {
                    href: format!("Pictures/{}.png", c.key),
                    width_cm: format!("{w:.2}"),
                    height_cm: format!("{:.2}", w * c.height as f64 / c.width as f64),
                    caption: format!("{} {}", c.title_zh, c.title_en),
                }
            }
            None => {
                let (zh, en) = super::charts::empty_note(key);
                Block::P(format!("{zh} {en}"))
            }
        })
    };
    let h = &r.headline;
    let mut b = vec![
        Block::Title(format!("{}\n服務滿意度趨勢分析及改善報告", r.scope_zh)),
        Block::Subtitle(format!(
            "民國 {} 年（{}）· ROC year {}",
            r.year, r.gregorian, r.year
        )),
        Block::Subtitle(format!(
            "{}: satisfaction trends and improvement report, {}",
            r.scope_en, r.gregorian
        )),
        Block::Subtitle({
            let c = super::summary::coverage(r);
            format!(
                "{} · 陳情案件 民國 {} 年 · 問卷 {} · 產製 {}",
                c.zh, r.year, r.form_title_zh, r.generated_at
            )
        }),
        Block::H1("一、摘要 Summary".into()),
        Block::Bullets(
            super::summary::executive_summary(r)
                .into_iter()
                .map(|s| format!("{} {}", s.zh, s.en))
                .collect(),
        ),
        Block::Bullets(vec![
            format!("有效問卷 {} 份。", h.responses),
            format!(
                "整體滿意度 {}（95% 信賴區間 {}–{}，n = {}）。",
                pct(h.rate),
                pct(h.rate_low),
                pct(h.rate_high),
                h.n
            ),
            format!("{}。", sampling_error(r)),
            format!("與去年比較：{}。", change_text(r)),
            format!(
                "陳情案件 {} 件，如期回復率 {}，逾期未結 {} 件。",
                r.complaints.received,
                pct(r.complaints.on_time_rate),
                r.complaints.overdue
            ),
            format!("改善計畫項目 {} 項。", r.plan.len()),
        ]),
        Block::H2("調查方法與受訪者 Survey method and respondents".into()),
        Block::Bullets(
            super::summary::method(r)
                .into_iter()
                .map(|s| format!("{} {}", s.zh, s.en))
                .collect(),
        ),
    ];
    b.extend(table("profile"));
    b.push(Block::H1("二、歷年趨勢 Trends".into()));
    b.extend(image("trend"));
    b.extend(table("years"));
    b.push(Block::H1("三、各題項滿意度 Satisfaction per item".into()));
    b.extend(image("items"));
    b.extend(table("items"));
    b.extend(image("answers"));
    b.push(Block::H1(
        "四、重要度－表現分析 Importance-performance analysis".into(),
    ));
    b.extend(image("ipa"));
    if r.county_report {
        b.push(Block::H2("各所比較 Offices side by side".into()));
        b.extend(image("heatmap"));
        b.extend(table("office-summary"));
    }
    b.push(Block::H1(
        "五、服務標準與未達標準項目 Standards and shortfalls".into(),
    ));
    if r.shortfalls.is_empty() {
        b.push(Block::P(if r.standards_set {
            "本年度各題項均達設定之滿意度標準。No item fell below its standard this year.".into()
        } else {
            "尚未設定標準。No standard is set.".into()
        }));
    } else {
        b.extend(table("shortfalls"));
    }
    b.push(Block::H1("六、陳情案件檢討 Complaints review".into()));
    let c = &r.complaints;
    b.push(Block::P(format!(
        "收件 {} 件（受理 {} 件）；如期回復率 {}；首次回復工作日中位數 {}；逾期未結 {} 件。",
        c.received,
        c.accepted,
        pct(c.on_time_rate),
        num(c.median_days_to_first_reply, 1),
        c.overdue
    )));
    b.extend(image("complaints"));
    b.extend(image("reply-days"));
    b.extend(table("complaints"));
    b.push(Block::H2("類別 × 處理結果 × 時效".into()));
    b.extend(table("complaint-review"));
    b.push(Block::H1("七、民眾意見 Comments".into()));
    b.push(Block::P(format!(
        "常見詞彙：{}",
        r.terms
            .iter()
            .map(|t| format!("{}（{}）", t.term, t.count))
            .collect::<Vec<_>>()
            .join("、")
    )));
    b.push(Block::H2(
        "不滿意意見之關鍵詞 Terms of dissatisfied comments".into(),
    ));
    b.push(Block::Bullets(
        r.key_terms
            .iter()
            .map(|t| {
                format!(
                    "{}（不滿意 {}、滿意 {}）{}",
                    t.term,
                    t.dissatisfied_count,
                    t.satisfied_count,
                    t.examples
                        .iter()
                        .map(|e| format!("「{e}」"))
                        .collect::<String>()
                )
            })
            .collect(),
    ));
    b.push(Block::H1("八、改善計畫 Improvement plan".into()));
    if r.plan.is_empty() {
        b.push(Block::P("本年度無需改善之項目。".into()));
    } else {
        b.extend(table("plan"));
    }
    b.push(Block::H2("去年改善措施成效 Last year's measures".into()));
    if r.follow_up.is_empty() {
        b.push(Block::P("去年未記錄改善措施。".into()));
    } else {
        b.extend(table("follow-up"));
    }
    b.push(Block::H1("附註 Method".into()));
    let mut notes = vec![
        "滿意度：回答 4–5 分之比率，95% 信賴區間採 Wilson 法；平均分數之區間採 t 分配。".to_owned(),
        "年度比較：比率採合併雙比例 z 檢定，平均採 Welch t 檢定，同組題項以 Holm 法校正。"
            .to_owned(),
        "重要度：各題項與整體滿意度之 Pearson 相關；象限以當年平均重要度與平均表現劃分。"
            .to_owned(),
        "本報告不含任何個人資料；意見摘錄已遮蔽電話、證號及電子郵件。".to_owned(),
    ];
    notes.extend(r.notes.iter().cloned());
    b.push(Block::Bullets(notes));
    b
}

fn manifest(charts: &[Chart]) -> String {
    let mut m = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">
 <manifest:file-entry manifest:full-path="/" manifest:version="1.3" manifest:media-type="application/vnd.oasis.opendocument.text"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
 <manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>
 <manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>
"#,
    );
    for c in charts {
        m.push_str(&format!(
            " <manifest:file-entry manifest:full-path=\"Pictures/{}.png\" manifest:media-type=\"image/png\"/>\n",
            c.key
        ));
    }
    m.push_str("</manifest:manifest>\n");
    m
}

fn meta(r: &Report) -> String {
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;");
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.3">
 <office:meta>
  <meta:generator>manyi</meta:generator>
  <dc:title>{} 民國 {} 年服務滿意度趨勢分析及改善報告</dc:title>
  <dc:language>zh-TW</dc:language>
 </office:meta>
</office:document-meta>
"#,
        esc(&r.scope_zh),
        r.year
    )
}

pub fn render(report: &Report, charts: &[Chart]) -> Result<Vec<u8>, ReportError> {
    use zip::CompressionMethod;
    use zip::write::SimpleFileOptions;
    let content = Content {
        blocks: blocks(report, charts),
    }
    .render()
    .map_err(|e| ReportError::Render(format!("odt: {e}")))?;
    let err = |e: zip::result::ZipError| ReportError::Render(format!("odt: {e}"));
    let io = |e: std::io::Error| ReportError::Render(format!("odt: {e}"));
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    zip.start_file("mimetype", stored).map_err(err)?;
    zip.write_all(b"application/vnd.oasis.opendocument.text")
        .map_err(io)?;
    for (name, body) in [
        ("META-INF/manifest.xml", manifest(charts)),
        ("content.xml", content),
        ("styles.xml", STYLES.to_owned()),
        ("meta.xml", meta(report)),
    ] {
        zip.start_file(name, deflated).map_err(err)?;
        zip.write_all(body.as_bytes()).map_err(io)?;
    }
    for c in charts {
        zip.start_file(format!("Pictures/{}.png", c.key), stored)
            .map_err(err)?;
        zip.write_all(&c.png).map_err(io)?;
    }
    Ok(zip.finish().map_err(err)?.into_inner())
}
