//! The signer: values the client may read but not change (HMAC-SHA256, FORMAT.md version 0x81).
//!
//! Same key ring (a separate subkey of each key), same stamps, same identity fields, same size
//! rule and the same binding of cookie name and purpose as the sealer, through the same pipeline;
//! only confidentiality is given up. cookie-rs's signed jar does not bind the name (a value
//! signed for `a` verifies as `b`); this one does.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::builder::{SignerBuilder, Signing};
use super::identity::Subject;
use super::outcome::{Opened, Sealed};
use super::protector::Protector;
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
pub type Signer = Protector<Signing>;

impl Protector<Signing> {
    /// Starts building a signer for the cookie `cookie_name` over the keys of `keys`.
    pub fn builder(keys: KeyRing, cookie_name: &str) -> SignerBuilder {
        SignerBuilder::signer(keys, cookie_name)
    }

    /// Signs `state` as a new session: created and issued now.
    ///
    /// # Errors
    /// [`SealError::TooLarge`] if the final cookie would exceed the size limit;
    /// [`SealError::Serialize`] if postcard cannot serialize `state`.
    pub fn sign<T: Serialize + ?Sized>(&self, state: &T) -> Result<Sealed, SealError> {
        self.issue(None, state)
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
        self.issue(Some(subject), state)
    }

    /// Verifies a signed value (any key in the ring, found by id), checks its stamps, and
    /// deserializes it.
    ///
    /// # Errors
    /// See [`OpenError`]; a wrong tag is [`OpenError::Authentication`].
    pub fn verify<T: DeserializeOwned>(&self, value: &str) -> Result<Opened<T>, OpenError> {
        self.read(value)
    }
}
