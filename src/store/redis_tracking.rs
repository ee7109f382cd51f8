//! The tracking connection of the Redis store's local cache: one RESP3 connection with
//! `CLIENT TRACKING ON`, through which every cached key is read, so that Redis pushes an
//! invalidation on it when any client changes one of them (src/store/redis_cache.rs).
//!
//! The connection is this module's own, not the store's connection manager: a manager reconnects
//! by itself, and a reconnected connection is not tracking until told again, so entries read
//! through it would miss invalidations. Here a connection that fails is dropped with the whole
//! cache, and a new one is published only once tracking is on. A background task sends a `PING`
//! through it four times per silence bound; each answer extends how long entries are served, and
//! a missed or failed one drops the cache.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::{
    AsyncConnectionConfig, IntoConnectionInfo, ProtocolVersion, PushInfo, PushKind, Value,
};

use super::StoreError;
use super::redis_cache::{Cache, LocalCache};
use super::redis_store::outside_runtime;

/// The tracking connection and the cache it keeps whole.
pub(super) struct Tracking {
    cache: Cache,
    client: redis::Client,
    timeout: Duration,
    link: Mutex<Option<Link>>,
    next_id: AtomicU64,
}

/// One tracking connection: reads through it are tracked.
#[derive(Clone)]
pub(super) struct Link {
    pub(super) connection: MultiplexedConnection,
    id: u64,
}

impl Tracking {
    /// Starts tracking for the Redis at `url`: the heartbeat task connects in the background
    /// (nothing is cached until it has), on the current tokio runtime.
    pub(super) fn start(
        url: &redis::ConnectionInfo,
        config: LocalCache,
        timeout: Duration,
    ) -> Result<Arc<Self>, StoreError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| outside_runtime())?;
        let cache = Cache::new(config)
            .ok_or_else(|| StoreError::Refused("a local cache of 0 entries".into()))?;
        let info = url.clone().into_connection_info().map_err(refused)?;
        let redis = info
            .redis_settings()
            .clone()
            .set_protocol(ProtocolVersion::RESP3);
        let client = redis::Client::open(info.set_redis_settings(redis)).map_err(refused)?;
        let tracking = Arc::new(Self {
            cache,
            client,
            timeout,
            link: Mutex::new(None),
            next_id: AtomicU64::new(0),
        });
        runtime.spawn(heartbeat(Arc::downgrade(&tracking)));
        Ok(tracking)
    }

    pub(super) fn cache(&self) -> &Cache {
        &self.cache
    }

    /// The tracking connection, if the cache is being served: a read through it may fill the
    /// cache.
    pub(super) fn link(&self, now: Instant) -> Option<Link> {
        let link = self.lock().clone()?;
        self.cache.serving(now).then_some(link)
    }

    /// `link` failed or is unsure: it is dropped, with every entry.
    pub(super) fn lose(&self, link: &Link) {
        self.lose_id(link.id);
    }

    fn lose_id(&self, id: u64) {
        let mut link = self.lock();
        if link.as_ref().is_some_and(|l| l.id == id) {
            *link = None;
            self.cache.reset();
        }
    }

    /// Opens a tracking connection and publishes it once Redis tracks its reads.
    async fn connect(self: &Arc<Self>) -> Result<Link, redis::RedisError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let me = Arc::downgrade(self);
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_push_sender(move |push: PushInfo| {
                if let Some(tracking) = me.upgrade() {
                    tracking.on_push(id, push);
                }
                Ok::<(), std::convert::Infallible>(())
            });
        let mut connection = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        // NOLOOP: no invalidation for this connection's own writes, which keep what they wrote
        // (their script reads the key back, so Redis tracks it again).
        redis::cmd("CLIENT")
            .arg("TRACKING")
            .arg("ON")
            .arg("NOLOOP")
            .exec_async(&mut connection)
            .await?;
        let link = Link { connection, id };
        *self.lock() = Some(link.clone());
        Ok(link)
    }

    /// Applies a push from the connection `id`, in the order the connection received it.
    fn on_push(&self, id: u64, push: PushInfo) {
        match push.kind {
            PushKind::Invalidate => match push.data.first() {
                Some(Value::Array(keys)) => {
                    let keys: Option<Vec<&str>> = keys.iter().map(key).collect();
                    match keys {
                        Some(keys) => self.cache.invalidate(keys),
                        None => self.lose_id(id),
                    }
                }
                // A flush of the whole database (`FLUSHALL`, `FLUSHDB`): a null key list.
                _ => self.cache.reset(),
            },
            PushKind::Disconnection => self.lose_id(id),
            _ => {}
        }
    }

    /// A heartbeat on `link` answered: entries are served until the silence bound past `sent`,
    /// if `link` is still the tracking connection.
    fn heard(&self, link: &Link, sent: Instant) {
        let current = self.lock();
        if current.as_ref().is_some_and(|l| l.id == link.id) {
            self.cache.heard(sent);
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<Link>> {
        self.link.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// An invalidated key, as this store's keys are: UTF-8.
fn key(value: &Value) -> Option<&str> {
    match value {
        Value::BulkString(bytes) => std::str::from_utf8(bytes).ok(),
        Value::SimpleString(s) => Some(s),
        _ => None,
    }
}

fn refused(e: redis::RedisError) -> StoreError {
    StoreError::Refused(e.to_string())
}

/// Connects, then pings through the tracking connection four times per silence bound, until
/// the store is dropped. A failed connect, a failed ping or one unanswered within half the bound
/// drops the connection and the cache; the next beat connects again.
async fn heartbeat(tracking: Weak<Tracking>) {
    loop {
        let Some(me) = tracking.upgrade() else {
            return;
        };
        let beat = me.cache.silence() / 4;
        let sent = Instant::now();
        let current = me.lock().clone();
        let link = match current {
            Some(link) => Ok(link),
            None => me.connect().await,
        };
        if let Ok(link) = link {
            let mut connection = link.connection.clone();
            let ping = redis::cmd("PING");
            let ping = ping.query_async::<()>(&mut connection);
            match tokio::time::timeout(beat * 2, ping).await {
                Ok(Ok(())) => me.heard(&link, sent),
                _ => me.lose(&link),
            }
        }
        drop(me);
        tokio::time::sleep_until((sent + beat).into()).await;
    }
}
