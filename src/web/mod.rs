//! Thin adapters from web frameworks to [`Session`](crate::Session), each behind its feature.
//! They read the request's `Cookie` fields, hand the handler a `Session`, and send what
//! [`Session::finish`](crate::Session::finish) returns; every rule lives in the handle.

#[cfg(feature = "axum")]
pub mod axum;

#[cfg(feature = "axum")]
mod log;
