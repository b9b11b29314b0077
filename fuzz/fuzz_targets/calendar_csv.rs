//! The official office-calendar CSV (UTF-8 or Big5) through the importer's
//! parser: days or row errors, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = manyi::calendar::parse_official_csv("fuzz.csv", data);
});
