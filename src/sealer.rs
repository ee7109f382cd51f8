//! The configured sealer: one cookie name, one purpose, one lifetime policy, one size limit.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use aes_gcm::aead::AeadInOut;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;
use zeroize::{Zeroize, Zeroizing};

use crate::clock::{Clock, SystemClock};
use crate::error::{CodecError, ConfigError, Malformed, OpenError, SealError};
use crate::format::{
    self, ENVELOPE_LEN, HEADER_LEN, MIN_SEALED_LEN, NONCE_LEN, TAG_LEN, VERSION_1,
};
use crate::key::{KEY_ID_LEN, KeyId};
use crate::keyring::{KeyEntry, KeyRing};
use crate::nonce;
use crate::stamps::{Policy, Stamps};

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

/// Default purpose, bound into every value as associated data.
pub const DEFAULT_PURPOSE: &str = "session";

/// Builds a [`Sealer`]. Start from [`Sealer::builder`]; every setting has a secure default.
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
    /// [`DEFAULT_LEEWAY`].
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

    /// Checks the configuration and builds the sealer.
    ///
    /// # Errors
    /// [`ConfigError::InvalidCookieName`], [`ConfigError::PurposeTooLong`],
    /// [`ConfigError::InvalidLifetimes`] (a zero lifetime, or idle longer than absolute), or
    /// [`ConfigError::InvalidSizeLimit`] (above 4096, or too small for even an empty payload).
    pub fn build(self) -> Result<Sealer, ConfigError> {
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
        let policy = Policy {
            idle,
            absolute,
            leeway: self.leeway.as_secs(),
            renew_after: self.renew_after.map_or(idle / 10, |d| d.as_secs()),
        };
        let sealer = Sealer {
            inner: Arc::new(Inner {
                keys: self.keys,
                aad_suffix: format::aad_suffix(&self.name, &self.purpose).into_boxed_slice(),
                name: self.name.into_boxed_str(),
                purpose: self.purpose.into_boxed_str(),
                policy,
                limit: self.limit,
                clock: self.clock,
                #[cfg(test)]
                fixed_nonce: None,
            }),
        };
        if self.limit > BROWSER_COOKIE_LIMIT
            || sealer.max_payload_len_for(&sealer.inner.name).is_none()
        {
            return Err(ConfigError::InvalidSizeLimit { limit: self.limit });
        }
        Ok(sealer)
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

struct Inner {
    keys: KeyRing,
    name: Box<str>,
    purpose: Box<str>,
    aad_suffix: Box<[u8]>,
    policy: Policy,
    limit: usize,
    clock: Arc<dyn Clock>,
    // Test vectors only (FORMAT.md): outside `cfg(test)` the field does not exist, so no build of
    // the library can seal with a fixed nonce.
    #[cfg(test)]
    fixed_nonce: Option<[u8; NONCE_LEN]>,
}

/// Seals session state into cookie values and opens them again.
///
/// A sealer is bound to one cookie name and one purpose, both authenticated as associated data.
/// It is cheap to clone and can be shared by every thread; keys come from its [`KeyRing`], read
/// without a lock on every call, so a rotation takes effect at once.
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use sealed_session::{Key, KeyRing, Sealer};
///
/// #[derive(Serialize, Deserialize, Debug, PartialEq)]
/// struct Session { user_id: u64, admin: bool }
///
/// let ring = KeyRing::new(Key::generate()?);
/// let sealer = Sealer::builder(ring, "__Host-session").purpose("login").build()?;
///
/// let sealed = sealer.seal(&Session { user_id: 42, admin: false })?;
/// // Set-Cookie: __Host-session=<sealed.value()>; Max-Age=<sealed.max_age()>; ...
/// let opened = sealer.open::<Session>(sealed.value())?;
/// assert_eq!(opened.state, Session { user_id: 42, admin: false });
/// assert!(!opened.needs_reseal());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Sealer {
    inner: Arc<Inner>,
}

/// A freshly sealed value and the stamps inside it.
#[derive(Clone, PartialEq, Eq)]
#[must_use = "a sealed value does nothing until it is sent as a cookie"]
pub struct Sealed {
    value: String,
    stamps: Stamps,
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
    /// `Some` if the caller should call [`Sealer::renew`] and send the new value.
    pub reseal: Option<ResealReason>,
    /// The time the value was opened at, in seconds since the Unix epoch.
    pub opened_at: u64,
}

impl<T> Opened<T> {
    /// Whether the caller should re-seal (see [`Opened::reseal`]).
    pub fn needs_reseal(&self) -> bool {
        self.reseal.is_some()
    }

    /// The `Max-Age` the current cookie has left.
    pub fn max_age(&self) -> Duration {
        self.stamps.max_age_at(self.opened_at)
    }

    /// The state, dropping the stamps.
    pub fn into_state(self) -> T {
        self.state
    }
}

// Associated data fits on the stack for every name and purpose up to this length.
const AAD_STACK: usize = 192;

/// Lets postcard write into a borrowed buffer, so the buffer can be wiped if serializing fails.
struct Sink<'a>(&'a mut Vec<u8>);

impl Extend<u8> for Sink<'_> {
    fn extend<I: IntoIterator<Item = u8>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}

impl Sealer {
    /// Starts building a sealer for the cookie `cookie_name` over the keys of `keys`.
    ///
    /// The name must be an RFC 6265 token; prefixes such as `__Host-` are allowed.
    pub fn builder(keys: KeyRing, cookie_name: &str) -> SealerBuilder {
        SealerBuilder {
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

    /// The cookie name bound into every value.
    pub fn cookie_name(&self) -> &str {
        &self.inner.name
    }

    /// The purpose bound into every value.
    pub fn purpose(&self) -> &str {
        &self.inner.purpose
    }

    /// The size limit for `name=value`, in octets.
    pub fn size_limit(&self) -> usize {
        self.inner.limit
    }

    /// The key ring this sealer uses.
    pub fn key_ring(&self) -> &KeyRing {
        &self.inner.keys
    }

    /// The current time according to this sealer's clock.
    pub fn now(&self) -> u64 {
        self.inner.clock.now_unix()
    }

    /// Seals `state` as a new session: created and issued now.
    ///
    /// # Errors
    /// [`SealError::TooLarge`] if the final cookie would exceed the size limit,
    /// [`SealError::Serialize`] if postcard cannot serialize `state`, [`SealError::Random`] if the
    /// OS random number generator fails.
    pub fn seal<T: Serialize + ?Sized>(&self, state: &T) -> Result<Sealed, SealError> {
        let now = self.now();
        let stamps = self
            .inner
            .policy
            .stamps_at(now, now)
            .ok_or(SealError::Expired { expired_at: now })?;
        self.seal_stamped(state, stamps)
    }

    /// Seals `state` again for a session that already exists, keeping its creation time (so the
    /// absolute lifetime still counts from the login) and restarting its idle timeout. Call it
    /// when [`Opened::needs_reseal`] says so, or whenever the state changes.
    ///
    /// # Errors
    /// As [`seal`](Self::seal), and [`SealError::Expired`] if the absolute lifetime has ended.
    pub fn renew<T: Serialize + ?Sized>(
        &self,
        state: &T,
        previous: &Stamps,
    ) -> Result<Sealed, SealError> {
        let now = self.now();
        // A creation time a little in the future (clock skew within the leeway) counts as now.
        let created = previous.created().min(now);
        let stamps = self
            .inner
            .policy
            .stamps_at(created, now)
            .ok_or(SealError::Expired {
                expired_at: created.saturating_add(self.inner.policy.absolute),
            })?;
        self.seal_stamped(state, stamps)
    }

    fn seal_stamped<T: Serialize + ?Sized>(
        &self,
        state: &T,
        stamps: Stamps,
    ) -> Result<Sealed, SealError> {
        let inner = &*self.inner;
        let ring = inner.keys.snapshot();
        let key = ring.primary();
        let mut nonce = [0u8; NONCE_LEN];
        self.fill_nonce(&mut nonce)?;

        // One buffer for the whole sealed value, large enough for any value that fits the limit,
        // so serialization never reallocates it; the plaintext is encrypted in place.
        let max_value = inner.limit.saturating_sub(inner.name.len() + 1);
        let mut raw = Vec::with_capacity(format::max_bytes_in_base64(max_value));
        raw.push(VERSION_1);
        raw.extend_from_slice(&key.id.0);
        raw.extend_from_slice(&nonce);
        format::put_stamps(&mut raw, &stamps);
        if let Err(e) = postcard::to_extend(state, Sink(&mut raw)) {
            raw.zeroize();
            return Err(SealError::Serialize(CodecError::postcard(e)));
        }

        let body_at = HEADER_LEN + NONCE_LEN;
        let sealed_len = raw.len() + TAG_LEN;
        let tag = self.with_aad(key.id, |aad| {
            key.aead
                .encrypt_inout_detached(&nonce.into(), aad, (&mut raw[body_at..]).into())
        });
        let Ok(tag) = tag else {
            // Only a plaintext over 2^36 bytes can make AES-GCM refuse; it is far over any limit.
            raw.zeroize();
            return Err(SealError::TooLarge {
                size: inner.name.len() + 1 + format::base64_len(sealed_len),
                limit: inner.limit,
            });
        };
        raw.extend_from_slice(&tag);
        let value = URL_SAFE_NO_PAD.encode(&raw);

        // The size check, on the value exactly as the browser will receive it.
        let size = inner.name.len() + 1 + value.len();
        if size > inner.limit {
            return Err(SealError::TooLarge {
                size,
                limit: inner.limit,
            });
        }
        Ok(Sealed { value, stamps })
    }

    #[cfg(not(test))]
    fn fill_nonce(&self, nonce: &mut [u8; NONCE_LEN]) -> Result<(), SealError> {
        nonce::fill_nonce(nonce).map_err(|_| SealError::Random)
    }

    #[cfg(test)]
    fn fill_nonce(&self, nonce: &mut [u8; NONCE_LEN]) -> Result<(), SealError> {
        match self.inner.fixed_nonce {
            Some(fixed) => {
                *nonce = fixed;
                Ok(())
            }
            None => nonce::fill_nonce(nonce).map_err(|_| SealError::Random),
        }
    }

    /// Runs `f` with the associated data for key `id`: header || len-prefixed name || len-prefixed
    /// purpose (FORMAT.md). On the stack unless the name and purpose are unusually long.
    fn with_aad<R>(&self, id: KeyId, f: impl FnOnce(&[u8]) -> R) -> R {
        let suffix = &self.inner.aad_suffix;
        let len = HEADER_LEN + suffix.len();
        let mut stack = [0u8; AAD_STACK];
        let mut heap = Vec::new();
        let buf: &mut [u8] = if len <= AAD_STACK {
            &mut stack[..len]
        } else {
            heap.resize(len, 0);
            &mut heap
        };
        buf[0] = VERSION_1;
        buf[1..HEADER_LEN].copy_from_slice(&id.0);
        buf[HEADER_LEN..].copy_from_slice(suffix);
        f(buf)
    }

    /// The longest value [`open`](Self::open) accepts: the size limit less the name and `=`.
    pub fn max_value_len(&self) -> usize {
        self.inner.limit.saturating_sub(self.inner.name.len() + 1)
    }

    /// Opens a cookie value sealed by a sealer with the same cookie name and purpose under any key
    /// in the ring, checks its stamps against now and the current policy, and deserializes it.
    ///
    /// The order is fixed: bound the length, decode, parse the header, find the key by id,
    /// authenticate and decrypt, then check the stamps, then deserialize.
    ///
    /// # Errors
    /// See [`OpenError`]: every variant means "no valid session".
    pub fn open<T: DeserializeOwned>(&self, value: &str) -> Result<Opened<T>, OpenError> {
        let max = self.max_value_len();
        if value.len() > max {
            return Err(OpenError::Oversized {
                len: value.len(),
                max,
            });
        }
        if value.len() < format::base64_len(MIN_SEALED_LEN) {
            return Err(OpenError::Malformed(Malformed::TooShort));
        }
        let mut raw = Zeroizing::new(
            URL_SAFE_NO_PAD
                .decode(value)
                .map_err(|_| OpenError::Malformed(Malformed::Encoding))?,
        );
        self.open_raw(&mut raw)
    }

    fn open_raw<T: DeserializeOwned>(&self, raw: &mut [u8]) -> Result<Opened<T>, OpenError> {
        if raw.len() < MIN_SEALED_LEN {
            return Err(OpenError::Malformed(Malformed::TooShort));
        }
        let (header, rest) = raw.split_at_mut(HEADER_LEN);
        if header[0] != VERSION_1 {
            return Err(OpenError::UnsupportedVersion(header[0]));
        }
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(&header[1..]);
        let id = KeyId(id);
        let (nonce, rest) = rest.split_at_mut(NONCE_LEN);
        let (body, tag) = rest.split_at_mut(rest.len() - TAG_LEN);
        let from_primary = {
            let ring = self.inner.keys.snapshot();
            let key: &KeyEntry = ring.get(id).ok_or(OpenError::UnknownKey(id))?;
            let nonce: [u8; NONCE_LEN] = (&*nonce)
                .try_into()
                .map_err(|_| OpenError::Malformed(Malformed::TooShort))?;
            let tag: [u8; TAG_LEN] = (&*tag)
                .try_into()
                .map_err(|_| OpenError::Malformed(Malformed::TooShort))?;
            self.with_aad(id, |aad| {
                key.aead.decrypt_inout_detached(
                    &nonce.into(),
                    aad,
                    (&mut *body).into(),
                    &tag.into(),
                )
            })
            .map_err(|_| OpenError::Authentication)?;
            ring.primary().id == id
        };

        // Authentic from here on: only now are the stamps read and judged.
        let (stamps, payload) =
            format::take_stamps(body).ok_or(OpenError::Malformed(Malformed::Stamps))?;
        let now = self.now();
        self.inner.policy.check(&stamps, now)?;
        let (state, rest) = postcard::take_from_bytes::<T>(payload)
            .map_err(|e| OpenError::Deserialize(CodecError::postcard(e)))?;
        if !rest.is_empty() {
            return Err(OpenError::Deserialize(CodecError::trailing(rest.len())));
        }
        let reseal = if !from_primary {
            Some(ResealReason::OldKey)
        } else if self.inner.policy.renewal_due(&stamps, now) {
            Some(ResealReason::RenewalDue)
        } else {
            None
        };
        Ok(Opened {
            state,
            stamps,
            reseal,
            opened_at: now,
        })
    }

    /// The largest postcard payload, in bytes, that always fits in one cookie named by this
    /// sealer's cookie name, whenever it is sealed or renewed within its lifetimes.
    ///
    /// ```
    /// # use sealed_session::{Key, KeyRing, Sealer};
    /// let sealer = Sealer::builder(KeyRing::new(Key::generate()?), "session").build()?;
    /// let max = sealer.max_payload_len();
    /// // serde_bytes encodes a byte string as a varint length and the bytes.
    /// let fits = serde_bytes::ByteBuf::from(vec![0u8; max - 2]);
    /// assert!(sealer.seal(&fits).is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_payload_len(&self) -> usize {
        // `build` refused any configuration where this is `None`.
        self.max_payload_len_for(&self.inner.name).unwrap_or(0)
    }

    /// The largest postcard payload, in bytes, that always fits in one cookie of this size limit
    /// and policy named `cookie_name`; `None` if not even an empty payload fits.
    ///
    /// It assumes the longest stamps the policy allows (a renewal just before the absolute
    /// lifetime ends), so it may be a few bytes below what fits for a new session, never above.
    pub fn max_payload_len_for(&self, cookie_name: &str) -> Option<usize> {
        let p = &self.inner.policy;
        let max_value = self.inner.limit.checked_sub(cookie_name.len() + 1)?;
        let max_sealed = format::max_bytes_in_base64(max_value);
        // created <= now (4-5 bytes today), issued - created < absolute, expires - issued <= idle.
        let stamps = format::varint_len(self.now())
            + format::varint_len(p.absolute.saturating_sub(1))
            + format::varint_len(p.idle);
        max_sealed.checked_sub(ENVELOPE_LEN + stamps)
    }
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealer")
            .field("cookie_name", &self.inner.name)
            .field("purpose", &self.inner.purpose)
            .field("policy", &self.inner.policy)
            .field("size_limit", &self.inner.limit)
            .field("keys", &self.inner.keys)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
impl Sealer {
    /// A copy of this sealer that seals with a fixed nonce: FORMAT.md test vectors only.
    pub(crate) fn with_fixed_nonce_for_vectors(&self, nonce: [u8; NONCE_LEN]) -> Sealer {
        let i = &*self.inner;
        Sealer {
            inner: Arc::new(Inner {
                keys: i.keys.clone(),
                name: i.name.clone(),
                purpose: i.purpose.clone(),
                aad_suffix: i.aad_suffix.clone(),
                policy: i.policy,
                limit: i.limit,
                clock: Arc::clone(&i.clock),
                fixed_nonce: Some(nonce),
            }),
        }
    }
}
