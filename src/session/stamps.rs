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
    /// The millisecond of the `created` second, when the value carries it (FORMAT.md, flag
    /// `0x40`).
    created_millis: Option<u16>,
}

impl Stamps {
    /// `None` unless `created <= issued <= expires`.
    pub(crate) fn new(created: u64, issued: u64, expires: u64) -> Option<Self> {
        (created <= issued && issued <= expires).then_some(Self {
            created,
            issued,
            expires,
            created_millis: None,
        })
    }

    /// These stamps with the millisecond of their creation second; `None` if `millis` is over
    /// 999.
    pub(crate) fn with_created_millis(self, millis: u16) -> Option<Self> {
        (millis < 1000).then_some(Self {
            created_millis: Some(millis),
            ..self
        })
    }

    /// The millisecond (0 to 999) of the second [`created`](Self::created), if the value carries
    /// it: values of sessions that belong to a subject do, so that a "log out everywhere" in the
    /// same second ends exactly the sessions created before it.
    pub fn created_millis(&self) -> Option<u16> {
        self.created_millis
    }

    /// When the session began, in milliseconds since the Unix epoch: [`created`](Self::created)
    /// and its millisecond, or the start of that second when the value does not carry it (so a
    /// revocation in the same second covers it: the safe side).
    pub fn created_at_millis(&self) -> u64 {
        self.created
            .saturating_mul(1000)
            .saturating_add(u64::from(self.created_millis.unwrap_or(0)))
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
