#![no_main]
//! See `sealed_session_fuzz::targets::server_side` for what this target checks.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sealed_session_fuzz::targets::server_side::run(data);
});
