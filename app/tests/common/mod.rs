//! Helpers for the tests of the web adapters, the example app and the stores, one concept per
//! file. Each test binary declares `mod common;` and uses its own part of them.

#![allow(dead_code, unused_macros)] // each test binary uses its own part

pub(crate) mod cache;
pub(crate) mod example;
pub(crate) mod proxy;
pub(crate) mod redis;
pub(crate) mod skew;
#[path = "../../../tests/common/store.rs"]
pub(crate) mod store;
pub(crate) mod web;
