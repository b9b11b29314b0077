//! A response file (CSV, XLSX or ODS, with an optional column mapping)
//! through the importer's checks against the shipped counter form: rows or
//! `row N, column X` errors, never a panic. The first byte picks the format;
//! a NUL byte separates a mapping file (TOML) from the data.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;

mod common;
use common::catalog;
use manyi::survey::import::{Format, ImportContext, Mapping, Source, check_file};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let format = match pick % 3 {
        0 => Format::Csv,
        1 => Format::Xlsx,
        _ => Format::Ods,
    };
    let form = &catalog().get("counter").expect("the counter form").form;
    let (mapping, bytes) = match rest.iter().position(|b| *b == 0) {
        Some(at) => match std::str::from_utf8(&rest[..at]) {
            Ok(toml) => match Mapping::parse("fuzz-mapping.toml", toml, form) {
                Ok(m) => (Some(m), &rest[at + 1..]),
                Err(_) => return,
            },
            Err(_) => return,
        },
        None => (None, rest),
    };
    let ctx = ImportContext {
        form,
        form_version_id: 1,
        offices: HashMap::from([("JS".to_owned(), 1), ("DA".to_owned(), 2)]),
        counters: HashMap::from([((1, "1".to_owned()), 1), ((1, "2".to_owned()), 2)]),
        service_types: HashMap::from([("seal".to_owned(), 1), ("印鑑登記".to_owned(), 1)]),
        now: chrono::NaiveDate::from_ymd_opt(2030, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap(),
    };
    let source = Source {
        name: "fuzz",
        bytes,
        format,
        sheet: None,
    };
    let _ = check_file(&source, mapping.as_ref(), &ctx);
});
