#![no_main]
//! `fuzz::sigv4` under libFuzzer (see fuzz/src/lib.rs for its properties).

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::sigv4(data));
