//! What a store can fail with.

use std::fmt;

/// Why a store operation failed. Revocation treats every variant as an outage: it fails closed
/// unless [`Outage::Accept`](super::Outage::Accept) was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
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
