//! The key ring: one primary key that seals, any number of older keys that only open, keys
//! scheduled to become the primary at a set time, and rotation through the API (or a reloaded
//! key-ring file) while other threads keep sealing and opening.
//!
//! Readers take a lock-free snapshot (`arc_swap`) of an immutable ring; writers build a new ring
//! and swap it in. A seal or open therefore sees one consistent ring from start to end, never
//! blocks on a rotation, and never sees a key half-added.

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use arc_swap::ArcSwap;

use super::counter::SealCounter;
use super::{Expansions, Key, KeyId, KeyRingError};
use crate::clock::{Clock, SystemClock};

/// One key of the ring: its id, what the suites expanded from it ([`Expansions`], each on its
/// first use, never per call) and its seal count. The ring knows no suite: each suite expands
/// and reads its own slot (src/suite/).
pub(crate) struct KeyEntry {
    pub(crate) id: KeyId,
    /// What each suite keys itself with.
    pub(crate) suites: Expansions,
    /// Seals made with this key in this process (SECURITY.md, "Seal budget").
    pub(crate) seals: SealCounter,
}

impl KeyEntry {
    fn new(key: &Key) -> Self {
        Self {
            id: key.id(),
            suites: Expansions::new(key),
            seals: SealCounter::new(),
        }
    }
}

/// An immutable snapshot of the ring. A ring holds a handful of keys, so finding one is a linear
/// scan over 4-byte ids with no hashing; it is a lookup by id, not a trial of keys.
pub(crate) struct Ring {
    primary: Arc<KeyEntry>,
    /// Keys that become the primary at a time (Unix seconds), in ascending time: at time `t` the
    /// primary is the last of these whose time has come, or `primary` if none has. Every server
    /// holding the same schedule switches at the same second, with no message between them.
    scheduled: Vec<(u64, Arc<KeyEntry>)>,
    // Every key, the primary and the scheduled ones included, in the order they were added.
    entries: Vec<Arc<KeyEntry>>,
    /// The longest a session sealed with these keys may live, leeway included, in seconds: the
    /// key-ring file's `max_session_lifetime`, on which `ring retire` relies to know when a key's
    /// cookies are all dead. `None` for a ring built in code, which promises nothing.
    max_session_lifetime: Option<u64>,
}

impl Ring {
    /// The key that seals at `now` (Unix seconds). Without a schedule, one length check.
    pub(crate) fn primary_at(&self, now: u64) -> &KeyEntry {
        match self.scheduled.iter().rev().find(|(at, _)| *at <= now) {
            Some((_, entry)) => entry,
            None => &self.primary,
        }
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
    // Serializes writers (read-modify-write of the ring) and the sealers built on the ring; seal
    // and open never touch it. It guards the longest session, leeway included, in seconds, of
    // any sealer built on the ring: a reloaded key-ring file must allow at least that much, and
    // a sealer is checked against the ring's bound and counted in one step, so that a reload
    // and a build at the same moment cannot both pass on stale values.
    writer: Mutex<u64>,
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
        RingBuilder::new(&primary).build()
    }

    fn from_ring(ring: Ring) -> Self {
        Self {
            shared: Arc::new(Shared {
                current: ArcSwap::from_pointee(ring),
                writer: Mutex::new(0),
            }),
        }
    }

    /// A lock-free snapshot of the ring, for one seal or open.
    pub(crate) fn snapshot(&self) -> arc_swap::Guard<Arc<Ring>> {
        self.shared.current.load()
    }

    fn write_lock(&self) -> MutexGuard<'_, u64> {
        // A panic in another writer cannot have left the guarded data inconsistent: the ring is
        // only ever replaced whole, and the longest session is one integer, only ever raised.
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
        self.insert(&key, Role::Opens)
    }

    /// Adds a key that opens values at once and becomes the primary at `activate_at` (Unix
    /// seconds, read from each sealer's clock): staged activation. Add it on every server well
    /// before that time (a key-ring file does this for you, see `KeyRingFile`), and every server
    /// starts sealing with it in the same second, without coordination, while all of them can
    /// already open what it seals. Returns its id.
    ///
    /// ```
    /// use sealed_session::{Key, KeyRing};
    ///
    /// let ring = KeyRing::new(Key::generate()?);
    /// let first = ring.primary_id();
    /// let next = ring.add_activating_at(Key::generate()?, 2_000_000_000)?;
    /// assert_eq!(ring.primary_id_at(1_999_999_999), first);
    /// assert_eq!(ring.primary_id_at(2_000_000_000), next);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`KeyRingError::DuplicateKeyId`] if a key with the same id is already in the ring.
    pub fn add_activating_at(&self, key: Key, activate_at: u64) -> Result<KeyId, KeyRingError> {
        self.insert(&key, Role::ActivatesAt(activate_at))
    }

    /// Adds `key` in `role`, in one swap of the ring.
    fn insert(&self, key: &Key, role: Role) -> Result<KeyId, KeyRingError> {
        let entry = Arc::new(KeyEntry::new(key));
        let id = entry.id;
        let _w = self.write_lock();
        let cur = self.shared.current.load_full();
        if cur.get(id).is_some() {
            return Err(KeyRingError::DuplicateKeyId(id));
        }
        let mut next = cur.edit();
        next.entries.push(Arc::clone(&entry));
        match role {
            Role::Opens => {}
            Role::Primary => next.make_primary(entry, now()),
            Role::ActivatesAt(at) => {
                let pos = next.scheduled.partition_point(|(t, _)| *t <= at);
                next.scheduled.insert(pos, (at, entry));
            }
        }
        self.shared.current.store(Arc::new(next));
        Ok(id)
    }

    /// Makes the key with this id the primary: from now on new values are sealed with it. The
    /// previous primary stays in the ring and keeps opening its values. A key scheduled to
    /// activate later ([`add_activating_at`](Self::add_activating_at)) still does, at its time.
    ///
    /// # Errors
    /// [`KeyRingError::UnknownKey`] if the ring holds no key with this id.
    pub fn promote(&self, id: KeyId) -> Result<(), KeyRingError> {
        let _w = self.write_lock();
        let cur = self.shared.current.load_full();
        let pos = cur.position(id).ok_or(KeyRingError::UnknownKey(id))?;
        let mut next = cur.edit();
        next.make_primary(Arc::clone(&cur.entries[pos]), now());
        self.shared.current.store(Arc::new(next));
        Ok(())
    }

    /// Adds `key` and makes it the primary in one step. Right for a single server; with several
    /// servers, [`add`](Self::add) everywhere first, then [`promote`](Self::promote), or servers
    /// that do not have the key yet will refuse the values sealed with it.
    ///
    /// # Errors
    /// [`KeyRingError::DuplicateKeyId`] if a key with the same id is already in the ring.
    pub fn rotate(&self, key: Key) -> Result<KeyId, KeyRingError> {
        self.insert(&key, Role::Primary)
    }

    /// Removes a key: values sealed with it no longer open (they fail with
    /// [`OpenError::UnknownKey`](crate::OpenError::UnknownKey)). Its derived keys are wiped once the
    /// last in-flight seal or open that uses it ends. A scheduled activation of it is dropped.
    ///
    /// # Errors
    /// [`KeyRingError::UnknownKey`] if the ring holds no such key; [`KeyRingError::RetirePrimary`]
    /// if it is the primary now (promote another key first).
    pub fn retire(&self, id: KeyId) -> Result<(), KeyRingError> {
        let _w = self.write_lock();
        let cur = self.shared.current.load_full();
        let pos = cur.position(id).ok_or(KeyRingError::UnknownKey(id))?;
        let now = now();
        if cur.primary_at(now).id == id {
            return Err(KeyRingError::RetirePrimary(id));
        }
        let mut next = cur.edit();
        // The schedule's passed entries are settled first: the primary stays the primary.
        next.settle(now);
        next.entries.remove(pos);
        next.scheduled.retain(|(_, e)| e.id != id);
        self.shared.current.store(Arc::new(next));
        Ok(())
    }

    /// Replaces every key of the ring at once (a reloaded key-ring file): `primary` seals now,
    /// `scheduled` take over at their times, `others` only open. Keys already in the ring keep
    /// their derived keys and seal counts.
    ///
    /// `max_session_lifetime` (seconds) is the file's: `Err` with the longest session of a sealer
    /// already built on the ring, leaving the ring unchanged, if that is longer.
    #[cfg(feature = "key-file")]
    pub(crate) fn replace(
        &self,
        primary: &Key,
        scheduled: &[(u64, &Key)],
        others: &[&Key],
        max_session_lifetime: u64,
    ) -> Result<(), u64> {
        let sealers = self.write_lock();
        if *sealers > max_session_lifetime {
            return Err(*sealers);
        }
        let cur = self.shared.current.load_full();
        // The ring's keys by id, so that a file of many keys is matched in linear time.
        let kept: std::collections::HashMap<KeyId, &Arc<KeyEntry>> =
            cur.entries.iter().map(|e| (e.id, e)).collect();
        let entry = |key: &Key| match kept.get(&key.id()) {
            Some(&kept) => Arc::clone(kept),
            None => Arc::new(KeyEntry::new(key)),
        };
        let primary = entry(primary);
        let mut scheduled: Vec<(u64, Arc<KeyEntry>)> =
            scheduled.iter().map(|(at, k)| (*at, entry(k))).collect();
        scheduled.sort_by_key(|(at, _)| *at);
        let mut entries = vec![Arc::clone(&primary)];
        entries.extend(scheduled.iter().map(|(_, e)| Arc::clone(e)));
        entries.extend(others.iter().map(|k| entry(k)));
        self.shared.current.store(Arc::new(Ring {
            primary,
            scheduled,
            entries,
            max_session_lifetime: Some(max_session_lifetime),
        }));
        Ok(())
    }

    /// The longest a session of any sealer on this ring may live, leeway included: the
    /// `max_session_lifetime` of the key-ring file the ring was loaded from (feature
    /// `key-file`, KEYS.md), which `ring retire` relies on. Building a sealer whose absolute
    /// lifetime plus leeway is longer fails with
    /// [`ConfigError::LifetimeExceedsKeyRing`](crate::ConfigError::LifetimeExceedsKeyRing).
    /// `None` for a ring built in code: no bound.
    pub fn max_session_lifetime(&self) -> Option<std::time::Duration> {
        self.snapshot()
            .max_session_lifetime
            .map(std::time::Duration::from_secs)
    }

    /// Admits a sealer whose sessions live `longest` seconds at most (absolute lifetime plus
    /// leeway): `Err` with the ring's bound if they would outlive it; otherwise a later reload
    /// must allow them too.
    pub(crate) fn admit_sealer(&self, longest: u64) -> Result<(), u64> {
        let mut sealers = self.write_lock();
        let bound = self.snapshot().max_session_lifetime;
        if let Some(max) = bound.filter(|&max| longest > max) {
            return Err(max);
        }
        *sealers = (*sealers).max(longest);
        Ok(())
    }

    /// The id of the key that seals new values now, by the system clock.
    pub fn primary_id(&self) -> KeyId {
        self.primary_id_at(now())
    }

    /// The id of the key that seals new values at `now` (Unix seconds): differs from the
    /// current primary only once a scheduled key's time has come.
    pub fn primary_id_at(&self, now: u64) -> KeyId {
        self.snapshot().primary_at(now).id
    }

    /// The ids of every key in the ring, the primary included, in the order they were added.
    pub fn key_ids(&self) -> Vec<KeyId> {
        self.snapshot().entries.iter().map(|e| e.id).collect()
    }

    /// Whether the ring holds a key with this id.
    pub fn contains(&self, id: KeyId) -> bool {
        self.snapshot().get(id).is_some()
    }

    /// How many values each key of the ring has sealed in this process since it joined the
    /// ring, in the order of [`key_ids`](Self::key_ids): to see how close a key is to its seal
    /// budget (SECURITY.md, "Seal budget"). Every server counts its own seals; add them up across
    /// the fleet. Counting takes no shared write on the seal path (one counter per thread).
    ///
    /// ```
    /// use sealed_session::{Key, KeyRing, Sealer};
    ///
    /// let ring = KeyRing::new(Key::generate()?);
    /// let sealer = Sealer::builder(ring.clone(), "session").build()?;
    /// let _ = sealer.seal(&1u8)?;
    /// let _ = sealer.seal(&2u8)?;
    /// assert_eq!(ring.seal_counts(), vec![(ring.primary_id(), 2)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn seal_counts(&self) -> Vec<(KeyId, u64)> {
        self.snapshot()
            .entries
            .iter()
            .map(|e| (e.id, e.seals.total()))
            .collect()
    }
}

/// A new ring built key by key in one pass: [`KeyRing::add`] copies the ring and scans it for
/// every key (it swaps a whole new ring in each time), which is quadratic for a long list.
pub(crate) struct RingBuilder {
    primary: Arc<KeyEntry>,
    ids: HashSet<KeyId>,
    entries: Vec<Arc<KeyEntry>>,
}

impl RingBuilder {
    /// A ring whose primary is `primary`.
    pub(crate) fn new(primary: &Key) -> Self {
        let primary = Arc::new(KeyEntry::new(primary));
        Self {
            ids: HashSet::from([primary.id]),
            entries: vec![Arc::clone(&primary)],
            primary,
        }
    }

    /// Adds a key that only opens; `false`, and nothing added, if its id is already in.
    pub(crate) fn add(&mut self, key: &Key) -> bool {
        let entry = Arc::new(KeyEntry::new(key));
        if !self.ids.insert(entry.id) {
            return false;
        }
        self.entries.push(entry);
        true
    }

    pub(crate) fn build(self) -> KeyRing {
        KeyRing::from_ring(Ring {
            primary: self.primary,
            scheduled: Vec::new(),
            entries: self.entries,
            max_session_lifetime: None,
        })
    }
}

/// What a key added to the ring does.
enum Role {
    Opens,
    Primary,
    ActivatesAt(u64),
}

impl Ring {
    /// A copy to change and swap in (the keys themselves are shared).
    fn edit(&self) -> Ring {
        Ring {
            primary: Arc::clone(&self.primary),
            scheduled: self.scheduled.clone(),
            entries: self.entries.clone(),
            max_session_lifetime: self.max_session_lifetime,
        }
    }

    /// Folds the scheduled activations whose time has come into `primary`.
    fn settle(&mut self, now: u64) {
        let passed = self.scheduled.partition_point(|(at, _)| *at <= now);
        if let Some((_, entry)) = self.scheduled.drain(..passed).next_back() {
            self.primary = entry;
        }
    }

    /// Makes `entry` the primary from `now` on: activations already passed are settled (and so
    /// overridden), later ones still happen; `entry`'s own scheduled activation is dropped.
    fn make_primary(&mut self, entry: Arc<KeyEntry>, now: u64) {
        self.settle(now);
        self.scheduled.retain(|(_, e)| e.id != entry.id);
        self.primary = entry;
    }
}

/// The system clock, for changes made through the ring's API (a sealer reads its own clock).
fn now() -> u64 {
    SystemClock.now_unix()
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ring = self.snapshot();
        f.debug_struct("KeyRing")
            .field("primary", &ring.primary_at(now()).id)
            .field(
                "scheduled",
                &ring
                    .scheduled
                    .iter()
                    .map(|(at, e)| (e.id, *at))
                    .collect::<Vec<_>>(),
            )
            .field(
                "keys",
                &ring.entries.iter().map(|e| e.id).collect::<Vec<_>>(),
            )
            .field(
                "max_session_lifetime",
                &ring
                    .max_session_lifetime
                    .map(std::time::Duration::from_secs),
            )
            .finish()
    }
}
