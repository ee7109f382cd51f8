//! Configuration shared by both modes (sealed and signed): cookie name, purpose, lifetimes, size
//! limit and clock, and the stamp and state handling that does not depend on the cryptography.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use zeroize::Zeroize;

use crate::clock::{Clock, SystemClock};
use crate::error::{CodecError, ConfigError, Malformed, OpenError, SealError};
use crate::format;
use crate::keyring::KeyRing;
use crate::stamps::{Policy, Stamps};
use crate::{Sealer, Signer};

/// The most octets of `name=value` a browser keeps in one cookie (RFC 6265bis section 5.7;
/// Chromium and Firefox drop larger cookies without a word).
pub const BROWSER_COOKIE_LIMIT: usize = 4096;

/// The longest purpose a [`SealerBuilder`] accepts, in bytes.
pub const MAX_PURPOSE_LEN: usize = 255;

/// Default idle timeout: 30 minutes without a request ends the session (OWASP's range for
/// low-risk applications is 15 to 30 minutes).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Default absolute lifetime: 8 hours after login the session ends however active it is.
pub const DEFAULT_ABSOLUTE_LIFETIME: Duration = Duration::from_secs(8 * 60 * 60);

/// Default leeway for clock differences between servers: 60 seconds.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);

/// The longest leeway a builder accepts: 5 minutes.
pub const MAX_LEEWAY: Duration = Duration::from_secs(5 * 60);

/// Default purpose, bound into every value as associated data.
pub const DEFAULT_PURPOSE: &str = "session";

/// Builds a [`Sealer`] (or a [`Signer`]). Start from [`Sealer::builder`] or [`Signer::builder`];
/// every setting has a secure default.
#[must_use = "a builder does nothing until `build` is called"]
pub struct SealerBuilder {
    keys: KeyRing,
    name: String,
    purpose: String,
    idle: Duration,
    absolute: Duration,
    leeway: Duration,
    renew_after: Option<Duration>,
    limit: usize,
    clock: Arc<dyn Clock>,
}

impl SealerBuilder {
    pub(crate) fn new(keys: KeyRing, cookie_name: &str) -> Self {
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
        }
    }

    /// The purpose bound into every value as associated data, so a value sealed for one purpose
    /// (say `"login"`) never opens for another (`"csrf"`) even under the same key and cookie
    /// name. Default [`DEFAULT_PURPOSE`]. At most [`MAX_PURPOSE_LEN`] bytes.
    pub fn purpose(mut self, purpose: &str) -> Self {
        purpose.clone_into(&mut self.purpose);
        self
    }

    /// How long a session may go without being re-sealed (sliding expiry). Default
    /// [`DEFAULT_IDLE_TIMEOUT`]. Set it equal to the absolute lifetime for no idle expiry.
    pub fn idle_timeout(mut self, idle: Duration) -> Self {
        self.idle = idle;
        self
    }

    /// How long a session may last from its creation, however active. Default
    /// [`DEFAULT_ABSOLUTE_LIFETIME`].
    pub fn absolute_lifetime(mut self, absolute: Duration) -> Self {
        self.absolute = absolute;
        self
    }

    /// Clock difference tolerated between the server that sealed and the one that opens: a value
    /// opens until `leeway` after its expiry and from `leeway` before its issue time. Default
    /// [`DEFAULT_LEEWAY`], at most [`MAX_LEEWAY`].
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// How long after a value's issue [`Opened::reseal`] starts reporting
    /// [`ResealReason::RenewalDue`] (if re-sealing would push the expiry later). Default: a tenth of
    /// the idle timeout, so an active user's session never ends sooner than 90% of the idle
    /// timeout after their last request.
    pub fn renew_after(mut self, after: Duration) -> Self {
        self.renew_after = Some(after);
        self
    }

    /// The most octets the cookie may have, counted as browsers count: name + `=` + value.
    /// Default and maximum [`BROWSER_COOKIE_LIMIT`].
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

    /// Checks the configuration and builds a [`Sealer`] (encrypted values).
    ///
    /// # Errors
    /// [`ConfigError::InvalidCookieName`], [`ConfigError::PurposeTooLong`],
    /// [`ConfigError::InvalidLifetimes`] (a zero lifetime, or idle longer than absolute), or
    /// [`ConfigError::InvalidSizeLimit`] (above 4096, or too small for even an empty payload).
    pub fn build(self) -> Result<Sealer, ConfigError> {
        Ok(Sealer::from_context(self.context(format::ENVELOPE_LEN)?))
    }

    /// Checks the configuration and builds a [`Signer`] (signed-only values, readable by the
    /// client). Same checks as [`build`](Self::build).
    ///
    /// # Errors
    /// As [`build`](Self::build).
    pub fn build_signer(self) -> Result<Signer, ConfigError> {
        Ok(Signer::from_context(
            self.context(crate::signed::SIGNED_ENVELOPE_LEN)?,
        ))
    }

    fn context(self, envelope: usize) -> Result<Context, ConfigError> {
        if !is_cookie_token(&self.name) {
            return Err(ConfigError::InvalidCookieName);
        }
        if self.purpose.len() > MAX_PURPOSE_LEN {
            return Err(ConfigError::PurposeTooLong {
                len: self.purpose.len(),
                max: MAX_PURPOSE_LEN,
            });
        }
        let idle = self.idle.as_secs();
        let absolute = self.absolute.as_secs();
        if idle == 0 || absolute == 0 || idle > absolute {
            return Err(ConfigError::InvalidLifetimes);
        }
        if self.leeway > MAX_LEEWAY {
            return Err(ConfigError::LeewayTooLong {
                secs: self.leeway.as_secs(),
                max_secs: MAX_LEEWAY.as_secs(),
            });
        }
        let policy = Policy {
            idle,
            absolute,
            leeway: self.leeway.as_secs(),
            renew_after: self.renew_after.map_or(idle / 10, |d| d.as_secs()),
        };
        let ctx = Context {
            keys: self.keys,
            aad_suffix: format::aad_suffix(&self.name, &self.purpose).into_boxed_slice(),
            name: self.name.into_boxed_str(),
            purpose: self.purpose.into_boxed_str(),
            policy,
            limit: self.limit,
            clock: self.clock,
        };
        if ctx.limit > BROWSER_COOKIE_LIMIT
            || ctx.max_payload_len_for(&ctx.name, envelope).is_none()
        {
            return Err(ConfigError::InvalidSizeLimit { limit: ctx.limit });
        }
        Ok(ctx)
    }
}

impl fmt::Debug for SealerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealerBuilder")
            .field("name", &self.name)
            .field("purpose", &self.purpose)
            .finish_non_exhaustive()
    }
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

/// Everything a sealer or signer knows besides its cryptography. Immutable once built.
pub(crate) struct Context {
    pub(crate) keys: KeyRing,
    pub(crate) name: Box<str>,
    pub(crate) purpose: Box<str>,
    /// `varint(len(name)) || name || varint(len(purpose)) || purpose` (FORMAT.md).
    pub(crate) aad_suffix: Box<[u8]>,
    pub(crate) policy: Policy,
    pub(crate) limit: usize,
    pub(crate) clock: Arc<dyn Clock>,
}

impl Context {
    pub(crate) fn now(&self) -> u64 {
        self.clock.now_unix()
    }

    /// Stamps for a new session: created and issued now.
    pub(crate) fn new_stamps(&self) -> Result<Stamps, SealError> {
        let now = self.now();
        // `build` refused a zero absolute lifetime, so a session created now has not ended.
        self.policy
            .stamps_at(now, now)
            .ok_or(SealError::Expired { expired_at: now })
    }

    /// Stamps for re-sealing an existing session: its creation time kept, issued now. Refused
    /// if the previous value has expired (idle or absolute) under the current policy, so holding
    /// an `Opened` past its expiry cannot revive the session.
    pub(crate) fn renewed_stamps(&self, previous: &Stamps) -> Result<Stamps, SealError> {
        let now = self.now();
        if let Err(OpenError::Expired { expired_at, .. }) = self.policy.check(previous, now) {
            return Err(SealError::Expired { expired_at });
        }
        // A creation time a little in the future (clock skew within the leeway) counts as now.
        let created = previous.created().min(now);
        self.policy
            .stamps_at(created, now)
            .ok_or(SealError::Expired {
                expired_at: created.saturating_add(self.policy.absolute),
            })
    }

    /// Encodes one cookie's value with `encode` and applies the size rule to the result.
    pub(crate) fn one_cookie(
        &self,
        stamps: Stamps,
        encode: impl FnOnce(&Stamps, usize) -> Result<String, SealError>,
    ) -> Result<Sealed, SealError> {
        let value = encode(&stamps, self.max_value_len())?;
        // The size check, on the value exactly as the browser will receive it.
        self.check_size(&value)?;
        Ok(Sealed { value, stamps })
    }

    /// The longest value that fits one cookie with this context's name: limit - name - `=`.
    pub(crate) fn max_value_len(&self) -> usize {
        self.limit.saturating_sub(self.name.len() + 1)
    }

    /// The size check on the final value, exactly as the browser will count it.
    pub(crate) fn check_size(&self, value: &str) -> Result<(), SealError> {
        let size = self.name.len() + 1 + value.len();
        if size > self.limit {
            return Err(SealError::TooLarge {
                size,
                limit: self.limit,
            });
        }
        Ok(())
    }

    /// Refuses a value longer than `max` before anything is decoded.
    pub(crate) fn check_input_len(value: &str, max: usize) -> Result<(), OpenError> {
        if value.len() > max {
            return Err(OpenError::Oversized {
                len: value.len(),
                max,
            });
        }
        Ok(())
    }

    /// The largest payload that always fits one cookie named `cookie_name`, for a mode whose
    /// fixed overhead is `envelope` bytes, assuming the longest stamps the policy allows.
    pub(crate) fn max_payload_len_for(&self, cookie_name: &str, envelope: usize) -> Option<usize> {
        let p = &self.policy;
        let max_value = self.limit.checked_sub(cookie_name.len() + 1)?;
        let max_bytes = format::max_bytes_in_base64(max_value);
        // created <= now (5 bytes until 3058), issued - created < absolute, expires - issued <= idle.
        let stamps = format::varint_len(self.now())
            + format::varint_len(p.absolute.saturating_sub(1))
            + format::varint_len(p.idle);
        max_bytes.checked_sub(envelope + stamps)
    }

    /// The part of opening after authentication, common to both modes: read and judge the
    /// stamps, then deserialize the state and refuse leftover bytes.
    pub(crate) fn finish_open<T: DeserializeOwned>(
        &self,
        body: &[u8],
        from_primary: bool,
    ) -> Result<Opened<T>, OpenError> {
        let (stamps, payload) =
            format::take_stamps(body).ok_or(OpenError::Malformed(Malformed::Stamps))?;
        let now = self.now();
        self.policy.check(&stamps, now)?;
        let (state, rest) = postcard::take_from_bytes::<T>(payload)
            .map_err(|e| OpenError::Deserialize(CodecError::postcard(e)))?;
        if !rest.is_empty() {
            return Err(OpenError::Deserialize(CodecError::trailing(rest.len())));
        }
        let reseal = if !from_primary {
            Some(ResealReason::OldKey)
        } else if self.policy.renewal_due(&stamps, now) {
            Some(ResealReason::RenewalDue)
        } else {
            None
        };
        Ok(Opened {
            state,
            stamps,
            reseal,
            opened_at: now,
            valid_until: self.policy.valid_until(&stamps),
        })
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("cookie_name", &self.name)
            .field("purpose", &self.purpose)
            .field("policy", &self.policy)
            .field("size_limit", &self.limit)
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

/// The accessors a [`Sealer`] and a [`Signer`] share, over their `ctx: Arc<Context>`.
macro_rules! context_accessors {
    ($what:literal) => {
        pub(crate) fn context(&self) -> &Context {
            &self.ctx
        }

        /// The cookie name bound into every value.
        pub fn cookie_name(&self) -> &str {
            &self.ctx.name
        }

        /// The purpose bound into every value.
        pub fn purpose(&self) -> &str {
            &self.ctx.purpose
        }

        /// The size limit for `name=value`, in octets.
        pub fn size_limit(&self) -> usize {
            self.ctx.limit
        }

        #[doc = concat!("The key ring this ", $what, " uses.")]
        pub fn key_ring(&self) -> &KeyRing {
            &self.ctx.keys
        }

        #[doc = concat!("The current time according to this ", $what, "'s clock, in seconds since the Unix epoch.")]
        pub fn now(&self) -> u64 {
            self.ctx.now()
        }

        /// The longest value opening accepts: the size limit less the name and `=`.
        pub fn max_value_len(&self) -> usize {
            self.ctx.max_value_len()
        }
    };
}
pub(crate) use context_accessors;

/// A postcard output that appends to a borrowed buffer, so the buffer can be wiped if
/// serializing fails halfway, and whose growth never frees a block that still holds plaintext.
pub(crate) struct Sink<'a>(pub(crate) &'a mut Vec<u8>);

impl Sink<'_> {
    /// Makes room for `additional` more bytes. Instead of letting `Vec` reallocate (which frees
    /// the old block unwiped), moves the contents to a larger block and wipes the old one.
    #[cold]
    fn grow_wiping(&mut self, additional: usize) {
        let v = &mut *self.0;
        let wanted = v
            .len()
            .saturating_add(additional)
            .max(v.capacity().saturating_mul(2));
        let mut bigger = Vec::with_capacity(wanted);
        bigger.extend_from_slice(v);
        v.zeroize();
        *v = bigger;
    }

    /// Serializes `state` to the end of the buffer with postcard.
    pub(crate) fn serialize<T: serde::Serialize + ?Sized>(
        mut self,
        state: &T,
    ) -> Result<(), postcard::Error> {
        postcard::serialize_with_flavor(state, &mut self)
    }
}

impl postcard::ser_flavors::Flavor for &mut Sink<'_> {
    type Output = ();

    #[inline]
    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        if self.0.len() == self.0.capacity() {
            self.grow_wiping(1);
        }
        self.0.push(byte);
        Ok(())
    }

    #[inline]
    fn try_extend(&mut self, bytes: &[u8]) -> postcard::Result<()> {
        if self.0.capacity() - self.0.len() < bytes.len() {
            self.grow_wiping(bytes.len());
        }
        self.0.extend_from_slice(bytes);
        Ok(())
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

/// A freshly sealed (or signed) value and the stamps inside it.
#[derive(Clone, PartialEq, Eq)]
#[must_use = "a sealed value does nothing until it is sent as a cookie"]
pub struct Sealed {
    pub(crate) value: String,
    pub(crate) stamps: Stamps,
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
        &self.stamps
    }

    /// The `Max-Age` for the cookie: time from sealing to the stamped expiry.
    pub fn max_age(&self) -> Duration {
        self.stamps.max_age_at(self.stamps.issued())
    }
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The value is a bearer credential: whoever holds it is logged in. Keep it out of logs.
        f.debug_struct("Sealed")
            .field("value", &format_args!("<{} chars>", self.value.len()))
            .field("stamps", &self.stamps)
            .finish()
    }
}

/// Why a value that opened should be sealed again and sent back as a new cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResealReason {
    /// It was sealed with a key that is no longer the primary: re-sealing moves it to the new key,
    /// so the old one can be retired sooner.
    OldKey,
    /// Enough of its idle timeout has passed that re-sealing now extends the session (sliding expiry).
    RenewalDue,
}

/// A value that opened: the state, its authenticated stamps, and whether to re-seal it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Opened<T> {
    /// The session state.
    pub state: T,
    /// The stamps the value carried (authenticated).
    pub stamps: Stamps,
    /// `Some` if the caller should call [`Sealer::renew`] (or [`Signer::renew`]) and send the new value.
    pub reseal: Option<ResealReason>,
    /// The time the value was opened at, in seconds since the Unix epoch.
    pub opened_at: u64,
    /// When this value stops opening under the current policy (leeway not counted): the
    /// earliest of the stamped expiry, issue + idle timeout, and creation + absolute lifetime.
    /// Equal to `stamps.expires()` unless a lifetime was shortened since the value was issued.
    pub valid_until: u64,
}

impl<T> Opened<T> {
    /// Whether the caller should re-seal (see [`Opened::reseal`]).
    pub fn needs_reseal(&self) -> bool {
        self.reseal.is_some()
    }

    /// The `Max-Age` the current cookie has left: from when it was opened to
    /// [`valid_until`](Self::valid_until).
    pub fn max_age(&self) -> Duration {
        Duration::from_secs(self.valid_until.saturating_sub(self.opened_at))
    }

    /// The state, dropping the stamps.
    pub fn into_state(self) -> T {
        self.state
    }
}
