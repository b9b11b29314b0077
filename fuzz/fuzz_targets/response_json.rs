//! The body of `POST /api/v1/responses` through the handler's own parsing
//! and the answers' check against the shipped forms: a count of answers or
//! an error naming the field, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod common;
use common::catalog;

fuzz_target!(|data: &[u8]| {
    let _ = manyi::web::check_body(catalog(), data);
});
