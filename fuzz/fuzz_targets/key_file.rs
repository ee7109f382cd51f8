#![no_main]
//! See `sealed_session_fuzz::targets::key_file` for what this target checks.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sealed_session_fuzz::targets::key_file::run(data));
