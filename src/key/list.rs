//! The short form of a key ring for simple setups: an ordered list of base64 keys, for example in
//! an environment variable. The first key seals; every key opens.

use std::fmt;

use super::ring::RingBuilder;
use super::{Key, KeyError, KeyRing};

impl KeyRing {
    /// A ring from a list of base64 keys separated by commas or whitespace: the first seals, the
    /// others only open (older keys, kept until their cookies expire). Rotate by putting a new
    /// key first and redeploying; drop the last one when its cookies have expired. For staged
    /// activation across servers, use a key-ring file instead (feature `key-file`).
    ///
    /// ```
    /// use sealed_session::{Key, KeyRing};
    ///
    /// let (new, old) = (Key::generate()?, Key::generate()?);
    /// // E.g. std::env::var("SESSION_KEYS")?
    /// let list = format!("{}, {}", new.to_base64().as_str(), old.to_base64().as_str());
    /// let ring = KeyRing::from_key_list(&list)?;
    /// assert_eq!(ring.primary_id(), new.id());
    /// assert_eq!(ring.key_ids(), vec![new.id(), old.id()]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`KeyListError`]: an empty list, an entry that is not a key, or the same key twice.
    pub fn from_key_list(list: &str) -> Result<Self, KeyListError> {
        let mut entries = list
            .split(|c: char| c == ',' || c.is_ascii_whitespace())
            .filter(|s| !s.is_empty())
            .enumerate()
            .map(|(i, text)| {
                Key::from_base64(text).map_err(|error| KeyListError::Key {
                    position: i + 1,
                    error,
                })
            });
        let first = entries.next().ok_or(KeyListError::Empty)??;
        let mut ring = RingBuilder::new(&first);
        for (i, key) in entries.enumerate() {
            if !ring.add(&key?) {
                return Err(KeyListError::DuplicateKeyId { position: i + 2 });
            }
        }
        Ok(ring.build())
    }
}

/// Why [`KeyRing::from_key_list`] refused a list. Entries are counted from 1; the message never
/// shows the key text.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyListError {
    /// The list holds no key. Set it to at least one key (`sealed-session keygen`).
    Empty,
    /// The entry at `position` is not a 32-byte base64 key.
    Key {
        /// Which entry, from 1.
        position: usize,
        /// Why it is not a key.
        error: KeyError,
    },
    /// The entry at `position` repeats an earlier key (or, with odds of 2^-32, its id). Remove it.
    DuplicateKeyId {
        /// Which entry, from 1.
        position: usize,
    },
}

impl fmt::Display for KeyListError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("the key list is empty"),
            Self::Key { position, error } => write!(f, "key {position} of the list: {error}"),
            Self::DuplicateKeyId { position } => {
                write!(f, "key {position} of the list repeats an earlier key")
            }
        }
    }
}

impl std::error::Error for KeyListError {}

crate::error_debug::debug_as_display!(KeyListError);
