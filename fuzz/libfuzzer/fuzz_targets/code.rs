#![no_main]
//! `fuzz::code` under libFuzzer (see fuzz/src/lib.rs for its properties).

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::code(data));
