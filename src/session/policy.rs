//! Lifetimes: the idle timeout, the absolute lifetime, the leeway and the renewal interval, and
//! how they judge a value's stamps.

use std::time::Duration;

use super::Stamps;
use crate::error::{Lifetime, OpenError};

/// Default idle timeout: 30 minutes without a request ends the session (OWASP's range for
/// low-risk applications is 15 to 30 minutes).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Default absolute lifetime: 8 hours after login the session ends however active it is.
pub const DEFAULT_ABSOLUTE_LIFETIME: Duration = Duration::from_secs(8 * 60 * 60);

/// Default leeway for clock differences between servers: 60 seconds.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);

/// The longest leeway a builder accepts: 5 minutes.
pub const MAX_LEEWAY: Duration = Duration::from_secs(5 * 60);

/// Idle timeout, absolute lifetime, leeway and renewal interval, all in whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Policy {
    pub(crate) idle: u64,
    pub(crate) absolute: u64,
    pub(crate) leeway: u64,
    pub(crate) renew_after: u64,
}

impl Policy {
    /// The stamps of a value sealed at `now` for a session created at `created`.
    /// `None` once the absolute lifetime has ended (or if `created` is in the future).
    pub(crate) fn stamps_at(&self, created: u64, now: u64) -> Option<Stamps> {
        let absolute_end = created.saturating_add(self.absolute);
        if now >= absolute_end {
            return None;
        }
        let expires = now.saturating_add(self.idle).min(absolute_end);
        Stamps::new(created, now, expires)
    }

    /// Checks authenticated stamps against `now` and the current policy, with the leeway.
    pub(crate) fn check(&self, s: &Stamps, now: u64) -> Result<(), OpenError> {
        let late = |deadline: u64| now > deadline.saturating_add(self.leeway);
        if s.issued() > now.saturating_add(self.leeway) {
            return Err(OpenError::NotYetValid {
                issued_at: s.issued(),
                now,
            });
        }
        let absolute_end = s.created().saturating_add(self.absolute);
        if late(absolute_end) {
            return Err(OpenError::Expired {
                lifetime: Lifetime::Absolute,
                expired_at: absolute_end,
            });
        }
        // The stamped expiry and the current idle timeout: whichever comes first.
        let idle_end = s.issued().saturating_add(self.idle).min(s.expires());
        if late(idle_end) {
            return Err(OpenError::Expired {
                lifetime: Lifetime::Idle,
                expired_at: idle_end,
            });
        }
        Ok(())
    }

    /// When a value with these stamps stops opening under this policy, leeway not counted.
    pub(crate) fn valid_until(&self, s: &Stamps) -> u64 {
        s.expires()
            .min(s.issued().saturating_add(self.idle))
            .min(s.created().saturating_add(self.absolute))
    }

    /// Whether renewing now would move the expiry later and enough time has passed since the
    /// last seal to be worth a new cookie.
    pub(crate) fn renewal_due(&self, s: &Stamps, now: u64) -> bool {
        now.saturating_sub(s.issued()) >= self.renew_after
            && self
                .stamps_at(s.created(), now)
                .is_some_and(|next| next.expires() > s.expires())
    }
}
