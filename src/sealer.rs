//! The sealer: AES-256-GCM sealed values (FORMAT.md, version 1).

use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::aead;
use crate::config::{Context, Opened, Sealed, SealerBuilder, Sink};
use crate::error::{CodecError, Malformed, OpenError, SealError};
use crate::format::{self, HEADER_LEN, MIN_SEALED_LEN, NONCE_LEN, TAG_LEN, VERSION_1};
use crate::key::{KEY_ID_LEN, KeyId};
use crate::keyring::KeyRing;
use crate::nonce;
use crate::scratch::{self, WipeOnDrop};
use crate::stamps::Stamps;

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
    ctx: Arc<Context>,
    // Test vectors only (FORMAT.md): outside `cfg(test)` the field does not exist, so no build of
    // the library can seal with a fixed nonce.
    #[cfg(test)]
    fixed_nonce: Option<[u8; NONCE_LEN]>,
}

// Associated data fits on the stack for every name and purpose up to this length.
const AAD_STACK: usize = 192;

impl Sealer {
    /// Starts building a sealer for the cookie `cookie_name` over the keys of `keys`.
    ///
    /// The name must be an RFC 6265 token; prefixes such as `__Host-` are allowed.
    pub fn builder(keys: KeyRing, cookie_name: &str) -> SealerBuilder {
        SealerBuilder::new(keys, cookie_name)
    }

    pub(crate) fn from_context(ctx: Context) -> Self {
        Self {
            ctx: Arc::new(ctx),
            #[cfg(test)]
            fixed_nonce: None,
        }
    }

    crate::config::context_accessors!("sealer");

    /// Seals `state` as a new session: created and issued now.
    ///
    /// # Errors
    /// [`SealError::TooLarge`] if the final cookie would exceed the size limit,
    /// [`SealError::Serialize`] if postcard cannot serialize `state`, [`SealError::Random`] if the
    /// OS random number generator fails.
    pub fn seal<T: Serialize + ?Sized>(&self, state: &T) -> Result<Sealed, SealError> {
        let stamps = self.ctx.new_stamps()?;
        self.ctx
            .one_cookie(stamps, |s, max| self.seal_value(state, s, max))
    }

    /// Seals `state` again for a session that already exists, keeping its creation time (so the
    /// absolute lifetime still counts from the login) and restarting its idle timeout. Call it
    /// when [`Opened::needs_reseal`] says so, or whenever the state changes.
    ///
    /// # Errors
    /// As [`seal`](Self::seal), and [`SealError::Expired`] if `previous` has expired (its
    /// absolute lifetime has ended, or its idle timeout passed before this renewal).
    pub fn renew<T: Serialize + ?Sized>(
        &self,
        state: &T,
        previous: &Stamps,
    ) -> Result<Sealed, SealError> {
        let stamps = self.ctx.renewed_stamps(previous)?;
        self.ctx
            .one_cookie(stamps, |s, max| self.seal_value(state, s, max))
    }

    /// Seals into an encoded value with no size check (the caller checks). `max_value_len` only
    /// sizes the buffer: any value up to it is built without reallocating.
    pub(crate) fn seal_value<T: Serialize + ?Sized>(
        &self,
        state: &T,
        stamps: &Stamps,
        max_value_len: usize,
    ) -> Result<String, SealError> {
        let ring = self.ctx.keys.snapshot();
        let key = ring.primary();
        let mut nonce = [0u8; NONCE_LEN];
        self.fill_nonce(&mut nonce)?;

        // One buffer for the whole sealed value; the plaintext is encrypted in place.
        let capacity = format::max_bytes_in_base64(max_value_len);
        scratch::with_scratch(capacity, |raw| {
            raw.push(VERSION_1);
            raw.extend_from_slice(&key.id.0);
            raw.extend_from_slice(&nonce);
            format::put_stamps(raw, stamps);
            if let Err(e) = Sink(raw).serialize(state) {
                scratch::wipe(raw);
                return Err(SealError::Serialize(CodecError::postcard(e)));
            }
            let body_at = HEADER_LEN + NONCE_LEN;
            let sealed_len = raw.len() + TAG_LEN;
            let tag = self.with_aad(key.id, |aad| {
                aead::encrypt_in_place(&key.aead, &nonce, aad, &mut raw[body_at..])
            });
            let Ok(tag) = tag else {
                // Only a plaintext over 2^36 bytes makes AES-GCM refuse: far over any limit.
                scratch::wipe(raw);
                return Err(SealError::TooLarge {
                    size: self.ctx.name.len() + 1 + format::base64_len(sealed_len),
                    limit: self.ctx.limit,
                });
            };
            // Only ciphertext is left in the buffer from here on.
            raw.extend_from_slice(&tag);
            Ok(crate::b64::encode(raw))
        })
    }

    #[cfg(not(test))]
    fn fill_nonce(&self, nonce: &mut [u8; NONCE_LEN]) -> Result<(), SealError> {
        nonce::fill_nonce(nonce).map_err(|_| SealError::Random)
    }

    #[cfg(test)]
    fn fill_nonce(&self, nonce: &mut [u8; NONCE_LEN]) -> Result<(), SealError> {
        match self.fixed_nonce {
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
        let suffix = &self.ctx.aad_suffix;
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

    /// Opens a cookie value sealed by a sealer with the same cookie name and purpose under any key
    /// in the ring, checks its stamps against now and the current policy, and deserializes it.
    ///
    /// The order is fixed: bound the length, decode, parse the header, find the key by id,
    /// authenticate and decrypt, then check the stamps, then deserialize.
    ///
    /// # Errors
    /// See [`OpenError`]: every variant means "no valid session".
    pub fn open<T: DeserializeOwned>(&self, value: &str) -> Result<Opened<T>, OpenError> {
        self.open_value(value, self.ctx.max_value_len())
    }

    /// Opens a value of at most `max` characters (more than one cookie's worth when chunked).
    pub(crate) fn open_value<T: DeserializeOwned>(
        &self,
        value: &str,
        max: usize,
    ) -> Result<Opened<T>, OpenError> {
        Context::check_input_len(value, max)?;
        if value.len() < format::base64_len(MIN_SEALED_LEN) {
            return Err(OpenError::Malformed(Malformed::TooShort));
        }
        scratch::with_scratch(format::max_bytes_in_base64(value.len()), |raw| {
            let raw = WipeOnDrop(raw);
            if !crate::b64::decode_into(value, raw.0) {
                return Err(OpenError::Malformed(Malformed::Encoding));
            }
            self.open_raw(raw.0)
        })
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
            let ring = self.ctx.keys.snapshot();
            let key = ring.get(id).ok_or(OpenError::UnknownKey(id))?;
            let nonce: [u8; NONCE_LEN] = (&*nonce)
                .try_into()
                .map_err(|_| OpenError::Malformed(Malformed::TooShort))?;
            let tag: [u8; TAG_LEN] = (&*tag)
                .try_into()
                .map_err(|_| OpenError::Malformed(Malformed::TooShort))?;
            self.with_aad(id, |aad| {
                aead::decrypt_in_place(&key.aead, &nonce, aad, body, &tag)
            })
            .map_err(|_| OpenError::Authentication)?;
            ring.primary().id == id
        };
        // Authentic from here on: only now are the stamps read and judged.
        self.ctx.finish_open(body, from_primary)
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
        self.max_payload_len_for(&self.ctx.name).unwrap_or(0)
    }

    /// The largest postcard payload, in bytes, that always fits in one cookie of this size limit
    /// and policy named `cookie_name`; `None` if not even an empty payload fits.
    ///
    /// It assumes the longest stamps the policy allows (a renewal just before the absolute
    /// lifetime ends), so it may be a few bytes below what fits for a new session, never above.
    pub fn max_payload_len_for(&self, cookie_name: &str) -> Option<usize> {
        self.ctx
            .max_payload_len_for(cookie_name, format::ENVELOPE_LEN)
    }
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Sealer").field(&self.ctx).finish()
    }
}

#[cfg(test)]
impl Sealer {
    /// A copy of this sealer that seals with a fixed nonce: FORMAT.md test vectors only.
    pub(crate) fn with_fixed_nonce_for_vectors(&self, nonce: [u8; NONCE_LEN]) -> Sealer {
        Sealer {
            ctx: Arc::clone(&self.ctx),
            fixed_nonce: Some(nonce),
        }
    }
}
