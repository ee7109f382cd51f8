//! The sealer: encrypted values (AES-256-GCM, or XAES-256-GCM when asked).

use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::builder::SealerBuilder;
use super::context::Context;
use super::identity::{Envelope, Subject};
use super::outcome::{Opened, Sealed};
use super::pipeline;
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
#[derive(Clone)]
pub struct Sealer {
    ctx: Arc<Context>,
}

impl Sealer {
    /// Starts building a sealer for the cookie `cookie_name` over the keys of `keys`.
    ///
    /// The name must be an RFC 6265 token; prefixes such as `__Host-` are allowed.
    pub fn builder(keys: KeyRing, cookie_name: &str) -> SealerBuilder {
        SealerBuilder::sealer(keys, cookie_name)
    }

    pub(crate) fn from_context(ctx: Context) -> Self {
        Self { ctx: Arc::new(ctx) }
    }

    super::context_accessors!("sealer");

    /// Seals `state` as a new session: created and issued now, with a fresh session id if the
    /// sealer gives them ([`SealerBuilder::session_ids`](super::Builder::session_ids)).
    ///
    /// # Errors
    /// [`SealError::TooLarge`] if the final cookie would exceed the size limit,
    /// [`SealError::Serialize`] if postcard cannot serialize `state`, [`SealError::Random`] if the
    /// OS random number generator fails.
    pub fn seal<T: Serialize + ?Sized>(&self, state: &T) -> Result<Sealed, SealError> {
        let envelope = self.ctx.new_envelope(None)?;
        pipeline::seal_one(&self.ctx, state, envelope)
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
        let envelope = self.ctx.new_envelope(Some(*subject))?;
        pipeline::seal_one(&self.ctx, state, envelope)
    }

    /// Seals `state` again for a session that already exists, keeping its creation time (so the
    /// absolute lifetime still counts from the login), its session id and its subject, and
    /// restarting its idle timeout. Call it when [`Opened::needs_renewal`] says so, or whenever
    /// the state changes; `previous` is [`Opened::envelope`].
    ///
    /// # Errors
    /// As [`seal`](Self::seal), and [`SealError::Expired`] if `previous` has expired (its
    /// absolute lifetime has ended, or its idle timeout passed before this renewal).
    pub fn renew<T: Serialize + ?Sized>(
        &self,
        state: &T,
        previous: &Envelope,
    ) -> Result<Sealed, SealError> {
        let envelope = self.ctx.renewed_envelope(previous)?;
        pipeline::seal_one(&self.ctx, state, envelope)
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
        pipeline::open(&self.ctx, value, self.ctx.max_value_len())
    }

    /// Authenticates `value` and takes it apart without a type for its state: version, suite,
    /// key, stamps, identity, the payload's bytes, and whether [`open`](Self::open) would
    /// accept it now (and if not, why). For operators and tools; the command-line tool's
    /// `inspect` is built on it.
    ///
    /// # Errors
    /// The errors of [`open`](Self::open) up to and including authentication: a value that
    /// is not genuine cannot be inspected. Expiry and a missing session id are reported in
    /// [`Inspection::verdict`](crate::Inspection::verdict) instead.
    pub fn inspect(&self, value: &str) -> Result<crate::session::Inspection, OpenError> {
        pipeline::inspect(&self.ctx, value, self.ctx.max_value_len())
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
    pub(crate) fn with_fixed_nonce_for_vectors(&self, nonce: &[u8]) -> Sealer {
        let mut ctx = (*self.ctx).clone();
        ctx.fixed_nonce = Some(nonce.to_vec());
        Sealer::from_context(ctx)
    }
}
