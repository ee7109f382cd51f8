//! The Redis store's local cache, against a real `redis-server` on loopback: what it serves
//! without asking Redis, how a change made by another server reaches it, and that no fault
//! (a silent or closed invalidation channel, a restart with nothing, a flush, a pause) lets it
//! serve what Redis no longer holds past the silence bound, or makes a read wait past the
//! store's timeout.

mod common;

use std::time::{Duration, Instant};

use common::cache::{number_seen, ready};
use common::proxy::Proxy;
use common::redis::{RedisServer, tracking_ids};
use sealed_session::store::{
    LocalCache, Record, RecordWrite, RedisStore, Saved, Store, StoreError,
};

const TIMEOUT: Duration = Duration::from_millis(300);
const SILENCE: Duration = Duration::from_millis(200);
const FAR: u64 = u64::MAX / 4;

/// A cached store on `url`, once its cache is being served.
async fn cached(url: &str) -> RedisStore {
    let store = RedisStore::with_timeout(url, TIMEOUT)
        .unwrap()
        .cached(LocalCache::new(1000).silence(SILENCE))
        .unwrap();
    ready(&store).await;
    store
}

/// A fresh `redis-server` and a cached store on it; `None` when Redis is not installed (outside
/// CI).
async fn server_and_cache() -> Option<(RedisServer, RedisStore)> {
    let server = RedisServer::start()?;
    let store = cached(&server.url()).await;
    Some((server, store))
}

/// Another server's store: its own connection, no cache.
fn other(server: &RedisServer) -> RedisStore {
    RedisStore::with_timeout(&server.url(), TIMEOUT).unwrap()
}

async fn admin(server: &RedisServer) -> redis::aio::MultiplexedConnection {
    let client = redis::Client::open(server.url()).unwrap();
    client.get_multiplexed_async_connection().await.unwrap()
}

/// How many times Redis has run `command` (`INFO commandstats`).
async fn calls(server: &RedisServer, command: &str) -> u64 {
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(&mut admin(server).await)
        .await
        .unwrap();
    let prefix = format!("cmdstat_{command}:calls=");
    info.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .map_or(0, |rest| rest.split(',').next().unwrap().parse().unwrap())
}

fn keys(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

/// Reads `key` through `store` until `seen` holds of it: after how long, or `None` if a read
/// begun `within` after `since` (when the change was made) still did not see it.
async fn until_seen(
    store: &RedisStore,
    key: &str,
    since: Instant,
    within: Duration,
    seen: impl Fn(&Option<Record>) -> bool,
) -> Option<Duration> {
    loop {
        let began = Instant::now();
        if let Ok(record) = store.load(key).await
            && seen(&record)
        {
            return Some(since.elapsed());
        }
        if began >= since + within {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Reads the number under `key` through `store` from now until `until`, and returns what each
/// read that began at or after `bound` answered.
async fn reads_after(
    store: &RedisStore,
    key: &[String],
    bound: Instant,
    until: Instant,
) -> Vec<Result<Vec<Option<u64>>, StoreError>> {
    let mut after = Vec::new();
    while Instant::now() < until {
        let began = Instant::now();
        let read = store.read(key).await;
        if began >= bound {
            after.push(read);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    after
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_reads_of_a_record_are_served_without_asking_redis() {
    let Some((server, store)) = server_and_cache().await else {
        return;
    };
    let write = RecordWrite::create("v1", FAR);
    other(&server).save("r", write).await.unwrap();
    let before = calls(&server, "hmget").await;
    for _ in 0..10 {
        assert_eq!(store.load("r").await, Ok(Some(Record::new(1, "v1".into()))));
    }
    assert_eq!(
        calls(&server, "hmget").await - before,
        1,
        "one read filled it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_checks_of_absent_revocations_are_served_without_asking_redis() {
    let Some((server, store)) = server_and_cache().await else {
        return;
    };
    let k = keys(&["{s}:a", "{s}:b"]);
    let before = calls(&server, "mget").await;
    for _ in 0..10 {
        assert_eq!(store.read(&k).await, Ok(vec![None, None]));
    }
    assert_eq!(
        calls(&server, "mget").await - before,
        1,
        "one read filled it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_holds_at_most_its_entries_and_drops_the_least_recently_used() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let store = RedisStore::with_timeout(&server.url(), TIMEOUT)
        .unwrap()
        .cached(LocalCache::new(2).silence(SILENCE))
        .unwrap();
    ready(&store).await;
    let [a, b, c] = [keys(&["{a}:n"]), keys(&["{b}:n"]), keys(&["{c}:n"])];
    for k in [&a, &b, &a, &c] {
        assert_eq!(store.read(k).await, Ok(vec![None]));
    }
    // `a` was read again after `b`, so `c` took `b`'s place: `a` and `c` are served from memory,
    // `b` is read from Redis again.
    let mget = calls(&server, "mget").await;
    assert_eq!(store.read(&a).await, Ok(vec![None]));
    assert_eq!(store.read(&c).await, Ok(vec![None]));
    assert_eq!(calls(&server, "mget").await, mget);
    assert_eq!(store.read(&b).await, Ok(vec![None]));
    assert_eq!(calls(&server, "mget").await, mget + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_and_revocations_read_together_are_served_together() {
    let Some((server, store)) = server_and_cache().await else {
        return;
    };
    let there = other(&server);
    there
        .save("r", RecordWrite::create("v1", FAR))
        .await
        .unwrap();
    there.raise("{s}:a", 3, FAR).await.unwrap();
    let k = keys(&["{s}:a", "{s}:b"]);
    let (hmget, mget) = (calls(&server, "hmget").await, calls(&server, "mget").await);
    for _ in 0..10 {
        let read = store.load_with("r", &k).await.unwrap();
        assert_eq!(
            read,
            (Some(Record::new(1, "v1".into())), vec![Some(3), None])
        );
    }
    assert_eq!(calls(&server, "hmget").await - hmget, 1);
    assert_eq!(calls(&server, "mget").await - mget, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_through_this_store_is_read_back_at_once() {
    let Some((_server, store)) = server_and_cache().await else {
        return;
    };
    let k = keys(&["{s}:a"]);
    store
        .save("r", RecordWrite::create("v1", FAR))
        .await
        .unwrap();
    assert_eq!(store.load("r").await.unwrap().unwrap().version, 1);
    store
        .save("r", RecordWrite::update(1, "v2", FAR))
        .await
        .unwrap();
    assert_eq!(store.load("r").await, Ok(Some(Record::new(2, "v2".into()))));
    store.remove("r").await.unwrap();
    assert_eq!(store.load("r").await, Ok(None));
    assert_eq!(store.read(&k).await, Ok(vec![None]));
    store.raise("{s}:a", 5, FAR).await.unwrap();
    assert_eq!(store.read(&k).await, Ok(vec![Some(5)]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_this_server_wrote_is_read_back_without_asking_redis() {
    let Some((server, store)) = server_and_cache().await else {
        return;
    };
    let before = calls(&server, "hmget").await;
    store
        .save("r", RecordWrite::create("v1", FAR))
        .await
        .unwrap();
    assert_eq!(store.load("r").await, Ok(Some(Record::new(1, "v1".into()))));
    store
        .save("r", RecordWrite::update(1, "v2", FAR))
        .await
        .unwrap();
    assert_eq!(store.load("r").await, Ok(Some(Record::new(2, "v2".into()))));
    // Each write's script reads the record once; the reads asked Redis nothing.
    assert_eq!(calls(&server, "hmget").await - before, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_this_server_wrote_still_hears_of_changes_made_elsewhere() {
    let Some((server, here)) = server_and_cache().await else {
        return;
    };
    let there = other(&server);
    here.save("r", RecordWrite::create("v1", FAR))
        .await
        .unwrap();
    assert_eq!(here.load("r").await.unwrap().unwrap().version, 1);
    // Each write untracks the key in Redis; the write here tracked it again, so the change
    // there is pushed here, and long before the silence bound.
    for version in 1..=3 {
        let (mine, theirs) = (version * 2 - 1, version * 2);
        if version > 1 {
            let write = RecordWrite::update(mine - 1, "mine", FAR);
            assert_eq!(here.save("r", write).await, Ok(Saved::Written(mine)));
        }
        there
            .save("r", RecordWrite::update(mine, "theirs", FAR))
            .await
            .unwrap();
        let written = Instant::now();
        let seen = until_seen(&here, "r", written, SILENCE, |r| {
            r.as_ref().is_some_and(|r| r.version == theirs)
        });
        eprintln!(
            "write {theirs} there seen here after {:?}",
            seen.await.expect("seen")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_made_by_another_server_is_seen_here() {
    let Some((server, here)) = server_and_cache().await else {
        return;
    };
    let there = other(&server);
    there
        .save("r", RecordWrite::create("v1", FAR))
        .await
        .unwrap();
    assert_eq!(here.load("r").await.unwrap().unwrap().version, 1);

    // A write there.
    there
        .save("r", RecordWrite::update(1, "v2", FAR))
        .await
        .unwrap();
    let written = Instant::now();
    let seen = until_seen(&here, "r", written, SILENCE, |r| {
        r.as_ref().is_some_and(|r| r.version == 2)
    });
    eprintln!(
        "a write there seen here after {:?}",
        seen.await.expect("seen")
    );

    // A removal there (a logout of a server-side session).
    there.remove("r").await.unwrap();
    let removed = Instant::now();
    let seen = until_seen(&here, "r", removed, SILENCE, Option::is_none).await;
    eprintln!("a removal there seen here after {:?}", seen.expect("seen"));

    // A revocation there, of a key read here as absent.
    let k = keys(&["{s}:a"]);
    assert_eq!(here.read(&k).await, Ok(vec![None]));
    there.raise("{s}:a", 9, FAR).await.unwrap();
    let seen = number_seen(&here, &k, 9, Instant::now(), SILENCE).await;
    eprintln!("a revocation there seen here after {seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_invalidation_channel_stops_the_cache_within_the_silence_bound() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let proxy = Proxy::start(server.port).await;
    let here = cached(&proxy.url()).await;
    let there = other(&server);
    let k = keys(&["{s}:a"]);
    assert_eq!(here.read(&k).await, Ok(vec![None]));
    assert_eq!(here.read(&k).await, Ok(vec![None]), "served from the cache");

    // Invalidations stop reaching this server, and nothing says so.
    proxy.freeze_tracking();
    there.raise("{s}:a", 1, FAR).await.unwrap();
    let bound = Instant::now() + SILENCE;
    let after = reads_after(&here, &k, bound, bound + SILENCE).await;
    assert!(!after.is_empty());
    assert!(
        after.iter().all(|read| read == &Ok(vec![Some(1)])),
        "every read past the bound sees the revocation: {after:?}"
    );
    assert!(
        !here.cache_ready(),
        "no cache is served while tracking is silent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_invalidation_channel_drops_the_cache_and_tracking_comes_back() {
    let Some((server, here)) = server_and_cache().await else {
        return;
    };
    let there = other(&server);
    let k = keys(&["{s}:a"]);
    assert_eq!(here.read(&k).await, Ok(vec![None]));
    // Redis closes the tracking connection (its `CLIENT LIST` flags include `t`).
    let mut admin = admin(&server).await;
    let list: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query_async(&mut admin)
        .await
        .unwrap();
    let tracking = tracking_ids(&list);
    assert_eq!(tracking.len(), 1, "one tracking connection: {list}");
    let _: () = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("ID")
        .arg(tracking[0])
        .query_async(&mut admin)
        .await
        .unwrap();
    there.raise("{s}:a", 1, FAR).await.unwrap();
    let bound = Instant::now() + SILENCE;
    let after = reads_after(&here, &k, bound, bound + SILENCE).await;
    assert!(
        after.iter().all(|read| read == &Ok(vec![Some(1)])),
        "{after:?}"
    );

    // Tracking reconnects by itself, and the new connection hears of changes again.
    ready(&here).await;
    assert_eq!(here.read(&k).await, Ok(vec![Some(1)]));
    let mget = calls(&server, "mget").await;
    assert_eq!(here.read(&k).await, Ok(vec![Some(1)]));
    assert_eq!(
        calls(&server, "mget").await,
        mget,
        "served from the cache again"
    );
    there.raise("{s}:a", 2, FAR).await.unwrap();
    number_seen(&here, &k, 2, Instant::now(), SILENCE).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restarted_empty_is_never_answered_from_the_cache() {
    let Some((server, here)) = server_and_cache().await else {
        return;
    };
    let port = server.port;
    here.save("r", RecordWrite::create("v1", FAR))
        .await
        .unwrap();
    assert!(here.load("r").await.unwrap().is_some());
    drop(server);
    let _again = RedisServer::restart_on(port);
    // Whatever a read answers from now on, it is never the record the old server held.
    let start = Instant::now();
    let mut answered = 0;
    while start.elapsed() < SILENCE * 3 {
        match here.load("r").await {
            Ok(record) => {
                assert_eq!(record, None, "a forgotten record served");
                answered += 1;
            }
            Err(StoreError::Unreachable(_)) => {}
            Err(e) => panic!("{e:?}"),
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(answered > 0, "the store recovered");
    ready(&here).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flushed_database_is_never_answered_from_the_cache() {
    let Some((server, here)) = server_and_cache().await else {
        return;
    };
    here.save("r", RecordWrite::create("v1", FAR))
        .await
        .unwrap();
    assert!(here.load("r").await.unwrap().is_some());
    let _: () = redis::cmd("FLUSHALL")
        .query_async(&mut admin(&server).await)
        .await
        .unwrap();
    let flushed = Instant::now();
    let seen = until_seen(&here, "r", flushed, SILENCE, Option::is_none).await;
    eprintln!("a flush seen after {:?}", seen.expect("seen"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_redis_stops_the_cache_and_no_read_waits_past_the_timeout() {
    let Some((server, here)) = server_and_cache().await else {
        return;
    };
    let k = keys(&["{s}:a"]);
    assert_eq!(here.read(&k).await, Ok(vec![None]));
    server.signal("-STOP");
    let paused = Instant::now();
    // Past the bound the cache is not served: reads go to Redis and fail within the timeout.
    tokio::time::sleep(SILENCE).await;
    let mut failed = 0;
    while paused.elapsed() < SILENCE * 3 {
        let start = Instant::now();
        let read = tokio::time::timeout(Duration::from_secs(20), here.read(&k))
            .await
            .expect("a read hung");
        assert!(matches!(read, Err(StoreError::Unreachable(_))), "{read:?}");
        let took = start.elapsed();
        eprintln!("a read of a paused Redis failed after {took:?}");
        // The timeout, with room for the scheduler: a read that first waited for a connection
        // to be made and then for its answer took twice the timeout and more.
        assert!(took < TIMEOUT * 2, "a read waited {took:?}");
        failed += 1;
    }
    server.signal("-CONT");
    assert!(failed > 0);
    ready(&here).await;
    assert_eq!(here.read(&k).await, Ok(vec![None]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_through_the_tracking_connection_to_a_paused_redis_is_never_applied_after() {
    let Some((server, here)) = server_and_cache().await else {
        return;
    };
    here.save("r", RecordWrite::create("before", FAR))
        .await
        .unwrap();
    server.signal("-STOP");
    // While the cache is still served, the write goes through the tracking connection.
    let write = RecordWrite::update(1, "late", FAR);
    let start = Instant::now();
    let written = tokio::time::timeout(Duration::from_secs(20), here.save("r", write))
        .await
        .expect("a write hung");
    assert!(
        matches!(written, Err(StoreError::Unreachable(_))),
        "{written:?}"
    );
    let took = start.elapsed();
    eprintln!("a write to a paused Redis failed after {took:?}");
    assert!(took < TIMEOUT * 2, "a write waited {took:?}");
    // Redis resumes well past the write's deadline, and then reads the queued write.
    tokio::time::sleep(TIMEOUT * 3).await;
    server.signal("-CONT");
    ready(&here).await;
    let stored = other(&server).load("r").await;
    assert_eq!(
        stored,
        Ok(Some(Record::new(1, "before".into()))),
        "reported failed, not applied"
    );
    assert_eq!(here.load("r").await, stored);
}

#[tokio::test]
async fn a_cache_of_no_entries_is_refused() {
    let store = RedisStore::new("redis://127.0.0.1:1/").unwrap();
    let refused = store.cached(LocalCache::new(0));
    assert!(
        matches!(refused, Err(StoreError::Refused(_))),
        "{refused:?}"
    );
}

#[test]
fn a_store_created_outside_a_tokio_runtime_is_refused_not_a_panic() {
    let refused = RedisStore::new("redis://127.0.0.1:1/");
    assert!(
        matches!(refused, Err(StoreError::Refused(_))),
        "{refused:?}"
    );
}

#[test]
fn a_cache_started_outside_a_tokio_runtime_is_refused_not_a_panic() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = runtime.block_on(async { RedisStore::new("redis://127.0.0.1:1/").unwrap() });
    let refused = store.cached(LocalCache::new(10));
    assert!(
        matches!(refused, Err(StoreError::Refused(_))),
        "{refused:?}"
    );
}
