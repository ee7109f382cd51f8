//! Building a [`Sealer`] or a [`Signer`]: one set of settings, checked once, with a secure default
//! for each. [`SealerBuilder`] and [`SignerBuilder`] are the same builder for the two modes.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use super::context::Context;
use super::policy::{
    DEFAULT_ABSOLUTE_LIFETIME, DEFAULT_IDLE_TIMEOUT, DEFAULT_LEEWAY, MAX_LEEWAY, Policy,
};
use super::{Sealer, Signer};
use crate::clock::{Clock, SystemClock};
use crate::error::ConfigError;
use crate::format;
use crate::key::KeyRing;
use crate::limits::BROWSER_COOKIE_LIMIT;
use crate::suite::{Mode, Suite};

/// The longest purpose a builder accepts, in bytes.
pub const MAX_PURPOSE_LEN: usize = 255;

/// Default purpose, bound into every value as associated data.
pub const DEFAULT_PURPOSE: &str = "session";

/// Marks a [`Builder`] that builds a [`Sealer`] (encrypted values).
#[derive(Debug)]
pub enum Sealing {}

/// Marks a [`Builder`] that builds a [`Signer`] (signed values, readable by the client).
#[derive(Debug)]
pub enum Signing {}

/// Builds a [`Sealer`]: start from [`Sealer::builder`].
pub type SealerBuilder = Builder<Sealing>;

/// Builds a [`Signer`]: start from [`Signer::builder`].
pub type SignerBuilder = Builder<Signing>;

/// The settings of a sealer or a signer. Start from [`Sealer::builder`] or [`Signer::builder`];
/// every setting has a secure default, and `build` checks them all at once.
#[must_use = "a builder does nothing until `build` is called"]
pub struct Builder<M> {
    keys: KeyRing,
    name: String,
    purpose: String,
    idle: Duration,
    absolute: Duration,
    leeway: Duration,
    renew_after: Option<Duration>,
    limit: usize,
    clock: Arc<dyn Clock>,
    session_ids: bool,
    suite: Suite,
    mode: PhantomData<fn() -> M>,
}

impl<M> Builder<M> {
    fn new(keys: KeyRing, cookie_name: &str, suite: Suite) -> Self {
        Self {
            keys,
            name: cookie_name.to_owned(),
            purpose: DEFAULT_PURPOSE.to_owned(),
            idle: DEFAULT_IDLE_TIMEOUT,
            absolute: DEFAULT_ABSOLUTE_LIFETIME,
            leeway: DEFAULT_LEEWAY,
            renew_after: None,
            limit: BROWSER_COOKIE_LIMIT,
            clock: Arc::new(SystemClock),
            session_ids: false,
            suite,
            mode: PhantomData,
        }
    }

    /// The purpose bound into every value as associated data, so a value sealed for one purpose
    /// (say `"login"`) never opens for another (`"csrf"`) even under the same key and cookie
    /// name. Default [`DEFAULT_PURPOSE`]. At most [`MAX_PURPOSE_LEN`] bytes.
    pub fn purpose(mut self, purpose: &str) -> Self {
        purpose.clone_into(&mut self.purpose);
        self
    }

    /// How long a session may go without being renewed (sliding expiry), in whole seconds.
    /// Default [`DEFAULT_IDLE_TIMEOUT`]. Set it equal to the absolute lifetime for no idle expiry.
    pub fn idle_timeout(mut self, idle: Duration) -> Self {
        self.idle = idle;
        self
    }

    /// How long a session may last from its creation, however active, in whole seconds. Default
    /// [`DEFAULT_ABSOLUTE_LIFETIME`].
    pub fn absolute_lifetime(mut self, absolute: Duration) -> Self {
        self.absolute = absolute;
        self
    }

    /// Clock difference tolerated between the server that sealed and the one that opens, in whole
    /// seconds: a value opens until `leeway` after its expiry and from `leeway` before its issue
    /// time. Default [`DEFAULT_LEEWAY`], at most [`MAX_LEEWAY`].
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// How long after a value's issue [`Opened::renewal`](crate::Opened::renewal) starts
    /// reporting [`RenewalReason::Due`](crate::RenewalReason::Due) (if renewing would push the
    /// expiry later), in whole seconds. Default: a tenth of the idle timeout, so an active
    /// user's session never ends sooner than 90% of the idle timeout after their last request.
    pub fn renew_after(mut self, after: Duration) -> Self {
        self.renew_after = Some(after);
        self
    }

    /// The most octets the cookie may have, counted as browsers count: name + `=` + value.
    /// Default and maximum [`BROWSER_COOKIE_LIMIT`]; the least is what a value with an empty
    /// payload needs (FORMAT.md, "Size rule").
    pub fn size_limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// The clock that stamps and checks values. Default [`SystemClock`]; use a
    /// [`ManualClock`](crate::ManualClock) in tests.
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Gives every new session a random 128-bit [`SessionId`](crate::SessionId), sealed with the
    /// state (16 bytes more per value), and refuses to open a value without one
    /// ([`OpenError::MissingSessionId`](crate::OpenError::MissingSessionId)): revocation and
    /// server-side sessions key on it. Default off: no id, and no byte spent on one.
    pub fn session_ids(mut self, on: bool) -> Self {
        self.session_ids = on;
        self
    }

    /// Checks every setting and makes the context both modes share.
    fn context(self, mode: Mode) -> Result<Context, ConfigError> {
        if !is_cookie_token(&self.name) {
            return Err(ConfigError::InvalidCookieName);
        }
        if self.purpose.len() > MAX_PURPOSE_LEN {
            return Err(ConfigError::PurposeTooLong {
                len: self.purpose.len(),
                max: MAX_PURPOSE_LEN,
            });
        }
        let idle = whole_seconds("idle_timeout", self.idle)?;
        let absolute = whole_seconds("absolute_lifetime", self.absolute)?;
        let leeway = whole_seconds("leeway", self.leeway)?;
        let renew_after = match self.renew_after {
            Some(d) => whole_seconds("renew_after", d)?,
            None => idle / 10,
        };
        if idle == 0 || absolute == 0 || idle > absolute {
            return Err(ConfigError::InvalidLifetimes);
        }
        if self.leeway > MAX_LEEWAY {
            return Err(ConfigError::LeewayTooLong {
                leeway: self.leeway,
                max: MAX_LEEWAY,
            });
        }
        let policy = Policy {
            idle,
            absolute,
            leeway,
            renew_after,
        };
        let ctx = Context {
            keys: self.keys,
            aad_suffix: format::aad_suffix(&self.name, &self.purpose).into_boxed_slice(),
            name: self.name.into_boxed_str(),
            purpose: self.purpose.into_boxed_str(),
            policy,
            limit: self.limit,
            clock: self.clock,
            mode,
            suite: self.suite.implementation(),
            session_ids: self.session_ids,
            #[cfg(test)]
            fixed_nonce: None,
        };
        if ctx.limit > BROWSER_COOKIE_LIMIT || ctx.max_payload_len_for(&ctx.name).is_none() {
            return Err(ConfigError::InvalidSizeLimit { limit: ctx.limit });
        }
        // Last, once nothing else can refuse: the ring then counts this sealer's sessions, and a
        // reloaded key-ring file must allow them.
        let longest = absolute.saturating_add(leeway);
        ctx.keys
            .admit_sealer(longest)
            .map_err(|max| ConfigError::LifetimeExceedsKeyRing {
                lifetime: Duration::from_secs(longest),
                max: Duration::from_secs(max),
            })?;
        Ok(ctx)
    }
}

impl Builder<Sealing> {
    pub(super) fn sealer(keys: KeyRing, cookie_name: &str) -> Self {
        Self::new(keys, cookie_name, Suite::Aes256Gcm)
    }

    /// Whether to seal with XAES-256-GCM (version byte `0x02`: a 192-bit random nonce, 12 bytes
    /// more per value) instead of AES-256-GCM (default false), for keys that seal far more than
    /// 2^32 values (SECURITY.md, "Seal budget"). Either way the sealer opens values of both
    /// suites, so switching logs no one out: values of the other suite are reported as due for
    /// renewal.
    pub fn extended_nonce(mut self, on: bool) -> Self {
        self.suite = if on {
            Suite::Xaes256Gcm
        } else {
            Suite::Aes256Gcm
        };
        self
    }

    /// Checks the configuration and builds the [`Sealer`].
    ///
    /// # Errors
    /// [`ConfigError::InvalidCookieName`], [`ConfigError::PurposeTooLong`],
    /// [`ConfigError::NotWholeSeconds`], [`ConfigError::InvalidLifetimes`] (a zero lifetime, or
    /// idle longer than absolute), [`ConfigError::LeewayTooLong`],
    /// [`ConfigError::InvalidSizeLimit`] (above 4096, or too small for even an empty payload) or
    /// [`ConfigError::LifetimeExceedsKeyRing`] (absolute lifetime plus leeway longer than the
    /// key-ring file allows).
    pub fn build(self) -> Result<Sealer, ConfigError> {
        Ok(Sealer::from_context(self.context(Mode::Sealed)?))
    }
}

impl Builder<Signing> {
    pub(super) fn signer(keys: KeyRing, cookie_name: &str) -> Self {
        Self::new(keys, cookie_name, Suite::HmacSha256)
    }

    /// Checks the configuration and builds the [`Signer`].
    ///
    /// # Errors
    /// As [`SealerBuilder::build`].
    pub fn build(self) -> Result<Signer, ConfigError> {
        Ok(Signer::from_context(self.context(Mode::Signed)?))
    }
}

impl<M> fmt::Debug for Builder<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("name", &self.name)
            .field("purpose", &self.purpose)
            .field("suite", &self.suite)
            .finish_non_exhaustive()
    }
}

/// A duration the stamps can hold exactly: whole seconds, or a typed refusal naming the setting
/// (stamps have a resolution of one second; truncating would silently shorten a lifetime).
fn whole_seconds(setting: &'static str, d: Duration) -> Result<u64, ConfigError> {
    if d.subsec_nanos() != 0 {
        return Err(ConfigError::NotWholeSeconds {
            setting,
            duration: d,
        });
    }
    Ok(d.as_secs())
}

/// RFC 6265 section 4.1.1: `cookie-name = token` (RFC 2616): visible ASCII except separators.
pub(crate) fn is_cookie_token(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| {
            b.is_ascii_graphic()
                && !matches!(
                    b,
                    b'(' | b')'
                        | b'<'
                        | b'>'
                        | b'@'
                        | b','
                        | b';'
                        | b':'
                        | b'\\'
                        | b'"'
                        | b'/'
                        | b'['
                        | b']'
                        | b'?'
                        | b'='
                        | b'{'
                        | b'}'
                )
        })
}
