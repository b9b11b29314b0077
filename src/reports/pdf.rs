//! The report as PDF, made in-process (no browser): typst compiles
//! `reports/annual.typ` with the report as `report.json` and the charts as
//! PNG files in its virtual file system, using only the shipped font.

use typst_as_lib::TypstEngine;
use typst_layout::PagedDocument;

use super::ReportError;
use super::charts::{Chart, FONT_BOLD, FONT_REGULAR};
use super::data::Report;
use super::html;

static TEMPLATE: &str = include_str!("../../reports/annual.typ");

/// The report's JSON with the few sentences the HTML also uses.
fn document_data(report: &Report, charts: &[Chart]) -> Result<Vec<u8>, ReportError> {
    let mut v =
        serde_json::to_value(report).map_err(|e| ReportError::Render(format!("pdf data: {e}")))?;
    v["sampling_error_text"] = html::sampling_error(report).into();
    v["change_text"] = html::change_text(report).into();
    v["charts"] = charts
        .iter()
        .map(|c| serde_json::json!({"key": c.key, "title_zh": c.title_zh, "title_en": c.title_en}))
        .collect();
    v["executive_summary"] = serde_json::to_value(super::summary::executive_summary(report))
        .map_err(|e| ReportError::Render(format!("pdf data: {e}")))?;
    v["coverage"] = serde_json::to_value(super::summary::coverage(report))
        .map_err(|e| ReportError::Render(format!("pdf data: {e}")))?;
    v["method"] = serde_json::to_value(super::summary::method(report))
        .map_err(|e| ReportError::Render(format!("pdf data: {e}")))?;
    v["empty_notes"] = [
        "trend",
        "items",
        "answers",
        "ipa",
        "heatmap",
        "complaints",
        "reply-days",
    ]
    .into_iter()
    .map(|k| {
        let (zh, en) = super::charts::empty_note(k);
        (k.to_owned(), serde_json::json!({ "zh": zh, "en": en }))
    })
    .collect::<serde_json::Map<_, _>>()
    .into();
    if let Some(list) = v["follow_up"].as_array_mut() {
        for (f, item) in report.follow_up.iter().zip(list.iter_mut()) {
            item["before_text"] = html::follow_value(f, true).into();
            item["after_text"] = html::follow_value(f, false).into();
        }
    }
    serde_json::to_vec(&v).map_err(|e| ReportError::Render(format!("pdf data: {e}")))
}

pub fn render(report: &Report, charts: &[Chart]) -> Result<Vec<u8>, ReportError> {
    let data = document_data(report, charts)?;
    let names: Vec<String> = charts
        .iter()
        .map(|c| format!("charts/{}.png", c.key))
        .collect();
    let mut files: Vec<(&str, Vec<u8>)> = vec![("report.json", data)];
    for (name, chart) in names.iter().zip(charts) {
        files.push((name.as_str(), chart.png.clone()));
    }
    let engine = TypstEngine::builder()
        .main_file(TEMPLATE)
        .fonts([FONT_REGULAR, FONT_BOLD])
        .with_static_file_resolver(files)
        .build();
    let doc: PagedDocument = engine
        .compile()
        .output
        .map_err(|e| ReportError::Render(format!("pdf (typst): {e}")))?;
    typst_pdf::pdf(&doc, &typst_pdf::PdfOptions::default()).map_err(|errors| {
        ReportError::Render(format!(
            "pdf: {}",
            errors
                .iter()
                .map(|e| e.message.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        ))
    })
}
