//! Helpers for the integration tests, one concept per file. Each test binary declares `mod
//! common;` and uses its own part of them.

#![allow(dead_code)] // each test binary uses its own part

pub(crate) mod cookie;
pub(crate) mod dir;
pub(crate) mod driver;
pub(crate) mod sealer;
pub(crate) mod store;
