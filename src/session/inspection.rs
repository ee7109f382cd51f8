//! What a value holds, read by a sealer or signer that can authenticate it but has no type for
//! its state: for operators and the command-line tool (`sealed-session inspect`).

use zeroize::Zeroizing;

use super::identity::{SessionId, Subject};
use super::stamps::Stamps;
use crate::error::OpenError;
use crate::key::KeyId;
use crate::suite::Suite;

/// An authenticated value, taken apart ([`Sealer::inspect`](crate::Sealer::inspect),
/// [`Signer::inspect`](crate::Signer::inspect)). Everything here is authentic: the value was
/// made with a key of the ring, for this cookie name and purpose.
#[derive(Clone)]
#[non_exhaustive]
pub struct Inspection {
    /// The version byte, flags included (FORMAT.md, "Versions").
    pub version: u8,
    /// The suite that sealed or signed it.
    pub suite: Suite,
    /// The key that sealed or signed it.
    pub key_id: KeyId,
    /// When it was created, issued and set to expire.
    pub stamps: Stamps,
    /// Its session id, if it carries one.
    pub session_id: Option<SessionId>,
    /// Its subject, if it carries one.
    pub subject: Option<Subject>,
    /// The state's postcard bytes, as sealed. Wiped when dropped. `Debug` shows only its length.
    pub payload: Zeroizing<Vec<u8>>,
    /// Whether the key that made it is the one that seals now (if not, opening asks for a
    /// renewal).
    pub from_primary: bool,
    /// When the value stops being accepted (Unix seconds): the earliest of its expiry, its idle
    /// timeout and its absolute lifetime under this sealer's policy.
    pub valid_until: u64,
    /// Whether opening would accept it at [`inspected_at`](Self::inspected_at), as far as its
    /// stamps and identity go (expiry, not-yet-valid, a required session id missing): `Ok`, or
    /// the error opening would return. Whether the payload deserializes into the application's
    /// type is not checked.
    pub verdict: Result<(), OpenError>,
    /// The time it was judged at (Unix seconds, the sealer's clock).
    pub inspected_at: u64,
}

impl std::fmt::Debug for Inspection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The payload is the application's state: its length only.
        f.debug_struct("Inspection")
            .field("version", &self.version)
            .field("suite", &self.suite)
            .field("key_id", &self.key_id)
            .field("stamps", &self.stamps)
            .field("session_id", &self.session_id)
            .field("subject", &self.subject)
            .field("payload_len", &self.payload.len())
            .field("from_primary", &self.from_primary)
            .field("valid_until", &self.valid_until)
            .field("verdict", &self.verdict)
            .field("inspected_at", &self.inspected_at)
            .finish()
    }
}
