//! The contract every store keeps, one table of cases run against each store: the in-memory one,
//! the embedded durable one, and a real `redis-server` started on loopback for each test. Then
//! what only a durable store does, the Redis store's faults, and how it keeps a record.

mod common;

use std::sync::Arc;
use std::time::Duration;

use sealed_session::store::{
    MAX_KEY_LEN, MAX_VALUE_LEN, MemoryStore, Record, RecordWrite, Saved, Store, StoreError,
};
use sealed_session::{Forgotten, MAX_LEEWAY, ManualClock, RECORD_MARGIN, Revocations, Verdict};

const T0: u64 = 1_900_000_000;
const MS0: u64 = T0 * 1000;

/// A store under test, on a clock the test moves; `_keep` keeps a durable store's file or a
/// Redis server alive for the test.
struct Subject {
    store: Arc<dyn Store>,
    clock: ManualClock,
    _keep: Option<Box<dyn std::any::Any>>,
}

fn memory() -> Subject {
    let clock = ManualClock::new(T0);
    Subject {
        store: Arc::new(MemoryStore::new().clock(clock.clone())),
        clock,
        _keep: None,
    }
}

fn redb() -> Subject {
    let clock = ManualClock::new(T0);
    let dir = tempfile::tempdir().unwrap();
    let store = sealed_session::store::RedbStore::open(dir.path().join("s.redb"))
        .unwrap()
        .clock(clock.clone());
    Subject {
        store: Arc::new(store),
        clock,
        _keep: Some(Box::new(dir)),
    }
}

/// A store on a fresh three-node Redis Cluster; `None` when Redis is not installed (outside CI).
async fn redis_cluster() -> Option<Subject> {
    on_a_cluster(None).await
}

/// A store with a local cache on a fresh three-node Redis Cluster, once the cache is served.
async fn redis_cluster_cached() -> Option<Subject> {
    on_a_cluster(Some(sealed_session::store::LocalCache::new(1000))).await
}

async fn on_a_cluster(cache: Option<sealed_session::store::LocalCache>) -> Option<Subject> {
    let cluster = common::redis::RedisCluster::start()?;
    let clock = ManualClock::new(T0);
    let urls = cluster.urls();
    let nodes: Vec<&str> = urls.iter().map(String::as_str).collect();
    let mut store = sealed_session::store::RedisStore::cluster(&nodes, Duration::from_secs(1))
        .await
        .unwrap()
        .clock(clock.clone());
    if let Some(cache) = cache {
        store = store.cached(cache).unwrap();
        common::cache::ready(&store).await;
    }
    Some(Subject {
        store: Arc::new(store),
        clock,
        _keep: Some(Box::new(cluster)),
    })
}

/// A store on a fresh `redis-server`; `None` when Redis is not installed (outside CI).
fn redis() -> Option<Subject> {
    let server = common::redis::RedisServer::start()?;
    let clock = ManualClock::new(T0);
    let store = sealed_session::store::RedisStore::new(&server.url())
        .unwrap()
        .clock(clock.clone());
    Some(Subject {
        store: Arc::new(store),
        clock,
        _keep: Some(Box::new(server)),
    })
}

/// A store on a fresh `redis-server` with a local cache, once the cache is being served.
async fn redis_cached() -> Option<Subject> {
    let server = common::redis::RedisServer::start()?;
    let clock = ManualClock::new(T0);
    let store = sealed_session::store::RedisStore::new(&server.url())
        .unwrap()
        .clock(clock.clone())
        .cached(sealed_session::store::LocalCache::new(1000))
        .unwrap();
    common::cache::ready(&store).await;
    Some(Subject {
        store: Arc::new(store),
        clock,
        _keep: Some(Box::new(server)),
    })
}

fn keys(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

/// Each case, written once, becomes a test per store.
macro_rules! for_every_store {
    ($(async fn $case:ident($s:ident: Subject) $body:block)*) => {
        $(async fn $case($s: Subject) $body)*

        mod memory {
            $(#[tokio::test]
            async fn $case() {
                super::$case(super::memory()).await
            })*
        }

        mod redb {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                super::$case(super::redb()).await
            })*
        }

        mod redis {
            $(#[tokio::test]
            async fn $case() {
                if let Some(subject) = super::redis() {
                    super::$case(subject).await
                }
            })*
        }

        mod redis_cached {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                if let Some(subject) = super::redis_cached().await {
                    super::$case(subject).await
                }
            })*
        }

        mod redis_cluster {
            $(#[tokio::test]
            async fn $case() {
                if let Some(subject) = super::redis_cluster().await {
                    super::$case(subject).await
                }
            })*
        }

        mod redis_cluster_cached {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                if let Some(subject) = super::redis_cluster_cached().await {
                    super::$case(subject).await
                }
            })*
        }
    };
}

for_every_store! {
    async fn a_raise_keeps_the_larger_value_and_the_later_expiry(s: Subject) {
        s.store.raise("k", 5, T0 + 10).await.unwrap();
        s.store.raise("k", 3, T0 + 20).await.unwrap();
        assert_eq!(s.store.read(&keys(&["k"])).await, Ok(vec![Some(5)]));
        s.clock.set(T0 + 15);
        assert_eq!(s.store.read(&keys(&["k"])).await, Ok(vec![Some(5)]));
        s.clock.set(T0 + 20);
        assert_eq!(s.store.read(&keys(&["k"])).await, Ok(vec![None]));
    }

    async fn an_expired_key_is_absent_and_raised_afresh(s: Subject) {
        s.store.raise("k", 9, T0 + 1).await.unwrap();
        s.clock.set(T0 + 1);
        s.store.raise("k", 1, T0 + 30).await.unwrap();
        assert_eq!(s.store.read(&keys(&["k"])).await, Ok(vec![Some(1)]));
    }

    async fn a_read_answers_every_key_in_order(s: Subject) {
        // One read names keys of one hash tag, as the crate's keys for a session are.
        s.store.raise("{t}a", 1, T0 + 10).await.unwrap();
        s.store.raise("{t}c", 3, T0 + 10).await.unwrap();
        assert_eq!(
            s.store.read(&keys(&["{t}c", "{t}b", "{t}a"])).await,
            Ok(vec![Some(3), None, Some(1)])
        );
    }

    async fn a_key_over_the_bound_is_refused(s: Subject) {
        let long = "k".repeat(MAX_KEY_LEN + 1);
        assert!(matches!(s.store.raise(&long, 1, T0 + 10).await, Err(StoreError::Refused(_))));
        let longest = "k".repeat(MAX_KEY_LEN);
        s.store.raise(&longest, 1, T0 + 10).await.unwrap();
    }

    async fn concurrent_raises_of_one_key_keep_the_largest(s: Subject) {
        let tasks: Vec<_> = (1..=20u64)
            .map(|v| {
                let store = Arc::clone(&s.store);
                tokio::spawn(async move { store.raise("k", v, T0 + v).await.unwrap() })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(s.store.read(&keys(&["k"])).await, Ok(vec![Some(20)]));
        s.clock.set(T0 + 19);
        assert_eq!(s.store.read(&keys(&["k"])).await, Ok(vec![Some(20)]));
    }

    async fn revocations_work_over_the_store(s: Subject) {
        // The records under test: sessions the store was not told of are accepted.
        let revocations = Revocations::from_shared(Arc::clone(&s.store))
            .clock(s.clock.clone())
            .on_forgotten(Forgotten::Accept);
        let id = sealed_session::SessionId::from_bytes([1; 16]);
        let alice = sealed_session::Subject::new("alice").unwrap();
        revocations.revoke_session(&id, Some(&alice), T0 + 60).await.unwrap();
        assert_eq!(revocations.check(&id, Some(&alice), MS0).await, Ok(Verdict::Revoked));
        // "Log out everywhere" at a millisecond: earlier in its second is covered, later not.
        s.clock.set_millis(MS0 + 10_500);
        revocations.revoke_subject(&alice, Duration::from_secs(3600)).await.unwrap();
        let other = sealed_session::SessionId::from_bytes([2; 16]);
        for (created, verdict) in [
            (MS0 + 10_499, Verdict::Revoked),
            (MS0 + 10_500, Verdict::Revoked),
            (MS0 + 10_501, Verdict::Valid),
        ] {
            assert_eq!(revocations.check(&other, Some(&alice), created).await, Ok(verdict));
        }
        // "Log out my other sessions" keeps the caller's, in the same store.
        let mine = sealed_session::SessionId::from_bytes([3; 16]);
        s.clock.set_millis(MS0 + 20_000);
        revocations.revoke_others(&alice, &mine, Duration::from_secs(3600)).await.unwrap();
        assert_eq!(revocations.check(&mine, Some(&alice), MS0).await, Ok(Verdict::Valid));
        assert_eq!(revocations.check(&other, Some(&alice), MS0 + 19_000).await, Ok(Verdict::Revoked));
    }

    async fn a_revocation_is_kept_until_no_reader_can_open_what_it_covers(s: Subject) {
        // Every second around the end: a session revoked until `end` opens until `end` plus a
        // reader's leeway (at most MAX_LEEWAY), and the store forgets a key as its expiry second
        // begins.
        // The records under test: sessions the store was not told of are accepted.
        let revocations = Revocations::from_shared(Arc::clone(&s.store))
            .clock(s.clock.clone())
            .on_forgotten(Forgotten::Accept);
        let id = sealed_session::SessionId::from_bytes([4; 16]);
        let end = T0 + 600;
        revocations.revoke_session(&id, None, end).await.unwrap();
        for second in end - 1..=end + RECORD_MARGIN {
            s.clock.set(second);
            let verdict = revocations.check(&id, None, MS0).await;
            let expected = if second <= end + MAX_LEEWAY.as_secs() {
                Verdict::Revoked
            } else {
                Verdict::Valid
            };
            assert_eq!(verdict, Ok(expected), "at end + {}", second as i64 - end as i64);
        }
        // A subject's: kept for the lifetime it covers and the same margin.
        let alice = sealed_session::Subject::new("alice").unwrap();
        s.clock.set(T0);
        revocations.revoke_subject(&alice, Duration::from_secs(3600)).await.unwrap();
        let last = T0 + 3600 + MAX_LEEWAY.as_secs();
        for second in last - 1..=last + 1 {
            s.clock.set(second);
            let verdict = revocations.check(&id, Some(&alice), MS0).await;
            let expected = if second <= last { Verdict::Revoked } else { Verdict::Valid };
            assert_eq!(verdict, Ok(expected), "at last + {}", second as i64 - last as i64);
        }
    }

    async fn a_new_record_is_created_once_at_version_one(s: Subject) {
        assert_eq!(s.store.load("r").await, Ok(None));
        assert_eq!(
            s.store.save("r", RecordWrite::create("a", T0 + 10)).await,
            Ok(Saved::Written(1))
        );
        assert_eq!(s.store.save("r", RecordWrite::create("b", T0 + 10)).await, Ok(Saved::Conflict));
        assert_eq!(s.store.load("r").await, Ok(Some(Record::new(1, "a".into()))));
    }

    async fn a_write_applies_only_at_the_version_it_read(s: Subject) {
        s.store.save("r", RecordWrite::create("a", T0 + 10)).await.unwrap();
        assert_eq!(
            s.store.save("r", RecordWrite::update(1, "b", T0 + 10)).await,
            Ok(Saved::Written(2))
        );
        // A second writer that also read version 1 loses, and changes nothing.
        assert_eq!(
            s.store.save("r", RecordWrite::update(1, "c", T0 + 10)).await,
            Ok(Saved::Conflict)
        );
        assert_eq!(s.store.load("r").await, Ok(Some(Record::new(2, "b".into()))));
    }

    async fn no_record_is_ever_at_version_zero(s: Subject) {
        // Versions start at 1: an update at 0 creates nothing and changes nothing.
        assert_eq!(
            s.store.save("r", RecordWrite::update(0, "a", T0 + 10)).await,
            Ok(Saved::Conflict)
        );
        assert_eq!(s.store.load("r").await, Ok(None));
        s.store.save("r", RecordWrite::create("a", T0 + 10)).await.unwrap();
        assert_eq!(
            s.store.save("r", RecordWrite::update(0, "b", T0 + 10)).await,
            Ok(Saved::Conflict)
        );
        assert_eq!(s.store.load("r").await, Ok(Some(Record::new(1, "a".into()))));
    }

    async fn a_write_after_removal_never_recreates_the_record(s: Subject) {
        s.store.save("r", RecordWrite::create("a", T0 + 10)).await.unwrap();
        s.store.remove("r").await.unwrap();
        assert_eq!(s.store.load("r").await, Ok(None));
        assert_eq!(
            s.store.save("r", RecordWrite::update(1, "late", T0 + 10)).await,
            Ok(Saved::Conflict)
        );
        assert_eq!(s.store.load("r").await, Ok(None));
        // Removing what is not there is not an error.
        s.store.remove("r").await.unwrap();
    }

    async fn an_expired_record_is_absent_and_not_written_by_its_old_version(s: Subject) {
        s.store.save("r", RecordWrite::create("a", T0 + 10)).await.unwrap();
        s.clock.set(T0 + 10);
        assert_eq!(s.store.load("r").await, Ok(None));
        assert_eq!(
            s.store.save("r", RecordWrite::update(1, "b", T0 + 20)).await,
            Ok(Saved::Conflict)
        );
    }

    async fn a_record_is_written_in_its_last_second_and_not_in_the_second_it_ends(s: Subject) {
        s.store.save("r", RecordWrite::create("a", T0 + 10)).await.unwrap();
        s.clock.set(T0 + 9);
        let last = s.store.save("r", RecordWrite::update(1, "b", T0 + 10)).await;
        assert_eq!(last, Ok(Saved::Written(2)), "its last second");
        s.clock.set(T0 + 10);
        let ended = s.store.save("r", RecordWrite::update(2, "c", T0 + 20)).await;
        assert_eq!(ended, Ok(Saved::Conflict), "the second it ends");
    }

    async fn a_write_sets_the_records_expiry(s: Subject) {
        s.store.save("r", RecordWrite::create("a", T0 + 10)).await.unwrap();
        s.store.save("r", RecordWrite::update(1, "b", T0 + 30)).await.unwrap();
        s.clock.set(T0 + 20);
        assert_eq!(s.store.load("r").await, Ok(Some(Record::new(2, "b".into()))));
    }

    async fn a_record_over_the_bounds_is_refused(s: Subject) {
        let long = "k".repeat(MAX_KEY_LEN + 1);
        assert!(matches!(
            s.store.save(&long, RecordWrite::create("a", T0 + 10)).await,
            Err(StoreError::Refused(_))
        ));
        let big = "v".repeat(MAX_VALUE_LEN + 1);
        assert!(matches!(
            s.store.save("r", RecordWrite::create(&big, T0 + 10)).await,
            Err(StoreError::Refused(_))
        ));
        assert_eq!(s.store.load("r").await, Ok(None));
        let largest = "v".repeat(MAX_VALUE_LEN);
        assert_eq!(
            s.store.save("r", RecordWrite::create(&largest, T0 + 10)).await,
            Ok(Saved::Written(1))
        );
    }

    async fn of_concurrent_writers_at_one_version_exactly_one_wins(s: Subject) {
        s.store.save("r", RecordWrite::create("start", T0 + 10)).await.unwrap();
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let store = Arc::clone(&s.store);
                tokio::spawn(async move {
                    store.save("r", RecordWrite::update(1, &format!("w{i}"), T0 + 10)).await
                })
            })
            .collect();
        let mut won = Vec::new();
        for (i, t) in tasks.into_iter().enumerate() {
            if t.await.unwrap() == Ok(Saved::Written(2)) {
                won.push(i);
            }
        }
        assert_eq!(won.len(), 1);
        let winner = format!("w{}", won[0]);
        assert_eq!(s.store.load("r").await, Ok(Some(Record::new(2, winner))));
    }

    async fn a_record_and_numbers_of_another_tag_are_read_together(s: Subject) {
        // A logged-in server-side session: its record under its id's tag, its subject's
        // revocations under the subject's (another slot in a cluster).
        s.store.save("ss:st:{r1}", RecordWrite::create("a", T0 + 10)).await.unwrap();
        s.store.raise("{u}n", 7, T0 + 10).await.unwrap();
        s.store.raise("{u}gone", 1, T0 + 1).await.unwrap();
        s.clock.set(T0 + 1);
        let (record, values) = s
            .store
            .load_with("ss:st:{r1}", &keys(&["{u}n", "{u}gone", "{u}absent"]))
            .await
            .unwrap();
        assert_eq!(record, Some(Record::new(1, "a".into())));
        assert_eq!(values, vec![Some(7), None, None]);
        let (record, _) = s.store.load_with("ss:st:{r2}", &keys(&["{u}n"])).await.unwrap();
        assert_eq!(record, None);
    }

    async fn a_generation_vouches_for_sessions_created_since_its_earliest_registration(s: Subject) {
        let revocations = Revocations::from_shared(Arc::clone(&s.store)).clock(s.clock.clone());
        let alice = sealed_session::Subject::new("alice").unwrap();
        let id = |n| sealed_session::SessionId::from_bytes([n; 16]);
        // Told of nothing: no session of alice is vouched for.
        assert_eq!(revocations.check(&id(1), Some(&alice), MS0).await, Ok(Verdict::Forgotten));
        revocations.register_session(&id(1), Some(&alice), MS0 + 500, T0 + 3600).await.unwrap();
        // A later registration keeps the earliest; an earlier one lowers it.
        revocations.register_session(&id(2), Some(&alice), MS0 + 900, T0 + 3600).await.unwrap();
        for (created, verdict) in [
            (MS0 + 499, Verdict::Forgotten),
            (MS0 + 500, Verdict::Valid),
            (MS0 + 900, Verdict::Valid),
        ] {
            assert_eq!(revocations.check(&id(3), Some(&alice), created).await, Ok(verdict));
        }
        revocations.register_session(&id(4), Some(&alice), MS0 + 100, T0 + 3600).await.unwrap();
        assert_eq!(revocations.check(&id(3), Some(&alice), MS0 + 100).await, Ok(Verdict::Valid));
        // A revocation still wins over the generation.
        revocations.revoke_session(&id(1), Some(&alice), T0 + 600).await.unwrap();
        assert_eq!(revocations.check(&id(1), Some(&alice), MS0 + 500).await, Ok(Verdict::Revoked));
    }

    async fn a_generation_belongs_to_its_tag_a_subject_or_a_lone_session_id(s: Subject) {
        let revocations = Revocations::from_shared(Arc::clone(&s.store)).clock(s.clock.clone());
        let alice = sealed_session::Subject::new("alice").unwrap();
        let bob = sealed_session::Subject::new("bob").unwrap();
        let id = |n| sealed_session::SessionId::from_bytes([n; 16]);
        revocations.register_session(&id(1), Some(&alice), MS0, T0 + 3600).await.unwrap();
        revocations.register_session(&id(2), None, MS0, T0 + 3600).await.unwrap();
        // Any session of alice; the lone session only under its own id.
        assert_eq!(revocations.check(&id(9), Some(&alice), MS0).await, Ok(Verdict::Valid));
        assert_eq!(revocations.check(&id(9), Some(&bob), MS0).await, Ok(Verdict::Forgotten));
        assert_eq!(revocations.check(&id(2), None, MS0).await, Ok(Verdict::Valid));
        assert_eq!(revocations.check(&id(1), None, MS0).await, Ok(Verdict::Forgotten));
    }

    async fn a_generation_is_kept_until_its_latest_session_ends_and_the_margin(s: Subject) {
        let revocations = Revocations::from_shared(Arc::clone(&s.store)).clock(s.clock.clone());
        let alice = sealed_session::Subject::new("alice").unwrap();
        let id = sealed_session::SessionId::from_bytes([1; 16]);
        revocations.register_session(&id, Some(&alice), MS0, T0 + 600).await.unwrap();
        revocations.register_session(&id, Some(&alice), MS0, T0 + 3600).await.unwrap();
        let last = T0 + 3600 + MAX_LEEWAY.as_secs();
        for second in last - 1..=last + 1 {
            s.clock.set(second);
            let verdict = revocations.check(&id, Some(&alice), MS0).await;
            let expected = if second <= last { Verdict::Valid } else { Verdict::Forgotten };
            assert_eq!(verdict, Ok(expected), "at last + {}", second as i64 - last as i64);
        }
    }

    async fn records_and_numbers_live_under_different_keys(s: Subject) {
        s.store.raise("n", 5, T0 + 10).await.unwrap();
        s.store.save("r", RecordWrite::create("a", T0 + 10)).await.unwrap();
        assert_eq!(s.store.read(&keys(&["n"])).await, Ok(vec![Some(5)]));
        assert_eq!(s.store.load("r").await, Ok(Some(Record::new(1, "a".into()))));
    }
}

mod durable {
    use super::*;
    use sealed_session::store::RedbStore;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_revocation_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("revocations.redb");
        let clock = ManualClock::new(T0);
        let id = sealed_session::SessionId::from_bytes([3; 16]);
        {
            let store = RedbStore::open(&path).unwrap().clock(clock.clone());
            let revocations = Revocations::new(store).clock(clock.clone());
            revocations
                .revoke_session(&id, None, T0 + 600)
                .await
                .unwrap();
        }
        // A new process opens the same file.
        let store = RedbStore::open(&path).unwrap().clock(clock.clone());
        let revocations = Revocations::new(store).clock(clock);
        assert_eq!(
            revocations.check(&id, None, MS0).await,
            Ok(Verdict::Revoked)
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn expired_entries_are_swept_a_few_per_write() {
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::new(T0);
        let store = RedbStore::open(dir.path().join("s.redb"))
            .unwrap()
            .clock(clock.clone());
        for i in 0..40 {
            store.raise(&format!("k{i}"), 1, T0 + 1).await.unwrap();
        }
        clock.set(T0 + 1);
        store.raise("fresh", 1, T0 + 100).await.unwrap();
        let left = store.len().unwrap();
        assert!(left > 1 && left < 41, "{left}");
        for _ in 0..3 {
            store.raise("fresh", 1, T0 + 100).await.unwrap();
        }
        assert_eq!(store.len().unwrap(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_record_survives_a_restart_and_expired_ones_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.redb");
        let clock = ManualClock::new(T0);
        {
            let store = RedbStore::open(&path).unwrap().clock(clock.clone());
            store
                .save("kept", RecordWrite::create("state", T0 + 100))
                .await
                .unwrap();
            for i in 0..20 {
                store
                    .save(&format!("r{i}"), RecordWrite::create("old", T0 + 1))
                    .await
                    .unwrap();
            }
        }
        let store = RedbStore::open(&path).unwrap().clock(clock.clone());
        assert_eq!(
            store.load("kept").await,
            Ok(Some(Record::new(1, "state".into())))
        );
        clock.set(T0 + 1);
        // Each write sweeps a bounded number of expired entries.
        for _ in 0..2 {
            store.remove("absent").await.unwrap();
        }
        assert_eq!(store.len().unwrap(), 1);
    }
}

/// Faults of a real Redis: the store answers within its timeout, recovers without a restart, and
/// never applies a write it reported as failed.
mod redis_faults {
    use super::*;
    use common::redis::RedisServer;
    use sealed_session::store::RedisStore;
    use std::time::Instant;

    const TIMEOUT: Duration = Duration::from_millis(300);

    /// Runs `f` with a hang guard: a store call must end by itself.
    async fn ends<T>(f: impl std::future::Future<Output = T>) -> (T, Duration) {
        let start = Instant::now();
        let out = tokio::time::timeout(Duration::from_secs(20), f)
            .await
            .expect("a store call hung");
        (out, start.elapsed())
    }

    #[tokio::test]
    async fn a_killed_redis_is_unreachable_and_the_store_recovers_when_it_returns() {
        let Some(server) = RedisServer::start() else {
            return;
        };
        let port = server.port;
        let store = RedisStore::with_timeout(&server.url(), TIMEOUT).unwrap();
        let k = keys(&["k"]);
        store.raise("k", 1, u64::MAX / 2).await.unwrap();
        drop(server);
        let (result, took) = ends(store.read(&k)).await;
        assert!(
            matches!(result, Err(StoreError::Unreachable(_))),
            "{result:?}"
        );
        eprintln!("read with Redis down failed after {took:?}");
        // A new (empty) Redis on the same port: the same store value works again.
        let _again = RedisServer::restart_on(port);
        let mut recovered = None;
        let start = Instant::now();
        for _ in 0..100 {
            if let Ok(values) = store.read(&k).await {
                recovered = Some(values);
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(
            recovered,
            Some(vec![None]),
            "recovered without a restart, empty"
        );
        eprintln!("first success {:?} after Redis returned", start.elapsed());
        // The failure forgot the old server's clock: the new one's is read, and writes go through.
        assert_eq!(store.raise("k", 2, u64::MAX / 2).await, Ok(()));
        assert_eq!(store.read(&k).await, Ok(vec![Some(2)]));
    }

    /// A record written through the store by a server whose clock is `offset` off from Redis's
    /// (see `common::skew`), and read back through a store on this process's clock.
    mod clock_skew {
        use super::*;
        use common::skew::SkewedWriter;
        use sealed_session::store::Record;

        /// Redis's clock two seconds behind the server's, and two seconds ahead: more than the
        /// write timeout either way.
        const OFFSETS: [&str; 2] = ["+2", "-2"];

        /// A fresh `redis-server` and a writer on it whose clock is `offset` off; `None` when a
        /// program is missing (said loudly; a failure under `CI=true`).
        fn server_and_writer(offset: &str) -> Option<(RedisServer, SkewedWriter)> {
            let server = RedisServer::start()?;
            let writer = SkewedWriter::start(offset, &[server.url()], TIMEOUT)?;
            Some((server, writer))
        }

        #[tokio::test]
        async fn a_server_whose_clock_is_off_writes_while_redis_answers_in_time() {
            for offset in OFFSETS {
                let Some((server, mut writer)) = server_and_writer(offset) else {
                    return;
                };
                let url = server.url();
                assert_eq!(writer.ask("raise k 1"), "ok", "{offset}");
                assert_eq!(writer.ask("create r before"), "written 1", "{offset}");
                assert_eq!(writer.ask("update r 1 after"), "written 2", "{offset}");
                let store = RedisStore::with_timeout(&url, TIMEOUT).unwrap();
                assert_eq!(
                    store.load("r").await,
                    Ok(Some(Record::new(2, "after".into()))),
                    "{offset}"
                );
                assert_eq!(store.read(&keys(&["k"])).await, Ok(vec![Some(1)]));
            }
        }

        #[tokio::test]
        async fn a_write_of_a_server_whose_clock_is_off_is_never_applied_after_its_deadline() {
            for offset in OFFSETS {
                let Some((server, mut writer)) = server_and_writer(offset) else {
                    return;
                };
                let url = server.url();
                assert_eq!(writer.ask("create r before"), "written 1", "{offset}");
                server.signal("-STOP");
                let answer = writer.ask("update r 1 late");
                assert!(answer.starts_with("error: "), "{offset}: {answer}");
                // Redis reads the queued write after its deadline, but well within the two
                // seconds the clocks are apart: a deadline on the server's clock would let it in.
                tokio::time::sleep(TIMEOUT * 3).await;
                server.signal("-CONT");
                let store = RedisStore::with_timeout(&url, TIMEOUT).unwrap();
                let mut record = None;
                for _ in 0..100 {
                    if let Ok(r) = store.load("r").await {
                        record = Some(r);
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                assert_eq!(
                    record,
                    Some(Some(Record::new(1, "before".into()))),
                    "{offset}: reported as failed, and not applied"
                );
            }
        }

        #[tokio::test]
        async fn a_server_whose_clock_is_off_writes_to_a_cluster_while_it_answers_in_time() {
            for offset in OFFSETS {
                let Some(cluster) = common::redis::RedisCluster::start() else {
                    return;
                };
                let urls = cluster.urls();
                let timeout = Duration::from_secs(1);
                let Some(mut writer) = SkewedWriter::start(offset, &urls, timeout) else {
                    return;
                };
                // Keys of different hash tags: on different primaries.
                for tag in ["a", "b", "c", "d", "e", "f"] {
                    let key = format!("{{{tag}}}:r");
                    assert_eq!(
                        writer.ask(&format!("create {key} v")),
                        "written 1",
                        "{offset}"
                    );
                    let raised = writer.ask(&format!("raise {{{tag}}}:k 1"));
                    assert_eq!(raised, "ok", "{offset}");
                }
            }
        }
    }

    #[tokio::test]
    async fn a_write_that_reaches_a_paused_redis_after_its_deadline_is_never_applied() {
        let Some(server) = RedisServer::start() else {
            return;
        };
        let store = RedisStore::with_timeout(&server.url(), TIMEOUT).unwrap();
        let k = keys(&["late"]);
        assert_eq!(store.read(&k).await, Ok(vec![None]));
        server.signal("-STOP");
        let (result, took) = ends(store.raise("late", 1, u64::MAX / 2)).await;
        assert!(
            matches!(result, Err(StoreError::Unreachable(_))),
            "{result:?}"
        );
        eprintln!("write to a paused Redis failed after {took:?}");
        // Redis resumes well after the write's deadline and then reads the queued write.
        tokio::time::sleep(TIMEOUT * 3).await;
        server.signal("-CONT");
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut values = None;
        for _ in 0..100 {
            if let Ok(v) = store.read(&k).await {
                values = Some(v);
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Reported as failed, and indeed not applied.
        assert_eq!(values, Some(vec![None]));
    }

    #[tokio::test]
    async fn a_record_write_that_reaches_a_paused_redis_after_its_deadline_is_never_applied() {
        let Some(server) = RedisServer::start() else {
            return;
        };
        let store = RedisStore::with_timeout(&server.url(), TIMEOUT).unwrap();
        store
            .save("r", RecordWrite::create("before", u64::MAX / 2))
            .await
            .unwrap();
        server.signal("-STOP");
        let (result, _) = ends(store.save("r", RecordWrite::update(1, "late", u64::MAX / 2))).await;
        assert!(
            matches!(result, Err(StoreError::Unreachable(_))),
            "{result:?}"
        );
        tokio::time::sleep(TIMEOUT * 3).await;
        server.signal("-CONT");
        let mut record = None;
        for _ in 0..100 {
            if let Ok(r) = store.load("r").await {
                record = Some(r);
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Reported as failed, and indeed not applied: the record is still the one before.
        assert_eq!(record, Some(Some(Record::new(1, "before".into()))));
    }

    /// A store on `cluster` that has written to every primary, so its scripts are loaded there
    /// and its connections made.
    async fn cluster_store_that_wrote(cluster: &common::redis::RedisCluster) -> RedisStore {
        let urls = cluster.urls();
        let nodes: Vec<&str> = urls.iter().map(String::as_str).collect();
        let store = RedisStore::cluster(&nodes, Duration::from_secs(1))
            .await
            .unwrap();
        for tag in ["s", "r", "m"] {
            store
                .raise(&format!("{{{tag}}}:k"), 1, u64::MAX / 2)
                .await
                .unwrap();
            let record = RecordWrite::create("v1", u64::MAX / 2);
            store.save(&format!("{{{tag}}}:r"), record).await.unwrap();
        }
        store
    }

    #[tokio::test]
    async fn a_revocation_after_a_failover_is_written_to_the_new_primary_at_once() {
        let Some(cluster) = common::redis::RedisCluster::start_replicated() else {
            return;
        };
        let store = cluster_store_that_wrote(&cluster).await;
        // The old primary stays up, as a replica: a write sent to it is redirected, and the new
        // primary never had the script loaded.
        cluster.fail_over("{m}:k");
        store.raise("{m}:k", 2, u64::MAX / 2).await.unwrap();
        assert_eq!(store.read(&keys(&["{m}:k"])).await, Ok(vec![Some(2)]));
    }

    #[tokio::test]
    async fn a_record_write_after_a_failover_is_written_to_the_new_primary_at_once() {
        let Some(cluster) = common::redis::RedisCluster::start_replicated() else {
            return;
        };
        let store = cluster_store_that_wrote(&cluster).await;
        cluster.fail_over("{m}:r");
        let written = store
            .save("{m}:r", RecordWrite::update(1, "v2", u64::MAX / 2))
            .await;
        assert_eq!(written, Ok(Saved::Written(2)));
        assert_eq!(
            store.load("{m}:r").await,
            Ok(Some(Record::new(2, "v2".into())))
        );
    }
}

/// How the Redis store keeps a record (a hash: version, expiry, value, and the key's own expiry)
/// and what its write script compares: versions and expiries are decimals compared as text, so
/// these cases reach Redis directly to set records up as a long-lived deployment could hold them.
mod redis_records {
    use super::*;
    use common::redis::RedisServer;
    use sealed_session::store::RedisStore;

    async fn admin(server: &RedisServer) -> ::redis::aio::MultiplexedConnection {
        let client = ::redis::Client::open(server.url()).unwrap();
        client.get_multiplexed_async_connection().await.unwrap()
    }

    /// The Unix second at which Redis forgets `key` (`EXPIRETIME`; -1: never).
    async fn expire_time(server: &RedisServer, key: &str) -> i64 {
        ::redis::cmd("EXPIRETIME")
            .arg(key)
            .query_async(&mut admin(server).await)
            .await
            .unwrap()
    }

    /// A record written as an earlier write left it: `v`, `e` and `d`, with no key expiry.
    async fn put(server: &RedisServer, key: &str, version: &str, expires: &str) {
        let _: () = ::redis::cmd("HSET")
            .arg(key)
            .arg(&["v", version, "e", expires, "d", "before"][..])
            .query_async(&mut admin(server).await)
            .await
            .unwrap();
    }

    /// A fresh `redis-server`, and a store on it on a clock that starts at `now`.
    fn started(now: u64) -> Option<(RedisServer, ManualClock, RedisStore)> {
        let server = RedisServer::start()?;
        let clock = ManualClock::new(now);
        let store = RedisStore::new(&server.url()).unwrap().clock(clock.clone());
        Some((server, clock, store))
    }

    /// As [`started`] at `T0`, with the record `r` written: version 1, until `T0 + 10`.
    async fn with_record() -> Option<(RedisServer, ManualClock, RedisStore)> {
        let (server, clock, store) = started(T0)?;
        let created = store.save("r", RecordWrite::create("a", T0 + 10)).await;
        assert_eq!(created, Ok(Saved::Written(1)));
        Some((server, clock, store))
    }

    #[tokio::test]
    async fn a_write_that_keeps_the_records_expiry_keeps_the_keys_expiry() {
        let Some((server, clock, store)) = with_record().await else {
            return;
        };
        let written = store.save("r", RecordWrite::update(1, "b", T0 + 10)).await;
        assert_eq!(written, Ok(Saved::Written(2)));
        assert_eq!(expire_time(&server, "r").await, (T0 + 10) as i64);
        clock.set(T0 + 9);
        assert_eq!(store.load("r").await, Ok(Some(Record::new(2, "b".into()))));
        clock.set(T0 + 10);
        assert_eq!(store.load("r").await, Ok(None));
    }

    #[tokio::test]
    async fn a_write_that_moves_the_records_expiry_moves_the_keys_expiry() {
        let Some((server, _clock, store)) = with_record().await else {
            return;
        };
        store
            .save("r", RecordWrite::update(1, "b", T0 + 30))
            .await
            .unwrap();
        assert_eq!(expire_time(&server, "r").await, (T0 + 30) as i64);
        store
            .save("r", RecordWrite::update(2, "c", T0 + 20))
            .await
            .unwrap();
        assert_eq!(expire_time(&server, "r").await, (T0 + 20) as i64);
    }

    #[tokio::test]
    async fn a_write_after_redis_forgot_the_script_is_applied() {
        let Some((server, _clock, store)) = with_record().await else {
            return;
        };
        let _: () = ::redis::cmd("SCRIPT")
            .arg("FLUSH")
            .query_async(&mut admin(&server).await)
            .await
            .unwrap();
        let written = store.save("r", RecordWrite::update(1, "b", T0 + 10)).await;
        assert_eq!(written, Ok(Saved::Written(2)));
        assert_eq!(store.load("r").await, Ok(Some(Record::new(2, "b".into()))));
    }

    #[tokio::test]
    async fn versions_are_counted_exactly_past_two_to_the_53() {
        let Some((server, _clock, store)) = started(T0) else {
            return;
        };
        let version = (1u64 << 53) + 1;
        put(&server, "r", &version.to_string(), &(T0 + 10).to_string()).await;
        let written = store
            .save("r", RecordWrite::update(version, "b", T0 + 10))
            .await;
        assert_eq!(written, Ok(Saved::Written(version + 1)));
        assert_eq!(
            store.load("r").await,
            Ok(Some(Record::new(version + 1, "b".into())))
        );
        // A writer at the version before, which doubles would not tell apart, conflicts.
        let stale = store
            .save("r", RecordWrite::update(version, "c", T0 + 10))
            .await;
        assert_eq!(stale, Ok(Saved::Conflict));
    }

    #[tokio::test]
    async fn an_expiry_and_the_time_are_compared_as_numbers_whatever_their_lengths() {
        // Nine digits against ten: as text, "999999999" would sort after "1000000000".
        let Some((server, clock, store)) = started(999_999_990) else {
            return;
        };
        put(&server, "live", "3", "1000000005").await;
        let written = store
            .save("live", RecordWrite::update(3, "b", 1_000_000_005))
            .await;
        assert_eq!(
            written,
            Ok(Saved::Written(4)),
            "an expiry after now is live"
        );
        put(&server, "past", "3", "999999999").await;
        clock.set(1_000_000_000);
        let written = store
            .save("past", RecordWrite::update(3, "b", 1_000_000_010))
            .await;
        assert_eq!(written, Ok(Saved::Conflict), "an expiry before now is past");
        put(&server, "now", "3", "1000000000").await;
        let written = store
            .save("now", RecordWrite::update(3, "b", 1_000_000_010))
            .await;
        assert_eq!(written, Ok(Saved::Conflict), "an expiry at now is past");
    }
}
