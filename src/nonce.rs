//! Nonces and session ids: random bytes from a ChaCha20 generator held per thread and seeded from
//! the operating system, so that sealing makes no system call (a `getrandom` call per seal costs
//! far more: `cargo bench -p sealed-session-benches --bench levers`, lever `nonce`).
//!
//! A forked child inherits its parent's generator; were it kept, parent and child would seal with
//! the same nonces. On Unix a `pthread_atfork` handler (the `forkguard` crate) counts forks, and a
//! generator seeded before the latest fork is seeded again before its next use: one atomic load
//! per call instead of a `getpid` system call.
//!
//! Random 96-bit nonces bound a key to about 2^32 seals (NIST SP 800-38D, section 8.3): see
//! SECURITY.md for what that means for rotation.

use std::cell::RefCell;

use chacha20::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use zeroize::Zeroizing;

thread_local! {
    // `ChaCha20Rng` wipes its state on drop (the `zeroize` feature), at thread exit.
    static NONCE_RNG: RefCell<Option<Seeded>> = const { RefCell::new(None) };
}

/// A generator and the fork count it was seeded under.
struct Seeded {
    rng: ChaCha20Rng,
    #[cfg(unix)]
    fork: ForkGuard,
}

/// Tells whether the process forked since the generator was seeded.
#[cfg(unix)]
enum ForkGuard {
    Atfork(forkguard::atfork::Guard),
    // If the handler cannot be registered (the C library refused), compare process ids instead:
    // slower, never wrong.
    Pid(forkguard::pid::Guard),
}

#[cfg(unix)]
impl ForkGuard {
    fn new() -> Self {
        match forkguard::atfork::Guard::try_new() {
            Ok(g) => Self::Atfork(g),
            Err(_) => Self::Pid(forkguard::pid::Guard::default()),
        }
    }

    #[inline]
    fn forked(&mut self) -> bool {
        match self {
            Self::Atfork(g) => g.detected_fork(),
            Self::Pid(g) => g.detected_fork(),
        }
    }
}

fn seed() -> Result<Seeded, RandomError> {
    // The guard first, so that a fork between the two steps is seen at the next call.
    #[cfg(unix)]
    let fork = ForkGuard::new();
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut_slice()).map_err(|_| RandomError)?;
    Ok(Seeded {
        rng: ChaCha20Rng::from_seed(*seed),
        #[cfg(unix)]
        fork,
    })
}

/// The OS random number generator failed while seeding this thread's generator.
#[derive(Debug)]
pub(crate) struct RandomError;

/// Fills `out` with fresh random bytes from this thread's generator, seeding it from the OS on
/// first use in the thread and again after a fork.
pub(crate) fn fill(out: &mut [u8]) -> Result<(), RandomError> {
    NONCE_RNG.with(|cell| {
        // Nothing inside this closure can reach back into `fill`, so the borrow is free;
        // `try_borrow_mut` turns even that impossible case into an error rather than a panic.
        let mut slot = cell.try_borrow_mut().map_err(|_| RandomError)?;
        #[cfg(unix)]
        if let Some(seeded) = &mut *slot {
            if seeded.fork.forked() {
                *slot = None;
            }
        }
        let seeded = match &mut *slot {
            Some(seeded) => seeded,
            empty => empty.insert(seed()?),
        };
        words(&mut seeded.rng, out);
        Ok(())
    })
}

/// Fills `out` with whole words from the generator's buffered block: far fewer instructions than
/// `fill_bytes` on a short buffer. The lengths the crate asks for (a 12-byte nonce, a 16-byte
/// session id, a 24-byte nonce) take straight-line code.
#[inline]
fn words(rng: &mut ChaCha20Rng, out: &mut [u8]) {
    match out.len() {
        12 => {
            out[..8].copy_from_slice(&rng.next_u64().to_le_bytes());
            out[8..].copy_from_slice(&rng.next_u32().to_le_bytes());
        }
        16 | 24 => {
            for word in out.chunks_exact_mut(8) {
                word.copy_from_slice(&rng.next_u64().to_le_bytes());
            }
        }
        _ => {
            for chunk in out.chunks_mut(8) {
                let word = rng.next_u64().to_le_bytes();
                chunk.copy_from_slice(&word[..chunk.len()]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_length_is_filled_with_fresh_bytes() {
        for len in [0, 1, 7, 8, 9, 12, 16, 24, 33] {
            let mut a = vec![0u8; len];
            let mut b = vec![0u8; len];
            fill(&mut a).unwrap();
            fill(&mut b).unwrap();
            if len >= 8 {
                assert_ne!(a, b, "{len}");
                assert!(a.iter().any(|&x| x != 0), "{len}");
            }
        }
    }

    #[test]
    fn nonces_differ_within_a_thread_and_across_threads() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let mut n = [0u8; 12];
            fill(&mut n).unwrap();
            assert!(seen.insert(n), "nonce repeated");
        }
        let others: Vec<[u8; 12]> = (0..4)
            .map(|_| {
                std::thread::spawn(|| {
                    let mut n = [0u8; 12];
                    fill(&mut n).unwrap();
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
