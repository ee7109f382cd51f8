//! The one way an adapter's extractor fails: no middleware of the session's type wraps it.

use std::fmt;

/// A handler (or another middleware) asked for a `Session<T>` but no session middleware of that
/// `T` wraps it: a mistake in how the app is built, not a bad cookie (a bad cookie is an empty
/// session). The adapters answer it with a 500 and log it; fix the app by adding the layer or
/// middleware for this `T` around the route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MissingSession;

impl fmt::Display for MissingSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no session middleware of this session type wraps the handler")
    }
}

impl std::error::Error for MissingSession {}
