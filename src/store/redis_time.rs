//! Redis's clock as the Redis store sees it, so that a write's deadline is on Redis's time base
//! and no server's clock needs to agree with Redis's.
//!
//! A write must never be applied after its caller was told it failed. The caller gives up at a
//! local instant; Redis refuses a write whose deadline, in Redis's microseconds, has passed by
//! its own clock. The store turns the local instant into Redis's time with its latest reading of
//! Redis's clock (`TIME`): Redis read `redis_us` at some local instant no later than the one its
//! answer arrived at, so at any later local instant Redis's clock reads at least `redis_us` plus
//! the local time elapsed since the answer, less what the two clocks may drift apart in that
//! time. The deadline is that lower bound: a write Redis applies has reached it before the caller
//! gave up, whatever the offset between the clocks. A write that reaches Redis in time may still
//! be refused within a round trip of its deadline, and a reading older than [`VALID_FOR`] is
//! taken again, which keeps the drift allowance small.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long a reading of Redis's clock is used for deadlines: one `TIME` round trip per this
/// long per process, and a drift allowance that grows with the age of the reading
/// ([`DRIFT_DIVISOR`]) stays within a hundredth of a second.
pub(super) const VALID_FOR: Duration = Duration::from_secs(10);

/// The drift allowance: one part in this many of the time since the reading. Clocks that NTP
/// disciplines slew by at most 500 parts per million; this allows twice that.
const DRIFT_DIVISOR: u32 = 1000;

/// Redis's clock read once: its time, and the local instant its answer arrived by.
#[derive(Clone, Copy, Debug)]
struct Reading {
    /// Redis's time, in microseconds since the Unix epoch.
    redis_us: u64,
    /// A local instant no earlier than the one Redis read its clock at.
    answered: Instant,
}

/// The latest reading of Redis's clock through one connection (of a cluster: the earliest of
/// its primaries' clocks, read at once). Shared by the clones of a store.
#[derive(Debug, Default)]
pub(super) struct RedisTime {
    reading: Mutex<Option<Reading>>,
}

impl RedisTime {
    /// Notes that Redis's clock read `redis_us` microseconds since the epoch no later than the
    /// local instant `answered`.
    pub(super) fn note(&self, redis_us: u64, answered: Instant) {
        *self.lock() = Some(Reading { redis_us, answered });
    }

    /// Forgets the reading: the connection failed, and the next one may reach another server,
    /// with another clock.
    pub(super) fn forget(&self) {
        *self.lock() = None;
    }

    /// The latest time, in microseconds of Redis's clock, at which Redis may still apply a write
    /// whose caller gives up at the local instant `give_up`; `None` without a reading younger
    /// than [`VALID_FOR`] at `now`.
    pub(super) fn deadline_us(&self, give_up: Instant, now: Instant) -> Option<u64> {
        let reading = (*self.lock())?;
        let age = now.checked_duration_since(reading.answered)?;
        if age > VALID_FOR {
            return None;
        }
        Some(deadline_us(reading, give_up))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Reading>> {
        self.reading.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The deadline of a write whose caller gives up at `give_up`, from `reading`.
fn deadline_us(reading: Reading, give_up: Instant) -> u64 {
    let elapsed = give_up.saturating_duration_since(reading.answered);
    let elapsed = elapsed - elapsed / DRIFT_DIVISOR;
    let elapsed_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
    let at_us = reading.redis_us.saturating_add(elapsed_us);
    // Redis compares its clock in whole microseconds, rounded down: it applies a write while its
    // microsecond is at most the deadline, up to 1 µs past it. One microsecond less keeps every
    // write it applies before `at_us`.
    at_us.saturating_sub(1)
}

/// Redis's `TIME` answer (seconds, microseconds) in microseconds since the epoch.
pub(super) fn micros(seconds: u64, microseconds: u64) -> u64 {
    seconds
        .saturating_mul(1_000_000)
        .saturating_add(microseconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Redis's clock in a model: it reads `at_send_us` when the request leaves, and runs at
    /// `rate` (1.0: as fast as the local clock).
    fn redis_at(at_send_us: f64, rate: f64, since_send: Duration) -> f64 {
        at_send_us + since_send.as_secs_f64() * 1e6 * rate
    }

    #[test]
    fn no_write_redis_applies_can_have_reached_it_after_its_caller_gave_up() {
        let sent = Instant::now();
        // Any offset between the clocks, any round trip, Redis reading its clock anywhere in
        // it, any drift within the allowance, any timeout, a reading of any age in use.
        for offset_s in [-7200.0, -2.0, -0.0005, 0.0, 0.0005, 2.0, 7200.0] {
            for rtt_us in [0u64, 90, 1_000, 250_000] {
                for read_at in [0.0, 0.5, 1.0] {
                    for rate in [0.999, 1.0, 1.001] {
                        for (age_ms, timeout_ms) in [(0, 1), (0, 1000), (9_999, 300), (5_000, 5)] {
                            let local_now_us = 1.8e15;
                            let at_send = local_now_us + offset_s * 1e6;
                            let rtt = Duration::from_micros(rtt_us);
                            let read = rtt.mul_f64(read_at);
                            let answered = sent + rtt;
                            let reading = Reading {
                                redis_us: redis_at(at_send, rate, read) as u64,
                                answered,
                            };
                            let give_up = answered
                                + Duration::from_millis(age_ms)
                                + Duration::from_millis(timeout_ms);
                            let deadline = deadline_us(reading, give_up);
                            // Redis applies a write while its clock's whole microsecond is at
                            // most the deadline: every such instant is before give-up.
                            let latest_applied_us = (deadline + 1) as f64;
                            let at_give_up = redis_at(at_send, rate, give_up - sent);
                            assert!(
                                latest_applied_us <= at_give_up,
                                "offset {offset_s} s, rtt {rtt_us} µs, read at {read_at}, \
                                 rate {rate}: applied until {latest_applied_us}, gave up at \
                                 {at_give_up}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_write_is_refused_early_by_at_most_a_round_trip_the_drift_and_two_microseconds() {
        let sent = Instant::now();
        let rtt = Duration::from_micros(400);
        let answered = sent + rtt;
        let reading = Reading {
            redis_us: 1_800_000_000_000_000,
            answered,
        };
        let timeout = Duration::from_secs(1);
        let give_up = answered + timeout;
        let deadline = deadline_us(reading, give_up);
        // Redis read its clock at `sent` at the earliest: at give-up it reads at most this.
        let at_give_up_us = 1_800_000_000_000_000 + (rtt + timeout).as_micros() as u64;
        let early_us = at_give_up_us - (deadline + 1);
        let bound = rtt.as_micros() as u64 + timeout.as_micros() as u64 / 1000 + 2;
        assert!(early_us <= bound, "{early_us} µs early, bound {bound}");
    }

    #[test]
    fn a_reading_is_used_until_it_is_older_than_valid_for() {
        let time = RedisTime::default();
        let answered = Instant::now();
        assert_eq!(time.deadline_us(answered, answered), None, "no reading yet");
        time.note(1_000_000_000, answered);
        assert!(time.deadline_us(answered, answered + VALID_FOR).is_some());
        assert_eq!(
            time.deadline_us(answered, answered + VALID_FOR + Duration::from_millis(1)),
            None
        );
        time.forget();
        assert_eq!(time.deadline_us(answered, answered), None, "forgotten");
    }

    #[test]
    fn time_answers_are_microseconds_since_the_epoch() {
        assert_eq!(micros(1_800_000_000, 123_456), 1_800_000_000_123_456);
        assert_eq!(micros(u64::MAX, 1), u64::MAX);
    }
}
