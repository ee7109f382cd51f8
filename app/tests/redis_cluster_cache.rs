//! The Redis store's local cache on a real Redis Cluster on loopback: reads served without asking
//! any node, changes made by another server seen on whichever node holds them, and a slot that
//! changes hands (moved by hand, or by a failover) never leaving a change unseen past the silence
//! bound, even for keys the node that now holds them never tracked.

mod common;

use std::time::{Duration, Instant};

use common::cache::{number_seen, ready};
use common::redis::{ClusterNode, RedisCluster, tracking_ids};
use sealed_session::store::{LocalCache, Record, RecordWrite, RedisStore, Store, StoreError};

const TIMEOUT: Duration = Duration::from_secs(1);
const SILENCE: Duration = Duration::from_millis(200);
const FAR: u64 = u64::MAX / 4;

/// Keys whose hash tags fall in the slots of the three primaries `redis-cli --cluster create`
/// makes: `{s}` on the first (slot 3828), `{r}` on the second (7893), `{m}` on the third (15627).
const RECORD: &str = "{r}:record";
const NUMBERS: [&str; 2] = ["{s}:a", "{s}:b"];
const MOVING: &str = "{m}:n";

/// A store on `cluster`, no cache: another server.
async fn other(cluster: &RedisCluster) -> RedisStore {
    let urls = cluster.urls();
    let nodes: Vec<&str> = urls.iter().map(String::as_str).collect();
    RedisStore::cluster(&nodes, TIMEOUT).await.unwrap()
}

/// A store on `cluster` with a local cache, once the cache is served.
async fn cached(cluster: &RedisCluster) -> RedisStore {
    let store = other(cluster)
        .await
        .cached(LocalCache::new(1000).silence(SILENCE))
        .unwrap();
    ready(&store).await;
    store
}

/// A cached store on `cluster` that read [`MOVING`] as not revoked (so that is cached), another
/// server's store, and the key.
async fn cached_not_revoked(cluster: &RedisCluster) -> (RedisStore, RedisStore, Vec<String>) {
    let here = cached(cluster).await;
    let k = keys(&[MOVING]);
    assert_eq!(here.read(&k).await, Ok(vec![None]), "cached: not revoked");
    (here, other(cluster).await, k)
}

/// A cached store on `cluster`, and another server's store, which wrote `record` at version 1.
async fn with_record(cluster: &RedisCluster, record: &str) -> (RedisStore, RedisStore) {
    let (here, there) = (cached(cluster).await, other(cluster).await);
    there
        .save(record, RecordWrite::create("v1", FAR))
        .await
        .unwrap();
    (here, there)
}

/// A cached store on `cluster` that read a record of [`MOVING`]'s slot, written by another
/// server, at version 1 (so that is cached); the other server's store; the record's key.
async fn cached_record(cluster: &RedisCluster) -> (RedisStore, RedisStore, &'static str) {
    let record = "{m}:record";
    let (here, there) = with_record(cluster, record).await;
    assert_eq!(here.load(record).await.unwrap().unwrap().version, 1);
    (here, there, record)
}

fn keys(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

/// Whether `key` is on `node`, asked as a client redirected there during a move.
async fn holds(node: &ClusterNode, key: &str) -> bool {
    let client = redis::Client::open(node.url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let (exists,): (u64,) = redis::pipe()
        .cmd("ASKING")
        .ignore()
        .cmd("EXISTS")
        .arg(key)
        .query_async(&mut connection)
        .await
        .unwrap();
    exists == 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_reads_on_a_cluster_are_served_without_asking_any_node() {
    let Some(cluster) = RedisCluster::start() else {
        return;
    };
    let (store, there) = with_record(&cluster, RECORD).await;
    there.raise(NUMBERS[0], 3, FAR).await.unwrap();
    assert_ne!(
        cluster.owner(RECORD).id,
        cluster.owner(NUMBERS[0]).id,
        "the record and the numbers are on two nodes"
    );
    let k = keys(&NUMBERS);
    let expected = (Some(Record::new(1, "v1".into())), vec![Some(3), None]);
    assert_eq!(store.load_with(RECORD, &k).await, Ok(expected.clone()));
    let (hmget, mget) = (cluster.calls("hmget"), cluster.calls("mget"));
    for _ in 0..10 {
        assert_eq!(store.load_with(RECORD, &k).await, Ok(expected.clone()));
    }
    assert_eq!(cluster.calls("hmget"), hmget);
    assert_eq!(cluster.calls("mget"), mget);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_made_by_another_server_on_a_cluster_is_seen_here() {
    let Some(cluster) = RedisCluster::start() else {
        return;
    };
    let (here, there) = with_record(&cluster, RECORD).await;
    let k = keys(&NUMBERS);
    assert_eq!(
        here.load_with(RECORD, &k).await.unwrap().1,
        vec![None, None]
    );
    let since = Instant::now();
    there.raise(NUMBERS[0], 9, FAR).await.unwrap();
    there
        .save(RECORD, RecordWrite::update(1, "v2", FAR))
        .await
        .unwrap();
    number_seen(&here, &keys(&NUMBERS[..1]), 9, since, SILENCE).await;
    assert_eq!(
        here.load(RECORD).await,
        Ok(Some(Record::new(2, "v2".into())))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_written_while_its_slot_migrates_is_seen_here() {
    let Some(cluster) = RedisCluster::start() else {
        return;
    };
    let (here, there, k) = cached_not_revoked(&cluster).await;
    let (from, to) = cluster.begin_move(MOVING);
    let since = Instant::now();
    there.raise(MOVING, 5, FAR).await.unwrap();
    assert!(
        holds(&to, MOVING).await,
        "written on the target, which never tracked the key for this server"
    );
    number_seen(&here, &k, 5, since, SILENCE).await;
    cluster.finish_move(MOVING, &from, &to);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_written_after_its_slot_moved_is_seen_here() {
    let Some(cluster) = RedisCluster::start() else {
        return;
    };
    let (here, there, k) = cached_not_revoked(&cluster).await;
    let (from, to) = cluster.begin_move(MOVING);
    cluster.finish_move(MOVING, &from, &to);
    let since = Instant::now();
    there.raise(MOVING, 6, FAR).await.unwrap();
    assert_eq!(cluster.owner(MOVING).id, to.id);
    number_seen(&here, &k, 6, since, SILENCE).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_written_after_its_slot_moved_is_seen_here() {
    let Some(cluster) = RedisCluster::start() else {
        return;
    };
    let (here, there, record) = cached_record(&cluster).await;
    let (from, to) = cluster.begin_move(record);
    cluster.finish_move(record, &from, &to);
    let since = Instant::now();
    there
        .save(record, RecordWrite::update(1, "v2", FAR))
        .await
        .unwrap();
    loop {
        let began = Instant::now();
        if here.load(record).await == Ok(Some(Record::new(2, "v2".into()))) {
            break;
        }
        assert!(began < since + SILENCE, "unseen past the bound");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_is_served_again_once_a_resharding_settles() {
    let Some(cluster) = RedisCluster::start() else {
        return;
    };
    let here = cached(&cluster).await;
    let k = keys(&[MOVING]);
    let (from, to) = cluster.begin_move(MOVING);
    cluster.finish_move(MOVING, &from, &to);
    served_again(&cluster, &here, &k, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_written_after_a_failover_is_seen_here() {
    let Some(cluster) = RedisCluster::start_replicated() else {
        return;
    };
    let (here, there, k) = cached_not_revoked(&cluster).await;
    cluster.fail_over(MOVING);
    let since = written(&there, 7).await;
    number_seen(&here, &k, 7, since, SILENCE).await;
    served_again(&cluster, &here, &k, Some(7)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_primary_stops_the_cache_until_its_replica_takes_over() {
    let Some(mut cluster) = RedisCluster::start_replicated() else {
        return;
    };
    let (here, there, k) = cached_not_revoked(&cluster).await;
    let primary = cluster.owner(MOVING);
    let replica = cluster.replica_of(&primary);
    cluster.kill(&primary);
    let killed = Instant::now();
    tokio::time::sleep(SILENCE).await;
    assert!(!here.cache_ready(), "unsure: a node does not answer");
    cluster.promoted(&replica);
    let written = written(&there, 8).await;
    // This server's own connection may take a while to find the new primary: its reads may
    // fail, but none begun a silence bound after the write answers "not revoked".
    loop {
        let began = Instant::now();
        let read = here.read(&k).await;
        if read == Ok(vec![Some(8)]) {
            break;
        }
        assert!(
            began < written + SILENCE || read.is_err(),
            "a stale answer past the bound: {read:?}"
        );
        assert!(killed.elapsed() < Duration::from_secs(30), "never seen");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    // Once the cluster agrees the node failed, the cache is served again without it.
    served_again(&cluster, &here, &k, Some(8)).await;
}

/// Revokes up to `value` under [`MOVING`] through `store`, again while a failover leaves the
/// write unreachable (an error: not applied); when the write that succeeded began.
async fn written(store: &RedisStore, value: u64) -> Instant {
    let start = Instant::now();
    loop {
        let began = Instant::now();
        match store.raise(MOVING, value, FAR).await {
            Ok(()) => return began,
            Err(StoreError::Unreachable(_)) => {
                assert!(start.elapsed() < Duration::from_secs(30), "never written");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Err(e) => panic!("{e}"),
        }
    }
}

/// Waits until `store`'s cache, dropped by a change of the cluster's layout, is served again,
/// and checks that reads of `key` (whose number is `want`) are then answered without asking
/// any node.
async fn served_again(
    cluster: &RedisCluster,
    store: &RedisStore,
    key: &[String],
    want: Option<u64>,
) {
    // The change is seen by the next heartbeat; then tracking starts again on the new layout.
    tokio::time::sleep(SILENCE).await;
    ready(store).await;
    assert_eq!(store.read(key).await, Ok(vec![want]));
    let mget = cluster.calls("mget");
    for _ in 0..10 {
        assert_eq!(store.read(key).await, Ok(vec![want]));
    }
    assert_eq!(cluster.calls("mget"), mget, "served from memory");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_node_stops_the_cache_and_no_read_waits_past_the_timeout() {
    let Some(cluster) = RedisCluster::start() else {
        return;
    };
    let here = cached(&cluster).await;
    let (k, elsewhere) = (keys(&[MOVING]), keys(&NUMBERS[..1]));
    assert_eq!(here.read(&k).await, Ok(vec![None]));
    assert_eq!(here.read(&elsewhere).await, Ok(vec![None]));
    let node = cluster.owner(MOVING);
    cluster.server(&node).signal("-STOP");
    tokio::time::sleep(SILENCE).await;
    let unsure = !here.cache_ready();
    let mut slowest = Duration::ZERO;
    let mut reads = Vec::new();
    for _ in 0..3 {
        let start = Instant::now();
        reads.push(here.read(&k).await);
        slowest = slowest.max(start.elapsed());
    }
    // The other nodes' keys are still answered, by Redis.
    let other_node = here.read(&elsewhere).await;
    cluster.server(&node).signal("-CONT");
    assert!(unsure, "a node does not answer: the cache is not served");
    for read in reads {
        assert!(matches!(read, Err(StoreError::Unreachable(_))), "{read:?}");
    }
    assert!(slowest < TIMEOUT * 2, "{slowest:?}");
    assert_eq!(other_node, Ok(vec![None]));
    ready(&here).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tracking_connection_closed_on_one_node_drops_the_cache_and_tracking_comes_back() {
    let Some(cluster) = RedisCluster::start() else {
        return;
    };
    let (here, there, k) = cached_not_revoked(&cluster).await;
    let node = cluster.owner(MOVING);
    // The store's tracking connection is the node's one client with tracking on (flag `t`).
    let list = cluster.cli(node.port, &["client", "list"]);
    let tracking = tracking_ids(&list);
    assert_eq!(tracking.len(), 1, "{list}");
    let killed = cluster.cli(node.port, &["client", "kill", "id", tracking[0]]);
    assert_eq!(killed.trim(), "1");
    let since = Instant::now();
    there.raise(MOVING, 4, FAR).await.unwrap();
    number_seen(&here, &k, 4, since, SILENCE).await;
    served_again(&cluster, &here, &k, Some(4)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_restarted_empty_is_never_answered_from_the_cache() {
    let Some(mut cluster) = RedisCluster::start() else {
        return;
    };
    let (here, _, record) = cached_record(&cluster).await;
    cluster.restart_empty(&cluster.owner(record));
    let restarted = Instant::now();
    loop {
        let read = here.load(record).await;
        assert!(
            !matches!(read, Ok(Some(_))),
            "the node restarted with nothing, not with the record: {read:?}"
        );
        if read == Ok(None) && here.cache_ready() {
            break;
        }
        assert!(restarted.elapsed() < Duration::from_secs(30), "{read:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_through_a_tracking_connection_to_a_paused_node_is_never_applied_after() {
    let Some(cluster) = RedisCluster::start() else {
        return;
    };
    let here = cached(&cluster).await;
    let record = "{m}:record";
    here.save(record, RecordWrite::create("before", FAR))
        .await
        .unwrap();
    let node = cluster.owner(record);
    cluster.server(&node).signal("-STOP");
    // While the cache is still served, the write goes through the node's tracking connection.
    let write = RecordWrite::update(1, "late", FAR);
    let start = Instant::now();
    let written = tokio::time::timeout(Duration::from_secs(20), here.save(record, write))
        .await
        .expect("a write hung");
    let took = start.elapsed();
    // The node resumes well past the write's deadline, and then reads the queued write.
    tokio::time::sleep(TIMEOUT * 3).await;
    cluster.server(&node).signal("-CONT");
    assert!(
        matches!(written, Err(StoreError::Unreachable(_))),
        "{written:?}"
    );
    assert!(took < TIMEOUT * 2, "a write waited {took:?}");
    ready(&here).await;
    let stored = other(&cluster).await.load(record).await;
    assert_eq!(
        stored,
        Ok(Some(Record::new(1, "before".into()))),
        "reported failed, not applied"
    );
    assert_eq!(here.load(record).await, stored);
}
