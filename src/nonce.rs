//! Nonces: 96 random bits per seal from a ChaCha20 generator held per thread and seeded once from
//! the operating system, so that sealing costs no system call (on the reference machine a
//! `getrandom` call costs 25 to 30 times what the generator does: `cargo bench --bench levers`,
//! lever `nonce`).
//!
//! Random 96-bit nonces bound a key to about 2^32 seals (NIST SP 800-38D, section 8.3): see
//! SECURITY.md for what that means for rotation.

use std::cell::RefCell;

use chacha20::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use zeroize::Zeroizing;

use crate::format::NONCE_LEN;

thread_local! {
    // `ChaCha20Rng` wipes its state on drop (the `zeroize` feature), at thread exit.
    static NONCE_RNG: RefCell<Option<ChaCha20Rng>> = const { RefCell::new(None) };
}

/// The OS random number generator failed while seeding this thread's generator.
#[derive(Debug)]
pub(crate) struct RandomError;

/// Fills `out` with fresh random bytes from this thread's generator, seeding it from the OS on
/// first use in the thread.
pub(crate) fn fill_nonce(out: &mut [u8; NONCE_LEN]) -> Result<(), RandomError> {
    NONCE_RNG.with(|cell| {
        // Nothing inside this closure can reach back into `fill_nonce`, so the borrow is free;
        // `try_borrow_mut` turns even that impossible case into an error rather than a panic.
        let mut slot = cell.try_borrow_mut().map_err(|_| RandomError)?;
        let rng = match &mut *slot {
            Some(rng) => rng,
            empty => {
                let mut seed = Zeroizing::new([0u8; 32]);
                getrandom::fill(seed.as_mut_slice()).map_err(|_| RandomError)?;
                empty.insert(ChaCha20Rng::from_seed(*seed))
            }
        };
        // Two word reads from the generator's buffered block (`fill_bytes` on 12 bytes takes
        // about ten times the instructions).
        out[..8].copy_from_slice(&rng.next_u64().to_le_bytes());
        out[8..].copy_from_slice(&rng.next_u32().to_le_bytes());
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_differ_within_a_thread_and_across_threads() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let mut n = [0u8; NONCE_LEN];
            fill_nonce(&mut n).unwrap();
            assert!(seen.insert(n), "nonce repeated");
        }
        let others: Vec<[u8; NONCE_LEN]> = (0..4)
            .map(|_| {
                std::thread::spawn(|| {
                    let mut n = [0u8; NONCE_LEN];
                    fill_nonce(&mut n).unwrap();
                    n
                })
                .join()
                .unwrap()
            })
            .collect();
        for n in others {
            assert!(seen.insert(n), "a new thread repeated a nonce");
        }
    }
}
