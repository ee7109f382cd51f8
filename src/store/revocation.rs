//! Revocation of cookie sessions: logout that revokes something. A revoked session id, or every
//! session of a subject created before a time ("log out everywhere", a password change), is
//! recorded in a [`Store`] until no session it covers can still be valid, and checked on every
//! open of a session that carries an id, after authentication.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{MAX_KEY_LEN, Store, StoreError};
use crate::clock::{Clock, SystemClock};
use crate::session::{SessionId, Subject, push_hex};

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
}

/// Revocations of cookie sessions, kept in a [`Store`]. Cheap to clone; clones share the store
/// and the cache.
///
/// A session is revoked when its id was revoked, or when its subject was revoked after the
/// session was created (its creation time survives renewals, so a renewed old session stays
/// revoked). Sessions created in the second of a subject's revocation, or later, are not
/// covered: a handler can revoke every session of a user and log them in afresh in the same
/// request.
///
/// ```
/// use std::time::Duration;
/// use sealed_session::store::{MemoryStore, Revocations, Verdict};
/// use sealed_session::{SessionId, Subject};
///
/// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     let mut f = std::pin::pin!(f);
/// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
/// # }
/// let revocations = Revocations::new(MemoryStore::new());
/// let alice = Subject::new("alice")?;
/// let id = SessionId::from_bytes([7; 16]);
/// let created = 1_700_000_000;
/// assert_eq!(block_on(revocations.check(&id, Some(&alice), created))?, Verdict::Valid);
/// // "Log out everywhere": every session of alice created before now.
/// block_on(revocations.revoke_subject(&alice, Duration::from_secs(8 * 3600)))?;
/// assert_eq!(block_on(revocations.check(&id, Some(&alice), created))?, Verdict::Revoked);
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

    /// Reads the time from `clock` (tests move time with a `ManualClock`). A web adapter
    /// given these revocations uses its sealer's clock instead, so that a subject's revocation
    /// time and its sessions' creation times are read from the same clock.
    pub fn clock(self, clock: impl Clock + 'static) -> Self {
        self.with(|i| i.clock = Arc::new(clock))
    }

    #[cfg(any(feature = "axum", feature = "actix"))]
    pub(crate) fn shared_clock(self, clock: Arc<dyn Clock>) -> Self {
        self.with(|i| i.clock = clock)
    }

    /// Revokes one session until `until` (Unix seconds: the session's own end, its
    /// `valid_until`), after which the record is forgotten. Give the session's subject if it has
    /// one: the record is kept beside the subject's.
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
        self.inner.store.raise(&key, 1, until).await?;
        self.remember(key, Verdict::Revoked);
        Ok(())
    }

    /// Revokes every session of `subject` created before now ("log out everywhere", a password
    /// change). The record is kept for `lifetime`, the longest a session can live (absolute
    /// lifetime plus leeway), after which no session it covers can still be valid.
    ///
    /// # Errors
    /// [`StoreError`], as for [`revoke_session`](Self::revoke_session).
    pub async fn revoke_subject(
        &self,
        subject: &Subject,
        lifetime: Duration,
    ) -> Result<(), StoreError> {
        let now = self.inner.clock.now_unix();
        let key = subject_key(subject);
        let until = now.saturating_add(lifetime.as_secs());
        self.inner.store.raise(&key, now, until).await?;
        // Cached verdicts of this subject's sessions are stale now.
        self.lock_cache().clear();
        Ok(())
    }

    /// Whether the session with this id, subject and creation time (Unix seconds) is revoked:
    /// one round trip to the store (none within the staleness bound).
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
        let now = self.inner.clock.now_unix();
        let key = session_key(id, subject);
        if let Some(verdict) = self.cached(&key, created, now) {
            return Ok(verdict);
        }
        let mut keys = vec![key];
        if let Some(subject) = subject {
            keys.push(subject_key(subject));
        }
        let values = match self.inner.store.read(&keys).await {
            Ok(values) => values,
            Err(e) => {
                return match self.inner.outage {
                    Outage::FailClosed => Err(e),
                    Outage::Accept => Ok(Verdict::Unchecked),
                };
            }
        };
        let id_revoked = values.first().copied().flatten().is_some();
        let subject_revoked_at = values.get(1).copied().flatten();
        let verdict = if id_revoked || subject_revoked_at.is_some_and(|at| created < at) {
            Verdict::Revoked
        } else {
            Verdict::Valid
        };
        // The creation time is part of what was judged: cache under both.
        self.remember(cache_key(&keys[0], created), verdict);
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

impl std::fmt::Debug for Revocations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Revocations")
            .field("outage", &self.inner.outage)
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

/// The record of a subject's revocation, the time before which its sessions are revoked:
/// `ss:{sub:SUBJECT}:rev:all`.
fn subject_key(subject: &Subject) -> String {
    let mut key = String::with_capacity(MAX_KEY_LEN);
    key.push_str("ss:{sub:");
    push_hex(&mut key, subject.as_bytes());
    key.push_str("}:rev:all");
    key
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
    }

    #[test]
    fn keys_are_bounded_and_share_a_slot_tag() {
        let id = SessionId::from_bytes([0xab; 16]);
        let subject = Subject::new([0xff; 64]).unwrap();
        let a = session_key(&id, Some(&subject));
        let b = subject_key(&subject);
        assert!(a.len() <= MAX_KEY_LEN && b.len() <= MAX_KEY_LEN);
        let slot = |k: &str| k[k.find('{').unwrap()..=k.find('}').unwrap()].to_owned();
        assert_eq!(slot(&a), slot(&b));
        assert_ne!(a, session_key(&id, None));
    }
}
