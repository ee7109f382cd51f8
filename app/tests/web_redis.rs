//! Sessions under load while Redis fails, on both adapters and plain hyper: a real `redis-server` (persistent,
//! so a restart keeps what it acknowledged) is paused and then killed and restarted while clients
//! keep sending requests. With revocations: live and revoked session cookies; counted, requests
//! served, refused with a 503, and wrongly handled, which must be none: a revoked session
//! accepted, or a live one treated as logged out. With server-side sessions: concurrent writes
//! to a few sessions; every write a client was told succeeded must be in the store, and a write
//! told failed may be there only if Redis applied it at the edge of the outage and lost its
//! reply (never one that reached Redis after its deadline). The service must recover by itself.
//! And a Redis without persistence killed and restarted empty under load: it forgot every
//! revocation, and no logged-out cookie may open again. Run with
//! `cargo test -p sealed-session-app --test web_redis` (CI does; it installs Redis).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::redis::RedisServer;
use common::web::{Framework, Stores, cookie_with, now, serve_with};
use reqwest::header::{COOKIE, SET_COOKIE};
use sealed_session::store::{LocalCache, RedisStore};
use sealed_session::{Key, KeyRing, ManualClock, Revocations, ServerSide};

/// The store's timeout: no request waits much longer for Redis.
const TIMEOUT: Duration = Duration::from_millis(300);

#[derive(Default)]
struct Counts {
    served: AtomicUsize,
    refused: AtomicUsize,
    revoked_accepted: AtomicUsize,
    live_logged_out: AtomicUsize,
    other: AtomicUsize,
    slowest_ms: AtomicUsize,
}

async fn login(client: &reqwest::Client, addr: std::net::SocketAddr, path: &str) -> String {
    let response = client
        .get(format!("http://{addr}{path}"))
        .send()
        .await
        .unwrap();
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("; ")
}

/// `n` live sessions of alice, and `n` of mallory logged out, whose cookies an attacker kept:
/// their `Cookie` headers.
async fn live_and_logged_out(
    client: &reqwest::Client,
    addr: std::net::SocketAddr,
    n: usize,
) -> (Vec<String>, Vec<String>) {
    let mut live = Vec::new();
    let mut revoked = Vec::new();
    for _ in 0..n {
        live.push(login(client, addr, "/login?user=alice").await);
        let header = login(client, addr, "/login?user=mallory").await;
        let out = client
            .get(format!("http://{addr}/logout"))
            .header(COOKIE, &header)
            .send()
            .await
            .unwrap();
        assert_eq!(out.status(), 200);
        revoked.push(header);
    }
    (live, revoked)
}

fn signal(pid: u32, sig: &str) {
    let ok = std::process::Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

/// The app on a persistent `redis-server` of its own, with what `stores` makes of its store;
/// `None` when Redis is not installed (outside CI).
struct OnRedis {
    server: common::web::Server,
    /// `None` only while it is down, between a crash and its restart.
    redis: Option<RedisServer>,
    port: u16,
    dir: tempfile::TempDir,
}

impl OnRedis {
    /// Pauses Redis (SIGSTOP) for `for_`, then lets it go on.
    async fn pause(&self, for_: Duration) {
        let pid = self.redis.as_ref().expect("Redis is up").pid();
        signal(pid, "-STOP");
        tokio::time::sleep(for_).await;
        signal(pid, "-CONT");
    }

    /// Kills Redis, leaves it down for `for_`, and starts it again on the same port and files.
    async fn crash_and_restart(&mut self, for_: Duration) {
        drop(self.redis.take());
        tokio::time::sleep(for_).await;
        self.redis = Some(RedisServer::restart_persistent_on(
            self.port,
            self.dir.path(),
        ));
    }
}

/// The Redis store at `redis`, read through its local cache if `cached` (with the default silence
/// bound, longer than the store's timeout here).
fn store(redis: &RedisServer, cached: bool) -> RedisStore {
    let store = RedisStore::with_timeout(&redis.url(), TIMEOUT).unwrap();
    if cached {
        store.cached(LocalCache::new(1000)).unwrap()
    } else {
        store
    }
}

async fn serve_on_redis(
    framework: Framework,
    cached: bool,
    stores: impl FnOnce(RedisStore) -> Stores,
) -> Option<OnRedis> {
    let dir = tempfile::tempdir().unwrap();
    let redis = RedisServer::start_persistent(dir.path())?;
    let store = store(&redis, cached);
    let cookie = cookie_with(
        KeyRing::new(Key::generate().unwrap()),
        ManualClock::new(now()),
    );
    let server = serve_with(framework, cookie, stores(store)).await;
    Some(OnRedis {
        server,
        port: redis.port,
        redis: Some(redis),
        dir,
    })
}

async fn outage_under_load(framework: Framework, cached: bool) {
    let revocations = |store| Stores::revocations(Revocations::new(store));
    let Some(mut redis) = serve_on_redis(framework, cached, revocations).await else {
        return;
    };
    let addr = redis.server.addr;
    let client = reqwest::Client::new();

    // Ten live sessions and ten revoked ones (logged out; their cookies kept by an attacker).
    let (live, revoked) = live_and_logged_out(&client, addr, 10).await;
    let live = Arc::new(live);
    let revoked = Arc::new(revoked);
    let counts = Arc::new(Counts::default());
    let stop = Arc::new(AtomicBool::new(false));
    let load: Vec<_> = (0..4)
        .map(|worker| {
            let (client, live, revoked) = (client.clone(), live.clone(), revoked.clone());
            let (counts, stop) = (counts.clone(), stop.clone());
            tokio::spawn(async move {
                let mut i = worker;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let is_live = i % 2 == 0;
                    let header = if is_live {
                        &live[i % live.len()]
                    } else {
                        &revoked[i % revoked.len()]
                    };
                    let start = Instant::now();
                    let response = client
                        .get(format!("http://{addr}/ro"))
                        .header(COOKIE, header)
                        .send()
                        .await
                        .unwrap();
                    let status = response.status().as_u16();
                    let body = response.text().await.unwrap();
                    let ms = start.elapsed().as_millis() as usize;
                    counts.slowest_ms.fetch_max(ms, Ordering::Relaxed);
                    let slot = match (status, is_live, body.as_str()) {
                        (200, true, "alice 0") => &counts.served,
                        (200, false, "none") => &counts.served,
                        (503, _, _) => &counts.refused,
                        (200, false, _) => &counts.revoked_accepted,
                        (200, true, "none") => &counts.live_logged_out,
                        _ => &counts.other,
                    };
                    slot.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();

    // Under load: a pause, then a crash and a restart on the same files.
    tokio::time::sleep(Duration::from_millis(400)).await;
    redis.pause(Duration::from_millis(800)).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    redis.crash_and_restart(Duration::from_millis(500)).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }

    let get = |c: &AtomicUsize| c.load(Ordering::Relaxed);
    eprintln!(
        "{framework:?}: served {}, refused (503) {}, revoked accepted {}, live logged out {}, \
         other {}, slowest {} ms",
        get(&counts.served),
        get(&counts.refused),
        get(&counts.revoked_accepted),
        get(&counts.live_logged_out),
        get(&counts.other),
        get(&counts.slowest_ms)
    );
    assert_eq!(
        get(&counts.revoked_accepted),
        0,
        "a revoked session was accepted"
    );
    assert_eq!(
        get(&counts.live_logged_out),
        0,
        "a live session was dropped"
    );
    assert_eq!(get(&counts.other), 0);
    assert!(get(&counts.refused) > 0, "the outages were seen");
    assert!(get(&counts.served) > 0);
    // A hang guard, not a speed goal: nothing waited far past the store's timeout.
    assert!(get(&counts.slowest_ms) < 5_000);

    // Recovered with no restart of the app: live works, revoked stays revoked.
    let mut recovered = false;
    for _ in 0..100 {
        let response = client
            .get(format!("http://{addr}/ro"))
            .header(COOKIE, &live[0])
            .send()
            .await
            .unwrap();
        if response.status() == 200 {
            assert_eq!(response.text().await.unwrap(), "alice 0");
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(recovered, "the service did not recover");
    let body = client
        .get(format!("http://{addr}/ro"))
        .header(COOKIE, &revoked[0])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, "none", "the restarted Redis kept the revocation");
}

/// The app with revocations on a `redis-server` without persistence; `None` when Redis is not
/// installed (outside CI).
async fn serve_on_forgetful_redis(
    framework: Framework,
    cached: bool,
) -> Option<(common::web::Server, RedisServer)> {
    let redis = RedisServer::start()?;
    let store = store(&redis, cached);
    let cookie = cookie_with(
        KeyRing::new(Key::generate().unwrap()),
        ManualClock::new(now()),
    );
    let server = serve_with(
        framework,
        cookie,
        Stores::revocations(Revocations::new(store)),
    )
    .await;
    Some((server, redis))
}

/// What the replays of a forgetful Redis's cookies were answered.
#[derive(Default)]
struct Replays {
    /// A live session shown, or a revoked one refused.
    right: AtomicUsize,
    /// 503: Redis was down.
    unavailable: AtomicUsize,
    /// A revoked session's replays answered after Redis came back, all refused.
    revoked_after_restart: AtomicUsize,
    /// A revoked session accepted: must never happen.
    revoked_accepted: AtomicUsize,
    /// A live session refused before Redis was killed: must never happen.
    live_dropped_early: AtomicUsize,
    other: AtomicUsize,
}

async fn a_forgetful_redis_restart_under_load(framework: Framework, cached: bool) {
    let Some((server, redis)) = serve_on_forgetful_redis(framework, cached).await else {
        return;
    };
    let (addr, port) = (server.addr, redis.port);
    let mut redis = Some(redis);
    let client = reqwest::Client::new();

    // Live sessions, and logged-out ones whose cookies an attacker kept.
    const SESSIONS: usize = 10;
    let (live, revoked) = live_and_logged_out(&client, addr, SESSIONS).await;
    let live = Arc::new(live);
    let revoked = Arc::new(revoked);
    // Which live sessions were refused after the restart: their users log in again.
    let relogin: Arc<Vec<AtomicBool>> =
        Arc::new((0..SESSIONS).map(|_| AtomicBool::new(false)).collect());
    let replays = Arc::new(Replays::default());
    let killed = Arc::new(AtomicBool::new(false));
    let back = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let load: Vec<_> = (0..4)
        .map(|worker| {
            let (client, live, revoked) = (client.clone(), live.clone(), revoked.clone());
            let (replays, relogin) = (replays.clone(), relogin.clone());
            let (killed, back, stop) = (killed.clone(), back.clone(), stop.clone());
            tokio::spawn(async move {
                let mut i = worker;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let is_live = i % 2 == 0;
                    let n = (i / 2) % SESSIONS;
                    let header = if is_live { &live[n] } else { &revoked[n] };
                    // Whether Redis was back before the request was sent.
                    let after = back.load(Ordering::SeqCst);
                    let response = client
                        .get(format!("http://{addr}/ro"))
                        .header(COOKIE, header)
                        .send()
                        .await
                        .unwrap();
                    let status = response.status().as_u16();
                    let body = response.text().await.unwrap();
                    let slot = match (status, is_live, body.as_str()) {
                        (503, _, _) => &replays.unavailable,
                        (200, false, "none") if after => &replays.revoked_after_restart,
                        (200, false, "none") | (200, true, "alice 0") => &replays.right,
                        (200, false, _) => &replays.revoked_accepted,
                        (200, true, "none") if killed.load(Ordering::SeqCst) => {
                            relogin[n].store(true, Ordering::Relaxed);
                            &replays.right
                        }
                        (200, true, "none") => &replays.live_dropped_early,
                        _ => &replays.other,
                    };
                    slot.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();

    // Under load: Redis killed (SIGKILL), and restarted empty on the same port.
    tokio::time::sleep(Duration::from_millis(400)).await;
    killed.store(true, Ordering::SeqCst);
    let pid = redis.as_ref().unwrap().pid();
    signal(pid, "-KILL");
    drop(redis.take());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let restarted = RedisServer::restart_on(port);
    back.store(true, Ordering::SeqCst);
    // Until every revoked cookie was replayed against the empty Redis, and a while more.
    for _ in 0..200 {
        if replays.revoked_after_restart.load(Ordering::Relaxed) >= 4 * SESSIONS {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }

    let get = |c: &AtomicUsize| c.load(Ordering::Relaxed);
    let relogins = relogin.iter().filter(|r| r.load(Ordering::Relaxed)).count();
    eprintln!(
        "{framework:?}, Redis without persistence killed and restarted empty: revoked cookies \
         accepted {} ({} replays after the restart, all refused), live sessions that had to log \
         in again {relogins} of {SESSIONS}, answered right {}, 503 while down {}",
        get(&replays.revoked_accepted),
        get(&replays.revoked_after_restart),
        get(&replays.right),
        get(&replays.unavailable),
    );
    assert_eq!(
        get(&replays.revoked_accepted),
        0,
        "a logged-out cookie was accepted"
    );
    assert!(
        get(&replays.revoked_after_restart) >= 4 * SESSIONS,
        "replayed against the empty Redis"
    );
    assert_eq!(
        get(&replays.live_dropped_early),
        0,
        "a live session was dropped before the kill"
    );
    assert_eq!(get(&replays.other), 0);
    assert_eq!(
        relogins, SESSIONS,
        "the empty Redis vouches for no earlier session"
    );

    // A user who logs in again is vouched for by the restarted Redis.
    let again = login(&client, addr, "/login?user=alice").await;
    let body = client
        .get(format!("http://{addr}/ro"))
        .header(COOKIE, &again)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, "alice 0");
    drop(restarted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_after_redis_restarts_empty_no_logged_out_cookie_opens_again() {
    a_forgetful_redis_restart_under_load(Framework::Axum, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actix_after_redis_restarts_empty_no_logged_out_cookie_opens_again() {
    a_forgetful_redis_restart_under_load(Framework::Actix, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_under_a_redis_outage_never_accepts_a_revoked_session() {
    outage_under_load(Framework::Axum, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actix_under_a_redis_outage_never_accepts_a_revoked_session() {
    outage_under_load(Framework::Actix, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_after_redis_restarts_empty_no_logged_out_cookie_opens_again() {
    a_forgetful_redis_restart_under_load(Framework::Hyper, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_under_a_redis_outage_never_accepts_a_revoked_session() {
    outage_under_load(Framework::Hyper, false).await;
}

/// What the clients of one server-side session were told about their `/rw` requests.
#[derive(Default)]
struct Told {
    /// 200: the count went up by one.
    counted: AtomicUsize,
    /// 503 (the store) or 409 (a conflict the retries did not resolve): it did not.
    refused: AtomicUsize,
    other: AtomicUsize,
}

/// The counter `/ro` shows for `header`, once the store answers.
async fn counter(client: &reqwest::Client, addr: std::net::SocketAddr, header: &str) -> usize {
    for _ in 0..200 {
        let response = client
            .get(format!("http://{addr}/ro"))
            .header(COOKIE, header)
            .send()
            .await
            .unwrap();
        if response.status() == 200 {
            let body = response.text().await.unwrap();
            let n = body.strip_prefix("alice ").expect("a live session");
            return n.parse().unwrap();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the service did not recover");
}

/// Clients writing to each session at once in the server-side load.
const CLIENTS_PER_SESSION: usize = 2;

/// Sends `/rw` for every session, [`CLIENTS_PER_SESSION`] clients each, until `stop`; counts
/// what they were told.
fn write_load(
    client: &reqwest::Client,
    addr: std::net::SocketAddr,
    sessions: &Arc<Vec<String>>,
    told: &Arc<Vec<Told>>,
    stop: &Arc<AtomicBool>,
    slowest_ms: &Arc<AtomicUsize>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..sessions.len() * CLIENTS_PER_SESSION)
        .map(|worker| {
            let (client, sessions, told) = (client.clone(), sessions.clone(), told.clone());
            let (stop, slowest_ms) = (stop.clone(), slowest_ms.clone());
            tokio::spawn(async move {
                let s = worker % sessions.len();
                while !stop.load(Ordering::Relaxed) {
                    let start = Instant::now();
                    let status = client
                        .get(format!("http://{addr}/rw"))
                        .header(COOKIE, &sessions[s])
                        .send()
                        .await
                        .unwrap()
                        .status()
                        .as_u16();
                    slowest_ms.fetch_max(start.elapsed().as_millis() as usize, Ordering::Relaxed);
                    let slot = match status {
                        200 => &told[s].counted,
                        503 | 409 => &told[s].refused,
                        _ => &told[s].other,
                    };
                    slot.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect()
}

async fn server_side_writes_under_an_outage(framework: Framework, cached: bool) {
    let server_side = |store| Stores::server_side(ServerSide::new(store));
    let Some(mut redis) = serve_on_redis(framework, cached, server_side).await else {
        return;
    };
    let addr = redis.server.addr;
    let client = reqwest::Client::new();
    let mut sessions = Vec::new();
    for _ in 0..4 {
        sessions.push(login(&client, addr, "/login?user=alice").await);
    }
    let sessions = Arc::new(sessions);
    let slowest_ms = Arc::new(AtomicUsize::new(0));
    let get = |c: &AtomicUsize| c.load(Ordering::Relaxed);

    // A pause: every acknowledged write is kept, and the writes Redis reads from its socket after
    // their deadline, when it resumes, are refused and never applied.
    let told = Arc::new(
        (0..sessions.len())
            .map(|_| Told::default())
            .collect::<Vec<_>>(),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let load = write_load(&client, addr, &sessions, &told, &stop, &slowest_ms);
    tokio::time::sleep(Duration::from_millis(300)).await;
    redis.pause(Duration::from_millis(800)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }
    let mut before_crash = Vec::new();
    let (mut counted, mut refused, mut late) = (0, 0, 0);
    for (s, header) in sessions.iter().enumerate() {
        let n = counter(&client, addr, header).await;
        let ok = get(&told[s].counted);
        // Every acknowledged write is kept. A write refused is not applied, except one Redis
        // executed just as it stopped (or just before its deadline as it resumed) whose reply
        // came too late: at most one per client at each edge of the pause. A write that reached
        // Redis after its deadline is never applied.
        assert!(
            ok <= n && n <= ok + 2 * CLIENTS_PER_SESSION,
            "session {s}: {n} kept, {ok} acknowledged"
        );
        assert_eq!(get(&told[s].other), 0);
        counted += ok;
        late += n - ok;
        refused += get(&told[s].refused);
        before_crash.push(n);
    }
    eprintln!(
        "{framework:?} paused: {counted} writes acknowledged and kept, {refused} refused, \
         {late} of those applied before their reply was lost"
    );
    assert!(refused > 0, "the pause was seen");

    // A crash and a restart on the same files: nothing acknowledged is lost, nothing is
    // counted twice, and the service recovers with no restart of its own.
    let told = Arc::new(
        (0..sessions.len())
            .map(|_| Told::default())
            .collect::<Vec<_>>(),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let load = write_load(&client, addr, &sessions, &told, &stop, &slowest_ms);
    tokio::time::sleep(Duration::from_millis(300)).await;
    redis.crash_and_restart(Duration::from_millis(500)).await;
    let back = Instant::now();
    counter(&client, addr, &sessions[0]).await;
    let recovered = back.elapsed();
    tokio::time::sleep(Duration::from_millis(800)).await;
    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }
    eprintln!(
        "{framework:?} crashed: first success {recovered:?} after Redis returned, slowest request {} ms",
        get(&slowest_ms)
    );
    for (s, header) in sessions.iter().enumerate() {
        let n = counter(&client, addr, header).await - before_crash[s];
        let (ok, no) = (get(&told[s].counted), get(&told[s].refused));
        // A write whose reply the crash cut off may have been applied: told "refused", kept.
        assert!(
            ok <= n && n <= ok + no,
            "session {s}: {n} kept, {ok} acknowledged, {no} refused"
        );
        assert_eq!(get(&told[s].other), 0);
    }
    // A hang guard, not a speed goal: nothing waited far past the store's timeout.
    assert!(get(&slowest_ms) < 5_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_server_side_writes_under_a_redis_outage_keep_what_clients_were_told() {
    server_side_writes_under_an_outage(Framework::Axum, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actix_server_side_writes_under_a_redis_outage_keep_what_clients_were_told() {
    server_side_writes_under_an_outage(Framework::Actix, false).await;
}

// The same, with the store read through its local cache: what it serves from memory during the
// outage is bounded by its silence bound, and what it dropped when Redis went away is never served.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_cached_under_a_redis_outage_never_accepts_a_revoked_session() {
    outage_under_load(Framework::Axum, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_cached_after_redis_restarts_empty_no_logged_out_cookie_opens_again() {
    a_forgetful_redis_restart_under_load(Framework::Axum, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_cached_server_side_writes_under_a_redis_outage_keep_what_clients_were_told() {
    server_side_writes_under_an_outage(Framework::Axum, true).await;
}
