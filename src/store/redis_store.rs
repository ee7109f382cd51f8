//! The Redis store (feature `redis`): revocations shared by every machine of a deployment.

use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{MultipleNodeRoutingInfo, RoutingInfo};

use super::redis_time::{RedisTime, micros};
use super::{Record, RecordWrite, Saved, Store, StoreError, StoreFuture, check_key, check_record};
use crate::clock::{Clock, SystemClock};

/// The default connect and response timeout: no request waits longer for the store.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);

/// Values and expiries the store keeps exactly (Lua numbers are doubles).
const MAX_EXACT: u64 = 1 << 53;

/// The start of every script that writes: refuses the write if Redis's clock says its deadline
/// (in milliseconds, the argument `ARGV[$deadline]`) has passed, with an error the client
/// recognizes (`SEALEDLATE`). The deadline is on Redis's clock (src/store/redis_time.rs).
macro_rules! deadline_check {
    ($deadline:literal) => {
        concat!(
            "
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now_ms > tonumber(ARGV[",
            $deadline,
            "]) then
  return redis.error_reply('SEALEDLATE the write reached the store after its deadline')
end"
        )
    };
}

/// The atomic raise, with the write's deadline: a write that reaches Redis after the caller
/// gave up on it (a paused server, a slow network) is refused, so a write reported as failed is
/// never applied later. Values are `value:expires_at`, compared with the caller's clock; Redis's
/// own expiry (`EXAT`) only reclaims the memory.
const RAISE: &str = concat!(
    deadline_check!("4"),
    r"
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
",
);

/// Compare-and-set of a record (a hash: version `v`, expiry `e`, value `d`), under the same
/// deadline as `RAISE`. ARGV: expected version ('' for "no record"), value, expiry, now, deadline.
/// Returns the new version, or 0 for a conflict.
const SAVE: &str = concat!(
    deadline_check!("5"),
    r"
local cur = redis.call('HMGET', KEYS[1], 'v', 'e')
local v = cur[1]
if v and (tonumber(cur[2]) or 0) <= tonumber(ARGV[4]) then v = false end
if ARGV[1] == '' then
  if v then return 0 end
elseif v ~= ARGV[1] then
  return 0
end
local next = (tonumber(v) or 0) + 1
redis.call('HSET', KEYS[1], 'v', next, 'e', ARGV[3], 'd', ARGV[2])
redis.call('EXPIREAT', KEYS[1], ARGV[3])
return next
",
);

/// A [`Store`] in Redis (7.0 or later), through the `redis` crate's connection manager on
/// tokio: one connection, multiplexed, reconnected in the background after a failure.
///
/// Every call waits at most the response timeout (default [`DEFAULT_TIMEOUT`]); a failure is
/// [`StoreError::Unreachable`] and the next call tries again, so the service recovers when Redis
/// does, with no restart. A write carries its deadline, the time the caller stops waiting, on
/// Redis's own clock: Redis refuses it if it arrives later, so what a caller is told matches
/// what Redis holds, however far this server's clock is from Redis's. The store reads Redis's
/// clock with `TIME` when its reading is 10 s old, or gone after a failure; in a cluster it reads
/// every primary's and goes by the earliest. A check is one `MGET`, a record's read one `HMGET`;
/// a write one script call. Keys are hash-tagged, so a session's keys share a Redis Cluster slot:
/// [`cluster`](Self::cluster) works with no CROSSSLOT errors.
#[derive(Clone)]
pub struct RedisStore {
    connection: Connection,
    raise: Arc<redis::Script>,
    save: Arc<redis::Script>,
    timeout: Duration,
    clock: Arc<dyn Clock>,
    /// Redis's clock, for write deadlines.
    time: Arc<RedisTime>,
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
            save: Arc::new(redis::Script::new(SAVE)),
            timeout,
            clock: Arc::new(SystemClock),
            time: Arc::new(RedisTime::default()),
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

impl RedisStore {
    /// The deadline, in milliseconds of Redis's clock, of a write whose caller gives up at the
    /// local instant `give_up`, from the latest reading of Redis's clock; and whether that
    /// reading had to be taken now (a round trip of this call's time).
    async fn deadline_ms(&self, give_up: Instant) -> Result<(u64, bool), StoreError> {
        if let Some(deadline) = self.time.deadline_ms(give_up, Instant::now()) {
            return Ok((deadline, false));
        }
        let redis_us = self.forget_on_error(until(give_up, self.read_clock()).await)?;
        self.time.note(redis_us, Instant::now());
        let deadline = self.time.deadline_ms(give_up, Instant::now());
        let deadline = deadline
            .ok_or_else(|| StoreError::Unreachable("Redis's clock read too late".into()))?;
        Ok((deadline, true))
    }

    /// Redis's clock, in microseconds since the epoch: of a cluster, the earliest primary's (a
    /// deadline on it is never later than on any other).
    async fn read_clock(&self) -> Result<u64, StoreError> {
        match &self.connection {
            Connection::Single(c) => {
                let (seconds, micro): (u64, u64) = redis::cmd("TIME")
                    .query_async(&mut c.clone())
                    .await
                    .map_err(classify)?;
                Ok(micros(seconds, micro))
            }
            Connection::Cluster(c) => {
                let every = RoutingInfo::MultiNode((MultipleNodeRoutingInfo::AllMasters, None));
                let answers = c
                    .clone()
                    .route_command(redis::cmd("TIME"), every)
                    .await
                    .map_err(classify)?;
                earliest(answers)
            }
        }
    }

    /// Runs a write script with its deadline as its last argument: its result, or an error.
    /// The call ends by `give_up`: the connection's response timeout bounds the script alone,
    /// and a call that first read Redis's clock is cut at `give_up` (a write Redis applies still
    /// reached it before its deadline, so the caller is never told "failed" of one applied
    /// after).
    async fn write(
        &self,
        call: &mut redis::ScriptInvocation<'_>,
        give_up: Instant,
    ) -> Result<u64, StoreError> {
        let (deadline, read_clock) = self.deadline_ms(give_up).await?;
        call.arg(deadline);
        let call = &*call;
        let answer = async {
            match &self.connection {
                Connection::Single(c) => call.invoke_async(&mut c.clone()).await,
                Connection::Cluster(c) => call.invoke_async(&mut c.clone()).await,
            }
            .map_err(classify)
        };
        let answer = if read_clock {
            until(give_up, answer).await
        } else {
            answer.await
        };
        self.forget_on_error(answer)
    }

    /// Forgets Redis's clock on a failure: a reconnection may reach another server.
    fn forget_on_error<R>(&self, result: Result<R, StoreError>) -> Result<R, StoreError> {
        if let Err(StoreError::Unreachable(_)) = result {
            self.time.forget();
        }
        result
    }

    async fn query<R: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<R, StoreError> {
        let answer = match &self.connection {
            Connection::Single(c) => cmd.query_async(&mut c.clone()).await,
            Connection::Cluster(c) => cmd.query_async(&mut c.clone()).await,
        };
        self.forget_on_error(answer.map_err(classify))
    }
}

/// `work`, or [`StoreError::Unreachable`] if it has not finished at the local instant
/// `give_up`: a call never waits past its caller's deadline, even when it first had to read
/// Redis's clock.
async fn until<R>(
    give_up: Instant,
    work: impl std::future::Future<Output = Result<R, StoreError>>,
) -> Result<R, StoreError> {
    tokio::time::timeout_at(give_up.into(), work)
        .await
        .unwrap_or_else(|_| {
            Err(StoreError::Unreachable(
                "no answer within the timeout".into(),
            ))
        })
}

/// The earliest of the clocks a cluster's primaries answered `TIME` with.
fn earliest(answers: redis::Value) -> Result<u64, StoreError> {
    let refused = |what: &str| StoreError::Refused(format!("TIME on every primary: {what}"));
    let redis::Value::Map(answers) = answers else {
        return Err(refused("not one answer per primary"));
    };
    answers
        .into_iter()
        .map(|(_, answer)| {
            redis::from_redis_value::<(u64, u64)>(answer)
                .map(|(seconds, micro)| micros(seconds, micro))
                .map_err(|e| refused(&e.to_string()))
        })
        .try_fold(None, |min: Option<u64>, t| {
            t.map(|t| Some(min.map_or(t, |m| m.min(t))))
        })?
        .ok_or_else(|| refused("no primary answered"))
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
fn parse(entry: &str) -> Option<(u64, u64)> {
    let (v, at) = entry.split_once(':')?;
    Some((v.parse().ok()?, at.parse().ok()?))
}

/// A record from the fields `HMGET v e d` answered, if it is live at `now`.
fn record(fields: (Option<u64>, Option<u64>, Option<String>), now: u64) -> Option<Record> {
    match fields {
        (Some(version), Some(expires), Some(value)) if expires > now => {
            Some(Record::new(version, value))
        }
        _ => None,
    }
}

/// The numbers `MGET` answered, each if it is live at `now`.
fn numbers(entries: &[Option<String>], now: u64) -> Vec<Option<u64>> {
    entries
        .iter()
        .map(|e| {
            e.as_deref()
                .and_then(parse)
                .filter(|&(_, at)| at > now)
                .map(|(v, _)| v)
        })
        .collect()
}

impl Store for RedisStore {
    fn raise<'a>(&'a self, key: &'a str, value: u64, expires_at: u64) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            check_key(key)?;
            if value >= MAX_EXACT {
                return Err(StoreError::Refused(format!(
                    "the Redis store keeps values below 2^53, not {value}"
                )));
            }
            let give_up = Instant::now() + self.timeout;
            let expires_at = expires_at.min(MAX_EXACT - 1);
            let now = self.clock.now_unix();
            let mut call = self.raise.key(key);
            call.arg(value).arg(expires_at).arg(now);
            self.write(&mut call, give_up).await?;
            Ok(())
        })
    }

    fn read<'a>(&'a self, keys: &'a [String]) -> StoreFuture<'a, Vec<Option<u64>>> {
        Box::pin(async move {
            let now = self.clock.now_unix();
            let entries: Vec<Option<String>> = self.query(redis::cmd("MGET").arg(keys)).await?;
            Ok(numbers(&entries, now))
        })
    }

    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Record>> {
        Box::pin(async move {
            let now = self.clock.now_unix();
            let fields = self
                .query(redis::cmd("HMGET").arg(key).arg("v").arg("e").arg("d"))
                .await?;
            Ok(record(fields, now))
        })
    }

    /// One round trip on one Redis server: `HMGET` and `MGET` in a pipeline. In a cluster the
    /// record and the revocations live in different slots (the record's tag is its session id),
    /// so there they are two commands, one after the other.
    fn load_with<'a>(
        &'a self,
        key: &'a str,
        keys: &'a [String],
    ) -> StoreFuture<'a, (Option<Record>, Vec<Option<u64>>)> {
        Box::pin(async move {
            let Connection::Single(c) = &self.connection else {
                return super::load_then_read(self, key, keys).await;
            };
            let now = self.clock.now_unix();
            let mut pipe = redis::pipe();
            pipe.cmd("HMGET").arg(key).arg("v").arg("e").arg("d");
            pipe.cmd("MGET").arg(keys);
            type Answer = (
                (Option<u64>, Option<u64>, Option<String>),
                Vec<Option<String>>,
            );
            let answer = pipe.query_async(&mut c.clone()).await.map_err(classify);
            let (fields, entries): Answer = self.forget_on_error(answer)?;
            Ok((record(fields, now), numbers(&entries, now)))
        })
    }

    fn save<'a>(&'a self, key: &'a str, write: RecordWrite<'a>) -> StoreFuture<'a, Saved> {
        Box::pin(async move {
            check_record(key, write.value)?;
            let give_up = Instant::now() + self.timeout;
            let mut call = self.save.key(key);
            call.arg(write.expected.map(|v| v.to_string()).unwrap_or_default())
                .arg(write.value)
                .arg(write.expires_at.min(MAX_EXACT - 1))
                .arg(self.clock.now_unix());
            let version = self.write(&mut call, give_up).await?;
            Ok(if version == 0 {
                Saved::Conflict
            } else {
                Saved::Written(version)
            })
        })
    }

    fn remove<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            check_key(key)?;
            let _: i64 = self.query(redis::cmd("DEL").arg(key)).await?;
            Ok(())
        })
    }
}
