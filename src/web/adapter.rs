//! What every framework adapter does around a request, written once: make the request's
//! [`Session`] from its `Cookie` fields, and at the end decide, by the adapter's settings, what the
//! response gets. An adapter only moves header values and statuses between its framework's types
//! and these.

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::cookie::SessionCookie;
use crate::handle::{Session, join_cookie_headers};

/// An adapter's settings: the cookie, and what to do on server errors and write failures.
#[derive(Clone)]
pub(crate) struct Adapter {
    cookie: Arc<SessionCookie>,
    write_on_server_error: bool,
    fail_on_write_error: bool,
}

/// What the response of a request gets, once its handler has run.
pub(crate) enum End {
    /// Nothing: the session was not touched, not changed and not due, or the response is a 5xx.
    Nothing,
    /// These `Set-Cookie` values, in order.
    SetCookie(Vec<String>),
    /// A 500 in place of the handler's response: a renewal due now could not be sealed (logged).
    Fail,
}

impl Adapter {
    pub(crate) fn new(cookie: SessionCookie) -> Self {
        Self {
            cookie: Arc::new(cookie),
            write_on_server_error: false,
            fail_on_write_error: true,
        }
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
        Session::lazy(Arc::clone(&self.cookie), move || {
            let all = first.iter().chain(&rest);
            join_cookie_headers(all.filter_map(|v| std::str::from_utf8(v.as_ref()).ok()))
        })
    }

    /// What the response gets, for a response that is (`server_error`) or is not a 5xx; logs
    /// why the request's cookie was refused, if it was, and why a renewal failed, if it did.
    pub(crate) fn end<T>(&self, session: &Session<T>, server_error: bool) -> End
    where
        T: Serialize + DeserializeOwned,
    {
        if let Some(reason) = session.refused() {
            super::log::refused(&reason);
        }
        if server_error && !self.write_on_server_error {
            return End::Nothing;
        }
        match session.finish() {
            Ok(lines) if lines.is_empty() => End::Nothing,
            Ok(lines) => End::SetCookie(lines),
            Err(error) => {
                tracing::error!(%error, "the session could not be written; the cookie is left as it was");
                if self.fail_on_write_error {
                    End::Fail
                } else {
                    End::Nothing
                }
            }
        }
    }
}

/// Logs a `Set-Cookie` line the framework refused as a header value. Never happens: every line
/// is built from a cookie token, base64url and checked attribute values.
pub(crate) fn invalid_header_value() {
    tracing::error!("a Set-Cookie line was not a valid header value");
}
