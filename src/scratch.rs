//! One reusable buffer per thread for the bytes of a value being sealed or opened, so that a
//! seal allocates only its output string and an open only what the state itself needs.
//!
//! The buffer never keeps plaintext: an open wipes it before returning, and a seal leaves only
//! ciphertext in it (or wipes it when sealing fails).

use std::cell::RefCell;

/// A buffer that grew past this (a state far over any cookie) is released after use rather than
/// kept for the life of the thread.
const MAX_RETAINED: usize = 64 * 1024;

thread_local! {
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with this thread's empty scratch buffer, reserved to at least `capacity` bytes. If
/// the buffer is already in use (a `Serialize` or `Deserialize` impl that seals or opens inside
/// a seal or open), `f` gets a fresh buffer instead.
pub(crate) fn with_scratch<R>(capacity: usize, f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => {
            buf.clear();
            buf.reserve(capacity);
            let out = f(&mut buf);
            if buf.capacity() > MAX_RETAINED {
                wipe(&mut buf);
                *buf = Vec::new();
            }
            out
        }
        Err(_) => f(&mut Vec::with_capacity(capacity)),
    })
}

/// Wipes the bytes in use with a fill the optimizer cannot drop (`black_box` observes it), then
/// empties the buffer. A `memset` moves many bytes per instruction, where `zeroize`'s volatile
/// writes go one byte at a time, a cost that grows with the session next to the AEAD pass. Key
/// material is still wiped with `zeroize`; this is for session bytes, of which the application
/// holds a deserialized copy anyway.
pub(crate) fn wipe(buf: &mut Vec<u8>) {
    buf.fill(0);
    std::hint::black_box(&mut *buf);
    buf.clear();
}

/// Makes room for `additional` more bytes without ever freeing a block that still holds
/// plaintext: instead of letting `Vec` reallocate (which frees the old block unwiped), moves the
/// contents to a larger block and wipes the old one.
pub(crate) fn reserve_wiping(v: &mut Vec<u8>, additional: usize) {
    if v.capacity() - v.len() >= additional {
        return;
    }
    let wanted = v
        .len()
        .saturating_add(additional)
        .max(v.capacity().saturating_mul(2));
    let mut bigger = Vec::with_capacity(wanted);
    bigger.extend_from_slice(v);
    wipe(v);
    *v = bigger;
}

/// Wipes a buffer on every way out of a scope, `?` and panics included.
pub(crate) struct WipeOnDrop<'a>(pub(crate) &'a mut Vec<u8>);

impl Drop for WipeOnDrop<'_> {
    fn drop(&mut self) {
        wipe(self.0);
    }
}

/// Wipes a buffer if the scope is left by a panic (a `Serialize` impl that panics halfway through
/// a seal, say), and costs nothing otherwise: on the normal path the caller decides.
pub(crate) struct WipeOnUnwind<'a>(pub(crate) &'a mut Vec<u8>);

impl Drop for WipeOnUnwind<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            wipe(self.0);
        }
    }
}

/// What this thread's scratch buffer holds between uses: tests check that no plaintext is left.
#[cfg(test)]
pub(crate) fn retained() -> Vec<u8> {
    SCRATCH.with(|cell| cell.borrow().clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nested_use_gets_its_own_buffer() {
        with_scratch(8, |outer| {
            outer.extend_from_slice(b"outer");
            with_scratch(8, |inner| {
                assert!(inner.is_empty());
                inner.extend_from_slice(b"inner");
            });
            assert_eq!(outer.as_slice(), b"outer");
        });
    }

    #[test]
    fn a_huge_buffer_is_released_after_use() {
        with_scratch(MAX_RETAINED + 1, |b| b.push(1));
        SCRATCH.with(|cell| assert_eq!(cell.borrow().capacity(), 0));
    }

    #[test]
    fn wipe_on_drop_clears_the_bytes() {
        let mut v = b"secret".to_vec();
        drop(WipeOnDrop(&mut v));
        assert!(v.is_empty());
        assert!(v.capacity() >= 6);
    }
}
