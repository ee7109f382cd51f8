//! Sealing and opening session state: the builders, the one pipeline, and what it gives back.
//!
//! Constants of this layer (lifetime defaults, the purpose bound, identity sizes) live here.

mod builder;
mod context;
mod identity;
mod inspection;
mod outcome;
mod peek;
mod pipeline;
mod policy;
mod sealer;
mod signer;
mod sink;
mod stamps;

pub use builder::{
    Builder, DEFAULT_PURPOSE, MAX_PURPOSE_LEN, SealerBuilder, Sealing, SignerBuilder, Signing,
};
pub(crate) use context::Context;
pub(crate) use identity::push_hex;
pub use identity::{Envelope, MAX_SUBJECT_LEN, SESSION_ID_LEN, SessionId, Subject, SubjectError};
pub use inspection::Inspection;
pub use outcome::{Opened, RenewalReason, Sealed};
pub use peek::{Header, peek};
pub(crate) use pipeline::{open, seal_value};
pub use policy::{DEFAULT_ABSOLUTE_LIFETIME, DEFAULT_IDLE_TIMEOUT, DEFAULT_LEEWAY, MAX_LEEWAY};
pub use sealer::Sealer;
pub use signer::Signer;
pub use stamps::Stamps;

/// The accessors a [`Sealer`] and a [`Signer`] share, over their `ctx: Arc<Context>`.
macro_rules! context_accessors {
    ($what:literal) => {
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

        #[doc = concat!("The suite this ", $what, " seals with.")]
        pub fn suite(&self) -> crate::Suite {
            self.ctx.suite.suite()
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
    };
}
pub(crate) use context_accessors;
