#![no_main]
//! See `sealed_session_fuzz::targets::chunks` for what this target checks.

use libfuzzer_sys::fuzz_target;
use sealed_session_fuzz::targets::chunks::{ChunkSet, run};

fuzz_target!(|input: ChunkSet| {
    run(&input);
});
