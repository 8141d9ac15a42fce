#![no_main]
//! `fuzz::policy` under libFuzzer (see fuzz/src/lib.rs for its properties).

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::policy(data));
