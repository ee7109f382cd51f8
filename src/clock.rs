//! Time, injectable: production uses the system clock, tests move a [`ManualClock`] by hand.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current time in whole seconds since the Unix epoch.
///
/// Stamps have a resolution of one second: finer clocks gain nothing and cost cookie bytes.
pub trait Clock: Send + Sync {
    /// Seconds since 1970-01-01T00:00:00Z.
    fn now_unix(&self) -> u64;
}

/// The system's wall clock. A clock set before 1970 reads as 0.
///
/// On Linux it reads `CLOCK_REALTIME_COARSE` (through `rustix` and the C library, from the
/// vDSO): the wall clock as of the last timer tick, a few milliseconds at most behind
/// `CLOCK_REALTIME`, which is far inside the one-second resolution of the stamps. It is cheaper
/// than `SystemTime::now()`, most of all on virtual machines where reading the TSC is slow
/// (`cargo bench --bench levers`, lever `coarse_clock`), and every seal and every open reads the
/// clock once.
/// Elsewhere it reads [`SystemTime::now`](std::time::SystemTime::now).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn now_unix(&self) -> u64 {
        let now = rustix::time::clock_gettime(rustix::time::ClockId::RealtimeCoarse);
        u64::try_from(now.tv_sec).unwrap_or(0)
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    fn now_unix(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }
}

/// A clock that moves only when told to, for tests. Clones share the same time.
///
/// ```
/// use std::time::Duration;
/// use sealed_session::{Clock, ManualClock};
///
/// let clock = ManualClock::new(1_700_000_000);
/// let handle = clock.clone();
/// handle.advance(Duration::from_secs(90));
/// assert_eq!(clock.now_unix(), 1_700_000_090);
/// ```
#[derive(Clone, Default)]
pub struct ManualClock {
    now: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock that reads `now_unix` until moved.
    pub fn new(now_unix: u64) -> Self {
        Self {
            now: Arc::new(AtomicU64::new(now_unix)),
        }
    }

    /// Sets the time.
    pub fn set(&self, now_unix: u64) {
        self.now.store(now_unix, Ordering::SeqCst);
    }

    /// Moves the time forward (saturating at `u64::MAX`).
    pub fn advance(&self, by: Duration) {
        let secs = by.as_secs();
        let _ = self
            .now
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| {
                Some(t.saturating_add(secs))
            });
    }
}

impl Clock for ManualClock {
    fn now_unix(&self) -> u64 {
        self.now.load(Ordering::SeqCst)
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ManualClock")
            .field(&self.now_unix())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{SystemTime, UNIX_EPOCH};

    #[test]
    fn system_clock_reads_the_wall_clock_to_the_second() {
        let before = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let read = SystemClock.now_unix();
        let after = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        // The coarse clock may trail the precise one by a timer tick, across a second boundary.
        assert!(
            read + 1 >= before && read <= after,
            "{before} <= {read} <= {after}"
        );
    }
}
