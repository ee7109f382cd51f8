//! The key ring: one primary key that seals, any number of older keys that only open, and
//! rotation through the API while other threads keep sealing and opening.
//!
//! Readers take a lock-free snapshot (`arc_swap`) of an immutable ring; writers build a new ring
//! and swap it in. A seal or open therefore sees one consistent ring from start to end, never
//! blocks on a rotation, and never sees a key half-added.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use arc_swap::ArcSwap;
use hmac::{Hmac, KeyInit};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::{
    INFO_AES_256_GCM, INFO_HMAC_SHA256, INFO_XAES_256_GCM, KEY_LEN, Key, KeyId, KeyRingError,
};
use crate::backend::{AesGcmKey, XaesKey};

/// One key of the ring with its subkey for every suite, derived and expanded once when the key
/// joins the ring (never per call). Each suite reads its own field (src/suite/).
pub(crate) struct KeyEntry {
    pub(crate) id: KeyId,
    /// AES-256-GCM under `aead_key` (FORMAT.md, "Keys").
    pub(crate) aes_gcm: AesGcmKey,
    /// XAES-256-GCM under `xaes_key`.
    pub(crate) xaes: XaesKey,
    /// HMAC-SHA256 keyed with `hmac_key`, its inner and outer pads already hashed; the signed
    /// suite clones it per value instead of re-keying.
    pub(crate) mac: Hmac<Sha256>,
}

impl KeyEntry {
    fn new(key: &Key) -> Self {
        let mut subkey = Zeroizing::new([0u8; KEY_LEN]);
        key.expand(INFO_AES_256_GCM, subkey.as_mut_slice());
        let aes_gcm = AesGcmKey::new(&subkey);
        key.expand(INFO_XAES_256_GCM, subkey.as_mut_slice());
        let xaes = XaesKey::new(&subkey);
        // HMAC pads a key shorter than the hash block (64 bytes) with zeros (RFC 2104), so the
        // padded block keys exactly the same HMAC as the 32-byte key, with no fallible path.
        let mut block = Zeroizing::new([0u8; 64]);
        key.expand(INFO_HMAC_SHA256, &mut block[..KEY_LEN]);
        let mac = <Hmac<Sha256> as KeyInit>::new(&(*block).into());
        Self {
            id: key.id(),
            aes_gcm,
            xaes,
            mac,
        }
    }
}

/// An immutable snapshot of the ring. A ring holds a handful of keys, so finding one is a linear
/// scan over 4-byte ids with no hashing; it is a lookup by id, not a trial of keys.
pub(crate) struct Ring {
    primary: Arc<KeyEntry>,
    // Every key, the primary included, in the order they were added.
    entries: Vec<Arc<KeyEntry>>,
}

impl Ring {
    pub(crate) fn primary(&self) -> &KeyEntry {
        &self.primary
    }

    pub(crate) fn get(&self, id: KeyId) -> Option<&KeyEntry> {
        self.entries.iter().find(|e| e.id == id).map(|e| &**e)
    }

    fn position(&self, id: KeyId) -> Option<usize> {
        self.entries.iter().position(|e| e.id == id)
    }
}

struct Shared {
    current: ArcSwap<Ring>,
    // Serializes writers only (read-modify-write of the ring). Seal and open never touch it.
    writer: Mutex<()>,
}

/// Keys that seal and open values, shared by every [`Sealer`](crate::Sealer) made from it.
///
/// One key is the *primary*: every new value is sealed with it. Every key in the ring, primary or
/// not, opens the values sealed with it, found by the key id in the value's header. Cloning a
/// `KeyRing` is cheap and gives another handle to the same ring: a rotation made through any handle
/// is seen by all of them at once.
///
/// # Rotating keys across several servers
/// 1. [`add`](Self::add) the new key on every server (it opens, but does not seal yet);
/// 2. once all servers have it, [`promote`](Self::promote) it everywhere: new values use it, old
///    values still open and are reported as due for renewal (`RenewalReason::OldKey`);
/// 3. after the longest lifetime has passed, [`retire`](Self::retire) the old key.
///
/// A single server can do steps 1 and 2 at once with [`rotate`](Self::rotate).
///
/// ```
/// use sealed_session::{Key, KeyRing};
///
/// let old = Key::generate()?;
/// let ring = KeyRing::new(old.clone());
/// let new = Key::generate()?;
/// let new_id = ring.add(new)?;
/// ring.promote(new_id)?;
/// assert_eq!(ring.primary_id(), new_id);
/// ring.retire(old.id())?;
/// assert_eq!(ring.key_ids(), vec![new_id]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct KeyRing {
    shared: Arc<Shared>,
}

impl KeyRing {
    /// A ring holding one key, which is its primary.
    pub fn new(primary: Key) -> Self {
        let entry = Arc::new(KeyEntry::new(&primary));
        let ring = Ring {
            primary: Arc::clone(&entry),
            entries: vec![entry],
        };
        Self {
            shared: Arc::new(Shared {
                current: ArcSwap::from_pointee(ring),
                writer: Mutex::new(()),
            }),
        }
    }

    /// A lock-free snapshot of the ring, for one seal or open.
    pub(crate) fn snapshot(&self) -> arc_swap::Guard<Arc<Ring>> {
        self.shared.current.load()
    }

    fn write_lock(&self) -> MutexGuard<'_, ()> {
        // The guarded data is `()`: a panic in another writer cannot have left it inconsistent,
        // because the ring itself is only ever replaced whole.
        self.shared
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds a key that opens values but does not seal them (until promoted). Returns its id.
    ///
    /// # Errors
    /// [`KeyRingError::DuplicateKeyId`] if a key with the same id is already in the ring.
    pub fn add(&self, key: Key) -> Result<KeyId, KeyRingError> {
        self.insert(&key, false)
    }

    /// Adds `key`, and makes it the primary if `promote`, in one swap of the ring.
    fn insert(&self, key: &Key, promote: bool) -> Result<KeyId, KeyRingError> {
        // The AES key schedule and HMAC pads are computed outside the lock.
        let entry = Arc::new(KeyEntry::new(key));
        let id = entry.id;
        let _w = self.write_lock();
        let cur = self.shared.current.load_full();
        if cur.get(id).is_some() {
            return Err(KeyRingError::DuplicateKeyId(id));
        }
        let primary = if promote {
            Arc::clone(&entry)
        } else {
            Arc::clone(&cur.primary)
        };
        let mut entries = cur.entries.clone();
        entries.push(entry);
        self.shared
            .current
            .store(Arc::new(Ring { primary, entries }));
        Ok(id)
    }

    /// Makes the key with this id the primary: from now on new values are sealed with it. The
    /// previous primary stays in the ring and keeps opening its values.
    ///
    /// # Errors
    /// [`KeyRingError::UnknownKey`] if the ring holds no key with this id.
    pub fn promote(&self, id: KeyId) -> Result<(), KeyRingError> {
        let _w = self.write_lock();
        let cur = self.shared.current.load_full();
        let pos = cur.position(id).ok_or(KeyRingError::UnknownKey(id))?;
        self.shared.current.store(Arc::new(Ring {
            primary: Arc::clone(&cur.entries[pos]),
            entries: cur.entries.clone(),
        }));
        Ok(())
    }

    /// Adds `key` and makes it the primary in one step. Right for a single server; with several
    /// servers, [`add`](Self::add) everywhere first, then [`promote`](Self::promote), or servers
    /// that do not have the key yet will refuse the values sealed with it.
    ///
    /// # Errors
    /// [`KeyRingError::DuplicateKeyId`] if a key with the same id is already in the ring.
    pub fn rotate(&self, key: Key) -> Result<KeyId, KeyRingError> {
        self.insert(&key, true)
    }

    /// Removes a key: values sealed with it no longer open (they fail with
    /// [`OpenError::UnknownKey`](crate::OpenError::UnknownKey)). Its derived keys are wiped once the
    /// last in-flight seal or open that uses it ends.
    ///
    /// # Errors
    /// [`KeyRingError::UnknownKey`] if the ring holds no such key; [`KeyRingError::RetirePrimary`]
    /// if it is the primary (promote another key first).
    pub fn retire(&self, id: KeyId) -> Result<(), KeyRingError> {
        let _w = self.write_lock();
        let cur = self.shared.current.load_full();
        let pos = cur.position(id).ok_or(KeyRingError::UnknownKey(id))?;
        if cur.primary.id == id {
            return Err(KeyRingError::RetirePrimary(id));
        }
        let mut entries = cur.entries.clone();
        entries.remove(pos);
        self.shared.current.store(Arc::new(Ring {
            primary: Arc::clone(&cur.primary),
            entries,
        }));
        Ok(())
    }

    /// The id of the key that seals new values.
    pub fn primary_id(&self) -> KeyId {
        self.snapshot().primary.id
    }

    /// The ids of every key in the ring, the primary included, in the order they were added.
    pub fn key_ids(&self) -> Vec<KeyId> {
        self.snapshot().entries.iter().map(|e| e.id).collect()
    }

    /// Whether the ring holds a key with this id.
    pub fn contains(&self, id: KeyId) -> bool {
        self.snapshot().get(id).is_some()
    }
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ring = self.snapshot();
        f.debug_struct("KeyRing")
            .field("primary", &ring.primary.id)
            .field(
                "keys",
                &ring.entries.iter().map(|e| e.id).collect::<Vec<_>>(),
            )
            .finish()
    }
}
