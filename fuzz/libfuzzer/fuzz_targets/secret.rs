#![no_main]
//! `fuzz::secret` under libFuzzer (see fuzz/src/lib.rs for its properties).

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::secret(data));
