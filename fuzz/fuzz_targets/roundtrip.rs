#![no_main]
//! See `sealed_session_fuzz::targets::roundtrip` for what this target checks.

use libfuzzer_sys::fuzz_target;
use sealed_session_fuzz::targets::roundtrip::{Input, run};

fuzz_target!(|input: Input| run(&input));
