//! The request driver: what every framework adapter does around a request, written once and
//! public, so that a framework this crate has no adapter for gets the same rules from a few lines
//! of glue. [`Driver::begin`] makes the request's [`Session`] from its `Cookie` fields,
//! [`Driver::load`] readies it before a handler reads it, and [`Driver::end`] decides, by the
//! driver's settings, what the response gets: its `Set-Cookie` lines, its caching headers
//! (`Vary`, `Cache-Control`), or the error status that replaces it (with `Retry-After` for a
//! store outage). A framework only moves header values and statuses between its own types and
//! these ([`Reply`]).

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::DriverBuilder;
use super::{MissingSession, SessionRejection};
use crate::cookie::SessionCookie;
use crate::handle::{SaveError, Settings};
use crate::handle::{Session, join_cookie_headers};

/// The request lifecycle of sessions, for any web framework, with its settings: the cookie,
/// what to do on server errors and write failures, the revocations to check, the store of
/// server-side sessions, and the caching and outage headers. The axum and actix-web adapters
/// are thin wrappers over it; a framework without an adapter uses it directly, in three steps:
///
/// 1. When a request comes in, [`begin`](Self::begin) with its `Cookie` header fields, and put
///    the [`Session`] where the handler can take it (the request's extensions, say). Nothing is
///    read or decrypted yet.
/// 2. Where a handler takes the session (an extractor), [`Driver::load`] it first: the store's
///    round trip, if the session needs one (a revocation check, a server-side state). On an
///    error, answer its [`status`](SessionRejection::status) instead of running the handler,
///    and mark a store outage's 503 with [`StoreOutage`], so that its end adds `Retry-After`.
/// 3. When the handler's response is ready, [`end`](Self::end) the request on it: the
///    response, seen through [`Reply`], gets the session's `Set-Cookie` lines and caching
///    headers, or is replaced by the error status the end calls for. Call it on every
///    response, errors included: a request that never touched the session costs one check.
///
/// A driver is cheap to clone (its parts are shared), and one serves every request.
///
/// ```
/// use sealed_session::web::{Driver, Field, Lines, Reply};
/// use sealed_session::{CookieOptions, Key, KeyRing, Sealer, SessionCookie};
/// # use pollster::block_on;
///
/// let sealer = Sealer::builder(KeyRing::new(Key::generate()?), "__Host-session").build()?;
/// let driver = Driver::new(SessionCookie::sealed(sealer, CookieOptions::new())?);
///
/// // A request without a cookie; its handler logs in. `Lines` stands for the framework's
/// // response (a framework implements `Reply` over its own).
/// let session = driver.begin::<u64, &[u8]>([]);
/// block_on(Driver::load(&session))?;
/// session.replace(7)?;
/// let mut response = Lines::new(200);
/// block_on(driver.end(&session, &mut response));
/// let set_cookie = response.header(Field::SetCookie);
/// assert_eq!(response.header(Field::Vary), ["Cookie"]);
///
/// // The next request carries the cookie back.
/// let cookie = set_cookie[0].split(';').next().unwrap().to_owned();
/// let session = driver.begin::<u64, _>([cookie.into_bytes()]);
/// block_on(Driver::load(&session))?;
/// assert_eq!(session.get(), Some(7));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Driver {
    pub(super) cookie: Arc<SessionCookie>,
    pub(super) write_on_server_error: bool,
    pub(super) fail_on_write_error: bool,
    /// The session mode its settings chose.
    pub(super) mode: Settings,
    pub(super) cache_no_store: bool,
    /// The `Retry-After` of a store outage's 503, in whole seconds.
    pub(super) retry_after: u64,
}

/// A header the end of a request reads or writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Field {
    /// `Set-Cookie`: one line per cookie, never joined.
    SetCookie,
    /// `Vary`.
    Vary,
    /// `Cache-Control`.
    CacheControl,
    /// `Retry-After`.
    RetryAfter,
}

impl Field {
    /// The header's name, in lower case as HTTP/2 writes it: `"set-cookie"`, `"vary"`,
    /// `"cache-control"` or `"retry-after"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::SetCookie => "set-cookie",
            Self::Vary => "vary",
            Self::CacheControl => "cache-control",
            Self::RetryAfter => "retry-after",
        }
    }
}

/// A header value the end of a request writes: most are fixed words, which a framework can keep
/// without copying. Every value is visible ASCII (a valid header value).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A fixed word, such as `Cookie` or `no-store`.
    Static(&'static str),
    /// A value built for this response: a `Set-Cookie` line, a joined `Vary`, a number.
    Owned(Vec<u8>),
}

impl Value {
    /// The value's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Static(text) => text.as_bytes(),
            Self::Owned(bytes) => bytes,
        }
    }

    /// The value's bytes, owned (a fixed word is copied).
    pub fn into_bytes(self) -> Vec<u8> {
        match self {
            Self::Static(text) => text.as_bytes().to_vec(),
            Self::Owned(bytes) => bytes,
        }
    }
}

/// A framework's response, as [`Driver::end`] reads and changes it. An adapter implements it
/// over its framework's response type, only moving values between its header map and these;
/// what to write is decided by the driver.
pub trait Reply {
    /// The response's status code.
    fn status(&self) -> u16;

    /// Whether this response is the framework's answer to [`SessionRejection::Unavailable`]:
    /// the end then gives it `Retry-After`. An adapter that answers the rejection with a
    /// response of its own marks that response (axum and actix-web: an extension) and reports
    /// the mark here; one that never does returns `false`.
    fn is_store_outage(&self) -> bool;

    /// The values of `field`, one per header line, in order.
    fn values(&self, field: Field) -> impl Iterator<Item = &[u8]>;

    /// Adds a line of `field`; `false` if the framework refused `value` (never expected: the
    /// driver logs it).
    fn append(&mut self, field: Field, value: Value) -> bool;

    /// Replaces every line of `field` with one; `false` if the framework refused `value`.
    fn set(&mut self, field: Field, value: Value) -> bool;

    /// Replaces the response with an empty one of `status`.
    fn replace(&mut self, status: u16);
}

/// Marks a response that answers [`SessionRejection::Unavailable`] (a 503): an adapter puts it in
/// the response's extensions (axum, actix-web and hyper responses have them), and its
/// [`Reply::is_store_outage`] reports it, so that the end of the request gives the response the
/// driver's `Retry-After`, which the rejection, made without the driver's settings, cannot know.
/// The axum and actix-web adapters mark their rejections' responses with it, and the `Reply` of
/// `http::Response` (feature `http`) reads it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoreOutage;

/// What the response of a request gets, once its handler has run.
enum End {
    /// Nothing: the session was not touched, not changed and not due, or the response is a 5xx.
    Nothing,
    /// These `Set-Cookie` values, in order (at least one).
    SetCookie(Vec<String>),
    /// A 500 in place of the handler's response: a renewal due now could not be sealed (logged).
    Fail,
    /// A 503 in place of the handler's response, with no `Set-Cookie`: the store could not
    /// record the logout's revocation, or the session's write (logged).
    Unavailable,
    /// A 409 in place of the handler's response, with no `Set-Cookie`: another request of the
    /// server-side session wrote it first, or logged it out, and this one's change could not be
    /// applied again (logged).
    Conflict,
}

impl From<SessionCookie> for Driver {
    /// A driver with the default settings: [`Driver::new`].
    fn from(cookie: SessionCookie) -> Self {
        Self::new(cookie)
    }
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("write_on_server_error", &self.write_on_server_error)
            .field("keep_response_on_write_error", &!self.fail_on_write_error)
            .field("mode", &self.mode)
            .field("cache_no_store", &self.cache_no_store)
            .field("retry_after", &self.retry_after)
            .finish_non_exhaustive()
    }
}

impl Driver {
    /// A driver for sessions kept in `cookie`, with the default settings: cookie sessions (no
    /// store), no `Set-Cookie` on 5xx responses, a 500 when a renewal cannot be sealed, no
    /// `no-store`, and a one-second `Retry-After`. [`builder`](Self::builder) for others.
    pub fn new(cookie: SessionCookie) -> Self {
        Self {
            cookie: Arc::new(cookie),
            write_on_server_error: false,
            fail_on_write_error: true,
            mode: Settings::Cookie,
            cache_no_store: false,
            retry_after: retry_after_seconds(super::DEFAULT_RETRY_AFTER),
        }
    }

    /// Starts the settings of a driver for sessions kept in `cookie`: each has the default of
    /// [`new`](Self::new), and [`DriverBuilder::build`] checks them all at once.
    pub fn builder(cookie: SessionCookie) -> DriverBuilder {
        DriverBuilder::new(Self::new(cookie))
    }

    /// The session of a request with these `Cookie` header fields (the framework's header
    /// values; keeping them should be cheap, as shared buffers are). They are read, and joined
    /// into one header as HTTP/2 clients send one field per cookie, only if the handler uses the
    /// session; fields that are not UTF-8 are skipped.
    pub fn begin<T, V>(&self, fields: impl IntoIterator<Item = V>) -> Session<T>
    where
        T: Serialize + DeserializeOwned,
        V: AsRef<[u8]> + Send + 'static,
    {
        let mut fields = fields.into_iter();
        // One field is the common case: no vector for it.
        let first = fields.next();
        let rest: Vec<V> = fields.collect();
        let header = move || {
            let all = first.iter().chain(&rest);
            join_cookie_headers(all.filter_map(|v| std::str::from_utf8(v.as_ref()).ok()))
        };
        Session::lazy(&self.cookie, header, &self.mode)
    }

    /// Readies `session` for its handler: opens the request's cookie and, if the session needs
    /// the store, asks it (the revocation check, the server-side state: one round trip each, at
    /// most). A revoked session, one the store no longer vouches for, or one whose state is gone
    /// from the store or does not open becomes no session, and the response deletes its cookie
    /// ([`Session::refused`] says why). Without a store, or once done, it returns at once.
    ///
    /// Until it has run, a session that needs the store reads as no session: a path that forgot
    /// it fails safe (no session) rather than open (a revoked one).
    ///
    /// # Errors
    /// [`SessionRejection::Unavailable`] when the store cannot answer (and the revocations fail
    /// closed): answer its status (503) instead of running the handler; the end of the request
    /// gives it `Retry-After` if [`Reply::is_store_outage`] says so.
    pub async fn load<T>(session: &Session<T>) -> Result<(), SessionRejection>
    where
        T: Serialize + DeserializeOwned,
    {
        session.load().await.map_err(SessionRejection::Unavailable)
    }

    /// The rejection for a handler that takes a `Session<T>` where none was begun (no session
    /// middleware, or one for another type): a wiring bug, answered 500.
    pub fn missing<T>() -> SessionRejection {
        SessionRejection::Missing(MissingSession::of::<T>())
    }

    /// Ends the request on `reply`, the handler's response: adds the session's `Set-Cookie`
    /// lines, or replaces the response with the error status its end calls for, then the
    /// caching headers and, for a store outage, `Retry-After`. Logs why the request's cookie was
    /// refused, if it was, and why a renewal, a revocation or a write failed, if one did.
    pub async fn end<T>(&self, session: &Session<T>, reply: &mut impl Reply)
    where
        T: Serialize + DeserializeOwned,
    {
        // Most requests of a site never touch the session: one check, no store, no lines, no
        // header (the response does not depend on the cookie).
        if session.is_untouched() {
            return;
        }
        let end = self.outcome(session, reply.status() >= 500).await;
        let sets_cookie = matches!(end, End::SetCookie(_));
        // Only a 503 can be the extractor's: other responses skip the look for its mark.
        let mut outage = reply.status() == 503 && reply.is_store_outage();
        match end {
            End::Nothing => self.cache_control(session, reply, false),
            End::SetCookie(lines) => {
                for line in lines {
                    if !reply.append(Field::SetCookie, Value::Owned(line.into_bytes())) {
                        invalid_header_value(Field::SetCookie);
                    }
                }
                self.cache_control(session, reply, sets_cookie);
            }
            End::Fail => reply.replace(500),
            End::Unavailable => {
                reply.replace(503);
                outage = true;
            }
            End::Conflict => reply.replace(409),
        }
        vary_on_cookie(reply);
        if outage {
            let seconds = Value::Owned(self.retry_after.to_string().into_bytes());
            if !reply.set(Field::RetryAfter, seconds) {
                invalid_header_value(Field::RetryAfter);
            }
        }
    }

    /// The `Cache-Control` of the handler's response, if the handler did not choose one: a
    /// response that sets a session cookie is `private`, as a shared cache must never hand one
    /// user's cookie to another; with `cache_no_store`, one that bears a session (a session
    /// present at its end, or a cookie set or deleted: a login, a logout) is `no-store`, so that
    /// the browser keeps no copy that its Back button could show after a logout.
    fn cache_control<T>(&self, session: &Session<T>, reply: &mut impl Reply, sets_cookie: bool)
    where
        T: Serialize + DeserializeOwned,
    {
        if reply.values(Field::CacheControl).next().is_some() {
            return;
        }
        let directive = if self.cache_no_store && (sets_cookie || session.read(|s| s.is_some())) {
            "no-store"
        } else if sets_cookie {
            "private"
        } else {
            return;
        };
        if !reply.set(Field::CacheControl, Value::Static(directive)) {
            invalid_header_value(Field::CacheControl);
        }
    }

    /// What the response gets, for a response that is (`server_error`) or is not a 5xx; logs
    /// why the request's cookie was refused, if it was, and why a renewal or a revocation
    /// failed, if one did.
    async fn outcome<T>(&self, session: &Session<T>, server_error: bool) -> End
    where
        T: Serialize + DeserializeOwned,
    {
        if let Some(reason) = session.refusal() {
            super::log::refused(&reason);
        }
        if server_error && !self.write_on_server_error {
            return End::Nothing;
        }
        if let Err(error) = session.record_revocations().await {
            tracing::error!(%error, "a logout, or a new session, could not be recorded in the store; answering 503");
            return End::Unavailable;
        }
        match session.save().await {
            Ok(()) => {}
            Err(SaveError::Store(error)) => {
                tracing::error!(%error, "the session could not be written to the store; answering 503");
                return End::Unavailable;
            }
            Err(SaveError::Conflict) => {
                tracing::info!(
                    "another request of the session wrote it first, or logged it out; answering 409"
                );
                return End::Conflict;
            }
            Err(SaveError::Write(error)) => {
                tracing::error!(%error, "the session could not be written; the cookie is left as it was");
                return self.write_failed();
            }
        }
        match session.finish() {
            Ok(lines) if lines.is_empty() => End::Nothing,
            Ok(lines) => End::SetCookie(lines),
            Err(error) => {
                tracing::error!(%error, "the session could not be written; the cookie is left as it was");
                self.write_failed()
            }
        }
    }

    /// What a response gets when its session could not be written.
    fn write_failed(&self) -> End {
        if self.fail_on_write_error {
            End::Fail
        } else {
            End::Nothing
        }
    }
}

/// Adds `Cookie` to the response's `Vary`: the response depends on the request's cookies, so a
/// cache must not answer another request with it unless that request carries the same ones.
/// Left alone when `Vary` lists `Cookie` already, or `*` (varies on everything). The handler's
/// values stay first, joined with `Cookie` into one field line, as some caches read only one.
fn vary_on_cookie(reply: &mut impl Reply) {
    let mut joined: Vec<u8> = Vec::new();
    for value in reply.values(Field::Vary) {
        let mut members = value.split(|&b| b == b',').map(<[u8]>::trim_ascii);
        if members.any(|m| m == b"*" || m.eq_ignore_ascii_case(b"cookie")) {
            return;
        }
        let value = value.trim_ascii();
        if !joined.is_empty() && !value.is_empty() {
            joined.extend_from_slice(b", ");
        }
        joined.extend_from_slice(value);
    }
    let value = if joined.is_empty() {
        Value::Static("Cookie")
    } else {
        joined.extend_from_slice(b", Cookie");
        Value::Owned(joined)
    };
    if !reply.set(Field::Vary, value) {
        invalid_header_value(Field::Vary);
    }
}

/// `after` as `Retry-After` says it: whole seconds, a fraction rounded up so that a client never
/// comes back sooner than asked.
pub(super) fn retry_after_seconds(after: Duration) -> u64 {
    after
        .as_secs()
        .saturating_add(u64::from(after.subsec_nanos() > 0))
}

/// Logs a header value the framework refused. Never happens: every `Set-Cookie` line is built
/// from a cookie token, base64url and checked attribute values, and every other value from
/// fixed words, digits and the handler's own `Vary`.
fn invalid_header_value(field: Field) {
    tracing::error!(
        ?field,
        "a header value the session layer built was not valid"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::web::Lines;

    fn vary_after(lines: &[&str]) -> Vec<String> {
        let mut reply = Lines::new(200);
        for line in lines {
            reply.append(Field::Vary, Value::Owned(line.as_bytes().to_vec()));
        }
        vary_on_cookie(&mut reply);
        reply
            .values(Field::Vary)
            .map(|v| String::from_utf8(v.to_vec()).unwrap())
            .collect()
    }

    #[test]
    fn cookie_is_found_in_any_line_of_vary_whatever_its_case() {
        assert_eq!(
            vary_after(&["Accept-Encoding", "Origin , COOKIE"]),
            ["Accept-Encoding", "Origin , COOKIE"]
        );
    }

    #[test]
    fn the_handlers_vary_lines_are_joined_with_cookie_into_one() {
        assert_eq!(
            vary_after(&["Accept-Encoding", "", " Origin "]),
            ["Accept-Encoding, Origin, Cookie"]
        );
    }

    #[test]
    fn a_star_among_other_members_is_left_alone() {
        assert_eq!(vary_after(&["Origin, *"]), ["Origin, *"]);
    }

    #[test]
    fn retry_after_rounds_a_fraction_of_a_second_up() {
        assert_eq!(retry_after_seconds(Duration::ZERO), 0);
        assert_eq!(retry_after_seconds(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_seconds(Duration::from_secs(30)), 30);
        assert_eq!(retry_after_seconds(Duration::MAX), u64::MAX);
    }
}
