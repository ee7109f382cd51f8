//! Thin adapters from web frameworks to [`Session`](crate::Session), each behind its feature:
//! `axum` (a tower layer and an extractor) and `actix` (an actix-web middleware and an
//! extractor). They read the request's `Cookie` fields, hand the handler a `Session`, and send
//! what [`Session::finish`](crate::Session::finish) returns; every rule lives in the handle, and
//! what the adapters do around it (src/web/adapter.rs) is written once for both.

#[cfg(feature = "actix")]
pub mod actix;
#[cfg(feature = "axum")]
pub mod axum;

#[cfg(any(feature = "axum", feature = "actix"))]
mod adapter;
#[cfg(any(feature = "axum", feature = "actix"))]
mod log;
mod rejection;

pub use rejection::{MissingSession, SessionRejection};
