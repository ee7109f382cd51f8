//! Keys: 32 secret bytes, a public 4-byte id derived from them, HKDF-Expand for the subkeys the
//! suites derive (src/suite/), and the ring of keys a sealer uses.

mod counter;
mod error;
mod expansions;
mod list;
mod ring;

use std::fmt;

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

pub use error::{KeyError, KeyRingError};
pub(crate) use expansions::Expansions;
#[cfg(test)]
pub(crate) use expansions::SLOTS;
pub use list::KeyListError;
pub use ring::KeyRing;

/// Length of a [`Key`] in bytes (AES-256 and HMAC-SHA256 both take 256-bit keys).
pub const KEY_LEN: usize = 32;

/// Length of a [`KeyId`] in bytes. Changing it changes FORMAT.md's header.
pub const KEY_ID_LEN: usize = 4;

/// The least length of a master secret given to [`Key::derive`].
pub const MIN_MASTER_LEN: usize = 32;

// HKDF `info` label of the key id (FORMAT.md, "Keys"). Each use of a key gets its own subkey,
// so the same 32 bytes are never used by two algorithms, and the public key id reveals nothing
// about them; each suite's label is in its own module (src/suite/).
const INFO_KEY_ID: &[u8] = b"sealed-session key id";
const DERIVE_SALT: &[u8] = b"sealed-session derive";

/// A 256-bit secret key.
///
/// Make one with [`Key::generate`] (from the OS's CSPRNG), load one with [`Key::from_base64`] or
/// [`Key::from_bytes`], or derive one per purpose from a master secret with [`Key::derive`]. The
/// bytes are wiped from memory when the key is dropped and never appear in `Debug` output.
///
/// The crate never uses these bytes directly: HKDF-SHA256 expands them into one subkey per
/// algorithm and into the public [`KeyId`] (see FORMAT.md).
///
/// ```
/// use sealed_session::Key;
///
/// let key = Key::generate()?;
/// let text = key.to_base64(); // store this in your secret manager
/// let again = Key::from_base64(&text)?;
/// assert_eq!(key.id(), again.id());
/// assert!(!format!("{key:?}").contains(text.as_str()));
/// # Ok::<(), sealed_session::KeyError>(())
/// ```
#[derive(Clone)]
pub struct Key {
    bytes: Zeroizing<[u8; KEY_LEN]>,
}

impl Key {
    /// A fresh random key from the operating system's CSPRNG.
    ///
    /// # Errors
    /// [`KeyError::Random`] if the OS random number generator fails.
    pub fn generate() -> Result<Self, KeyError> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        getrandom::fill(bytes.as_mut_slice()).map_err(|_| KeyError::Random)?;
        Ok(Self { bytes })
    }

    /// A key from exactly 32 bytes. The bytes must be uniformly random (from a CSPRNG or from
    /// [`Key::derive`]); a password is not a key.
    ///
    /// # Errors
    /// [`KeyError::InvalidLength`] if `bytes` is not 32 bytes long.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let arr: &[u8; KEY_LEN] = bytes
            .try_into()
            .map_err(|_| KeyError::InvalidLength { len: bytes.len() })?;
        Ok(Self {
            bytes: Zeroizing::new(*arr),
        })
    }

    /// A key from base64 text, in the URL-safe or the standard alphabet, padded or not
    /// (surrounding ASCII whitespace, as left by a config file, is ignored).
    ///
    /// # Errors
    /// [`KeyError::InvalidBase64`] if the text is not base64; [`KeyError::InvalidLength`] if it
    /// does not decode to 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        Self::from_base64_exact(text.trim_ascii())
    }

    /// As [`from_base64`](Self::from_base64), but the text must be the base64 alone: the key-ring
    /// file's secrets (KEYS.md), where surrounding whitespace is a mistake to report, not undo.
    pub(crate) fn from_base64_exact(text: &str) -> Result<Self, KeyError> {
        let decoded = crate::b64::decode_lenient(text).ok_or(KeyError::InvalidBase64)?;
        let decoded = Zeroizing::new(decoded);
        Self::from_bytes(&decoded)
    }

    /// The key as unpadded base64url text, for storing in a secret manager. The returned string
    /// is wiped when dropped.
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(crate::b64::encode(self.bytes.as_slice()))
    }

    /// Derives a key for one purpose from a master secret with HKDF-SHA256
    /// (salt `"sealed-session derive"`, info = `label`). The same master and label always give
    /// the same key, so servers sharing the master secret agree with no further configuration;
    /// different labels give independent keys.
    ///
    /// ```
    /// use sealed_session::Key;
    ///
    /// let master = [7u8; 32]; // in practice: 32+ random bytes from your secret store
    /// let login = Key::derive(&master, "login-session 2026-11")?;
    /// let csrf = Key::derive(&master, "csrf 2026-11")?;
    /// assert_ne!(login.id(), csrf.id());
    /// # Ok::<(), sealed_session::KeyError>(())
    /// ```
    ///
    /// # Errors
    /// [`KeyError::MasterTooShort`] if `master` is shorter than 32 bytes.
    pub fn derive(master: &[u8], label: &str) -> Result<Self, KeyError> {
        if master.len() < MIN_MASTER_LEN {
            return Err(KeyError::MasterTooShort {
                len: master.len(),
                min: MIN_MASTER_LEN,
            });
        }
        let hk = Hkdf::<Sha256>::new(Some(DERIVE_SALT), master);
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        // 32 bytes is far below HKDF-SHA256's 8160-byte maximum: expand cannot fail.
        hk.expand(label.as_bytes(), bytes.as_mut_slice())
            .map_err(|_| KeyError::InvalidLength { len: KEY_LEN })?;
        Ok(Self { bytes })
    }

    /// The public id of this key: the first 4 bytes of HKDF-SHA256-Expand(key, "sealed-session key id").
    /// Every server that loads the same key computes the same id.
    pub fn id(&self) -> KeyId {
        let mut id = [0u8; KEY_ID_LEN];
        self.expand(INFO_KEY_ID, &mut id);
        KeyId(id)
    }

    /// HKDF-Expand with this key as the pseudorandom key. `out` is at most 32 bytes here.
    pub(crate) fn expand(&self, info: &[u8], out: &mut [u8]) {
        // A 32-byte PRK is exactly SHA-256's output length, so `from_prk` accepts it, and the
        // outputs asked for (4 and 32 bytes) are far below the expand limit: neither can fail.
        match Hkdf::<Sha256>::from_prk(self.bytes.as_slice()) {
            Ok(hk) => {
                if hk.expand(info, out).is_err() {
                    out.zeroize();
                }
            }
            Err(_) => out.zeroize(),
        }
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("id", &self.id())
            .field("bytes", &"<redacted>")
            .finish()
    }
}

/// The public, 4-byte id of a [`Key`], written in the header of every sealed value so that
/// opening finds its key directly. Shown as 8 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub(crate) [u8; KEY_ID_LEN]);

impl KeyId {
    /// The id's bytes, as they appear in a sealed value's header.
    pub fn to_bytes(self) -> [u8; KEY_ID_LEN] {
        self.0
    }

    /// An id from its bytes (for example to look a key up after reading a header).
    pub fn from_bytes(bytes: [u8; KEY_ID_LEN]) -> Self {
        Self(bytes)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}
