//! The tracking connections of the Redis store's local cache: a RESP3 connection with
//! `CLIENT TRACKING ON` to each server (one, or every live node of a cluster), through which
//! every cached key is read, so that Redis pushes an invalidation on it when any client changes
//! one of them (src/store/redis_cache.rs).
//!
//! The connections are this module's own, not the store's: a connection manager reconnects by
//! itself, and a reconnected connection is not tracking until told again, so entries read
//! through it would miss invalidations. Here the connections are made together and dropped
//! together with the whole cache when one fails; a new set is published only once tracking is
//! on. A background task sends a heartbeat through each four times per silence bound (`PING`;
//! in a cluster `CLUSTER NODES`, whose layout must not change: src/store/redis_cluster_view.rs);
//! each round answered extends how long entries are served, and a missed or failed one drops the
//! cache.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
use redis::{
    AsyncConnectionConfig, ConnectionAddr, ConnectionInfo, ProtocolVersion, PushInfo, PushKind,
    Value,
};

use super::StoreError;
use super::redis_cache::{Cache, LocalCache};
use super::redis_cluster_view::View;
use super::redis_store::outside_runtime;

/// The tracking connections and the cache they keep whole.
pub(super) struct Tracking {
    cache: Cache,
    servers: Servers,
    timeout: Duration,
    links: Mutex<Option<Arc<Links>>>,
    next_id: AtomicU64,
}

/// Where the tracked servers are.
pub(super) enum Servers {
    /// One Redis server.
    Single(ConnectionInfo),
    /// A Redis Cluster: its layout is asked of `cluster`, and each node is reached with
    /// `template`'s settings at the address the layout gives.
    Cluster {
        cluster: ClusterConnection,
        template: ConnectionInfo,
    },
}

/// One generation of tracking connections, made together and dropped together: one per node.
struct Links {
    id: u64,
    connections: Vec<MultiplexedConnection>,
    /// In a cluster, the layout every node must keep reporting, and which node serves each key.
    view: Option<View>,
}

/// The tracking connection of one key: reads through it are tracked.
#[derive(Clone)]
pub(super) struct Link {
    pub(super) connection: MultiplexedConnection,
    id: u64,
    node: usize,
}

impl Link {
    /// Whether `self` and `other` are the same connection.
    pub(super) fn same(&self, other: &Self) -> bool {
        self.id == other.id && self.node == other.node
    }
}

impl Tracking {
    /// Starts tracking `servers`: the heartbeat task connects in the background (nothing is
    /// cached until it has), on the current tokio runtime.
    pub(super) fn start(
        servers: Servers,
        config: LocalCache,
        timeout: Duration,
    ) -> Result<Arc<Self>, StoreError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| outside_runtime())?;
        let cache = Cache::new(config)
            .ok_or_else(|| StoreError::Refused("a local cache of 0 entries".into()))?;
        let servers = match servers {
            Servers::Single(info) => Servers::Single(resp3(info)),
            Servers::Cluster { cluster, template } => Servers::Cluster {
                cluster,
                template: resp3(template),
            },
        };
        let tracking = Arc::new(Self {
            cache,
            servers,
            timeout,
            links: Mutex::new(None),
            next_id: AtomicU64::new(0),
        });
        runtime.spawn(heartbeat(Arc::downgrade(&tracking)));
        Ok(tracking)
    }

    pub(super) fn cache(&self) -> &Cache {
        &self.cache
    }

    /// The tracking connection to the server that holds `key`, if the cache is being served:
    /// a read through it may fill the cache. `None` also for a key whose slot no live node
    /// serves.
    pub(super) fn link(&self, key: &str, now: Instant) -> Option<Link> {
        let links = self.lock().clone()?;
        let node = match &links.view {
            None => 0,
            Some(view) => view.owner(key)?,
        };
        let connection = links.connections.get(node)?.clone();
        self.cache.serving(now).then_some(Link {
            connection,
            id: links.id,
            node,
        })
    }

    /// Whether the cache is being served at `now`.
    pub(super) fn ready(&self, now: Instant) -> bool {
        self.lock().is_some() && self.cache.serving(now)
    }

    /// `link` failed or is unsure: its whole generation is dropped, with every entry.
    pub(super) fn lose(&self, link: &Link) {
        self.lose_id(link.id);
    }

    fn lose_id(&self, id: u64) {
        let mut links = self.lock();
        if links.as_ref().is_some_and(|l| l.id == id) {
            *links = None;
            self.cache.reset();
        }
    }

    /// Opens a tracking connection to every server and publishes them once Redis tracks the
    /// reads of each; `None` if one could not be made (the next beat tries again).
    async fn connect(self: &Arc<Self>) -> Option<Arc<Links>> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let links = match &self.servers {
            Servers::Single(info) => Links {
                id,
                connections: vec![self.track(info, id).await?],
                view: None,
            },
            Servers::Cluster { cluster, template } => {
                let ask = redis::cmd("CLUSTER").arg("NODES").clone();
                let anyone = RoutingInfo::SingleNode(SingleNodeRoutingInfo::Random);
                let answer = cluster.clone().route_command(ask, anyone).await.ok()?;
                let view = View::parse(&redis::from_redis_value::<String>(answer).ok()?)?;
                let mut connections = Vec::with_capacity(view.nodes().len());
                for node in view.nodes() {
                    let info = at(template, &node.host, node.port);
                    connections.push(self.track(&info, id).await?);
                }
                Links {
                    id,
                    connections,
                    view: Some(view),
                }
            }
        };
        let links = Arc::new(links);
        *self.lock() = Some(links.clone());
        Some(links)
    }

    /// A connection to `info` whose reads Redis tracks, its pushes applied as generation `id`.
    async fn track(
        self: &Arc<Self>,
        info: &ConnectionInfo,
        id: u64,
    ) -> Option<MultiplexedConnection> {
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
        let client = redis::Client::open(info.clone()).ok()?;
        let mut connection = client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .ok()?;
        // NOLOOP: no invalidation for this connection's own writes, which keep what they wrote
        // (their script reads the key back, so Redis tracks it again).
        redis::cmd("CLIENT")
            .arg("TRACKING")
            .arg("ON")
            .arg("NOLOOP")
            .exec_async(&mut connection)
            .await
            .ok()?;
        Some(connection)
    }

    /// Applies a push from a connection of generation `id`, in the order the connection
    /// received it.
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

    /// A heartbeat round on `links` was answered, every node in it: entries are served until
    /// the silence bound past `sent`, if `links` is still the current generation.
    fn heard(&self, links: &Links, sent: Instant) {
        let current = self.lock();
        if current.as_ref().is_some_and(|l| l.id == links.id) {
            self.cache.heard(sent);
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<Arc<Links>>> {
        self.links.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `info` with RESP3, which carries Redis's invalidation pushes.
fn resp3(info: ConnectionInfo) -> ConnectionInfo {
    let redis = info
        .redis_settings()
        .clone()
        .set_protocol(ProtocolVersion::RESP3);
    info.set_redis_settings(redis)
}

/// `template`'s settings at another cluster node's address (its own host when the node did
/// not know its address).
fn at(template: &ConnectionInfo, host: &str, port: u16) -> ConnectionInfo {
    let host = |seed: String| {
        if host.is_empty() {
            seed
        } else {
            host.to_owned()
        }
    };
    let addr = match template.addr().clone() {
        ConnectionAddr::Tcp(seed, _) => ConnectionAddr::Tcp(host(seed), port),
        ConnectionAddr::TcpTls {
            host: seed,
            insecure,
            tls_params,
            ..
        } => ConnectionAddr::TcpTls {
            host: host(seed),
            port,
            insecure,
            tls_params,
        },
        other => other,
    };
    template.clone().set_addr(addr)
}

/// An invalidated key, as this store's keys are: UTF-8.
fn key(value: &Value) -> Option<&str> {
    match value {
        Value::BulkString(bytes) => std::str::from_utf8(bytes).ok(),
        Value::SimpleString(s) => Some(s),
        _ => None,
    }
}

/// Connects, then beats four times per silence bound, until the store is dropped. A failed
/// connect, a failed beat or one unanswered within half the bound drops every connection and the
/// cache; the next beat connects again.
async fn heartbeat(tracking: Weak<Tracking>) {
    loop {
        let Some(me) = tracking.upgrade() else {
            return;
        };
        let beat = me.cache.silence() / 4;
        let sent = Instant::now();
        let current = me.lock().clone();
        let links = match current {
            Some(links) => Some(links),
            None => me.connect().await,
        };
        if let Some(links) = links {
            match tokio::time::timeout(beat * 2, answered(&links)).await {
                Ok(true) => me.heard(&links, sent),
                _ => me.lose_id(links.id),
            }
        }
        drop(me);
        tokio::time::sleep_until((sent + beat).into()).await;
    }
}

/// One heartbeat round: whether every node answered, and in a cluster, reported the layout the
/// cache was started with. Answers arrive on the tracking connections, after the invalidations
/// of every change made before they were sent.
async fn answered(links: &Links) -> bool {
    for connection in &links.connections {
        let mut connection = connection.clone();
        let answered = match &links.view {
            None => redis::cmd("PING")
                .query_async::<()>(&mut connection)
                .await
                .is_ok(),
            Some(view) => redis::cmd("CLUSTER")
                .arg("NODES")
                .query_async::<String>(&mut connection)
                .await
                .ok()
                .and_then(|text| View::parse(&text))
                .is_some_and(|now| view.same_layout(&now)),
        };
        if !answered {
            return false;
        }
    }
    true
}
