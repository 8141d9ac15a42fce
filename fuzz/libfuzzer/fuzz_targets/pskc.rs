#![no_main]
//! `fuzz::pskc` under libFuzzer (see fuzz/src/lib.rs for its properties).

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::pskc(data));
