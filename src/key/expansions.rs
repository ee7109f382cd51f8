//! What the cipher suites expand from one key of the ring: each suite's keyed state (an AES key
//! schedule, HMAC pads), derived under its own HKDF label (FORMAT.md, "Keys") the first time the
//! suite is used with the key, once for all threads, never per call. The ring holds one of these
//! per key and knows no suite: each suite names its own slot (src/suite/), so a ring of many
//! keys expands only what its values use, and a new suite needs no change here but a slot.

use std::any::Any;
use std::sync::OnceLock;

use super::Key;

/// How many suites can keep state for a key: one slot each.
pub(crate) const SLOTS: usize = 3;

/// A key of the ring and what each suite expanded from it so far.
pub(crate) struct Expansions {
    /// The ring's key, which each slot's state is expanded from (zeroized on drop, as every
    /// suite's state is).
    key: Key,
    slots: [OnceLock<Box<dyn Any + Send + Sync>>; SLOTS],
}

impl Expansions {
    /// The expansions of `key`, none made yet.
    pub(crate) fn new(key: &Key) -> Self {
        Self {
            key: key.clone(),
            slots: Default::default(),
        }
    }

    /// The state in `slot`, made from the key by `expand` the first time it is asked for. A
    /// slot belongs to one suite, which always asks for the same type (src/suite/mod.rs tests
    /// that the slots differ).
    pub(crate) fn get<T: Any + Send + Sync>(&self, slot: usize, expand: fn(&Key) -> T) -> &T {
        let state = self.slots[slot].get_or_init(|| Box::new(expand(&self.key)));
        match state.downcast_ref() {
            Some(state) => state,
            None => unreachable!("slot {slot} holds another suite's state"),
        }
    }
}
