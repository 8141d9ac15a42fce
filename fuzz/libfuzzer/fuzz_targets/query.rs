#![no_main]
//! `fuzz::query` under libFuzzer (see fuzz/src/lib.rs for its properties).

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::query(data));
