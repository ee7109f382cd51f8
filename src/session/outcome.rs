//! What sealing and opening give back.

use std::fmt;
use std::time::Duration;

use super::identity::{Envelope, SessionId, Subject};
use super::stamps::Stamps;

/// A freshly sealed (or signed) value and what it carries besides the state.
#[derive(Clone, PartialEq, Eq)]
#[must_use = "a sealed value does nothing until it is sent as a cookie"]
pub struct Sealed {
    pub(crate) value: String,
    pub(crate) envelope: Envelope,
}

impl Sealed {
    /// The cookie value: unpadded base64url, safe in a cookie without quoting.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The cookie value, owned.
    pub fn into_value(self) -> String {
        self.value
    }

    /// The stamps sealed inside the value.
    pub fn stamps(&self) -> &Stamps {
        &self.envelope.stamps
    }

    /// The stamps, session id and subject sealed inside the value.
    pub fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    /// The `Max-Age` for the cookie: the time from sealing to the stamped expiry, at most the 400
    /// days browsers keep a cookie ([`MAX_COOKIE_AGE`](crate::MAX_COOKIE_AGE)). The one
    /// way this crate computes it; [`SessionCookie`](crate::SessionCookie) renders the same.
    pub fn max_age(&self) -> Duration {
        self.envelope.stamps.max_age()
    }
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The value is a bearer credential: whoever holds it is logged in. Keep it out of logs.
        f.debug_struct("Sealed")
            .field("value", &format_args!("<{} chars>", self.value.len()))
            .field("envelope", &self.envelope)
            .finish()
    }
}

/// Why a value that opened should be renewed: sealed again and sent back as a new cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RenewalReason {
    /// It was sealed with a key that is no longer the primary: renewing moves it to the new key,
    /// so the old one can be retired sooner.
    OldKey,
    /// It was sealed with the other sealed suite than the one the sealer now seals with
    /// ([`SealerBuilder::extended_nonce`](crate::SealerBuilder::extended_nonce)).
    OldSuite,
    /// Enough of its idle timeout has passed that renewing now extends the session (sliding
    /// expiry).
    Due,
}

/// A value that opened: the state, what the value carried besides it, and whether to renew it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Opened<T> {
    /// The session state.
    pub state: T,
    /// The stamps the value carried (authenticated).
    pub stamps: Stamps,
    /// The session id the value carried, if any (authenticated).
    pub session_id: Option<SessionId>,
    /// The subject the value carried, if any (authenticated).
    pub subject: Option<Subject>,
    /// `Some` if the caller should renew the value ([`Sealer::renew`](crate::Sealer::renew)) and
    /// send it back. A session cookie is renewed by the request driver, which reads this.
    pub renewal: Option<RenewalReason>,
    /// The time the value was opened at, in seconds since the Unix epoch.
    pub opened_at: u64,
    /// When this value stops opening under the current policy (leeway not counted): the
    /// earliest of the stamped expiry, issue + idle timeout, and creation + absolute lifetime.
    /// Equal to `stamps.expires()` unless a lifetime was shortened since the value was issued.
    pub valid_until: u64,
}

impl<T> Opened<T> {
    /// Whether the caller should renew (see [`Opened::renewal`]).
    pub fn needs_renewal(&self) -> bool {
        self.renewal.is_some()
    }

    /// What a renewal must carry forward: the stamps, session id and subject.
    pub fn envelope(&self) -> Envelope {
        Envelope {
            stamps: self.stamps,
            session_id: self.session_id,
            subject: self.subject,
        }
    }

    /// The state, dropping the rest.
    pub fn into_state(self) -> T {
        self.state
    }
}
