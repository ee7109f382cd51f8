//! The Redis store (feature `redis`): revocations shared by every machine of a deployment.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster_async::ClusterConnection;

use super::{MAX_KEY_LEN, Store, StoreError, StoreFuture};
use crate::clock::{Clock, SystemClock};

/// The default connect and response timeout: no request waits longer for the store.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);

/// Values and expiries the store keeps exactly (Lua numbers are doubles).
const MAX_EXACT: u64 = 1 << 53;

/// The atomic raise, with the write's deadline: a write that reaches Redis after the caller
/// gave up on it (a paused server, a slow network) is refused, so a write reported as failed is
/// never applied later. Values are `value:expires_at`, compared with the caller's clock; Redis's
/// own expiry (`EXAT`) only reclaims the memory.
const RAISE: &str = r"
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now_ms > tonumber(ARGV[4]) then
  return redis.error_reply('SEALEDLATE the write reached the store after its deadline')
end
local v = tonumber(ARGV[1])
local at = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local cur = redis.call('GET', KEYS[1])
if cur then
  local sep = string.find(cur, ':', 1, true)
  if sep then
    local cv = tonumber(string.sub(cur, 1, sep - 1))
    local cat = tonumber(string.sub(cur, sep + 1))
    if cv and cat and cat > now then
      if cv > v then v = cv end
      if cat > at then at = cat end
    end
  end
end
redis.call('SET', KEYS[1], string.format('%d:%d', v, at), 'EXAT', at)
return 1
";

/// A [`Store`] in Redis (7.0 or later), through the `redis` crate's connection manager on
/// tokio: one connection, multiplexed, reconnected in the background after a failure.
///
/// Every call waits at most the response timeout (default [`DEFAULT_TIMEOUT`]); a failure is
/// [`StoreError::Unreachable`] and the next call tries again, so the service recovers when Redis
/// does, with no restart. A write carries its deadline (the time the caller stops waiting, read
/// from the system clock): Redis refuses it if it arrives later, so what a caller is told
/// matches what Redis holds (this assumes the servers' and Redis's clocks agree, as NTP keeps
/// them). A check is one `MGET`; a write one script call. Keys are hash-tagged, so a session's
/// keys share a Redis Cluster slot: [`cluster`](Self::cluster) works with no CROSSSLOT errors.
#[derive(Clone)]
pub struct RedisStore {
    connection: Connection,
    raise: Arc<redis::Script>,
    timeout: Duration,
    clock: Arc<dyn Clock>,
}

/// One Redis, or a cluster.
#[derive(Clone)]
enum Connection {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl RedisStore {
    /// A store at `url` (`redis://host:port/db`), with the default timeouts. Connects lazily:
    /// a store created while Redis is down works once Redis is up. Call it inside a tokio
    /// runtime.
    ///
    /// # Errors
    /// [`StoreError::Refused`] for a URL that is not a Redis URL.
    pub fn new(url: &str) -> Result<Self, StoreError> {
        Self::with_timeout(url, DEFAULT_TIMEOUT)
    }

    /// As [`new`](Self::new), with `timeout` for connecting and for each response.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn with_timeout(url: &str, timeout: Duration) -> Result<Self, StoreError> {
        let client = redis::Client::open(url).map_err(|e| StoreError::Refused(e.to_string()))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(timeout);
        let connection = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| StoreError::Refused(e.to_string()))?;
        Ok(Self::on(Connection::Single(connection), timeout))
    }

    /// A store on the Redis Cluster that `nodes` (`redis://host:port` URLs, one or more) belong
    /// to, with `timeout` for connecting and for each response. Connects now, to learn the
    /// cluster's slots; later failures reconnect by themselves.
    ///
    /// # Errors
    /// [`StoreError::Unreachable`] if no node answers; [`StoreError::Refused`] for a bad URL.
    pub async fn cluster(nodes: &[&str], timeout: Duration) -> Result<Self, StoreError> {
        let client = redis::cluster::ClusterClient::builder(nodes.iter().copied())
            .connection_timeout(timeout)
            .response_timeout(timeout)
            .build()
            .map_err(|e| StoreError::Refused(e.to_string()))?;
        let connection = client.get_async_connection().await.map_err(classify)?;
        Ok(Self::on(Connection::Cluster(connection), timeout))
    }

    fn on(connection: Connection, timeout: Duration) -> Self {
        Self {
            connection,
            raise: Arc::new(redis::Script::new(RAISE)),
            timeout,
            clock: Arc::new(SystemClock),
        }
    }

    /// Reads "now" for expiries from `clock` (tests move time with a `ManualClock`). Redis
    /// reclaims expired keys by its own clock; a key is absent to readers from the time
    /// `clock` says.
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Unreachable for what a retry may cure (I/O, timeouts, a write past its deadline), refused
/// for what Redis itself turned down.
fn classify(e: redis::RedisError) -> StoreError {
    let late = e.to_string().contains("SEALEDLATE");
    if late
        || e.is_timeout()
        || e.is_io_error()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
    {
        StoreError::Unreachable(e.to_string())
    } else {
        StoreError::Refused(e.to_string())
    }
}

/// One `MGET` (the keys of one read share a hash tag, so it is one slot in a cluster).
async fn mget<C: ConnectionLike + Send>(
    connection: &mut C,
    keys: &[String],
) -> redis::RedisResult<Vec<Option<String>>> {
    redis::cmd("MGET").arg(keys).query_async(connection).await
}

/// `value:expires_at` as the script writes it, if it is that.
fn parse(entry: &str) -> Option<(u64, u64)> {
    let (v, at) = entry.split_once(':')?;
    Some((v.parse().ok()?, at.parse().ok()?))
}

impl Store for RedisStore {
    fn raise<'a>(&'a self, key: &'a str, value: u64, expires_at: u64) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            if key.len() > MAX_KEY_LEN {
                return Err(StoreError::Refused(format!(
                    "a key of {} bytes is longer than {MAX_KEY_LEN}",
                    key.len()
                )));
            }
            if value >= MAX_EXACT {
                return Err(StoreError::Refused(format!(
                    "the Redis store keeps values below 2^53, not {value}"
                )));
            }
            let expires_at = expires_at.min(MAX_EXACT - 1);
            let now = self.clock.now_unix();
            let deadline = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .saturating_add(self.timeout)
                .as_millis();
            let mut call = self.raise.key(key);
            call.arg(value)
                .arg(expires_at)
                .arg(now)
                .arg(deadline as u64);
            let _: i64 = match &self.connection {
                Connection::Single(c) => call.invoke_async(&mut c.clone()).await,
                Connection::Cluster(c) => call.invoke_async(&mut c.clone()).await,
            }
            .map_err(classify)?;
            Ok(())
        })
    }

    fn read<'a>(&'a self, keys: &'a [String]) -> StoreFuture<'a, Vec<Option<u64>>> {
        Box::pin(async move {
            let now = self.clock.now_unix();
            let entries: Vec<Option<String>> = match &self.connection {
                Connection::Single(c) => mget(&mut c.clone(), keys).await,
                Connection::Cluster(c) => mget(&mut c.clone(), keys).await,
            }
            .map_err(classify)?;
            Ok(entries
                .iter()
                .map(|e| {
                    e.as_deref()
                        .and_then(parse)
                        .filter(|&(_, at)| at > now)
                        .map(|(v, _)| v)
                })
                .collect())
        })
    }
}
