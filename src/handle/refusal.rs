//! Why a request's session cookie did not become a session: the cookie layer's reasons, and the
//! ones only a store can give. Kept apart from [`CookieReadError`], which knows nothing of
//! stores.

use std::fmt;

use crate::cookie::CookieReadError;
use crate::error::OpenError;

/// Why the request's cookie gave no session ([`Session::refused`](crate::Session::refused)).
/// Every variant means "no session": the handler answers as for a logged-out user, and the
/// request's end deletes the cookie. It is for the log: the request
/// [`Driver`](crate::web::Driver) logs it at its end.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// The cookie did not read or open (tampered, expired, unknown key, duplicated, a stray
    /// chunk...): see [`CookieReadError`].
    Cookie(CookieReadError),
    /// The cookie opened, but its session was revoked (a logout, or every session of its
    /// subject: [`Revocations`](crate::Revocations)).
    Revoked,
    /// The cookie opened, but the revocation store no longer vouches for its session
    /// ([`Verdict::Forgotten`](crate::Verdict::Forgotten)): the store forgot what it knew
    /// (restarted empty, flushed), so a revocation of the session may have been lost, or the
    /// session was created before its creation was recorded (an earlier version of this crate).
    /// The user logs in again; many at once mean the store lost its data.
    Forgotten,
    /// The cookie opened, but its server-side state is no longer in the store: the session was
    /// logged out, moved to a new id, or expired there.
    NotStored,
    /// The cookie opened, but its server-side state in the store did not: it was altered, sealed
    /// for another session id (reported as `Authentication`), or sealed under a key the ring no
    /// longer has. Look into who writes to the store.
    Stored(OpenError),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Cookie(e) => e.fmt(f),
            Self::Revoked => f.write_str("the session was revoked"),
            Self::Forgotten => f.write_str(
                "the revocation store no longer vouches for the session (it forgot its data, or \
                 the session predates its record); the user must log in again",
            ),
            Self::NotStored => f.write_str("the session's state is no longer in the store"),
            Self::Stored(e) => write!(f, "the session's state in the store did not open: {e}"),
        }
    }
}

impl std::error::Error for Refusal {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Cookie(e) => Some(e),
            Self::Stored(e) => Some(e),
            _ => None,
        }
    }
}

crate::error_debug::debug_as_display!(Refusal);

impl From<CookieReadError> for Refusal {
    fn from(e: CookieReadError) -> Self {
        Self::Cookie(e)
    }
}
