#![no_main]
//! `fuzz::otpauth` under libFuzzer (see fuzz/src/lib.rs for its properties).

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::otpauth(data));
