//! The signer: values the client may read but not change (HMAC-SHA256, FORMAT.md version 0x81).
//!
//! Same key ring (a separate subkey of each key), same stamps, same identity fields, same size
//! rule and the same binding of cookie name and purpose as the sealer, through the same pipeline;
//! only confidentiality is given up. cookie-rs's signed jar does not bind the name (a value
//! signed for `a` verifies as `b`); this one does.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::builder::SignerBuilder;
use super::context::Context;
use super::identity::{Envelope, Subject};
use super::outcome::{Opened, Sealed};
use super::pipeline;
use crate::error::{OpenError, SealError};
use crate::key::KeyRing;

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
///     .build()?;
/// let signed = signer.sign(&("dark-mode", 14u8))?;
/// let opened = signer.verify::<(String, u8)>(signed.value())?;
/// assert_eq!(opened.state, ("dark-mode".to_owned(), 14));
///
/// // A value signed for one cookie does not verify as another.
/// let other = Signer::builder(signer.key_ring().clone(), "prefs2").purpose("ui").build()?;
/// assert_eq!(other.verify::<(String, u8)>(signed.value()).unwrap_err(), OpenError::Authentication);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Signer {
    ctx: Arc<Context>,
}

impl Signer {
    /// Starts building a signer for the cookie `cookie_name` over the keys of `keys`.
    pub fn builder(keys: KeyRing, cookie_name: &str) -> SignerBuilder {
        SignerBuilder::signer(keys, cookie_name)
    }

    pub(crate) fn from_context(ctx: Context) -> Self {
        Self { ctx: Arc::new(ctx) }
    }

    super::context_accessors!("signer");

    /// Signs `state` as a new session: created and issued now.
    ///
    /// # Errors
    /// [`SealError::TooLarge`] if the final cookie would exceed the size limit;
    /// [`SealError::Serialize`] if postcard cannot serialize `state`.
    pub fn sign<T: Serialize + ?Sized>(&self, state: &T) -> Result<Sealed, SealError> {
        let envelope = self.ctx.new_envelope(None)?;
        pipeline::seal_one(&self.ctx, state, envelope)
    }

    /// Signs `state` as a new session of `subject`.
    ///
    /// # Errors
    /// As [`sign`](Self::sign).
    pub fn sign_for<T: Serialize + ?Sized>(
        &self,
        subject: &Subject,
        state: &T,
    ) -> Result<Sealed, SealError> {
        let envelope = self.ctx.new_envelope(Some(*subject))?;
        pipeline::seal_one(&self.ctx, state, envelope)
    }

    /// Signs `state` again for an existing session, keeping its creation time, session id and
    /// subject; `previous` is [`Opened::envelope`].
    ///
    /// # Errors
    /// As [`sign`](Self::sign), and [`SealError::Expired`] if `previous` has expired (idle or
    /// absolute).
    pub fn renew<T: Serialize + ?Sized>(
        &self,
        state: &T,
        previous: &Envelope,
    ) -> Result<Sealed, SealError> {
        let envelope = self.ctx.renewed_envelope(previous)?;
        pipeline::seal_one(&self.ctx, state, envelope)
    }

    /// Verifies a signed value (any key in the ring, found by id), checks its stamps, and
    /// deserializes it.
    ///
    /// # Errors
    /// See [`OpenError`]; a wrong tag is [`OpenError::Authentication`].
    pub fn verify<T: DeserializeOwned>(&self, value: &str) -> Result<Opened<T>, OpenError> {
        pipeline::open(&self.ctx, value, self.ctx.max_value_len())
    }

    /// Authenticates `value` and takes it apart without a type for its state: version, suite,
    /// key, stamps, identity, the payload's bytes, and whether [`verify`](Self::verify) would
    /// accept it now (and if not, why). For operators and tools; the command-line tool's
    /// `inspect` is built on it.
    ///
    /// # Errors
    /// The errors of [`verify`](Self::verify) up to and including authentication: a value that
    /// is not genuine cannot be inspected. Expiry and a missing session id are reported in
    /// [`Inspection::verdict`](crate::Inspection::verdict) instead.
    pub fn inspect(&self, value: &str) -> Result<crate::session::Inspection, OpenError> {
        pipeline::inspect(&self.ctx, value, self.ctx.max_value_len())
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Signer").field(&self.ctx).finish()
    }
}
