//! A survey form file (TOML) through the loader and its validation: any
//! text gives a form or `file:line` errors, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(source) = std::str::from_utf8(data) {
        let _ = manyi::forms::parse_form(std::path::Path::new("fuzz.toml"), source);
    }
});
