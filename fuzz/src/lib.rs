//! Shared code for the `sealed-session` fuzz targets and the seed generator.
//!
//! Everything runs against the real crate with real keys and the real AEAD / HMAC: the fixtures
//! only fix the keys (so committed seeds keep opening) and the clock (so they never expire).
//! Each target's logic lives in [`targets`] so that the seed generator
//! (`cargo run --example gen_corpus`) can replay every seed through it without libFuzzer.

pub mod arb_encode;
pub mod fixtures;
pub mod oracle;
pub mod targets;
