//! The settings of a request [`Driver`]: every one has a default, none can fail on its own, and
//! [`DriverBuilder::build`] checks them together, as the sealer's builder does.

use std::sync::Arc;
use std::time::Duration;

use super::Driver;
use super::driver::retry_after_seconds;
use crate::error::ConfigError;
use crate::handle::{Revocations, ServerSide};

/// The settings of a [`Driver`]: start from [`Driver::builder`], end with
/// [`build`](Self::build).
#[must_use = "a builder does nothing until `build` is called"]
#[derive(Clone, Debug)]
pub struct DriverBuilder {
    /// The driver as built so far: the settings that need no check.
    driver: Driver,
    revocations: Option<Revocations>,
    server_side: Option<ServerSide>,
}

impl DriverBuilder {
    pub(super) fn new(driver: Driver) -> Self {
        Self {
            driver,
            revocations: None,
            server_side: None,
        }
    }

    /// Whether to send the session's `Set-Cookie` lines on 5xx responses too (default false: a
    /// failed request changes no cookie).
    pub fn write_on_server_error(mut self, write: bool) -> Self {
        self.driver.write_on_server_error = write;
        self
    }

    /// Whether, when a renewal due at the end of the request cannot be sealed, to send the
    /// handler's response anyway, without the renewal, instead of a 500 (default false; the
    /// error is logged either way).
    pub fn keep_response_on_write_error(mut self, keep: bool) -> Self {
        self.driver.fail_on_write_error = !keep;
        self
    }

    /// Checks every session against `revocations` before it is used (a revoked session is an
    /// empty one, its cookie deleted), and records the revocation of a logout
    /// ([`clear`](crate::Session::clear),
    /// [`logout_everywhere`](crate::Session::logout_everywhere),
    /// [`logout_others`](crate::Session::logout_others)) before the response goes out. The
    /// check is one round trip in [`Driver::load`], so a request whose handler does not take the
    /// session asks nothing. When the store cannot answer, `load` fails (unless the revocations
    /// accept outages) and the adapters answer 503 without running the handler.
    ///
    /// ```
    /// # use sealed_session::{CookieOptions, Key, KeyRing, Sealer, SessionCookie};
    /// use sealed_session::Revocations;
    /// use sealed_session::store::MemoryStore;
    /// use sealed_session::web::Driver;
    ///
    /// let sealer = Sealer::builder(KeyRing::new(Key::generate()?), "__Host-session")
    ///     .session_ids(true)
    ///     .build()?;
    /// let cookie = SessionCookie::sealed(sealer, CookieOptions::new())?;
    /// let driver = Driver::builder(cookie)
    ///     .revocations(Revocations::new(MemoryStore::new()))
    ///     .build()?;
    /// # let _ = driver;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// [`build`](Self::build) refuses it unless the cookie's sealer puts session ids in its
    /// values ([`ConfigError::RevocationsNeedSessionIds`]).
    pub fn revocations(mut self, revocations: Revocations) -> Self {
        self.revocations = Some(revocations);
        self
    }

    /// Keeps every session's state in `side`'s store, the cookie holding only its sealed id
    /// ([`ServerSide`]); handlers do not change. [`Driver::load`] reads the state from the store
    /// (one round trip; a request whose handler does not take the session asks nothing), and a
    /// request that changed it writes it back at its [`end`](Driver::end) (one more). When the
    /// store cannot answer, the request gets a 503; when another request of the session wrote
    /// first and the change cannot be applied again, a 409
    /// ([`Conflicts`](crate::Conflicts)). Neither sends a `Set-Cookie`.
    ///
    /// [`build`](Self::build) refuses it unless the cookie's sealer puts session ids in its
    /// values ([`ConfigError::ServerSideNeedsSessionIds`]).
    pub fn server_side(mut self, side: ServerSide) -> Self {
        self.server_side = Some(side);
        self
    }

    /// Whether to mark every response that bears a session `Cache-Control: no-store` (default
    /// false), so that no cache keeps it, not even the browser's HTTP cache: after a logout,
    /// Back then asks the server again and shows the page logged out, instead of the logged-in
    /// page from the cache.
    ///
    /// One copy is out of the server's reach: a browser's back/forward cache may keep the live
    /// page in memory, `no-store` or not (Chromium does, on a page left by a form's POST), and
    /// Back then shows it without asking. A logged-in page ends that with a line of script that
    /// reloads a page restored from it:
    /// `addEventListener('pageshow', e => { if (e.persisted) location.reload(); })` (the example
    /// app's pages do; its browser test checks both).
    ///
    /// A response bears a session when the session is present at its end (the handler read it,
    /// changed it or logged in) or it sets or deletes the session's cookies (a login, a logout,
    /// a bad cookie's removal). A page read without a session stays cacheable, and a response
    /// whose handler never touched the session gets no header at all. A handler that sets its
    /// own `Cache-Control` keeps it.
    ///
    /// Without this setting the caching headers are still safe for shared caches: every
    /// response of a request that used the session gets `Vary: Cookie` (added to the handler's
    /// `Vary`, unless it lists `Cookie` or `*` already), and one that sets or deletes a session
    /// cookie gets `Cache-Control: private` unless the handler chose its own. `no-store` costs
    /// the browser its copy of every logged-in page: each visit, Back included, asks the server
    /// again.
    pub fn cache_no_store(mut self, on: bool) -> Self {
        self.driver.cache_no_store = on;
        self
    }

    /// How long the 503 of a store outage tells clients to wait before they try again, in its
    /// `Retry-After` header (default [`DEFAULT_RETRY_AFTER`](super::DEFAULT_RETRY_AFTER), one
    /// second; whole seconds, a fraction rounded up). It goes on the 503 that answers a
    /// [`Driver::load`] the store could not serve, and on the 503 that replaces a response whose
    /// logout or write the store could not take. A client that honours it backs off instead of
    /// retrying at once into the outage.
    pub fn retry_after(mut self, after: Duration) -> Self {
        self.driver.retry_after = retry_after_seconds(after);
        self
    }

    /// Checks the settings and builds the [`Driver`].
    ///
    /// # Errors
    /// [`ConfigError::RevocationsNeedSessionIds`] or [`ConfigError::ServerSideNeedsSessionIds`]:
    /// revocations or server-side sessions for a cookie whose sealer does not put session ids in
    /// its values (build it with `session_ids(true)`).
    pub fn build(self) -> Result<Driver, ConfigError> {
        let mut driver = self.driver;
        let ctx = driver.cookie.context();
        if let Some(revocations) = self.revocations {
            if !ctx.session_ids {
                return Err(ConfigError::RevocationsNeedSessionIds);
            }
            // Revocation times and creation times from one clock.
            let revocations = revocations.shared_clock(Arc::clone(&ctx.clock));
            driver.mode = driver.mode.with_revocations(revocations);
        }
        if let Some(side) = self.server_side {
            let binding = side.bind(&driver.cookie)?;
            driver.mode = driver.mode.with_server_side(binding);
        }
        Ok(driver)
    }
}
