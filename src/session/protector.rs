//! What a [`Sealer`](crate::Sealer) and a [`Signer`](crate::Signer) are: one type over the same
//! pipeline, the same key ring, stamps, identity fields, size rule and binding of cookie name and
//! purpose, differing only in their suite and the names of their verbs (sealer.rs, signer.rs).
//! Every step they share is written once, here.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::Serialize;

use super::builder::{Sealing, Signing};
use super::context::Context;
use super::identity::{Envelope, Subject};
use super::outcome::Sealed;
use super::pipeline;
use crate::error::{OpenError, SealError};
use crate::key::KeyRing;

/// Makes cookie values and opens them again: a [`Sealer`](crate::Sealer) (`Protector<Sealing>`,
/// encrypted values) or a [`Signer`](crate::Signer) (`Protector<Signing>`, signed values the
/// client may read). Start from [`Sealer::builder`](crate::Sealer::builder) or
/// [`Signer::builder`](crate::Signer::builder).
///
/// It is bound to one cookie name and one purpose, both authenticated as associated data. It is
/// cheap to clone and can be shared by every thread; keys come from its [`KeyRing`], read
/// without a lock on every call, so a rotation takes effect at once.
pub struct Protector<M> {
    ctx: Arc<Context>,
    mode: PhantomData<fn() -> M>,
}

impl<M> Clone for Protector<M> {
    fn clone(&self) -> Self {
        Self {
            ctx: Arc::clone(&self.ctx),
            mode: PhantomData,
        }
    }
}

impl<M> Protector<M> {
    pub(crate) fn from_context(ctx: Context) -> Self {
        Self {
            ctx: Arc::new(ctx),
            mode: PhantomData,
        }
    }

    /// The settings and keys every value of this sealer or signer is made under.
    pub(crate) fn context(&self) -> &Arc<Context> {
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

    /// The suite this sealer or signer protects values with.
    pub fn suite(&self) -> crate::Suite {
        self.ctx.suite.suite()
    }

    /// The key ring this sealer or signer uses.
    pub fn key_ring(&self) -> &KeyRing {
        &self.ctx.keys
    }

    /// The current time according to this sealer's or signer's clock, in seconds since the Unix
    /// epoch.
    pub fn now(&self) -> u64 {
        self.ctx.now()
    }

    /// The longest value opening accepts: the size limit less the name and `=`.
    pub fn max_value_len(&self) -> usize {
        self.ctx.max_value_len()
    }

    /// The largest postcard payload, in bytes, that always fits in one cookie with this
    /// cookie name, whenever it is sealed or renewed within its lifetimes (with a session id
    /// if one is given; a subject takes its length plus three bytes on top: its length and
    /// the creation millisecond its sessions carry).
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
        self.ctx.max_payload_len_for(&self.ctx.name).unwrap_or(0)
    }

    /// The largest postcard payload that always fits in one cookie of this size limit and
    /// policy named `cookie_name`; `None` if not even an empty payload fits.
    ///
    /// It assumes the longest stamps the policy allows (a renewal just before the absolute
    /// lifetime ends), so it may be a few bytes below what fits for a new session, never above.
    pub fn max_payload_len_for(&self, cookie_name: &str) -> Option<usize> {
        self.ctx.max_payload_len_for(cookie_name)
    }

    /// Makes the value of `state` as a new session (of `subject`, if given): created and issued
    /// now, with a fresh session id if the builder gives them.
    pub(super) fn issue<T: Serialize + ?Sized>(
        &self,
        subject: Option<&Subject>,
        state: &T,
    ) -> Result<Sealed, SealError> {
        let envelope = self.ctx.new_envelope(subject.copied())?;
        pipeline::seal_one(&self.ctx, state, envelope)
    }

    /// Makes the value of `state` again for a session that already exists, keeping its creation
    /// time (so the absolute lifetime still counts from the login), its session id and its
    /// subject, and restarting its idle timeout. Call it when
    /// [`Opened::needs_renewal`](crate::Opened::needs_renewal) says so, or whenever the state
    /// changes; `previous` is [`Opened::envelope`](crate::Opened::envelope).
    ///
    /// # Errors
    /// As the sealer's [`seal`](crate::Sealer::seal) or the signer's
    /// [`sign`](crate::Signer::sign), and [`SealError::Expired`] if `previous` has expired (its
    /// absolute lifetime has ended, or its idle timeout passed before this renewal).
    pub fn renew<T: Serialize + ?Sized>(
        &self,
        state: &T,
        previous: &Envelope,
    ) -> Result<Sealed, SealError> {
        let envelope = self.ctx.renewed_envelope(previous)?;
        pipeline::seal_one(&self.ctx, state, envelope)
    }

    /// Opens `value`: bound the length, decode, read the version byte, find the key by id,
    /// authenticate (and decrypt), then check the stamps and identity, then deserialize.
    pub(super) fn read<T: serde::de::DeserializeOwned>(
        &self,
        value: &str,
    ) -> Result<crate::Opened<T>, OpenError> {
        pipeline::open(&self.ctx, value, self.ctx.max_value_len())
    }

    /// Authenticates `value` and takes it apart without a type for its state: version, suite,
    /// key, stamps, identity, the payload's bytes, and whether the sealer's
    /// [`open`](crate::Sealer::open) (the signer's [`verify`](crate::Signer::verify)) would
    /// accept it now, and if not, why. For operators and tools; the command-line tool's
    /// `inspect` is built on it.
    ///
    /// # Errors
    /// The errors of opening up to and including authentication: a value that is not genuine
    /// cannot be inspected. Expiry and a missing session id are reported in
    /// [`Inspection::verdict`](crate::Inspection::verdict) instead.
    pub fn inspect(&self, value: &str) -> Result<crate::Inspection, OpenError> {
        pipeline::inspect(&self.ctx, value, self.ctx.max_value_len())
    }
}

impl fmt::Debug for Protector<Sealing> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Sealer").field(&self.ctx).finish()
    }
}

impl fmt::Debug for Protector<Signing> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Signer").field(&self.ctx).finish()
    }
}
