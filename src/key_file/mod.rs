//! The key-ring file (feature `key-file`; format in KEYS.md): every server loads the same file,
//! so they agree on keys without talking to each other. A key is added as *pending* with an
//! activation time (it opens at once, everywhere the file has reached) and seals from that time
//! on, on every server in the same second; old keys are retired once no cookie they sealed can
//! still be live; a revoked key opens nothing at once.
//!
//! ```no_run
//! use std::time::Duration;
//! use sealed_session::key_file::KeyRingFile;
//! use sealed_session::{CookieOptions, Sealer, SessionCookie};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let keys = KeyRingFile::open("/etc/myapp/keys.toml")?;
//! let sealer = Sealer::builder(keys.ring(), "__Host-session").build()?;
//! // Picks up edits (new keys, promotions, retirements) every 30 s; a file that does not parse
//! // leaves the ring as it was, and the error is reported here.
//! let _watch = keys.watch(Duration::from_secs(30), |e| eprintln!("key ring not reloaded: {e}"));
//! # let _ = sealer;
//! # Ok(())
//! # }
//! ```

mod disk;
mod document;
mod error;
mod time;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub use disk::MAX_FILE_LEN;
pub use document::{FORMAT_VERSION, KeyRecord, KeyState, MAX_SESSION_LIFETIME_LIMIT, RingDocument};
pub use error::{KeyFileError, RingEditError};

use crate::clock::{Clock, SystemClock};
use crate::key::KeyRing;

/// A [`KeyRing`] loaded from a key-ring file, which can be reloaded while sealers use the ring.
///
/// Reloading builds the new ring aside and swaps it in: seals and opens in flight finish on the
/// ring they started with, and never wait for a reload (they take no lock). A file that fails to
/// load leaves the ring as it was.
#[derive(Debug, Clone)]
pub struct KeyRingFile {
    path: PathBuf,
    ring: KeyRing,
}

impl KeyRingFile {
    /// Loads the file at `path` into a new ring.
    ///
    /// # Errors
    /// Every [`KeyFileError`]: the file cannot be read, is not a regular file, is too large, is
    /// readable by other users, does not parse, or has no key that seals now.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, KeyFileError> {
        let path = path.as_ref().to_owned();
        let document = RingDocument::read(&path)?;
        let ring = document.to_ring(SystemClock.now_unix(), &path)?;
        Ok(Self { path, ring })
    }

    /// The ring: hand clones of it to sealers; reloads reach every clone.
    pub fn ring(&self) -> KeyRing {
        self.ring.clone()
    }

    /// The file this ring comes from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the file again and swaps the new keys into the ring.
    ///
    /// # Errors
    /// As [`open`](Self::open), and [`KeyFileError::MaxSessionLifetimeTooShort`] if the file now
    /// allows shorter sessions than a sealer built on the ring keeps; the ring is then unchanged.
    pub fn reload(&self) -> Result<(), KeyFileError> {
        let document = RingDocument::read(&self.path)?;
        document.install(&self.ring, SystemClock.now_unix(), &self.path)
    }

    /// Reloads the file every `every` on a thread of its own, until the returned [`Watch`] is
    /// dropped. Each failed reload is passed to `on_error` (log it); the ring keeps its keys.
    pub fn watch(
        &self,
        every: Duration,
        mut on_error: impl FnMut(&KeyFileError) + Send + 'static,
    ) -> Watch {
        let stop = Arc::new(AtomicBool::new(false));
        let file = self.clone();
        let stopped = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            // Sleeps in short steps so that dropping the watch ends the thread soon.
            let step = Duration::from_millis(100).min(every);
            let mut waited = Duration::ZERO;
            while !stopped.load(Ordering::Relaxed) {
                std::thread::sleep(step);
                waited += step;
                if waited >= every {
                    waited = Duration::ZERO;
                    if let Err(e) = file.reload() {
                        on_error(&e);
                    }
                }
            }
        });
        Watch {
            stop,
            thread: Some(thread),
        }
    }
}

/// The reloading thread of [`KeyRingFile::watch`]; dropping it stops the thread.
#[derive(Debug)]
pub struct Watch {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
