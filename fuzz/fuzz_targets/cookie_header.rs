#![no_main]
//! See `sealed_session_fuzz::targets::cookie_header` for what this target checks.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sealed_session_fuzz::targets::cookie_header::run(data));
