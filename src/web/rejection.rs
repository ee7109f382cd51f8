//! How an adapter's `Session<T>` extractor fails: no middleware of the session's type wraps it,
//! or the session needs a store that cannot answer. A bad cookie is never one of them: it is an
//! empty session.

use std::fmt;

use crate::store::StoreError;

/// A handler (or another middleware) asked for a `Session<T>` but no session middleware of that
/// `T` wraps it: a mistake in how the app is built, not a bad cookie (a bad cookie is an empty
/// session). The adapters answer it with a 500 and log it, naming `T`; fix the app by adding the
/// layer or middleware for this `T` around the route, or by taking the session type the layer
/// there was built for.
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MissingSession {
    session_type: &'static str,
}

impl MissingSession {
    /// The error of a `Session<T>` asked for without its middleware.
    pub(crate) fn of<T>() -> Self {
        Self {
            session_type: std::any::type_name::<T>(),
        }
    }

    /// The `T` of the `Session<T>` that was asked for, as [`std::any::type_name`] writes it
    /// (`my_app::State`): the type whose layer is missing.
    pub fn session_type(&self) -> &'static str {
        self.session_type
    }
}

impl fmt::Display for MissingSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The type's name is the whole diagnosis: a layer for `Session<A>` does not serve a
        // handler that takes `Session<B>`, and both look alike in a log line without it.
        write!(
            f,
            "no session layer for Session<{0}> wraps the handler (one built for another session \
             type does not count): wrap the route in SessionLayer::<{0}> (axum) or \
             SessionMiddleware::<{0}> (actix-web), or take the session type its layer was built \
             for",
            self.session_type
        )
    }
}

impl std::error::Error for MissingSession {}

/// Why the `Session<T>` extractor gave the handler no session. The adapters answer it (the
/// handler does not run) and log it.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionRejection {
    /// No session middleware of this `T` wraps the handler: a 500 (see [`MissingSession`]).
    Missing(MissingSession),
    /// The session needs the store (its server-side state, or its revocation check) and the
    /// store could not answer: a 503 with `Retry-After` (the adapter's `retry_after`, added as
    /// the response passes its session middleware). Nothing about the session is assumed
    /// meanwhile; the client may retry.
    ///
    /// A middleware inside the session middleware that loads the session itself answers an
    /// outage with this rejection's response (axum: `into_response()`; actix-web:
    /// `ServiceRequest::error_response`) to get the same 503. On actix-web, an `Err` returned
    /// instead passes the session middleware as an error, without `Retry-After`.
    Unavailable(StoreError),
}

impl fmt::Display for SessionRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing(e) => e.fmt(f),
            Self::Unavailable(e) => write!(f, "the session could not be loaded: {e}"),
        }
    }
}

impl std::error::Error for SessionRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Missing(e) => Some(e),
            Self::Unavailable(e) => Some(e),
        }
    }
}

crate::error_debug::debug_as_display!(MissingSession, SessionRejection);

impl SessionRejection {
    /// The status to answer with: 500 for a handler served without the session middleware (a
    /// wiring bug), 503 for a store that could not answer.
    pub fn status(&self) -> u16 {
        match self {
            Self::Missing(_) => 500,
            Self::Unavailable(_) => 503,
        }
    }
}
