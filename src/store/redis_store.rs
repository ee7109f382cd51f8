//! The Redis store (feature `redis`): revocations shared by every machine of a deployment.

use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{MultipleNodeRoutingInfo, RoutingInfo};

use super::redis_cache::{Entry, LocalCache};
use super::redis_time::{RedisTime, micros};
use super::redis_tracking::{Link, Servers, Tracking};
use super::{Record, RecordWrite, Saved, Store, StoreError, StoreFuture, check_key, check_record};
use crate::clock::{Clock, SystemClock};

/// The default connect and response timeout: no request waits longer for the store.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);

/// Values and expiries the store keeps exactly (Lua numbers are doubles).
const MAX_EXACT: u64 = 1 << 53;

/// The start of every script that writes. The shebang declares it a write (Redis 7), so a
/// replica redirects it to the primary (`MOVED`) even on a connection in `READONLY` mode, as the
/// `redis` crate's cluster connections are: a primary demoted by a failover would otherwise run
/// it and fail it on its first write. Then the check: the write is refused if Redis's clock says
/// its deadline (the arguments `ARGV[$seconds]` and `ARGV[$micros]`: seconds since the epoch, and
/// microseconds into that second) has passed, with an error the client recognizes
/// (`SEALEDLATE`). The deadline is on Redis's clock (src/store/redis_time.rs).
///
/// Lua's `tonumber` is the dearest step of a short script, so the seconds, both decimals without
/// leading zeros, are compared as text: by length, then digit by digit. Only within the
/// deadline's own second are the microseconds compared as numbers.
macro_rules! deadline_check {
    ($seconds:literal, $micros:literal) => {
        concat!(
            "#!lua
local t, s = redis.call('TIME'), ARGV[",
            $seconds,
            "]
if #t[1] > #s or (#t[1] == #s and (t[1] > s or (t[1] == s and tonumber(t[2]) > tonumber(ARGV[",
            $micros,
            "])))) then
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
    deadline_check!("4", "5"),
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
/// deadline as `RAISE`. ARGV: expected version ('0' for "no record": versions start at 1), the
/// version to write (one more), value, expiry, now, whether to track ('1' or ''), and the
/// deadline. Returns the new version, or 0 for a conflict. Versions, expiries and now are
/// decimals without leading zeros, compared as text (see `deadline_check`): an expiry at most
/// `now` is past.
///
/// A write that keeps the record's expiry (a change that does not renew the cookie: the common
/// one) writes `v` and `d` only and leaves the key's expiry alone, which the write that stored
/// that `e` set in the same script. A write through the local cache's tracking connection asks to
/// track: its `EXISTS` reads the key after the write, so Redis tracks the key for that connection
/// again (a change untracks a key for every client) and the cache may keep what it wrote.
const SAVE: &str = concat!(
    deadline_check!("7", "8"),
    r"
local cur = redis.call('HMGET', KEYS[1], 'v', 'e')
local v, e, now = cur[1], cur[2], ARGV[5]
if v and (not e or #e < #now or (#e == #now and e <= now)) then v = false end
if v ~= (ARGV[1] ~= '0' and ARGV[1]) then return 0 end
if v and e == ARGV[4] then
  redis.call('HSET', KEYS[1], 'v', ARGV[2], 'd', ARGV[3])
else
  redis.call('HSET', KEYS[1], 'v', ARGV[2], 'e', ARGV[4], 'd', ARGV[3])
  redis.call('EXPIREAT', KEYS[1], ARGV[4])
end
if ARGV[6] == '1' then redis.call('EXISTS', KEYS[1]) end
return ARGV[2]
",
);

/// A write script, called by its SHA-1 (`EVALSHA`, the short form), and sent whole (`EVAL`) where
/// Redis does not hold it yet: on a connection's first write, after a restart or a `SCRIPT FLUSH`,
/// or on a cluster node first reached through a redirection (a failover, a resharding). Redis
/// keeps a script it ran, so the next call is short again.
struct WriteScript {
    code: &'static str,
    hash: String,
}

impl WriteScript {
    fn new(code: &'static str) -> Self {
        let hash = redis::Script::new(code).get_hash().to_owned();
        Self { code, hash }
    }

    /// The script on `connection`, `call` making the command from its name and first argument.
    /// A `NOSCRIPT` answer means nothing ran, so the script is sent again whole, and that second
    /// call is cut at `give_up`: the caller never waits two response timeouts.
    async fn run(
        &self,
        call: impl Fn(&str, &str) -> redis::Cmd,
        connection: &mut impl redis::aio::ConnectionLike,
        give_up: Instant,
    ) -> redis::RedisResult<u64> {
        match call("EVALSHA", &self.hash).query_async(connection).await {
            Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) => {
                let whole = call("EVAL", self.code);
                tokio::time::timeout_at(give_up.into(), whole.query_async(connection))
                    .await
                    .unwrap_or_else(|_| {
                        Err(std::io::Error::new(
                            std::io::ErrorKind::TimedOut,
                            "the write timed out after Redis asked for its script",
                        )
                        .into())
                    })
            }
            answer => answer,
        }
    }
}

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
///
/// With [`cached`](Self::cached), reads are served from this process's memory while Redis
/// tracks them and tells this server of every change.
#[derive(Clone)]
pub struct RedisStore {
    connection: Connection,
    /// The server's address, or a cluster node's, for the local cache's tracking connections.
    info: Option<redis::ConnectionInfo>,
    /// The local cache and its tracking connections, if [`cached`](Self::cached).
    tracking: Option<Arc<Tracking>>,
    cache: Option<LocalCache>,
    raise: Arc<WriteScript>,
    save: Arc<WriteScript>,
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
    /// [`StoreError::Refused`] for a URL that is not a Redis URL, or a call outside a tokio
    /// runtime.
    pub fn new(url: &str) -> Result<Self, StoreError> {
        Self::with_timeout(url, DEFAULT_TIMEOUT)
    }

    /// As [`new`](Self::new), with `timeout` for connecting and for each response.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn with_timeout(url: &str, timeout: Duration) -> Result<Self, StoreError> {
        // The connection manager spawns its connection task on the current tokio runtime, and
        // would panic without one.
        tokio::runtime::Handle::try_current().map_err(|_| outside_runtime())?;
        let client = redis::Client::open(url).map_err(|e| StoreError::Refused(e.to_string()))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(timeout);
        let info = client.get_connection_info().clone();
        let connection = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| StoreError::Refused(e.to_string()))?;
        let mut store = Self::on(Connection::Single(connection), timeout);
        store.info = Some(info);
        Ok(store)
    }

    /// A store on the Redis Cluster that `nodes` (`redis://host:port` URLs, one or more) belong
    /// to, with `timeout` for connecting and for each response. Connects now, to learn the
    /// cluster's slots; later failures reconnect by themselves.
    ///
    /// # Errors
    /// [`StoreError::Unreachable`] if no node answers; [`StoreError::Refused`] for a bad URL.
    pub async fn cluster(nodes: &[&str], timeout: Duration) -> Result<Self, StoreError> {
        let info = nodes
            .first()
            .map(|node| redis::IntoConnectionInfo::into_connection_info(*node))
            .transpose()
            .map_err(|e| StoreError::Refused(e.to_string()))?;
        let client = redis::cluster::ClusterClient::builder(nodes.iter().copied())
            .connection_timeout(timeout)
            .response_timeout(timeout)
            .build()
            .map_err(|e| StoreError::Refused(e.to_string()))?;
        let connection = client.get_async_connection().await.map_err(classify)?;
        let mut store = Self::on(Connection::Cluster(connection), timeout);
        store.info = info;
        Ok(store)
    }

    fn on(connection: Connection, timeout: Duration) -> Self {
        Self {
            connection,
            info: None,
            tracking: None,
            cache: None,
            raise: Arc::new(WriteScript::new(RAISE)),
            save: Arc::new(WriteScript::new(SAVE)),
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

    /// Serves reads from a local cache of what this server read, which Redis keeps current:
    /// session records and revocation numbers, absent ones included, read at memory speed.
    ///
    /// The cache's keys are read through a connection of their own with Redis's client-side
    /// caching on (`CLIENT TRACKING`, RESP3), so Redis tells this server of every change to them,
    /// whichever server made it: a logout or a write on another machine is seen here as soon as
    /// Redis's message arrives. A write through this store keeps what it wrote, or drops its key,
    /// before it returns: this server reads its own writes at once. The cache is dropped
    /// whenever that connection fails, reconnects, or leaves a heartbeat unanswered for the
    /// silence bound ([`LocalCache::silence`]); reads then go to Redis, and the cache fills again
    /// once tracking is back. So a change is never missed here for longer than the silence bound.
    /// Memory is bounded by [`LocalCache::new`]'s entry count, and no entry is served past its
    /// record's or number's end.
    ///
    /// On a Redis Cluster ([`cluster`](Self::cluster)) there is one tracking connection per node,
    /// and the heartbeat asks every node that is not marked failed for its view of the cluster
    /// (`CLUSTER NODES`). The cache is served only while every one answers with the layout it was
    /// started with: the same nodes and roles, each slot with the same primary, no slot migrating.
    /// A resharding or a failover therefore drops it, even for keys the slot's new node never
    /// tracked, and it starts again on the new layout once the nodes agree; while a node does not
    /// answer, reads go to Redis. A `CLUSTER NODES` costs a node more than a `PING`
    /// (benches/README.md, "The Redis store's local cache"); a longer silence bound sends fewer.
    ///
    /// Starts a background task on the current tokio runtime (call it inside one); the task
    /// ends when the store and its clones are dropped.
    ///
    /// ```no_run
    /// use sealed_session::store::{LocalCache, RedisStore};
    /// # async fn run() -> Result<(), sealed_session::store::StoreError> {
    /// let store = RedisStore::new("redis://127.0.0.1/")?.cached(LocalCache::new(100_000))?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`StoreError::Refused`] for a cache of 0 entries, or a call outside a tokio runtime.
    pub fn cached(mut self, cache: LocalCache) -> Result<Self, StoreError> {
        let template = self
            .info
            .clone()
            .ok_or_else(|| StoreError::Refused("a cluster store with no node".into()))?;
        let servers = match &self.connection {
            Connection::Single(_) => Servers::Single(template),
            Connection::Cluster(cluster) => Servers::Cluster {
                cluster: cluster.clone(),
                template,
            },
        };
        self.tracking = Some(Tracking::start(servers, cache, self.timeout)?);
        self.cache = Some(cache);
        Ok(self)
    }

    /// Whether reads are being served from the local cache now: tracking is on and Redis
    /// answered its heartbeat within the silence bound. `false` without a cache, while tracking
    /// connects (at start, and after a failure), and for the silence bound after the channel
    /// went quiet. For health checks and metrics: reads are correct either way, and go to Redis
    /// while it is `false`.
    pub fn cache_ready(&self) -> bool {
        self.tracking
            .as_ref()
            .is_some_and(|t| t.ready(Instant::now()))
    }
}

impl RedisStore {
    /// The deadline, in microseconds of Redis's clock, of a write whose caller gives up at the
    /// local instant `give_up`, from the latest reading of Redis's clock; and whether that
    /// reading had to be taken now (a round trip of this call's time).
    async fn deadline_us(&self, give_up: Instant) -> Result<(u64, bool), StoreError> {
        if let Some(deadline) = self.time.deadline_us(give_up, Instant::now()) {
            return Ok((deadline, false));
        }
        let redis_us = self.forget_on_error(until(give_up, self.read_clock()).await)?;
        self.time.note(redis_us, Instant::now());
        let deadline = self.time.deadline_us(give_up, Instant::now());
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

    /// Runs `script` on `key` with `args`, and its deadline as its last two arguments: its
    /// result, or an error. The call ends by `give_up` (a write Redis applies still reached it
    /// before its deadline, so the caller is never told "failed" of one applied after). It goes
    /// through `link`, the local cache's tracking connection, if given, and through the store's
    /// connection otherwise.
    async fn write(
        &self,
        script: &WriteScript,
        key: &str,
        args: impl redis::ToRedisArgs,
        give_up: Instant,
        link: Option<&Link>,
    ) -> Result<u64, StoreError> {
        let (deadline, read_clock) = self.deadline_us(give_up).await?;
        let deadline = (deadline / 1_000_000, deadline % 1_000_000);
        let call = |name: &str, body: &str| {
            let mut call = redis::cmd(name);
            call.arg(body).arg(1).arg(key).arg(&args).arg(deadline);
            call
        };
        let call = &call;
        if let (Some(link), Some(tracking)) = (link, &self.tracking) {
            let mut connection = link.connection.clone();
            let answer = script.run(call, &mut connection, give_up);
            // The tracking connection is made, and its response timeout bounds the script,
            // unless Redis's clock was read first.
            let answer = if read_clock {
                until(give_up, async { Ok(answer.await) }).await
            } else {
                Ok(answer.await)
            };
            match answer {
                // A cluster node that no longer serves the key refused the script before running
                // it: the layout changed, so the cache is dropped, and the write goes through
                // the cluster's own connection.
                Ok(Err(e)) if e.is_cluster_error() => tracking.lose(link),
                answer => {
                    let answer = answer.and_then(|a| a.map_err(classify));
                    if let Err(StoreError::Unreachable(_)) = answer {
                        tracking.lose(link);
                    }
                    return self.forget_on_error(answer);
                }
            }
        }
        // The store's connection may still be being made (a first call, a reconnection after
        // Redis went away), so a call through it is cut at `give_up`.
        let answer = async {
            match &self.connection {
                Connection::Single(c) => script.run(call, &mut c.clone(), give_up).await,
                Connection::Cluster(c) => script.run(call, &mut c.clone(), give_up).await,
            }
            .map_err(classify)
        };
        self.forget_on_error(until(give_up, answer).await)
    }

    /// Forgets Redis's clock on a failure: a reconnection may reach another server.
    fn forget_on_error<R>(&self, result: Result<R, StoreError>) -> Result<R, StoreError> {
        if let Err(StoreError::Unreachable(_)) = result {
            self.time.forget();
        }
        result
    }

    /// Serves a read from the local cache, or reads it through the tracking connection and keeps
    /// what it read: `None` when there is no cache, the cache is not being served, or the
    /// tracking connection failed at once (the read then goes to Redis as without a cache; a
    /// connection that timed out is an error, so no call waits past the timeout twice). The
    /// record's entry comes first, if `record` is asked for, then the numbers'.
    async fn through_cache(
        &self,
        record: Option<&str>,
        numbers: &[String],
    ) -> Option<Result<Vec<Entry>, StoreError>> {
        let tracking = self.tracking.as_deref()?;
        let keys: Vec<&str> = record
            .into_iter()
            .chain(numbers.iter().map(String::as_str))
            .collect();
        let now = Instant::now();
        if let Some(entries) = tracking.cache().get(&keys, now) {
            return Some(Ok(entries));
        }
        let (with_record, count) = (record.is_some(), numbers.len());
        // The record and the numbers may live on two nodes of a cluster (the numbers of one read
        // share a hash tag, so they live on one).
        let record = match record {
            Some(key) => Some((tracking.link(key, now)?, key)),
            None => None,
        };
        let numbers = match numbers.first() {
            Some(key) => Some((tracking.link(key, now)?, numbers)),
            None => None,
        };
        let fill = tracking.cache().begin(&keys);
        let mut reads = Vec::with_capacity(2);
        match (record, numbers) {
            (Some((r, key)), Some((n, numbers))) if r.same(&n) => {
                reads.push((r, Some(key), numbers));
            }
            (record, numbers) => {
                reads.extend(record.map(|(link, key)| (link, Some(key), &[][..])));
                reads.extend(numbers.map(|(link, numbers)| (link, None, numbers)));
            }
        }
        let mut values = Vec::with_capacity(2);
        for (link, record, numbers) in reads {
            let mut pipe = redis::pipe();
            if let Some(key) = record {
                pipe.cmd("HMGET").arg(key).arg("v").arg("e").arg("d");
            }
            if !numbers.is_empty() {
                pipe.cmd("MGET").arg(numbers);
            }
            let mut connection = link.connection.clone();
            match pipe.query_async::<Vec<redis::Value>>(&mut connection).await {
                Ok(read) => values.extend(read),
                // A node that no longer serves the key (a cluster error) or a failed connection:
                // the cache is dropped and the read goes to Redis as without one.
                Err(e) => {
                    tracking.lose(&link);
                    return e.is_timeout().then(|| Err(classify(e)));
                }
            }
        }
        let read = entries(values, with_record, count);
        if let Ok(entries) = &read {
            tracking.cache().finish(fill, &keys, entries);
        }
        Some(read)
    }

    /// Drops `key` from the local cache: called when a write through this store returns, so
    /// that this server's next read of it goes to Redis.
    fn written(&self, key: &str) {
        if let Some(tracking) = &self.tracking {
            tracking.cache().invalidate([key]);
        }
    }

    async fn query<R: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<R, StoreError> {
        let answer = async {
            match &self.connection {
                Connection::Single(c) => cmd.query_async(&mut c.clone()).await,
                Connection::Cluster(c) => cmd.query_async(&mut c.clone()).await,
            }
            .map_err(classify)
        };
        self.forget_on_error(self.bounded(answer).await)
    }

    /// `work`, cut at the store's timeout. The connection's own timeouts bound each step, but a
    /// call that finds the connection still being made waits for the connection and then for
    /// the answer; this keeps the whole call within the timeout.
    async fn bounded<R>(
        &self,
        work: impl std::future::Future<Output = Result<R, StoreError>>,
    ) -> Result<R, StoreError> {
        until(Instant::now() + self.timeout, work).await
    }
}

/// The error of a store created outside a tokio runtime.
pub(super) fn outside_runtime() -> StoreError {
    StoreError::Refused("the Redis store runs on a tokio runtime: create it inside one".into())
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
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

/// Unreachable for what a retry may cure (I/O, timeouts, a write past its deadline, a server
/// loading its data, a cluster between layouts: a failover, a slot on the move), refused for
/// what Redis itself turned down.
fn classify(e: redis::RedisError) -> StoreError {
    use redis::{ErrorKind, ServerErrorKind};
    let late = e.to_string().contains("SEALEDLATE");
    let passing = matches!(
        e.kind(),
        ErrorKind::Server(
            ServerErrorKind::ReadOnly | ServerErrorKind::MasterDown | ServerErrorKind::BusyLoading
        )
    );
    if late
        || passing
        || e.is_cluster_error()
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

/// The fields `HMGET v e d` answered.
type Fields = (Option<u64>, Option<u64>, Option<String>);

/// A record as the cache keeps it, from the fields `HMGET v e d` answered.
fn record_entry(fields: Fields) -> Entry {
    match fields {
        (Some(version), Some(expires), Some(value)) => {
            Entry::Record(Some((version, expires, value)))
        }
        _ => Entry::Record(None),
    }
}

/// A number as the cache keeps it, from what `MGET` answered for its key.
fn number_entry(entry: Option<&str>) -> Entry {
    Entry::Number(entry.and_then(parse))
}

/// The record `entry` holds, if it is live at `now`.
fn record(entry: Entry, now: u64) -> Option<Record> {
    match entry {
        Entry::Record(Some((version, expires, value))) if expires > now => {
            Some(Record::new(version, value))
        }
        _ => None,
    }
}

/// The number `entry` holds, if it is live at `now`.
fn number(entry: &Entry, now: u64) -> Option<u64> {
    match *entry {
        Entry::Number(Some((value, at))) if at > now => Some(value),
        _ => None,
    }
}

/// The numbers `MGET` answered, each if it is live at `now`.
fn numbers(entries: &[Option<String>], now: u64) -> Vec<Option<u64>> {
    entries
        .iter()
        .map(|e| number(&number_entry(e.as_deref()), now))
        .collect()
}

/// A record and numbers from the entries of one cached read (the record's first, if asked).
fn answer(
    mut entries: Vec<Entry>,
    with_record: bool,
    now: u64,
) -> (Option<Record>, Vec<Option<u64>>) {
    let stored = with_record
        .then(|| record(entries.remove(0), now))
        .flatten();
    (stored, entries.iter().map(|e| number(e, now)).collect())
}

/// The entries of one fill's pipeline: `HMGET v e d` of the record, if asked, then `MGET` of the
/// numbers, if any.
fn entries(
    values: Vec<redis::Value>,
    with_record: bool,
    numbers: usize,
) -> Result<Vec<Entry>, StoreError> {
    let refused = |e: redis::ParsingError| StoreError::Refused(e.to_string());
    let mut values = values.into_iter();
    let mut entries = Vec::with_capacity(usize::from(with_record) + numbers);
    if with_record {
        let fields = values
            .next()
            .ok_or_else(|| StoreError::Refused("no HMGET answer".into()))?;
        entries.push(record_entry(
            redis::from_redis_value(fields).map_err(refused)?,
        ));
    }
    if numbers > 0 {
        let found = values
            .next()
            .ok_or_else(|| StoreError::Refused("no MGET answer".into()))?;
        let found: Vec<Option<String>> = redis::from_redis_value(found).map_err(refused)?;
        if found.len() != numbers {
            return Err(StoreError::Refused(
                "MGET answered another number of keys".into(),
            ));
        }
        entries.extend(found.iter().map(|e| number_entry(e.as_deref())));
    }
    Ok(entries)
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
            let args = (value, expires_at, now);
            let written = self.write(&self.raise, key, args, give_up, None).await;
            self.written(key);
            written.map(drop)
        })
    }

    fn read<'a>(&'a self, keys: &'a [String]) -> StoreFuture<'a, Vec<Option<u64>>> {
        Box::pin(async move {
            let now = self.clock.now_unix();
            if let Some(entries) = self.through_cache(None, keys).await {
                return Ok(answer(entries?, false, now).1);
            }
            let entries: Vec<Option<String>> = self.query(redis::cmd("MGET").arg(keys)).await?;
            Ok(numbers(&entries, now))
        })
    }

    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Record>> {
        Box::pin(async move {
            let now = self.clock.now_unix();
            if let Some(entries) = self.through_cache(Some(key), &[]).await {
                return Ok(answer(entries?, true, now).0);
            }
            let fields = self
                .query(redis::cmd("HMGET").arg(key).arg("v").arg("e").arg("d"))
                .await?;
            Ok(record(record_entry(fields), now))
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
            let now = self.clock.now_unix();
            if let Some(entries) = self.through_cache(Some(key), keys).await {
                return Ok(answer(entries?, true, now));
            }
            let Connection::Single(c) = &self.connection else {
                return super::load_then_read(self, key, keys).await;
            };
            let mut pipe = redis::pipe();
            pipe.cmd("HMGET").arg(key).arg("v").arg("e").arg("d");
            pipe.cmd("MGET").arg(keys);
            let answer =
                self.bounded(async { pipe.query_async(&mut c.clone()).await.map_err(classify) });
            let (fields, entries): (Fields, Vec<Option<String>>) =
                self.forget_on_error(answer.await)?;
            Ok((record(record_entry(fields), now), numbers(&entries, now)))
        })
    }

    fn save<'a>(&'a self, key: &'a str, write: RecordWrite<'a>) -> StoreFuture<'a, Saved> {
        Box::pin(async move {
            check_record(key, write.value)?;
            let give_up = Instant::now() + self.timeout;
            let expires_at = write.expires_at.min(MAX_EXACT - 1);
            // The new version is counted here, so the script compares and copies text only.
            // Versions start at 1, so 0 stands for "no record", and no record is at version 0.
            let (expected, next) = match write.expected {
                None => (0, 1),
                Some(0) => return Ok(Saved::Conflict),
                Some(version) => (
                    version,
                    version.checked_add(1).ok_or_else(|| {
                        StoreError::Refused("a record's version cannot count past 2^64 - 1".into())
                    })?,
                ),
            };
            // Through the tracking connection while the cache is served, so that this server
            // keeps what it wrote and its next read of the record asks Redis nothing.
            let tracking = self.tracking.as_deref();
            let link = tracking.and_then(|t| t.link(key, Instant::now()));
            let now = self.clock.now_unix();
            let track = if link.is_some() { "1" } else { "" };
            let args = (expected, next, write.value, expires_at, now, track);
            let fill = tracking
                .filter(|_| link.is_some())
                .map(|t| t.cache().begin(&[key]));
            let written = self
                .write(&self.save, key, args, give_up, link.as_ref())
                .await;
            match (tracking, fill, &written) {
                (Some(tracking), Some(fill), Ok(version)) if *version != 0 => {
                    let entry = Entry::Record(Some((*version, expires_at, write.value.to_owned())));
                    tracking.cache().settle(fill, key, entry);
                }
                _ => self.written(key),
            }
            let version = written?;
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
            let removed = self.query::<i64>(redis::cmd("DEL").arg(key)).await;
            self.written(key);
            removed.map(drop)
        })
    }
}
