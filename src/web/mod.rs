//! Thin adapters from web frameworks to [`Session`](crate::Session), each behind its feature:
//! `axum` (a tower layer and an extractor) and `actix` (an actix-web middleware and an
//! extractor). They read the request's `Cookie` fields, hand the handler a `Session`, and send
//! what [`Session::finish`](crate::Session::finish) returns; every rule lives in the handle, and
//! what the adapters do around it (src/web/adapter.rs) is written once for both.
//!
//! What the adapters add to a response, so that HTTP caches neither leak a session to another
//! user nor bring one back after a logout:
//! - a response whose handler used the session (read it, changed it, logged in or out) gets
//!   `Vary: Cookie`, added to the handler's own `Vary` (unless that lists `Cookie` or `*`
//!   already): a cache answers another request with it only if that request carries the same
//!   cookies;
//! - a response that sets or deletes a session cookie gets `Cache-Control: private`, unless the
//!   handler set its own `Cache-Control`: a shared cache never stores one user's cookie for
//!   others;
//! - with the `cache_no_store(true)` setting, every response that bears a session (a session
//!   present at its end, a login, a logout) gets `Cache-Control: no-store` instead, unless the
//!   handler set its own: the browser keeps no copy, so its Back button after a logout loads
//!   the page again, logged out;
//! - a response whose handler never touched the session gets none of these.

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
