//! Reading a value's header without opening it: which suite, which key, which identity fields.
//! For operators and the command-line tool; nothing read here is authenticated.

use crate::error::{Malformed, OpenError};
use crate::format::{FLAG_SESSION_ID, FLAG_SUBJECT, HEADER_LEN};
use crate::key::{KEY_ID_LEN, KeyId};
use crate::suite::Suite;

/// The longest value [`peek`] reads: 8 cookies of 4 KB.
const MAX_PEEK_LEN: usize = 8 * 4096;

/// A value's header as [`peek`] reads it. **Not authenticated**: anyone can write any header;
/// only opening tells whether the value is genuine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Header {
    /// The version byte, flags included.
    pub version: u8,
    /// The suite it names.
    pub suite: Suite,
    /// The id of the key the value claims to be sealed with.
    pub key_id: KeyId,
    /// Whether the value says it carries a session id.
    pub has_session_id: bool,
    /// Whether the value says it carries a subject.
    pub has_subject: bool,
}

/// Reads the header of a sealed or signed value (joined, if it was chunked) without a key: its
/// version byte, suite and key id. Use it to tell which key a refused value asked for, or which
/// suite a deployment's cookies use.
///
/// ```
/// use sealed_session::{Key, KeyRing, Sealer, Suite, peek};
///
/// let ring = KeyRing::new(Key::generate()?);
/// let sealer = Sealer::builder(ring.clone(), "session").build()?;
/// let header = peek(sealer.seal(&42u8)?.value())?;
/// assert_eq!(header.suite, Suite::Aes256Gcm);
/// assert_eq!(header.key_id, ring.primary_id());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`OpenError::Oversized`] over 32 KiB, [`OpenError::Malformed`] if the value is not canonical
/// base64url or is shorter than its suite's smallest value, [`OpenError::UnsupportedVersion`]
/// for a reserved version byte.
pub fn peek(value: &str) -> Result<Header, OpenError> {
    if value.len() > MAX_PEEK_LEN {
        return Err(OpenError::Oversized {
            len: value.len(),
            max: MAX_PEEK_LEN,
        });
    }
    let mut raw = Vec::new();
    if !crate::b64::decode_into(value, &mut raw) {
        return Err(OpenError::Malformed(Malformed::Encoding));
    }
    let version = *raw
        .first()
        .ok_or(OpenError::Malformed(Malformed::TooShort))?;
    let suite = Suite::from_version(version).ok_or(OpenError::UnsupportedVersion(version))?;
    if raw.len() < suite.implementation().min_len() {
        return Err(OpenError::Malformed(Malformed::TooShort));
    }
    let mut id = [0u8; KEY_ID_LEN];
    id.copy_from_slice(&raw[1..HEADER_LEN]);
    Ok(Header {
        version,
        suite,
        key_id: KeyId(id),
        has_session_id: version & FLAG_SESSION_ID != 0,
        has_subject: version & FLAG_SUBJECT != 0,
    })
}
