//! What a store can fail with.

use std::fmt;

use crate::cookie::CookieWriteError;
use crate::error::SealError;

/// Why a store operation failed. Revocation treats every variant as an outage: it fails closed
/// unless [`Outage::Accept`](super::Outage::Accept) was chosen.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreError {
    /// The store could not be reached, or did not answer within its timeout. The operation may
    /// or may not have been applied; retry later. A web adapter answers 503.
    Unreachable(String),
    /// The store answered and refused the operation (out of memory, read-only replica, a
    /// script error, a key it will not keep). Fix the store's configuration.
    Refused(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unreachable(why) => write!(f, "the session store is unreachable: {why}"),
            Self::Refused(why) => write!(f, "the session store refused the operation: {why}"),
        }
    }
}

impl std::error::Error for StoreError {}

/// Why the end of a request could not write a server-side session
/// of its request. The store holds what it held before (a failed write is never applied later);
/// the response should carry no `Set-Cookie`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum SaveError {
    /// The store did not answer, or refused: answer 503; the client may retry.
    Store(StoreError),
    /// Another request of the session wrote it first, or logged it out, and this request's
    /// changes could not be applied again ([`Conflicts`](super::Conflicts)): answer 409; the
    /// client may retry on the newer state.
    Conflict,
    /// The state could not be sealed again (after a conflict, or for a due renewal): answer 500.
    Write(CookieWriteError),
}

impl fmt::Display for SaveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Store(e) => e.fmt(f),
            Self::Conflict => {
                f.write_str("another request of the session wrote it first, or logged it out")
            }
            Self::Write(e) => write!(f, "the session could not be sealed: {e}"),
        }
    }
}

impl std::error::Error for SaveError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Store(e) => Some(e),
            Self::Write(e) => Some(e),
            Self::Conflict => None,
        }
    }
}

crate::error::debug_as_display!(StoreError, SaveError);

impl From<StoreError> for SaveError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl From<CookieWriteError> for SaveError {
    fn from(e: CookieWriteError) -> Self {
        Self::Write(e)
    }
}

impl From<SealError> for SaveError {
    fn from(e: SealError) -> Self {
        Self::Write(CookieWriteError::Seal(e))
    }
}
