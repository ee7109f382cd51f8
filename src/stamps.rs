//! The authenticated time stamps every sealed value carries, and the lifetimes that judge them.

use std::time::Duration;

use crate::error::{Lifetime, OpenError};

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

    /// The `Max-Age` a `Set-Cookie` should carry at time `now`: the seconds left until
    /// [`expires`](Self::expires), zero once it has passed.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use sealed_session::{Key, KeyRing, ManualClock, Sealer};
    /// let clock = ManualClock::new(1_800_000_000);
    /// let sealer = Sealer::builder(KeyRing::new(Key::generate()?), "id")
    ///     .idle_timeout(Duration::from_secs(600))
    ///     .clock(clock.clone())
    ///     .build()?;
    /// let sealed = sealer.seal(&"alice")?;
    /// assert_eq!(sealed.stamps().max_age_at(1_800_000_100), Duration::from_secs(500));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_age_at(&self, now_unix: u64) -> Duration {
        Duration::from_secs(self.expires.saturating_sub(now_unix))
    }
}

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
        if s.issued > now.saturating_add(self.leeway) {
            return Err(OpenError::NotYetValid {
                issued_at: s.issued,
                now,
            });
        }
        let absolute_end = s.created.saturating_add(self.absolute);
        if late(absolute_end) {
            return Err(OpenError::Expired {
                lifetime: Lifetime::Absolute,
                expired_at: absolute_end,
            });
        }
        // The stamped expiry and the current idle timeout: whichever comes first.
        let idle_end = s.issued.saturating_add(self.idle).min(s.expires);
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
        s.expires
            .min(s.issued.saturating_add(self.idle))
            .min(s.created.saturating_add(self.absolute))
    }

    /// Whether re-sealing now would move the expiry later and enough time has passed since the
    /// last seal to be worth a new cookie.
    pub(crate) fn renewal_due(&self, s: &Stamps, now: u64) -> bool {
        now.saturating_sub(s.issued) >= self.renew_after
            && self
                .stamps_at(s.created, now)
                .is_some_and(|next| next.expires > s.expires)
    }
}
