//! The key layer's errors: making a key, changing a ring.

use std::fmt;

use super::KeyId;

/// Why a key could not be made.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// Raw key bytes were not exactly 32 bytes long ([`Key::from_bytes`](crate::Key::from_bytes),
    /// or the decoded form of [`Key::from_base64`](crate::Key::from_base64)).
    InvalidLength {
        /// The length that was given.
        len: usize,
    },
    /// The text given to [`Key::from_base64`](crate::Key::from_base64) is not base64 in either the
    /// standard or the URL-safe alphabet.
    InvalidBase64,
    /// The master secret given to [`Key::derive`](crate::Key::derive) is shorter than 32 bytes.
    /// Use a secret of at least 256 bits from a CSPRNG (for example [`Key::generate`](crate::Key::generate)).
    MasterTooShort {
        /// The length that was given.
        len: usize,
        /// The least length accepted (32).
        min: usize,
    },
    /// The operating system's random number generator failed. Nothing sensible can be sealed
    /// without it; retry later or stop the process.
    Random,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidLength { len } => write!(f, "a key is 32 bytes, got {len}"),
            Self::InvalidBase64 => f.write_str("key text is not valid base64"),
            Self::MasterTooShort { len, min } => {
                write!(
                    f,
                    "master secret of {len} bytes is shorter than the minimum of {min}"
                )
            }
            Self::Random => f.write_str("the operating system's random number generator failed"),
        }
    }
}

impl std::error::Error for KeyError {}

/// Why a change to a [`KeyRing`](crate::KeyRing) was refused. A refused change leaves the ring as it was.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyRingError {
    /// [`KeyRing::add`](crate::KeyRing::add) was given a key whose id is already in the ring: either the
    /// same key twice or (with odds of about 2^-32 per pair) two keys whose ids collide. Generate another key.
    DuplicateKeyId(KeyId),
    /// [`KeyRing::promote`](crate::KeyRing::promote) or [`KeyRing::retire`](crate::KeyRing::retire)
    /// named a key id the ring does not hold.
    UnknownKey(KeyId),
    /// [`KeyRing::retire`](crate::KeyRing::retire) named the primary key. Promote another key first:
    /// a ring always has a primary to seal with.
    RetirePrimary(KeyId),
}

impl fmt::Display for KeyRingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DuplicateKeyId(id) => write!(f, "the key ring already holds a key with id {id}"),
            Self::UnknownKey(id) => write!(f, "the key ring holds no key with id {id}"),
            Self::RetirePrimary(id) => {
                write!(
                    f,
                    "key {id} is the primary key; promote another key before retiring it"
                )
            }
        }
    }
}

impl std::error::Error for KeyRingError {}

crate::error_debug::debug_as_display!(KeyError, KeyRingError);
