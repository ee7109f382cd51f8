//! Revocation of cookie sessions: logout that revokes something. A revoked session id, or every
//! session of a subject created before a time ("log out everywhere", a password change), is
//! recorded in a [`Store`] until no copy of a session it covers can still open on any server,
//! and checked on every open of a session that carries an id, after authentication.
//!
//! How long a record is kept: a cookie opens until its end plus the reader's leeway, and the
//! leeway of any reader is at most [`MAX_LEEWAY`]; a store forgets a key when its expiry second
//! begins, so one more second covers the last second a cookie still opens in. A record is
//! therefore kept until the end of what it covers plus `MAX_LEEWAY` plus one second
//! ([`RECORD_MARGIN`]), whatever leeway the revoking server itself uses.
//!
//! When the store forgets (a Redis restarted without persistence, or flushed), every record is
//! lost with it, and a logged-out cookie would open again. So the store also keeps, beside the
//! records of each hash tag (a subject's, or a session id's without one), the earliest creation
//! time of a session it was told about ([`Revocations::register_session`]; the session handle
//! does it for every session it creates): the tag's *generation*. A check reads it in the same
//! round trip as the records, and a session the store cannot vouch for (no generation, or one
//! later than the session's creation: the store started over after it) is refused
//! ([`Verdict::Forgotten`]) unless [`Forgotten::Accept`] was chosen.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::clock::{Clock, SystemClock};
use crate::session::{MAX_LEEWAY, SessionId, Subject, push_hex};
use crate::store::{MAX_KEY_LEN, Store, StoreError};

/// How long a revocation record outlives the end of what it covers, in seconds: the longest
/// leeway any reader may allow ([`MAX_LEEWAY`]), and one second for a store that forgets a key
/// as its expiry second begins.
pub const RECORD_MARGIN: u64 = MAX_LEEWAY.as_secs() + 1;

/// Subject records written before they were kept to the millisecond held whole seconds: any
/// value under this (the year 5138 in seconds, 1973 in milliseconds) is one of those.
const LEGACY_SECONDS_BELOW: u64 = 100_000_000_000;

/// What a generation's creation time is complemented from, so that a raise (an atomic max)
/// keeps the earliest: `2^53 - 1`, not `u64::MAX`, because a store may keep numbers only as
/// exactly as a double does (Redis's Lua: `RedisStore` refuses values from `2^53`). Unix
/// milliseconds stay below it until the year 287396.
const GENERATION_BASE: u64 = (1 << 53) - 1;

/// A session id's record: the session was registered ([`Revocations::register_session`]) and
/// not revoked. Only a session without a subject is registered there (one of a subject is
/// registered in its subject's generation).
const REGISTERED: u64 = 0;

/// A session id's record: the session is revoked. Above [`REGISTERED`], so that a raise (an
/// atomic max) of either keeps the revocation.
const REVOKED: u64 = 1;

/// Cached verdicts kept at most, when a staleness bound is set; past it the cache starts over.
const CACHE_CAPACITY: usize = 100_000;

/// What to do when the store cannot answer a revocation check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Outage {
    /// Refuse: the check returns the store's error, and a web adapter answers 503. A revoked
    /// session is never accepted because the store was down. The default.
    #[default]
    FailClosed,
    /// Accept the session without the check ([`Verdict::Unchecked`]) while the store is down: a
    /// revoked cookie works again for the length of the outage. Choose it only if availability
    /// matters more than logout during an outage.
    Accept,
}

/// What a check does with a session the store no longer vouches for: the store has no record
/// that it was told of the session (no generation for its tag, or one that started after the
/// session was created). That happens when the store forgot (a Redis restarted without
/// persistence, or flushed, or a store replaced by an empty one), and once for every session
/// created before generations were recorded (by an earlier version of this crate: see
/// CHANGELOG.md) or without the session handle registering it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Forgotten {
    /// Refuse the session ([`Verdict::Forgotten`]; a web adapter treats it as no session and
    /// deletes the cookie): its user logs in again. A logged-out cookie never opens again
    /// because the store lost its revocation. The default.
    #[default]
    Refuse,
    /// Accept the session as if nothing was revoked ([`Verdict::Valid`]): after the store
    /// forgets, every logged-out cookie still within its lifetime opens again. Choose it only
    /// if the store never forgets (persistence that survives every restart and failover) or if
    /// no re-login after a store loss matters more than logout.
    Accept,
}

/// The answer of a revocation check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// Not revoked.
    Valid,
    /// Revoked: treat it as no session, and delete the cookie.
    Revoked,
    /// The store could not answer and [`Outage::Accept`] was chosen: accepted unchecked.
    Unchecked,
    /// The store cannot vouch for the session: it forgot what it knew of the session's tag
    /// (restarted empty, flushed), or was never told of the session (created before this
    /// version, or not registered: [`Revocations::register_session`]). Revocations of it may
    /// have been lost, so it is refused as [`Revoked`](Self::Revoked) is: treat it as no
    /// session, and delete the cookie; its user logs in again, and the new session is
    /// registered. If it happens for every session at once, the store lost its data: look into
    /// why (a restart without persistence, a flush). Never returned when
    /// [`Forgotten::Accept`] was chosen.
    Forgotten,
}

/// Revocations of cookie sessions, kept in a [`Store`]. Cheap to clone; clones share the store
/// and the cache.
///
/// A session is vouched for when the store was told of it ([`register_session`](
/// Self::register_session); the session handle does it) and has not forgotten since; otherwise
/// a check refuses it as [`Verdict::Forgotten`], unless [`Forgotten::Accept`] was chosen.
///
/// A session is revoked when its id was revoked, or when its subject was revoked at or after the
/// millisecond the session was created (its creation time survives renewals, so a renewed old
/// session stays revoked), unless that revocation kept it ("log out my other sessions",
/// [`revoke_others`](Self::revoke_others)). A subject's revocation returns only once the clock
/// has moved past the millisecond it recorded, so a login after it returns, in the same second
/// too, is not covered. Sessions whose value carries no creation millisecond (FORMAT.md, flag
/// `0x40`) count as created at the start of their second: a revocation in that second covers
/// them.
///
/// ```
/// use std::time::Duration;
/// use sealed_session::store::MemoryStore;
/// use sealed_session::{Clock, Revocations, SessionId, Subject, SystemClock, Verdict};
///
/// # use pollster::block_on;
/// let revocations = Revocations::new(MemoryStore::new());
/// let alice = Subject::new("alice")?;
/// let id = SessionId::from_bytes([7; 16]);
/// let created_at_millis = SystemClock.now_unix_millis();
/// // Not told of the session: the store cannot vouch for it.
/// let verdict = block_on(revocations.check(&id, Some(&alice), created_at_millis))?;
/// assert_eq!(verdict, Verdict::Forgotten);
/// // The session handle registers every session it creates; by hand:
/// let absolute_end = created_at_millis / 1000 + 8 * 3600;
/// block_on(revocations.register_session(&id, Some(&alice), created_at_millis, absolute_end))?;
/// assert_eq!(block_on(revocations.check(&id, Some(&alice), created_at_millis))?, Verdict::Valid);
/// // "Log out everywhere": every session of alice created until now.
/// block_on(revocations.revoke_subject(&alice, Duration::from_secs(8 * 3600)))?;
/// assert_eq!(
///     block_on(revocations.check(&id, Some(&alice), created_at_millis))?,
///     Verdict::Revoked
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Revocations {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    outage: Outage,
    forgotten: Forgotten,
    /// How long a verdict may be reused without asking the store (zero: never).
    staleness: Duration,
    cache: Mutex<HashMap<String, (Verdict, u64)>>,
}

impl Revocations {
    /// Revocations kept in `store`, checked against the store on every call, failing closed.
    pub fn new(store: impl Store) -> Self {
        Self::from_shared(Arc::new(store))
    }

    /// As [`new`](Self::new), for a store already shared.
    pub fn from_shared(store: Arc<dyn Store>) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                clock: Arc::new(SystemClock),
                outage: Outage::FailClosed,
                forgotten: Forgotten::Refuse,
                staleness: Duration::ZERO,
                cache: Mutex::default(),
            }),
        }
    }

    fn with(self, f: impl FnOnce(&mut Inner)) -> Self {
        let old = &self.inner;
        let mut inner = Inner {
            store: Arc::clone(&old.store),
            clock: Arc::clone(&old.clock),
            outage: old.outage,
            forgotten: old.forgotten,
            staleness: old.staleness,
            cache: Mutex::default(),
        };
        f(&mut inner);
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Reuses a verdict for up to `bound` (whole seconds; e.g. 1 to 5 s) before asking the store
    /// again, so that a busy server does not ask on every request. The guarantee becomes:
    /// a revocation made on another server takes effect here within `bound`. Revocations made
    /// through this value take effect here at once.
    pub fn staleness(self, bound: Duration) -> Self {
        self.with(|i| i.staleness = bound)
    }

    /// What a check does when the store cannot answer (default [`Outage::FailClosed`]).
    pub fn on_outage(self, outage: Outage) -> Self {
        self.with(|i| i.outage = outage)
    }

    /// What a check does with a session the store no longer vouches for (default
    /// [`Forgotten::Refuse`]: refused, its user logs in again). [`Forgotten::Accept`] also
    /// skips reading the generation.
    pub fn on_forgotten(self, forgotten: Forgotten) -> Self {
        self.with(|i| i.forgotten = forgotten)
    }

    pub(crate) fn outage(&self) -> Outage {
        self.inner.outage
    }

    /// Reads the time from `clock` (tests move time with a `ManualClock`). A request
    /// [`Driver`](crate::web::Driver) given these revocations uses its sealer's clock instead,
    /// so that a subject's revocation time and its sessions' creation times are read from the
    /// same clock.
    pub fn clock(self, clock: impl Clock + 'static) -> Self {
        self.with(|i| i.clock = Arc::new(clock))
    }

    pub(crate) fn shared_clock(self, clock: Arc<dyn Clock>) -> Self {
        self.with(|i| i.clock = clock)
    }

    /// Revokes one session whose last value ends at `until` (Unix seconds: its stamped
    /// [`expires`](crate::Stamps::expires)). The record is kept [`RECORD_MARGIN`] seconds past
    /// `until`, until no reader's leeway can open a copy, then forgotten. Give the session's
    /// subject if it has one: the record is kept beside the subject's.
    ///
    /// # Errors
    /// [`StoreError`]: the revocation may not have been recorded; retry, or tell the user the
    /// logout failed.
    pub async fn revoke_session(
        &self,
        id: &SessionId,
        subject: Option<&Subject>,
        until: u64,
    ) -> Result<(), StoreError> {
        let key = session_key(id, subject);
        let expires_at = until.saturating_add(RECORD_MARGIN);
        self.inner.store.raise(&key, REVOKED, expires_at).await?;
        self.remember(key, Verdict::Revoked);
        Ok(())
    }

    /// Tells the store that a session exists, so that [`check`](Self::check) vouches for it
    /// after the store forgets: raises the generation of the session's tag (its subject's, or
    /// its id's without one) to this session's creation time (Unix milliseconds, its
    /// [`Stamps::created_at_millis`](crate::Stamps::created_at_millis)) if it is earlier, and
    /// keeps it until `until` (Unix seconds: the session's absolute end, past which no renewal
    /// of it opens) plus [`RECORD_MARGIN`]. One write. The session handle calls it for every
    /// session it creates (a login, a first state, a new identity), at the end of the request
    /// ([`Driver::end`](crate::web::Driver::end)), before the cookie
    /// goes out; call it yourself only if you create sessions without the handle.
    ///
    /// # Errors
    /// [`StoreError`]: the session may not be registered, and a check would refuse it as
    /// [`Verdict::Forgotten`]; do not hand out its cookie (retry, or answer 503).
    pub async fn register_session(
        &self,
        id: &SessionId,
        subject: Option<&Subject>,
        created_at_millis: u64,
        until: u64,
    ) -> Result<(), StoreError> {
        let expires_at = until.saturating_add(RECORD_MARGIN);
        match subject {
            // An atomic max of the complement is an atomic min of the creation time.
            Some(subject) => {
                let since = GENERATION_BASE.saturating_sub(created_at_millis);
                let key = generation_key(subject);
                self.inner.store.raise(&key, since, expires_at).await
            }
            // A session of its own tag: its id's record, present, says the store knows of it
            // (and a revocation raises it past REGISTERED), so its check reads one key.
            None => {
                let key = session_key(id, None);
                self.inner.store.raise(&key, REGISTERED, expires_at).await
            }
        }
    }

    /// Revokes every session of `subject` that exists when it returns ("log out everywhere", a
    /// password change): every session created up to the millisecond it records, that one
    /// included. It returns only once the clock has moved past that millisecond, so a session
    /// created after it returns (a login in the same second included) is not covered.
    ///
    /// `lifetime` is the longest absolute lifetime of the sessions it covers: the record is kept
    /// that long plus [`RECORD_MARGIN`], after which no session it covers can still open.
    ///
    /// # Errors
    /// [`StoreError`], as for [`revoke_session`](Self::revoke_session): the sessions may still
    /// be valid; retry, or tell the user the logout failed.
    pub async fn revoke_subject(
        &self,
        subject: &Subject,
        lifetime: Duration,
    ) -> Result<(), StoreError> {
        self.revoke_subject_keeping(subject, None, lifetime).await
    }

    /// Revokes every other session of `subject` ("log out my other sessions", "sign out other
    /// devices"): as [`revoke_subject`](Self::revoke_subject), except the session `keep`, which
    /// stays valid until a later revocation of the subject.
    ///
    /// # Errors
    /// [`StoreError`], as for [`revoke_session`](Self::revoke_session).
    pub async fn revoke_others(
        &self,
        subject: &Subject,
        keep: &SessionId,
        lifetime: Duration,
    ) -> Result<(), StoreError> {
        self.revoke_subject_keeping(subject, Some(keep), lifetime)
            .await
    }

    /// Records a revocation of `subject` at this millisecond, sparing `keep`.
    pub(crate) async fn revoke_subject_keeping(
        &self,
        subject: &Subject,
        keep: Option<&SessionId>,
        lifetime: Duration,
    ) -> Result<(), StoreError> {
        let clock = &self.inner.clock;
        let at = clock.now_unix_millis();
        let until = (at / 1000)
            .saturating_add(lifetime.as_secs())
            .saturating_add(RECORD_MARGIN);
        if let Some(keep) = keep {
            // The exemption first: the kept session is never refused in between.
            self.inner
                .store
                .raise(&keep_key(subject, keep), at, until)
                .await?;
        }
        self.inner
            .store
            .raise(&subject_key(subject), at, until)
            .await?;
        // Cached verdicts of this subject's sessions are stale now.
        self.lock_cache().clear();
        wait_past(clock.as_ref(), at);
        Ok(())
    }

    /// Whether the session with this id, subject and creation time (Unix milliseconds: its
    /// [`Stamps::created_at_millis`](crate::Stamps::created_at_millis)) is revoked, or
    /// [`Forgotten`](Verdict::Forgotten) (the store cannot vouch for it: see [`Forgotten`]):
    /// one round trip to the store (none within the staleness bound), which reads the
    /// revocation records and the generation of the session's tag together.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer, unless [`Outage::Accept`] was chosen (then
    /// `Ok(Verdict::Unchecked)`).
    pub async fn check(
        &self,
        id: &SessionId,
        subject: Option<&Subject>,
        created: u64,
    ) -> Result<Verdict, StoreError> {
        match self.question(id, subject, created) {
            Ok(verdict) => Ok(verdict),
            Err(question) => {
                let values = self.inner.store.read(&question.keys).await;
                self.answer(question, values)
            }
        }
    }

    /// The store the revocations are kept in.
    pub(crate) fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// The first half of [`check`](Self::check): the verdict if the cache has it, otherwise the
    /// keys to read, for a caller that reads them together with something else
    /// ([`Store::load_with`]).
    pub(crate) fn question(
        &self,
        id: &SessionId,
        subject: Option<&Subject>,
        created: u64,
    ) -> Result<Verdict, Question> {
        let now = self.inner.clock.now_unix();
        let key = session_key(id, subject);
        if let Some(verdict) = self.cached(&key, created, now) {
            return Ok(verdict);
        }
        let mut keys = vec![key];
        if let Some(subject) = subject {
            keys.push(subject_key(subject));
            keys.push(keep_key(subject, id));
        }
        let vouch = self.inner.forgotten == Forgotten::Refuse;
        if let (true, Some(subject)) = (vouch, subject) {
            keys.push(generation_key(subject));
        }
        Err(Question {
            keys,
            created,
            subject: subject.is_some(),
            vouch,
        })
    }

    /// The second half of [`check`](Self::check): the verdict from what the store answered (or
    /// the outage rule, if it could not).
    pub(crate) fn answer(
        &self,
        question: Question,
        values: Result<Vec<Option<u64>>, StoreError>,
    ) -> Result<Verdict, StoreError> {
        let Question {
            keys,
            created,
            subject,
            vouch,
        } = question;
        let values = match values {
            Ok(values) => values,
            Err(e) => {
                return match self.inner.outage {
                    Outage::FailClosed => Err(e),
                    Outage::Accept => Ok(Verdict::Unchecked),
                };
            }
        };
        let value = |i: usize| values.get(i).copied().flatten();
        let id_record = value(0);
        let id_revoked = id_record.is_some_and(|v| v >= REVOKED);
        let (subject_revoked_at, kept_until, vouched) = if subject {
            // The earliest creation time the store was told of for this subject, if it
            // remembers one.
            let since = value(3).and_then(|g| GENERATION_BASE.checked_sub(g));
            let vouched = since.is_some_and(|since| since <= created);
            (value(1).map(subject_millis), value(2).unwrap_or(0), vouched)
        } else {
            // Its own record: registered, or revoked.
            (None, 0, id_record.is_some())
        };
        let verdict = if id_revoked
            || subject_revoked_at.is_some_and(|at| created <= at && kept_until < at)
        {
            Verdict::Revoked
        } else if vouch && !vouched {
            Verdict::Forgotten
        } else {
            Verdict::Valid
        };
        // The creation time is part of what was judged: cache under both.
        if !self.inner.staleness.is_zero() {
            // Without a cache, no key to build: this runs on every request.
            self.remember(cache_key(&keys[0], created), verdict);
        }
        Ok(verdict)
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Verdict, u64)>> {
        // The map only ever holds whole entries.
        self.inner.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn cached(&self, key: &str, created: u64, now: u64) -> Option<Verdict> {
        if self.inner.staleness.is_zero() {
            return None;
        }
        let cache = self.lock_cache();
        // A revocation of this very session, made here, holds whatever its creation time.
        if let Some((Verdict::Revoked, _)) = cache.get(key) {
            return Some(Verdict::Revoked);
        }
        let (verdict, at) = cache.get(&cache_key(key, created))?;
        (now.saturating_sub(*at) < self.inner.staleness.as_secs()).then_some(*verdict)
    }

    fn remember(&self, key: String, verdict: Verdict) {
        if self.inner.staleness.is_zero() {
            return;
        }
        let now = self.inner.clock.now_unix();
        let mut cache = self.lock_cache();
        if cache.len() >= CACHE_CAPACITY {
            cache.clear();
        }
        cache.insert(key, (verdict, now));
    }
}

/// The keys a revocation check reads, and what it judges them against: the session's creation
/// time, whether it has a subject (its subject's records are read), and whether the store must
/// vouch for it (the generation is read last).
pub(crate) struct Question {
    pub(crate) keys: Vec<String>,
    created: u64,
    subject: bool,
    vouch: bool,
}

impl std::fmt::Debug for Revocations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Revocations")
            .field("outage", &self.inner.outage)
            .field("forgotten", &self.inner.forgotten)
            .field("staleness", &self.inner.staleness)
            .finish_non_exhaustive()
    }
}

/// Appends the hash tag that keeps a session's keys in one Redis Cluster slot: its subject's if
/// it has one (so the id and the subject are read in one command), else its id's.
fn push_tag(key: &mut String, id: &SessionId, subject: Option<&Subject>) {
    key.push('{');
    match subject {
        Some(s) => {
            key.push_str("sub:");
            push_hex(key, s.as_bytes());
        }
        None => {
            key.push_str("sid:");
            push_hex(key, id.as_bytes());
        }
    }
    key.push('}');
}

/// The record of one revoked session: `ss:{TAG}:rev:ID`.
fn session_key(id: &SessionId, subject: Option<&Subject>) -> String {
    let mut key = String::with_capacity(MAX_KEY_LEN);
    key.push_str("ss:");
    push_tag(&mut key, id, subject);
    key.push_str(":rev:");
    push_hex(&mut key, id.as_bytes());
    key
}

/// The record of a subject's revocation, the millisecond up to which its sessions are revoked:
/// `ss:{sub:SUBJECT}:rev:all`.
fn subject_key(subject: &Subject) -> String {
    let mut key = String::with_capacity(MAX_KEY_LEN);
    key.push_str("ss:{sub:");
    push_hex(&mut key, subject.as_bytes());
    key.push_str("}:rev:all");
    key
}

/// The record that spares one session from its subject's revocations up to a millisecond ("log
/// out my other sessions"): `ss:{sub:SUBJECT}:keep:ID`.
fn keep_key(subject: &Subject, id: &SessionId) -> String {
    let mut key = String::with_capacity(MAX_KEY_LEN);
    key.push_str("ss:{sub:");
    push_hex(&mut key, subject.as_bytes());
    key.push_str("}:keep:");
    push_hex(&mut key, id.as_bytes());
    key
}

/// The generation of a subject: the earliest creation time (Unix milliseconds) of a session of
/// it the store was told of, kept as its complement ([`GENERATION_BASE`]` - ms`) so that a raise,
/// an atomic max, keeps the earliest: `ss:{sub:SUBJECT}:gen`. A session without a subject is
/// its own tag, and its id's record says it was registered ([`REGISTERED`]).
fn generation_key(subject: &Subject) -> String {
    let mut key = String::with_capacity(MAX_KEY_LEN);
    key.push_str("ss:{sub:");
    push_hex(&mut key, subject.as_bytes());
    key.push_str("}:gen");
    key
}

/// A subject record's value in milliseconds. A record in whole seconds revoked the sessions
/// created before that second: up to its last millisecond before it.
fn subject_millis(value: u64) -> u64 {
    if value < LEGACY_SECONDS_BELOW {
        value.saturating_mul(1000).saturating_sub(1)
    } else {
        value
    }
}

/// Returns once `clock` reads a later millisecond than `at`, so that nothing this process
/// creates after a revocation returns has its millisecond. A clock that does not move (a test's
/// `ManualClock`) is waited for a few milliseconds of real time at most.
fn wait_past(clock: &dyn Clock, at: u64) {
    let start = std::time::Instant::now();
    while clock.now_unix_millis() <= at && start.elapsed() < Duration::from_millis(5) {
        std::thread::sleep(Duration::from_micros(100));
    }
}

fn cache_key(key: &str, created: u64) -> String {
    format!("{key}@{created}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_the_prefix_the_tag_and_lowercase_hex() {
        let id = SessionId::from_bytes([0xab; 16]);
        let subject = Subject::new([0x0f, 0xa0]).unwrap();
        let id_hex = "ab".repeat(16);
        assert_eq!(
            session_key(&id, None),
            format!("ss:{{sid:{id_hex}}}:rev:{id_hex}")
        );
        assert_eq!(
            session_key(&id, Some(&subject)),
            format!("ss:{{sub:0fa0}}:rev:{id_hex}")
        );
        assert_eq!(subject_key(&subject), "ss:{sub:0fa0}:rev:all");
        assert_eq!(
            keep_key(&subject, &id),
            format!("ss:{{sub:0fa0}}:keep:{id_hex}")
        );
        assert_eq!(generation_key(&subject), "ss:{sub:0fa0}:gen");
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        loop {
            if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
    }

    #[test]
    fn a_session_without_a_subject_is_checked_by_one_key_its_own() {
        let revocations = Revocations::new(crate::store::MemoryStore::new());
        let id = SessionId::from_bytes([1; 16]);
        let Err(question) = revocations.question(&id, None, 0) else {
            panic!("nothing cached");
        };
        assert_eq!(question.keys, [session_key(&id, None)]);
    }

    #[test]
    fn a_registration_never_undoes_a_revocation_of_the_same_session() {
        let revocations = Revocations::new(crate::store::MemoryStore::new());
        let id = SessionId::from_bytes([2; 16]);
        let until = u64::from(u32::MAX);
        block_on(revocations.register_session(&id, None, 5, until)).unwrap();
        assert_eq!(
            block_on(revocations.check(&id, None, 5)),
            Ok(Verdict::Valid)
        );
        block_on(revocations.revoke_session(&id, None, until)).unwrap();
        block_on(revocations.register_session(&id, None, 5, until)).unwrap();
        assert_eq!(
            block_on(revocations.check(&id, None, 5)),
            Ok(Verdict::Revoked)
        );
    }

    #[test]
    fn a_subject_record_in_whole_seconds_revokes_up_to_the_end_of_the_second_before() {
        assert_eq!(subject_millis(1_900_000_000), 1_899_999_999_999);
        assert_eq!(subject_millis(1_900_000_000_000), 1_900_000_000_000);
    }

    #[test]
    fn keys_are_bounded_and_share_a_slot_tag() {
        let id = SessionId::from_bytes([0xab; 16]);
        let subject = Subject::new([0xff; 64]).unwrap();
        let a = session_key(&id, Some(&subject));
        let b = subject_key(&subject);
        let c = keep_key(&subject, &id);
        let d = generation_key(&subject);
        assert!([&a, &b, &c, &d].iter().all(|k| k.len() <= MAX_KEY_LEN));
        let slot = |k: &str| k[k.find('{').unwrap()..=k.find('}').unwrap()].to_owned();
        assert_eq!(slot(&a), slot(&b));
        assert_eq!(slot(&a), slot(&c));
        assert_eq!(slot(&a), slot(&d));
        assert_ne!(a, session_key(&id, None));
    }
}
