//! The authenticated time stamps every value carries.

use std::time::Duration;

use crate::limits::MAX_COOKIE_AGE;

/// The three authenticated time stamps inside a sealed value, in seconds since the Unix epoch.
///
/// Always `created <= issued <= expires`. They travel encrypted and are checked only after the
/// value has been authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Stamps {
    created: u64,
    issued: u64,
    expires: u64,
}

impl Stamps {
    /// `None` unless `created <= issued <= expires`.
    pub(crate) fn new(created: u64, issued: u64, expires: u64) -> Option<Self> {
        (created <= issued && issued <= expires).then_some(Self {
            created,
            issued,
            expires,
        })
    }

    /// When the session began (its first seal). Renewals keep it; the absolute lifetime counts from it.
    pub fn created(&self) -> u64 {
        self.created
    }

    /// When this value was sealed. The idle timeout counts from it.
    pub fn issued(&self) -> u64 {
        self.issued
    }

    /// When this value stops opening, as stamped at sealing: the earlier of `issued` + idle
    /// timeout and `created` + absolute lifetime. (Opening also applies the *current* policy, so a
    /// shortened lifetime takes effect at once.)
    pub fn expires(&self) -> u64 {
        self.expires
    }

    /// The `Max-Age` of a cookie holding a value with these stamps, sent when it was sealed:
    /// the seconds from `issued` to `expires`, at most the 400 days browsers keep a cookie
    /// ([`MAX_COOKIE_AGE`]). Public through [`Sealed::max_age`](crate::Sealed::max_age).
    pub(crate) fn max_age(&self) -> Duration {
        Duration::from_secs(self.expires - self.issued).min(MAX_COOKIE_AGE)
    }
}
