//! What every framework adapter does around a request, written once: make the request's
//! [`Session`] from its `Cookie` fields, and at the end decide, by the adapter's settings, what the
//! response gets. An adapter only moves header values and statuses between its framework's types
//! and these.

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::cookie::SessionCookie;
use crate::error::ConfigError;
use crate::handle::{Session, join_cookie_headers};
use crate::store::{Revocations, SaveError, ServerSide, ServerSideBinding};

/// An adapter's settings: the cookie, what to do on server errors and write failures, the
/// revocations to check and the store of server-side sessions, if any.
#[derive(Clone)]
pub(crate) struct Adapter {
    cookie: Arc<SessionCookie>,
    write_on_server_error: bool,
    fail_on_write_error: bool,
    revocations: Option<Revocations>,
    server_side: Option<Arc<ServerSideBinding>>,
}

/// What the response of a request gets, once its handler has run.
pub(crate) enum End {
    /// Nothing: the session was not touched, not changed and not due, or the response is a 5xx.
    Nothing,
    /// These `Set-Cookie` values, in order.
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

impl Adapter {
    pub(crate) fn new(cookie: SessionCookie) -> Self {
        Self {
            cookie: Arc::new(cookie),
            write_on_server_error: false,
            fail_on_write_error: true,
            revocations: None,
            server_side: None,
        }
    }

    /// Checks every session against `revocations`, and records logouts there.
    pub(crate) fn revocations(mut self, revocations: Revocations) -> Result<Self, ConfigError> {
        let ctx = self.cookie.context();
        if !ctx.session_ids {
            return Err(ConfigError::RevocationsNeedSessionIds);
        }
        // Revocation times and creation times from one clock.
        self.revocations = Some(revocations.shared_clock(Arc::clone(&ctx.clock)));
        Ok(self)
    }

    /// Keeps sessions in `side`'s store: the cookie holds only their id.
    pub(crate) fn server_side(mut self, side: &ServerSide) -> Result<Self, ConfigError> {
        self.server_side = Some(side.bind(&self.cookie)?);
        Ok(self)
    }

    pub(crate) fn write_on_server_error(mut self, write: bool) -> Self {
        self.write_on_server_error = write;
        self
    }

    pub(crate) fn keep_response_on_write_error(mut self) -> Self {
        self.fail_on_write_error = false;
        self
    }

    /// The session of a request with these `Cookie` header fields. The fields are the
    /// framework's header values (shared buffers: keeping them is cheap); they are read, and
    /// joined into one header as HTTP/2 clients send one field per cookie, only if the handler
    /// uses the session.
    pub(crate) fn session<T, V>(&self, mut fields: impl Iterator<Item = V>) -> Session<T>
    where
        T: Serialize + DeserializeOwned,
        V: AsRef<[u8]> + Send + 'static,
    {
        // One field is the common case: no vector for it.
        let first = fields.next();
        let rest: Vec<V> = fields.collect();
        let session = Session::lazy(Arc::clone(&self.cookie), move || {
            let all = first.iter().chain(&rest);
            join_cookie_headers(all.filter_map(|v| std::str::from_utf8(v.as_ref()).ok()))
        });
        if let Some(revocations) = &self.revocations {
            session.set_revocations(revocations.clone());
        }
        if let Some(backing) = &self.server_side {
            session.set_server_side(Arc::clone(backing));
        }
        session
    }

    /// What the response gets, for a response that is (`server_error`) or is not a 5xx; logs
    /// why the request's cookie was refused, if it was, and why a renewal or a revocation
    /// failed, if one did.
    pub(crate) async fn end<T>(&self, session: &Session<T>, server_error: bool) -> End
    where
        T: Serialize + DeserializeOwned,
    {
        // Most requests of a site never touch the session: one check, no store, no lines.
        if session.is_untouched() {
            return End::Nothing;
        }
        if let Some(reason) = session.refused() {
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

/// Logs a `Set-Cookie` line the framework refused as a header value. Never happens: every line
/// is built from a cookie token, base64url and checked attribute values.
pub(crate) fn invalid_header_value() {
    tracing::error!("a Set-Cookie line was not a valid header value");
}

/// The settings every adapter's middleware type offers, written once: `new`, the 5xx and
/// write-failure rules, and revocations. The type has fields `adapter: Adapter` and
/// `state: PhantomData<fn() -> T>`; `$what` names it in the docs ("layer", "middleware").
macro_rules! adapter_settings {
    ($ty:ident, $what:literal) => {
        impl<T> Clone for $ty<T> {
            fn clone(&self) -> Self {
                Self {
                    adapter: self.adapter.clone(),
                    state: std::marker::PhantomData,
                }
            }
        }

        impl<T> $ty<T> {
            #[doc = concat!("A ", $what, " for sessions of type `T` kept in `cookie`.")]
            pub fn new(cookie: $crate::cookie::SessionCookie) -> Self {
                Self {
                    adapter: $crate::web::adapter::Adapter::new(cookie),
                    state: std::marker::PhantomData,
                }
            }

            /// Also send the session's `Set-Cookie` lines on 5xx responses (default: a failed
            /// request changes no cookie).
            pub fn write_on_server_error(self, write: bool) -> Self {
                Self {
                    adapter: self.adapter.write_on_server_error(write),
                    state: std::marker::PhantomData,
                }
            }

            /// When a renewal due at the end of the request cannot be sealed, send the
            /// handler's response anyway, without the renewal, instead of a 500 (the error is
            /// logged either way).
            pub fn keep_response_on_write_error(self) -> Self {
                Self {
                    adapter: self.adapter.keep_response_on_write_error(),
                    state: std::marker::PhantomData,
                }
            }

            /// Checks every session against `revocations` before it is used (a revoked session
            /// is an empty one, its cookie deleted), and records the revocation of a logout
            /// ([`Session::clear`](crate::Session::clear),
            /// [`Session::logout_everywhere`](crate::Session::logout_everywhere)) before the
            /// response goes out. The check is one round trip when the `Session<T>` extractor
            /// runs ([`Session::load`](crate::Session::load)); a request whose handler does not
            /// take the session asks nothing. When the store cannot answer, the extractor
            /// answers 503 (unless the revocations accept outages) and the handler does not run.
            ///
            /// # Errors
            /// [`ConfigError::RevocationsNeedSessionIds`](crate::ConfigError::RevocationsNeedSessionIds)
            /// if the cookie's sealer does not put session ids in its values.
            pub fn revocations(
                self,
                revocations: $crate::store::Revocations,
            ) -> Result<Self, $crate::ConfigError> {
                Ok(Self {
                    adapter: self.adapter.revocations(revocations)?,
                    state: std::marker::PhantomData,
                })
            }

            /// Keeps every session's state in `side`'s store, the cookie holding only its
            /// sealed id ([`ServerSide`](crate::store::ServerSide)); handlers do not change. The
            /// `Session<T>` extractor reads the state from the store (one round trip; a handler
            /// that does not take the session asks nothing), and a request that changed it
            /// writes it back at its end (one more). When the store cannot answer, the request
            /// gets a 503; when another request of the session wrote first and the change cannot
            /// be applied again, a 409 ([`Conflicts`](crate::store::Conflicts)). Neither sends a
            /// `Set-Cookie`.
            ///
            /// # Errors
            /// [`ConfigError::ServerSideNeedsSessionIds`](crate::ConfigError::ServerSideNeedsSessionIds)
            /// if the cookie's sealer does not put session ids in its values.
            pub fn server_side(
                self,
                side: &$crate::store::ServerSide,
            ) -> Result<Self, $crate::ConfigError> {
                Ok(Self {
                    adapter: self.adapter.server_side(side)?,
                    state: std::marker::PhantomData,
                })
            }
        }
    };
}

pub(crate) use adapter_settings;
