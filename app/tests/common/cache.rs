//! Waiting on the Redis store's local cache: until it is served, and until a change made
//! elsewhere is seen through it within the silence bound.

use std::time::{Duration, Instant};

use sealed_session::store::{RedisStore, Store};

/// Waits until `store`'s cache is served (tracking connected and answering): at start, and
/// after a fault once tracking is back.
pub(crate) async fn ready(store: &RedisStore) {
    let start = Instant::now();
    while !store.cache_ready() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "tracking never started"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Reads the number under `key` through `store` until it is `want`, which every read begun
/// `bound` after `since` (when the change was made) must see; after how long it was seen.
pub(crate) async fn number_seen(
    store: &RedisStore,
    key: &[String],
    want: u64,
    since: Instant,
    bound: Duration,
) -> Duration {
    loop {
        let began = Instant::now();
        if store.read(key).await == Ok(vec![Some(want)]) {
            return since.elapsed();
        }
        assert!(began < since + bound, "{want} unseen past the bound");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}
