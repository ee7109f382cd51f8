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
mod protector;
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
pub use protector::Protector;
pub use sealer::Sealer;
pub use signer::Signer;
pub use stamps::Stamps;
