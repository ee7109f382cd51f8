//! The logic of each fuzz target; `fuzz_targets/<name>.rs` only hands libFuzzer's input to it.

pub mod chunks;
pub mod cookie_header;
pub mod key_file;
pub mod open_value;
pub mod roundtrip;
pub mod server_side;
pub mod signed_verify;
