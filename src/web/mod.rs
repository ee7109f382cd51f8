//! Sessions in web frameworks: the request [`Driver`], framework-neutral, and thin adapters
//! over it, each behind its feature: `axum` (a tower layer and an extractor) and `actix` (an
//! actix-web middleware and an extractor). The driver makes each request's
//! [`Session`](crate::Session) from its `Cookie` fields, readies it for the handler, and gives
//! the response what the session's end calls for; every rule lives in the handle and the
//! driver, written once, and an adapter only moves values between its framework's types and the
//! driver's ([`Reply`]). A framework without an adapter here uses the driver directly.
//!
//! What the driver adds to a response, so that HTTP caches neither leak a session to another
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
//!
//! When the store cannot answer (revocations, server-side sessions), the driver answers 503
//! with `Retry-After` (`DEFAULT_RETRY_AFTER`, one second, or the `retry_after` setting), so
//! that clients back off instead of retrying into the outage.

#[cfg(feature = "actix")]
#[cfg_attr(docsrs, doc(cfg(feature = "actix")))]
pub mod actix;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;

mod builder;
mod driver;
#[cfg(feature = "http")]
mod http;
mod lines;
mod log;
mod rejection;

pub use builder::DriverBuilder;
pub use driver::{Driver, Field, Reply, StoreOutage, Value};
pub use lines::Lines;
pub use rejection::{MissingSession, SessionRejection};

/// How long the 503 of a store outage tells clients to wait, by default, in its `Retry-After`:
/// one second. Store outages are mostly short (a failover, a restart): a short wait brings
/// clients back soon after the store, and one that meets the outage again is told again. The
/// driver's `retry_after` setting changes it.
pub const DEFAULT_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(1);
