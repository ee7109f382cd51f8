//! The sealer: encrypted values (AES-256-GCM, or XAES-256-GCM when asked). Everything but its
//! verbs is the shared [`Protector`] (protector.rs).

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::builder::{SealerBuilder, Sealing};
use super::identity::Subject;
use super::outcome::{Opened, Sealed};
use super::protector::Protector;
use crate::error::{OpenError, SealError};
use crate::key::KeyRing;

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
/// assert!(!opened.needs_renewal());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type Sealer = Protector<Sealing>;

impl Protector<Sealing> {
    /// Starts building a sealer for the cookie `cookie_name` over the keys of `keys`.
    ///
    /// The name must be an RFC 6265 token; prefixes such as `__Host-` are allowed.
    pub fn builder(keys: KeyRing, cookie_name: &str) -> SealerBuilder {
        SealerBuilder::sealer(keys, cookie_name)
    }

    /// Seals `state` as a new session: created and issued now, with a fresh session id if the
    /// sealer gives them ([`SealerBuilder::session_ids`](super::Builder::session_ids)).
    ///
    /// # Errors
    /// [`SealError::TooLarge`] if the final cookie would exceed the size limit,
    /// [`SealError::Serialize`] if postcard cannot serialize `state`, [`SealError::Random`] if the
    /// OS random number generator fails.
    pub fn seal<T: Serialize + ?Sized>(&self, state: &T) -> Result<Sealed, SealError> {
        self.issue(None, state)
    }

    /// Seals `state` as a new session of `subject` (the user who just logged in): as
    /// [`seal`](Self::seal), with the subject sealed in too, so that every session of that user
    /// can be found and revoked together.
    ///
    /// # Errors
    /// As [`seal`](Self::seal).
    pub fn seal_for<T: Serialize + ?Sized>(
        &self,
        subject: &Subject,
        state: &T,
    ) -> Result<Sealed, SealError> {
        self.issue(Some(subject), state)
    }

    /// Opens a cookie value sealed by a sealer with the same cookie name and purpose under any key
    /// in the ring and either sealed suite, checks its stamps against now and the current policy,
    /// and deserializes it.
    ///
    /// The order is fixed: bound the length, decode, read the version byte, find the key by id,
    /// authenticate and decrypt, then check the stamps and identity, then deserialize.
    ///
    /// # Errors
    /// See [`OpenError`]: every variant means "no valid session".
    pub fn open<T: DeserializeOwned>(&self, value: &str) -> Result<Opened<T>, OpenError> {
        self.read(value)
    }
}

#[cfg(test)]
impl Sealer {
    /// A copy of this sealer that seals with a fixed nonce: FORMAT.md test vectors only.
    pub(crate) fn with_fixed_nonce_for_vectors(&self, nonce: &[u8]) -> Sealer {
        let mut ctx = (**self.context()).clone();
        ctx.fixed_nonce = Some(nonce.to_vec());
        Sealer::from_context(ctx)
    }
}
