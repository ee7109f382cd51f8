//! The signed-only mode: values the client may read but not change (FORMAT.md, version 0x81).
//!
//! Same key ring (a separate HMAC-SHA256 subkey of each key), same stamps, same size rule and the
//! same binding of cookie name and purpose as the sealed mode; only confidentiality is given up.
//! cookie-rs's signed jar does not bind the name (a value signed for `a` verifies as `b`); this
//! mode does.

use std::fmt;
use std::sync::Arc;

use crate::scratch::{self, WipeOnDrop};
use hmac::Mac;
use serde::Serialize;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use crate::config::{Context, Opened, Sealed, SealerBuilder, Sink};
use crate::error::{CodecError, Malformed, OpenError, SealError};
use crate::format::{self, HEADER_LEN, MIN_STAMPS_LEN};
use crate::key::{KEY_ID_LEN, KeyId};
use crate::keyring::{KeyEntry, KeyRing};
use crate::stamps::Stamps;

/// The version byte of signed values (high bit set: integrity only, no encryption).
pub(crate) const VERSION_SIGNED_1: u8 = 0x81;
/// The full HMAC-SHA256 output.
pub(crate) const MAC_LEN: usize = 32;
/// Bytes around the stamps and payload: header and tag.
pub(crate) const SIGNED_ENVELOPE_LEN: usize = HEADER_LEN + MAC_LEN;
/// The shortest well-formed signed value, in bytes.
pub(crate) const MIN_SIGNED_LEN: usize = SIGNED_ENVELOPE_LEN + MIN_STAMPS_LEN;

/// Signs session state that the client may read but must not change, and verifies it again.
///
/// The value is `base64url(0x81 || key id || stamps || payload || HMAC-SHA256 tag)`: anyone can
/// decode the payload, nobody without the key can alter it, and it opens only for the same cookie
/// name and purpose. The tag is compared in constant time.
///
/// ```
/// use sealed_session::{Key, KeyRing, Signer, OpenError};
///
/// let signer = Signer::builder(KeyRing::new(Key::generate()?), "prefs")
///     .purpose("ui")
///     .build_signer()?;
/// let signed = signer.sign(&("dark-mode", 14u8))?;
/// let opened = signer.verify::<(String, u8)>(signed.value())?;
/// assert_eq!(opened.state, ("dark-mode".to_owned(), 14));
///
/// // A value signed for one cookie does not verify as another.
/// let other = Signer::builder(signer.key_ring().clone(), "prefs2").purpose("ui").build_signer()?;
/// assert_eq!(other.verify::<(String, u8)>(signed.value()).unwrap_err(), OpenError::Authentication);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Signer {
    ctx: Arc<Context>,
}

impl Signer {
    /// Starts building a signer for the cookie `cookie_name`; finish with
    /// [`SealerBuilder::build_signer`].
    pub fn builder(keys: KeyRing, cookie_name: &str) -> SealerBuilder {
        SealerBuilder::new(keys, cookie_name)
    }

    pub(crate) fn from_context(ctx: Context) -> Self {
        Self { ctx: Arc::new(ctx) }
    }

    crate::config::context_accessors!("signer");

    /// Signs `state` as a new session: created and issued now.
    ///
    /// # Errors
    /// [`SealError::TooLarge`] if the final cookie would exceed the size limit;
    /// [`SealError::Serialize`] if postcard cannot serialize `state`.
    pub fn sign<T: Serialize + ?Sized>(&self, state: &T) -> Result<Sealed, SealError> {
        let stamps = self.ctx.new_stamps()?;
        self.ctx
            .one_cookie(stamps, |s, max| self.sign_value(state, s, max))
    }

    /// Signs `state` again for an existing session, keeping its creation time.
    ///
    /// # Errors
    /// As [`sign`](Self::sign), and [`SealError::Expired`] if `previous` has expired (idle or
    /// absolute).
    pub fn renew<T: Serialize + ?Sized>(
        &self,
        state: &T,
        previous: &Stamps,
    ) -> Result<Sealed, SealError> {
        let stamps = self.ctx.renewed_stamps(previous)?;
        self.ctx
            .one_cookie(stamps, |s, max| self.sign_value(state, s, max))
    }

    /// Signs into an encoded value with no size check (the caller checks).
    pub(crate) fn sign_value<T: Serialize + ?Sized>(
        &self,
        state: &T,
        stamps: &Stamps,
        max_value_len: usize,
    ) -> Result<String, SealError> {
        let ring = self.ctx.keys.snapshot();
        let key = ring.primary();
        scratch::with_scratch(format::max_bytes_in_base64(max_value_len), |raw| {
            raw.push(VERSION_SIGNED_1);
            raw.extend_from_slice(&key.id.0);
            format::put_stamps(raw, stamps);
            if let Err(e) = Sink(raw).serialize(state) {
                scratch::wipe(raw);
                return Err(SealError::Serialize(CodecError::postcard(e)));
            }
            let tag = self.mac(key, raw);
            raw.extend_from_slice(&tag);
            let value = crate::b64::encode(raw);
            // Signed values are public, but a reused buffer should not carry old states around.
            scratch::wipe(raw);
            Ok(value)
        })
    }

    /// HMAC over `header || varint-len name || name || varint-len purpose || purpose || body`,
    /// where `signed` is `header || body` (FORMAT.md).
    fn mac(&self, key: &KeyEntry, signed: &[u8]) -> [u8; MAC_LEN] {
        let mut mac = key.mac.clone();
        mac.update(&signed[..HEADER_LEN]);
        mac.update(&self.ctx.aad_suffix);
        mac.update(&signed[HEADER_LEN..]);
        mac.finalize().into_bytes().into()
    }

    /// Verifies a signed value (any key in the ring, found by id), checks its stamps, and
    /// deserializes it.
    ///
    /// # Errors
    /// See [`OpenError`]; a wrong tag is [`OpenError::Authentication`].
    pub fn verify<T: DeserializeOwned>(&self, value: &str) -> Result<Opened<T>, OpenError> {
        self.verify_value(value, self.ctx.max_value_len())
    }

    pub(crate) fn verify_value<T: DeserializeOwned>(
        &self,
        value: &str,
        max: usize,
    ) -> Result<Opened<T>, OpenError> {
        Context::check_input_len(value, max)?;
        if value.len() < format::base64_len(MIN_SIGNED_LEN) {
            return Err(OpenError::Malformed(Malformed::TooShort));
        }
        scratch::with_scratch(format::max_bytes_in_base64(value.len()), |buf| {
            let buf = WipeOnDrop(buf);
            if !crate::b64::decode_into(value, buf.0) {
                return Err(OpenError::Malformed(Malformed::Encoding));
            }
            let raw: &[u8] = buf.0;
            if raw.len() < MIN_SIGNED_LEN {
                return Err(OpenError::Malformed(Malformed::TooShort));
            }
            if raw[0] != VERSION_SIGNED_1 {
                return Err(OpenError::UnsupportedVersion(raw[0]));
            }
            let mut id = [0u8; KEY_ID_LEN];
            id.copy_from_slice(&raw[1..HEADER_LEN]);
            let id = KeyId(id);
            let (signed, tag) = raw.split_at(raw.len() - MAC_LEN);
            let from_primary = {
                let ring = self.ctx.keys.snapshot();
                let key = ring.get(id).ok_or(OpenError::UnknownKey(id))?;
                let expected = self.mac(key, signed);
                if !bool::from(expected.ct_eq(tag)) {
                    return Err(OpenError::Authentication);
                }
                ring.primary().id == id
            };
            self.ctx.finish_open(&signed[HEADER_LEN..], from_primary)
        })
    }

    /// The largest postcard payload that always fits in one cookie with this signer's name.
    pub fn max_payload_len(&self) -> usize {
        self.max_payload_len_for(&self.ctx.name).unwrap_or(0)
    }

    /// The largest postcard payload that always fits in one cookie named `cookie_name`;
    /// `None` if not even an empty payload fits.
    pub fn max_payload_len_for(&self, cookie_name: &str) -> Option<usize> {
        self.ctx
            .max_payload_len_for(cookie_name, SIGNED_ENVELOPE_LEN)
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Signer").field(&self.ctx).finish()
    }
}
