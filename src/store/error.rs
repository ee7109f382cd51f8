//! What a store can fail with.

use std::fmt;

/// Why a store operation failed. Revocation treats every variant as an outage: it fails closed
/// unless [`Outage::Accept`](crate::Outage::Accept) was chosen.
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

// As the crate's other errors (src/error.rs, `display_as_debug`): the `Display` text, and the
// type's name with it in the alternate form. Written out here, as the stores use nothing of the
// crate above the clock.
impl fmt::Debug for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !f.alternate() {
            return fmt::Display::fmt(self, f);
        }
        f.debug_struct("StoreError")
            .field("message", &self.to_string())
            .finish()
    }
}
