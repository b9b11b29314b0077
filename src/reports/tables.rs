//! The report's tables, one model for every spreadsheet-like output: XLSX
//! (rust_xlsxwriter), ODS (spreadsheet-ods) and CSV (UTF-8 with BOM, one file
//! per table, for the open-data platform). Shares are stored as numbers
//! (0-1) with a percentage format, so a reader gets the analytics figures
//! exactly. No personal data: no comment text or names of citizens at all.
//! Text cells pass through [`neutralise_formula`], as every CSV the service
//! writes does, so no text a person typed runs as a formula.

use std::borrow::Cow;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::ReportError;
use super::data::Report;

/// Text made safe to open in a spreadsheet, as OWASP advises against CSV
/// (formula) injection: text starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return, which Excel and LibreOffice would take for a formula
/// (`=HYPERLINK(…)`, `+cmd|…`), gets a leading `'` and is shown as typed.
/// Text such as `-3` is prefixed too; numbers belong in number cells.
pub fn neutralise_formula(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// A number shown with the given decimals.
    Num(f64, u8),
    /// A share 0-1 shown as a percentage.
    Pct(f64),
    Empty,
}

impl Cell {
    fn num(v: Option<f64>, decimals: u8) -> Cell {
        v.map_or(Cell::Empty, |v| Cell::Num(v, decimals))
    }
    fn pct(v: Option<f64>) -> Cell {
        v.map_or(Cell::Empty, Cell::Pct)
    }
    fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }
    fn int(v: u64) -> Cell {
        Cell::Int(v as i64)
    }

    /// The CSV field: numbers at full precision (shortest round-trip form),
    /// text neutralised ([`neutralise_formula`]).
    pub fn csv(&self) -> String {
        match self {
            Cell::Text(s) => neutralise_formula(s).into_owned(),
            Cell::Int(v) => v.to_string(),
            Cell::Num(v, _) | Cell::Pct(v) => v.to_string(),
            Cell::Empty => String::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// File and sheet key (ASCII).
    pub key: &'static str,
    pub title_zh: &'static str,
    pub title_en: &'static str,
    /// (zh-TW, English) per column.
    pub columns: Vec<(&'static str, &'static str)>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn header(&self) -> Vec<String> {
        self.columns
            .iter()
            .map(|(zh, en)| format!("{zh} {en}"))
            .collect()
    }
}

/// Every table of the report.
pub fn tables(r: &Report) -> Vec<Table> {
    let h = &r.headline;
    let mut out = vec![Table {
        key: "summary",
        title_zh: "摘要",
        title_en: "Summary",
        columns: vec![("項目", "Measure"), ("數值", "Value")],
        rows: vec![
            vec![Cell::text("年度 ROC year"), Cell::Int(r.year as i64)],
            vec![Cell::text("範圍 Scope"), Cell::text(r.scope_zh.clone())],
            vec![Cell::text("有效問卷 Responses"), Cell::int(h.responses)],
            vec![Cell::text("整體滿意度 n"), Cell::int(h.n)],
            vec![Cell::text("整體滿意度 Satisfied"), Cell::pct(h.rate)],
            vec![Cell::text("95% 信賴區間下限 CI low"), Cell::pct(h.rate_low)],
            vec![
                Cell::text("95% 信賴區間上限 CI high"),
                Cell::pct(h.rate_high),
            ],
            vec![Cell::text("平均分數 Mean score"), Cell::num(h.mean, 2)],
            vec![
                Cell::text("抽樣誤差（百分點）Sampling error (points)"),
                Cell::num(h.sampling_error_points, 1),
            ],
            vec![
                Cell::text("去年整體滿意度 Last year"),
                Cell::pct(h.previous_rate),
            ],
            vec![
                Cell::text("變化（百分點）Change (points)"),
                Cell::num(h.change_points, 1),
            ],
            vec![
                Cell::text("變化顯著 Significant"),
                Cell::text(yes_no(h.change_significant)),
            ],
            vec![Cell::text("Cronbach's α"), Cell::num(h.alpha, 3)],
        ],
    }];
    out.push(Table {
        key: "years",
        title_zh: "歷年整體滿意度",
        title_en: "Overall satisfaction by year",
        columns: vec![
            ("年度", "Year"),
            ("樣本數", "n"),
            ("滿意度", "Satisfied"),
            ("信賴區間下限", "CI low"),
            ("信賴區間上限", "CI high"),
            ("平均分數", "Mean"),
        ],
        rows: r
            .years
            .iter()
            .map(|y| {
                vec![
                    Cell::Int(y.year as i64),
                    Cell::int(y.n),
                    Cell::pct(y.rate),
                    Cell::pct(y.rate_low),
                    Cell::pct(y.rate_high),
                    Cell::num(y.mean, 2),
                ]
            })
            .collect(),
    });
    out.push(Table {
        key: "quarters",
        title_zh: "各季整體滿意度",
        title_en: "Overall satisfaction by quarter",
        columns: vec![
            ("年度", "Year"),
            ("季", "Quarter"),
            ("樣本數", "n"),
            ("滿意度", "Satisfied"),
            ("信賴區間下限", "CI low"),
            ("信賴區間上限", "CI high"),
        ],
        rows: r
            .quarters
            .iter()
            .map(|q| {
                vec![
                    Cell::Int(q.year as i64),
                    Cell::Int(q.quarter as i64),
                    Cell::int(q.n),
                    Cell::pct(q.rate),
                    Cell::pct(q.rate_low),
                    Cell::pct(q.rate_high),
                ]
            })
            .collect(),
    });
    out.push(Table {
        key: "items",
        title_zh: "各題項滿意度",
        title_en: "Satisfaction per item",
        columns: vec![
            ("題項代碼", "Item"),
            ("題項", "Label"),
            ("樣本數", "n"),
            ("平均分數", "Mean"),
            ("滿意度", "Satisfied"),
            ("信賴區間下限", "CI low"),
            ("信賴區間上限", "CI high"),
            ("不滿意度", "Dissatisfied"),
            ("去年滿意度", "Last year"),
            ("變化（百分點）", "Change (points)"),
            ("調整後 p 值", "Holm p"),
            ("顯著變化", "Significant change"),
            ("重要度 r", "Importance r"),
            ("IPA 象限", "IPA quadrant"),
        ],
        rows: r
            .items
            .iter()
            .map(|i| {
                vec![
                    Cell::text(i.key.clone()),
                    Cell::text(i.label_zh.clone()),
                    Cell::int(i.n),
                    Cell::num(i.mean, 2),
                    Cell::pct(i.rate),
                    Cell::pct(i.rate_low),
                    Cell::pct(i.rate_high),
                    Cell::pct(i.dissatisfied_rate),
                    Cell::pct(i.previous_rate),
                    Cell::num(i.change_points, 1),
                    Cell::num(i.change_p, 4),
                    Cell::text(match i.change {
                        1 => "上升 up",
                        -1 => "下降 down",
                        _ => "",
                    }),
                    Cell::num(i.importance, 3),
                    Cell::text(i.quadrant_zh.clone().unwrap_or_default()),
                ]
            })
            .collect(),
    });
    out.push(Table {
        key: "answers",
        title_zh: "各題項作答分布",
        title_en: "Answers per item",
        columns: vec![
            ("題項代碼", "Item"),
            ("題項", "Label"),
            ("1 非常不滿意", "1 very dissatisfied"),
            ("2 不滿意", "2 dissatisfied"),
            ("3 普通", "3 neutral"),
            ("4 滿意", "4 satisfied"),
            ("5 非常滿意", "5 very satisfied"),
        ],
        rows: r
            .items
            .iter()
            .map(|i| {
                let mut row = vec![Cell::text(i.key.clone()), Cell::text(i.label_zh.clone())];
                row.extend(i.answers.iter().map(|c| Cell::int(*c)));
                row
            })
            .collect(),
    });
    if r.county_report {
        out.push(Table {
            key: "offices",
            title_zh: "各所各題項滿意度",
            title_en: "Satisfaction by office and item",
            columns: vec![
                ("所別代碼", "Office"),
                ("所別", "Office name"),
                ("題項代碼", "Item"),
                ("題項", "Label"),
                ("樣本數", "n"),
                ("滿意度", "Satisfied"),
                ("平均分數", "Mean"),
            ],
            rows: r
                .office_items
                .iter()
                .map(|o| {
                    vec![
                        Cell::text(o.office.clone()),
                        Cell::text(o.office_name.clone()),
                        Cell::text(o.item.clone()),
                        Cell::text(o.label_zh.clone()),
                        Cell::int(o.n),
                        Cell::pct(o.rate),
                        Cell::num(o.mean, 2),
                    ]
                })
                .collect(),
        });
    }
    out.push(Table {
        key: "shortfalls",
        title_zh: "未達標準項目",
        title_en: "Below the standard",
        columns: vec![
            ("所別代碼", "Office"),
            ("所別", "Office name"),
            ("題項代碼", "Item"),
            ("題項", "Label"),
            ("樣本數", "n"),
            ("滿意度", "Satisfied"),
            ("標準", "Standard"),
            ("差距（百分點）", "Gap (points)"),
            ("顯著低於標準", "Significantly below"),
        ],
        rows: r
            .shortfalls
            .iter()
            .map(|s| {
                vec![
                    Cell::text(s.office.clone()),
                    Cell::text(s.office_name.clone()),
                    Cell::text(s.item.clone()),
                    Cell::text(s.label_zh.clone()),
                    Cell::int(s.n),
                    Cell::Pct(s.rate),
                    Cell::Pct(s.standard),
                    Cell::Num(s.gap_points, 1),
                    Cell::text(yes_no(s.significantly_below)),
                ]
            })
            .collect(),
    });
    let c = &r.complaints;
    out.push(Table {
        key: "complaints",
        title_zh: "陳情案件（依類別）",
        title_en: "Complaints by category",
        columns: vec![
            ("類別代碼", "Category"),
            ("類別", "Name"),
            ("收件數", "Received"),
            ("去年收件數", "Last year"),
            ("如期回復率", "On-time rate"),
            ("首次回復工作日中位數", "Median days to first reply"),
            ("逾期未結", "Overdue"),
        ],
        rows: c
            .categories
            .iter()
            .map(|k| {
                vec![
                    Cell::text(k.code.clone()),
                    Cell::text(k.name_zh.clone()),
                    Cell::int(k.received),
                    Cell::int(k.previous_received),
                    Cell::pct(k.on_time_rate),
                    Cell::num(k.median_days_to_first_reply, 1),
                    Cell::int(k.overdue),
                ]
            })
            .collect(),
    });
    out.push(Table {
        key: "complaint-review",
        title_zh: "陳情檢討（類別 × 結果 × 時效）",
        title_en: "Complaints: category × outcome × timeliness",
        columns: vec![
            ("類別", "Category"),
            ("處理結果", "Outcome"),
            ("時效", "Timeliness"),
            ("件數", "Cases"),
        ],
        rows: c
            .review
            .iter()
            .map(|v| {
                vec![
                    Cell::text(v.category_zh.clone()),
                    Cell::text(v.outcome_zh.clone()),
                    Cell::text(v.timeliness_zh.clone()),
                    Cell::int(v.count),
                ]
            })
            .collect(),
    });
    out.push(Table {
        key: "terms",
        title_zh: "意見常見詞彙",
        title_en: "Frequent comment terms",
        columns: vec![
            ("詞彙", "Term"),
            ("次數", "Count"),
            ("意見則數", "Comments"),
        ],
        rows: r
            .terms
            .iter()
            .map(|t| {
                vec![
                    Cell::text(t.term.clone()),
                    Cell::int(t.count),
                    Cell::int(t.comments),
                ]
            })
            .collect(),
    });
    out.push(Table {
        key: "key-terms",
        title_zh: "不滿意意見關鍵詞",
        title_en: "Terms of dissatisfied comments",
        columns: vec![
            ("詞彙", "Term"),
            ("不滿意則數", "Dissatisfied"),
            ("滿意則數", "Satisfied"),
            ("加權對數勝算", "Weighted log-odds"),
        ],
        rows: r
            .key_terms
            .iter()
            .map(|t| {
                vec![
                    Cell::text(t.term.clone()),
                    Cell::int(t.dissatisfied_count),
                    Cell::int(t.satisfied_count),
                    Cell::Num(t.log_odds, 2),
                ]
            })
            .collect(),
    });
    out.push(Table {
        key: "plan",
        title_zh: "改善計畫",
        title_en: "Improvement plan",
        columns: vec![
            ("類型", "Kind"),
            ("代碼", "Key"),
            ("項目", "Subject"),
            ("原因", "Why"),
            ("所別", "Office"),
            ("改善措施", "Measure"),
            ("負責單位", "Responsible"),
        ],
        rows: r
            .plan
            .iter()
            .flat_map(|e| {
                let base = vec![
                    Cell::text(kind_zh(e.kind)),
                    Cell::text(e.key.clone()),
                    Cell::text(e.label_zh.clone()),
                    Cell::text(e.reasons_zh.join("；")),
                ];
                if e.measures.is_empty() {
                    let mut row = base;
                    row.extend([Cell::Empty, Cell::text("（尚未填寫）"), Cell::Empty]);
                    vec![row]
                } else {
                    e.measures
                        .iter()
                        .map(|m| {
                            let mut row = base.clone();
                            row.extend([
                                Cell::text(m.office_name.clone()),
                                Cell::text(m.measure.clone()),
                                Cell::text(m.responsible.clone()),
                            ]);
                            row
                        })
                        .collect()
                }
            })
            .collect(),
    });
    out.push(Table {
        key: "follow-up",
        title_zh: "去年改善措施成效",
        title_en: "Last year's measures: results",
        columns: vec![
            ("類型", "Kind"),
            ("項目", "Subject"),
            ("所別", "Office"),
            ("改善措施", "Measure"),
            ("去年", "Before"),
            ("今年", "After"),
            ("結果", "Result"),
        ],
        rows: r
            .follow_up
            .iter()
            .map(|f| {
                let v = |x: Option<f64>| match f.kind {
                    crate::plans::measures::SubjectKind::Item => Cell::pct(x),
                    crate::plans::measures::SubjectKind::Category => Cell::num(x, 0),
                };
                vec![
                    Cell::text(kind_zh(f.kind)),
                    Cell::text(f.label_zh.clone()),
                    Cell::text(f.office_name.clone()),
                    Cell::text(f.measure.clone()),
                    v(f.before),
                    v(f.after),
                    Cell::text(f.verdict_zh),
                ]
            })
            .collect(),
    });
    out
}

fn yes_no(b: bool) -> &'static str {
    if b { "是 yes" } else { "否 no" }
}

fn kind_zh(k: crate::plans::measures::SubjectKind) -> &'static str {
    match k {
        crate::plans::measures::SubjectKind::Item => "滿意度題項",
        crate::plans::measures::SubjectKind::Category => "陳情類別",
    }
}

/// Sheet names: at most 31 characters, unique.
fn sheet_name(t: &Table) -> String {
    t.title_zh.chars().take(31).collect()
}

pub fn write_xlsx(tables: &[Table], path: &Path) -> Result<(), ReportError> {
    use rust_xlsxwriter::{Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| ReportError::Render(format!("xlsx: {e}"));
    let mut wb = Workbook::new();
    let head = Format::new().set_bold().set_text_wrap();
    let pct = Format::new().set_num_format("0.0%");
    let formats: Vec<Format> = (0..=4u8)
        .map(|d| {
            Format::new().set_num_format(if d == 0 {
                "0".to_owned()
            } else {
                format!("0.{}", "0".repeat(d as usize))
            })
        })
        .collect();
    for t in tables {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(t)).map_err(err)?;
        ws.write_string(0, 0, format!("{} {}", t.title_zh, t.title_en))
            .map_err(err)?;
        for (c, h) in t.header().iter().enumerate() {
            ws.write_string_with_format(1, c as u16, h, &head)
                .map_err(err)?;
            ws.set_column_width(c as u16, 16).map_err(err)?;
        }
        for (r, row) in t.rows.iter().enumerate() {
            let r = r as u32 + 2;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(s) => ws.write_string(r, c, neutralise_formula(s)).map(|_| ()),
                    Cell::Int(v) => ws.write_number(r, c, *v as f64).map(|_| ()),
                    Cell::Num(v, d) => ws
                        .write_number_with_format(r, c, *v, &formats[(*d).min(4) as usize])
                        .map(|_| ()),
                    Cell::Pct(v) => ws.write_number_with_format(r, c, *v, &pct).map(|_| ()),
                    Cell::Empty => Ok(()),
                }
                .map_err(err)?;
            }
        }
        ws.set_freeze_panes(2, 0).map_err(err)?;
    }
    let bytes = wb.save_to_buffer().map_err(err)?;
    super::write_atomic(path, &bytes)
}

pub fn write_ods(tables: &[Table], path: &Path) -> Result<(), ReportError> {
    use spreadsheet_ods::{CellStyle, Sheet, WorkBook, format};
    let mut wb = WorkBook::new_empty();
    let pct_format = wb.add_percentage_format(format::create_percentage_format("pct1", 1));
    let pct = wb.add_cellstyle(CellStyle::new("pct", &pct_format));
    let num: Vec<_> = (0..=4u8)
        .map(|d| {
            let f = wb.add_number_format(format::create_number_format_fixed(
                format!("num{d}"),
                d,
                false,
            ));
            wb.add_cellstyle(CellStyle::new(format!("n{d}"), &f))
        })
        .collect();
    for t in tables {
        let mut sheet = Sheet::new(sheet_name(t));
        sheet.set_value(0, 0, format!("{} {}", t.title_zh, t.title_en));
        for (c, h) in t.header().iter().enumerate() {
            sheet.set_value(1, c as u32, h.as_str());
        }
        for (r, row) in t.rows.iter().enumerate() {
            let r = r as u32 + 2;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u32;
                match cell {
                    Cell::Text(s) => sheet.set_value(r, c, &*neutralise_formula(s)),
                    Cell::Int(v) => sheet.set_value(r, c, *v as f64),
                    Cell::Num(v, d) => sheet.set_styled_value(r, c, *v, &num[(*d).min(4) as usize]),
                    Cell::Pct(v) => {
                        sheet.set_styled_value(r, c, spreadsheet_ods::Value::Percentage(*v), &pct)
                    }
                    Cell::Empty => {}
                }
            }
        }
        wb.push_sheet(sheet);
    }
    let bytes = spreadsheet_ods::write_ods_buf(&mut wb, Vec::new())
        .map_err(|e| ReportError::Render(format!("ods: {e}")))?;
    super::write_atomic(path, &bytes)
}

/// One CSV per table in `dir`, UTF-8 with a byte-order mark, English-and-
/// Chinese header row. Returns the files.
pub fn write_csv(tables: &[Table], dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(dir).map_err(|e| ReportError::io(dir, e))?;
    let mut files = Vec::new();
    for t in tables {
        let mut buf = Vec::new();
        buf.write_all(b"\xEF\xBB\xBF").expect("writing to memory");
        {
            let mut w = csv::Writer::from_writer(&mut buf);
            let err = |e: csv::Error| ReportError::Render(format!("csv {}: {e}", t.key));
            w.write_record(t.header()).map_err(err)?;
            for row in &t.rows {
                w.write_record(row.iter().map(Cell::csv)).map_err(err)?;
            }
            w.flush().map_err(|e| ReportError::io(dir, e))?;
        }
        let path = dir.join(format!("{}.csv", t.key));
        super::write_atomic(&path, &buf)?;
        files.push(path);
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use calamine::{Data, Reader};

    use super::*;

    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        for (text, want) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("-1+1", "'-1+1"),
            ("@SUM(1)", "'@SUM(1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("-3", "'-3"),
            ("延長服務時間", "延長服務時間"),
            ("a=1", "a=1"),
            ("", ""),
        ] {
            assert_eq!(neutralise_formula(text), want, "{text:?}");
        }
        assert!(matches!(neutralise_formula("戶政"), Cow::Borrowed(_)));
    }

    /// One table as a report writes it: text a person typed (an improvement
    /// measure) beside numbers, negative ones too.
    fn typed_table() -> Table {
        Table {
            key: "plan",
            title_zh: "改善計畫",
            title_en: "Improvement plan",
            columns: vec![
                ("改善措施", "Measure"),
                ("變化", "Change"),
                ("比率", "Rate"),
            ],
            rows: vec![
                vec![
                    Cell::text("=HYPERLINK(\"http://x\",\"y\")"),
                    Cell::Num(-3.5, 1),
                    Cell::Pct(0.25),
                ],
                vec![Cell::text("-3"), Cell::Int(-2), Cell::Empty],
                vec![Cell::text("@SUM(1)"), Cell::Int(7), Cell::Empty],
            ],
        }
    }

    const WANT: [&str; 3] = ["'=HYPERLINK(\"http://x\",\"y\")", "'-3", "'@SUM(1)"];

    fn check_sheet(range: &calamine::Range<Data>) {
        // Rows 0 and 1 are the title and the header.
        for (i, want) in WANT.iter().enumerate() {
            assert_eq!(range.get((i + 2, 0)), Some(&Data::String((*want).into())));
        }
        let number = |row: usize, col: usize| match range.get((row, col)) {
            Some(Data::Float(v)) => Some(*v),
            Some(Data::Int(v)) => Some(*v as f64),
            _ => None,
        };
        assert_eq!(number(2, 1), Some(-3.5), "a number stays a number");
        assert_eq!(number(3, 1), Some(-2.0));
        assert_eq!(number(4, 1), Some(7.0));
    }

    #[test]
    fn spreadsheets_and_csv_neutralise_typed_text() {
        let dir = tempfile::tempdir().unwrap();
        let tables = [typed_table()];
        write_xlsx(&tables, &dir.path().join("t.xlsx")).unwrap();
        write_ods(&tables, &dir.path().join("t.ods")).unwrap();
        let files = write_csv(&tables, &dir.path().join("csv")).unwrap();

        let mut xlsx: calamine::Xlsx<_> =
            calamine::open_workbook(dir.path().join("t.xlsx")).unwrap();
        check_sheet(&xlsx.worksheet_range("改善計畫").unwrap());
        let mut ods: calamine::Ods<_> = calamine::open_workbook(dir.path().join("t.ods")).unwrap();
        check_sheet(&ods.worksheet_range("改善計畫").unwrap());

        let bytes = std::fs::read(&files[0]).unwrap();
        let mut rd = csv::Reader::from_reader(&bytes[3..]);
        let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
        let first: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
        assert_eq!(first, WANT);
        assert_eq!(
            &rows[0][1], "-3.5",
            "a number cell is written as the number"
        );
        assert_eq!(&rows[1][1], "-2");
    }
}
