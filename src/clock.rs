//! Time, injectable: production uses the system clock, tests move a [`ManualClock`] by hand.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current time since the Unix epoch.
///
/// Stamps have a resolution of one second: finer clocks gain nothing and cost cookie bytes. The
/// one exception is the creation time of a session that belongs to a subject, kept to the
/// millisecond (FORMAT.md, "Plaintext", `created_millis`) so that "log out everywhere" can tell a
/// session created just before it from a login just after it, in the same second.
pub trait Clock: Send + Sync {
    /// Seconds since 1970-01-01T00:00:00Z.
    fn now_unix(&self) -> u64;

    /// Milliseconds since 1970-01-01T00:00:00Z, read only when a session begins or a subject's
    /// sessions are revoked. The default is [`now_unix`](Self::now_unix) in milliseconds: a clock
    /// that only knows seconds still works, and same-second logins after a "log out everywhere"
    /// are then the ones refused (fail closed).
    fn now_unix_millis(&self) -> u64 {
        self.now_unix().saturating_mul(1000)
    }
}

/// The system's wall clock. A clock set before 1970 reads as 0.
///
/// On Linux it reads `CLOCK_REALTIME_COARSE` (through `rustix` and the C library, from the
/// vDSO): the wall clock as of the last timer tick, a few milliseconds at most behind
/// `CLOCK_REALTIME`, which is far inside the one-second resolution of the stamps. It is cheaper
/// than `SystemTime::now()`, most of all on virtual machines where reading the TSC is slow
/// (`cargo bench -p sealed-session-benches --bench levers`, lever `coarse_clock`), and every seal and every open reads the
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

    /// The precise wall clock: the coarse one may lag by a tick, and a creation time compared
    /// with a revocation to the millisecond must not.
    fn now_unix_millis(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
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
    /// Whole seconds, and the milliseconds past them (0 to 999).
    now: Arc<Mutex<(u64, u64)>>,
}

impl ManualClock {
    /// A clock that reads `now_unix` (and its millisecond 0) until moved.
    pub fn new(now_unix: u64) -> Self {
        Self {
            now: Arc::new(Mutex::new((now_unix, 0))),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (u64, u64)> {
        // Every change is a whole-value store: a poisoned lock still holds a good time.
        self.now.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sets the time, at its millisecond 0.
    pub fn set(&self, now_unix: u64) {
        *self.lock() = (now_unix, 0);
    }

    /// Sets the time to the millisecond.
    pub fn set_millis(&self, now_unix_millis: u64) {
        *self.lock() = (now_unix_millis / 1000, now_unix_millis % 1000);
    }

    /// Moves the time forward (saturating at `u64::MAX` seconds), to the millisecond.
    pub fn advance(&self, by: Duration) {
        let mut now = self.lock();
        let millis = now.1 + u64::from(by.subsec_millis());
        now.0 = now
            .0
            .saturating_add(by.as_secs())
            .saturating_add(millis / 1000);
        now.1 = millis % 1000;
    }
}

impl Clock for ManualClock {
    fn now_unix(&self) -> u64 {
        self.lock().0
    }

    fn now_unix_millis(&self) -> u64 {
        let (secs, millis) = *self.lock();
        secs.saturating_mul(1000).saturating_add(millis)
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
