#![no_main]
//! `fuzz::json_body` under libFuzzer (see fuzz/src/lib.rs for its properties).

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::json_body(data));
