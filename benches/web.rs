//! The web layer against the peers a user would pick instead, on axum and on actix-web:
//! `cargo bench -p sealed-session-benches --bench web` (about a minute; `-- quick` for a
//! short smoke run).
//!
//! One app per contender, with the same handlers: `/login` starts a session, `/ro` reads it,
//! `/rw` changes it, `/none` ignores it. On axum: no session layer at all (the baseline), this
//! crate's `SessionLayer`, `tower-sessions` 0.15 with its `MemoryStore`, `axum-extra` 0.12's
//! `PrivateCookieJar`, and `tower-sessions-cookie-store` 0.5 (private cookies). On actix-web: no
//! session middleware (the baseline), this crate's `SessionMiddleware`, and `actix-session` 0.11
//! with its `CookieSessionStore` (private cookies).
//!
//! Each axum app is served on loopback by a one-thread tokio runtime pinned to core 0, each
//! actix app by one actix worker pinned to core 0; the load generator runs on core 1, with a
//! fixed number of keep-alive connections each sending requests one after another (bounded
//! load), each connection a browser with its own session: every request carries the cookie its
//! connection's `/login` set. For
//! each contender and route the bench reports requests per second, p50 and p99 latency, and the
//! server thread's CPU time per request (from `CLOCK_THREAD_CPUTIME_ID`, read inside the server
//! thread by a route of its own), and that CPU time over the baseline's on the same route: the
//! number that does not depend on how many connections wait in line.
//!
//! `-- only=FRAMEWORK/CONTENDER` (e.g. `only=actix/sealed-session`) runs that contender and its
//! framework's baseline alone, to profile it.
//!
//! With `redis-server` on PATH, more axum contenders use a Redis the bench starts on loopback:
//! this crate's layer with revocations checked on every request, within a 2 s staleness bound,
//! and through the Redis store's local cache (`-local-cache`: invalidated by Redis); with
//! server-side sessions (the same handlers, the state in Redis), read through the local cache,
//! and with overflow (the state in the cookie while it fits, as here); the server-side peer,
//! `tower-sessions` with `tower-sessions-redis-store` 0.16; and the floor of any server-side
//! session there, the Redis round trips alone (`redis-round-trips-alone`: no session, the
//! handlers make the commands a server-side session needs). Their CPU time counts the Redis
//! process's too (`/proc/PID/task/*/schedstat`). With feature `redb`, server-side sessions in a
//! redb file.
//!
//! Prints one JSON object per line: `{"framework", "contender", "route", "requests", "rps",
//! "p50_us", "p99_us", "cpu_us_per_request", "store_cpu_us_per_request",
//! "cpu_us_over_baseline"}`, the medians of five rounds, each round measuring every contender and
//! route in turn.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::routing::get;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::{Deserialize, Serialize};

mod redis_server;
use redis_server::Redis;

const ROUTES: [&str; 3] = ["/ro", "/rw", "/none"];
const CONNECTIONS: usize = 8;

/// The state every contender keeps: a user and a counter.
#[derive(Serialize, Deserialize, Clone, Default)]
struct Visit {
    user: String,
    counter: u64,
}

/// The state a fresh login holds.
fn visit() -> Visit {
    Visit {
        user: "alice".into(),
        counter: 0,
    }
}

/// What `/ro` answers: the same formatting in every app, the baselines included, so that "over
/// baseline" is the session's cost alone.
fn ro_body(v: &Visit) -> String {
    format!("{} {}", v.user, v.counter)
}

/// What `/rw` does to the state and answers, in every app.
fn rw_body(v: &mut Visit) -> String {
    v.counter += 1;
    v.counter.to_string()
}

/// The server thread's CPU time so far, in nanoseconds: served by each app at `/__cpu`, so that
/// it is read on the thread that serves.
async fn cpu() -> String {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    (t.tv_sec as u128 * 1_000_000_000 + t.tv_nsec as u128).to_string()
}

fn with_cpu(app: Router) -> Router {
    app.route("/__cpu", get(cpu))
}

mod baseline {
    use super::*;

    pub(super) fn app() -> Router {
        Router::new()
            .route("/login", get(|| async { "alice" }))
            .route("/ro", get(|| async { crate::ro_body(&crate::visit()) }))
            .route("/rw", get(|| async { crate::rw_body(&mut crate::visit()) }))
            .route("/none", get(|| async { "none" }))
    }
}

mod ours {
    use super::*;
    use sealed_session::store::{LocalCache, RedisStore};
    use sealed_session::web::Driver;
    use sealed_session::web::axum::SessionLayer;
    use sealed_session::{
        CookieOptions, Key, KeyRing, Revocations, Sealer, ServerSide, Session, SessionCookie,
    };

    /// The cookie, with session ids when revocations need them.
    fn cookie(session_ids: bool) -> SessionCookie {
        let sealer = Sealer::builder(KeyRing::new(Key::generate().unwrap()), "session")
            .session_ids(session_ids)
            .build()
            .unwrap();
        SessionCookie::sealed(sealer, CookieOptions::new()).unwrap()
    }

    /// The routes, without the layer.
    fn routes() -> Router {
        Router::new()
            .route(
                "/login",
                get(|s: Session<Visit>| async move {
                    s.replace(crate::visit()).unwrap();
                    "alice"
                }),
            )
            .route(
                "/ro",
                get(|s: Session<Visit>| async move {
                    s.read(|v| v.map(crate::ro_body)).unwrap_or_default()
                }),
            )
            .route(
                "/rw",
                get(|s: Session<Visit>| async move {
                    s.modify(crate::rw_body).unwrap().unwrap_or_default()
                }),
            )
            .route("/none", get(|| async { "none" }))
    }

    pub(super) fn app() -> Router {
        routes().layer(SessionLayer::<Visit>::new(cookie(false)))
    }

    /// The Redis store, with its local cache (`cached`) or without. Built inside the server's
    /// runtime (the Redis client and the cache's heartbeat need one).
    fn redis(redis_url: &str, cached: bool) -> RedisStore {
        let store = RedisStore::new(redis_url).unwrap();
        if cached {
            store.cached(LocalCache::new(100_000)).unwrap()
        } else {
            store
        }
    }

    /// With revocations checked in Redis on every request (`staleness` zero), or within a
    /// staleness bound, or through the store's local cache (`cached`).
    pub(super) fn revocable(redis_url: &str, staleness: Duration, cached: bool) -> Router {
        let revocations = Revocations::new(redis(redis_url, cached)).staleness(staleness);
        let driver = Driver::builder(cookie(true))
            .revocations(revocations)
            .build()
            .unwrap();
        routes().layer(SessionLayer::<Visit>::new(driver))
    }

    /// Server-side sessions kept by `side`: the same routes, only the configuration differs.
    pub(super) fn server_side(side: &ServerSide) -> Router {
        let driver = Driver::builder(cookie(true))
            .server_side(side.clone())
            .build()
            .unwrap();
        routes().layer(SessionLayer::<Visit>::new(driver))
    }

    /// Server-side sessions in Redis (`overflow`: only states too large for the cookie), read
    /// through the store's local cache if `cached`.
    pub(super) fn server_side_redis(redis_url: &str, overflow: bool, cached: bool) -> Router {
        let side = ServerSide::new(redis(redis_url, cached));
        server_side(&side.overflow(overflow))
    }

    /// Server-side sessions in a redb file of a temporary directory kept for the run.
    pub(super) fn server_side_redb() -> Router {
        let dir = tempfile::tempdir().unwrap().keep();
        let store = sealed_session::store::RedbStore::open(dir.join("sessions.redb")).unwrap();
        server_side(&ServerSide::new(store))
    }
}

/// The routes of a contender whose session is a key-value map with async `get`/`insert`
/// (`tower-sessions` and `tower-sessions-cookie-store` share that shape, from two versions of
/// their core crate).
macro_rules! key_value_routes {
    ($session:ty) => {
        Router::new()
            .route(
                "/login",
                get(|s: $session| async move {
                    s.insert(
                        "v",
                        Visit {
                            user: "alice".into(),
                            counter: 0,
                        },
                    )
                    .await
                    .unwrap();
                    "alice"
                }),
            )
            .route(
                "/ro",
                get(|s: $session| async move {
                    let v: Visit = s.get("v").await.unwrap().unwrap_or_default();
                    format!("{} {}", v.user, v.counter)
                }),
            )
            .route(
                "/rw",
                get(|s: $session| async move {
                    let mut v: Visit = s.get("v").await.unwrap().unwrap_or_default();
                    v.counter += 1;
                    s.insert("v", &v).await.unwrap();
                    v.counter.to_string()
                }),
            )
            .route("/none", get(|| async { "none" }))
    };
}

mod tower_sessions_memory {
    use super::*;
    use tower_sessions::{MemoryStore, Session, SessionManagerLayer};

    pub(super) fn app() -> Router {
        let layer = SessionManagerLayer::new(MemoryStore::default()).with_secure(false);
        key_value_routes!(Session).layer(layer)
    }
}

mod private_cookie_jar {
    use super::*;
    use axum::extract::FromRef;
    use axum_extra::extract::cookie::{Cookie, Key, PrivateCookieJar};

    #[derive(Clone)]
    struct AppState(Key);

    impl FromRef<AppState> for Key {
        fn from_ref(state: &AppState) -> Key {
            state.0.clone()
        }
    }

    fn read(jar: &PrivateCookieJar) -> Visit {
        jar.get("session")
            .and_then(|c| serde_json::from_str(c.value()).ok())
            .unwrap_or_default()
    }

    fn write(jar: PrivateCookieJar, v: &Visit) -> PrivateCookieJar {
        jar.add(Cookie::new("session", serde_json::to_string(v).unwrap()))
    }

    pub(super) fn app() -> Router {
        Router::new()
            .route(
                "/login",
                get(|jar: PrivateCookieJar| async move {
                    let v = Visit {
                        user: "alice".into(),
                        counter: 0,
                    };
                    (write(jar, &v), "alice")
                }),
            )
            .route(
                "/ro",
                get(|jar: PrivateCookieJar| async move {
                    let v = read(&jar);
                    format!("{} {}", v.user, v.counter)
                }),
            )
            .route(
                "/rw",
                get(|jar: PrivateCookieJar| async move {
                    let mut v = read(&jar);
                    v.counter += 1;
                    let n = v.counter.to_string();
                    (write(jar, &v), n)
                }),
            )
            .route("/none", get(|| async { "none" }))
            .with_state(AppState(Key::generate()))
    }
}

/// `tower-sessions` with its Redis store (`tower-sessions-redis-store` 0.16 on `fred`, which
/// builds on `tower-sessions` 0.14), configured as its docs show: a pool of six connections.
mod tower_sessions_redis {
    use super::*;
    use tower_sessions_014::{Session, SessionManagerLayer};
    use tower_sessions_redis_store::RedisStore;
    use tower_sessions_redis_store::fred::prelude::{ClientLike, Config, Pool};

    pub(super) async fn app(url: &str) -> Router {
        let pool = Pool::new(Config::from_url(url).unwrap(), None, None, None, 6).unwrap();
        // The connection tasks run on their own; their handle is not needed.
        drop(pool.connect());
        pool.wait_for_connect().await.unwrap();
        let layer = SessionManagerLayer::new(RedisStore::new(pool)).with_secure(false);
        key_value_routes!(Session).layer(layer)
    }
}

/// The floor of a server-side session on Redis: no session layer; the handlers make the round
/// trips a server-side session needs (`/ro` one `HMGET` of a record, `/rw` that and one `HSET`)
/// through the `redis` crate's connection manager, configured as `RedisStore` configures it, on
/// a record as long as the server-side contender's. What it costs over the baseline is the
/// Redis round trips alone; what a server-side contender costs over it is its own work.
mod redis_floor {
    use super::*;
    use redis::aio::{ConnectionManager, ConnectionManagerConfig};

    const KEY: &str = "bench:floor";
    /// The length of the server-side contender's sealed state in Redis (`HGET KEY d`).
    const RECORD_LEN: usize = 87;

    async fn hmget(c: &mut ConnectionManager) {
        let _: (Option<u64>, Option<u64>, Option<String>) = redis::cmd("HMGET")
            .arg(KEY)
            .arg("v")
            .arg("e")
            .arg("d")
            .query_async(c)
            .await
            .unwrap();
    }

    pub(super) async fn app(url: &str) -> Router {
        let timeout = Duration::from_secs(1);
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(timeout);
        let client = redis::Client::open(url).unwrap();
        let mut conn = ConnectionManager::new_with_config(client, config)
            .await
            .unwrap();
        let _: () = redis::cmd("HSET")
            .arg(KEY)
            .arg("v")
            .arg(1)
            .arg("e")
            .arg(u32::MAX)
            .arg("d")
            .arg("x".repeat(RECORD_LEN))
            .query_async(&mut conn)
            .await
            .unwrap();
        let (ro, rw) = (conn.clone(), conn);
        Router::new()
            .route("/login", get(|| async { "alice" }))
            .route(
                "/ro",
                get(move || {
                    let mut c = ro.clone();
                    async move {
                        hmget(&mut c).await;
                        crate::ro_body(&crate::visit())
                    }
                }),
            )
            .route(
                "/rw",
                get(move || {
                    let mut c = rw.clone();
                    async move {
                        hmget(&mut c).await;
                        let _: () = redis::cmd("HSET")
                            .arg(KEY)
                            .arg("d")
                            .arg("y".repeat(RECORD_LEN))
                            .query_async(&mut c)
                            .await
                            .unwrap();
                        crate::rw_body(&mut crate::visit())
                    }
                }),
            )
            .route("/none", get(|| async { "none" }))
    }
}

mod cookie_store {
    use super::*;
    use tower_sessions_cookie_store::{
        CookieSessionConfig, CookieSessionManagerLayer, Key, Session,
    };

    pub(super) fn app() -> Router {
        let layer = CookieSessionManagerLayer::private(Key::generate())
            .with_config(CookieSessionConfig::default().with_secure(false));
        key_value_routes!(Session).layer(layer)
    }
}

/// The actix-web contenders: each a function that adds its routes and middleware to an `App`.
mod actix {
    use super::Visit;
    use actix_web::{App, HttpResponse, web};

    /// The server thread's CPU time so far, as in the axum apps.
    async fn cpu() -> String {
        super::cpu().await
    }

    pub(super) fn baseline(config: &mut web::ServiceConfig) {
        config
            .route("/__cpu", web::get().to(cpu))
            .route("/login", web::get().to(|| async { "alice" }))
            .route(
                "/ro",
                web::get().to(|| async { crate::ro_body(&crate::visit()) }),
            )
            .route(
                "/rw",
                web::get().to(|| async { crate::rw_body(&mut crate::visit()) }),
            )
            .route("/none", web::get().to(|| async { "none" }));
    }

    pub(super) mod ours {
        use super::*;
        use sealed_session::web::actix::SessionMiddleware;
        use sealed_session::{CookieOptions, Key, KeyRing, Sealer, Session, SessionCookie};

        pub(crate) fn middleware() -> SessionMiddleware<Visit> {
            let sealer = Sealer::builder(KeyRing::new(Key::generate().unwrap()), "session")
                .build()
                .unwrap();
            let cookie = SessionCookie::sealed(sealer, CookieOptions::new()).unwrap();
            SessionMiddleware::new(cookie)
        }

        pub(crate) fn routes(config: &mut web::ServiceConfig) {
            config
                .route("/__cpu", web::get().to(cpu))
                .route(
                    "/login",
                    web::get().to(|s: Session<Visit>| async move {
                        s.replace(Visit {
                            user: "alice".into(),
                            counter: 0,
                        })
                        .unwrap();
                        "alice"
                    }),
                )
                .route(
                    "/ro",
                    web::get().to(|s: Session<Visit>| async move {
                        s.read(|v| v.map(crate::ro_body)).unwrap_or_default()
                    }),
                )
                .route(
                    "/rw",
                    web::get().to(|s: Session<Visit>| async move {
                        s.modify(|v| {
                            v.counter += 1;
                            v.counter
                        })
                        .unwrap()
                        .unwrap_or_default()
                        .to_string()
                    }),
                )
                .route("/none", web::get().to(|| async { "none" }));
        }
    }

    pub(super) mod actix_session {
        use super::*;
        use ::actix_session::storage::CookieSessionStore;
        use ::actix_session::{Session, SessionMiddleware};
        use actix_web::cookie::Key;

        pub(crate) fn middleware(key: Key) -> SessionMiddleware<CookieSessionStore> {
            SessionMiddleware::builder(CookieSessionStore::default(), key)
                .cookie_secure(false)
                .build()
        }

        pub(crate) fn routes(config: &mut web::ServiceConfig) {
            config
                .route("/__cpu", web::get().to(cpu))
                .route(
                    "/login",
                    web::get().to(|s: Session| async move {
                        s.insert(
                            "v",
                            Visit {
                                user: "alice".into(),
                                counter: 0,
                            },
                        )
                        .unwrap();
                        "alice"
                    }),
                )
                .route(
                    "/ro",
                    web::get().to(|s: Session| async move {
                        let v: Visit = s.get("v").unwrap().unwrap_or_default();
                        format!("{} {}", v.user, v.counter)
                    }),
                )
                .route(
                    "/rw",
                    web::get().to(|s: Session| async move {
                        let mut v: Visit = s.get("v").unwrap().unwrap_or_default();
                        v.counter += 1;
                        s.insert("v", &v).unwrap();
                        HttpResponse::Ok().body(v.counter.to_string())
                    }),
                )
                .route("/none", web::get().to(|| async { "none" }));
        }
    }

    /// Serves the app `factory` makes on one worker pinned to core 0; returns its address.
    macro_rules! serve {
        ($factory:expr) => {{
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let factory = $factory;
            std::thread::spawn(move || {
                actix_web::rt::System::new().block_on(async move {
                    // The factory runs on the worker's own thread, once, before it serves.
                    actix_web::HttpServer::new(move || {
                        super::pin(0);
                        factory()
                    })
                    .workers(1)
                    .disable_signals()
                    .listen(listener)
                    .unwrap()
                    .run()
                    .await
                    .unwrap();
                });
            });
            addr
        }};
    }

    pub(super) fn serve_baseline() -> std::net::SocketAddr {
        serve!(|| App::new().configure(baseline))
    }

    pub(super) fn serve_ours() -> std::net::SocketAddr {
        let middleware = ours::middleware();
        serve!(move || App::new().wrap(middleware.clone()).configure(ours::routes))
    }

    pub(super) fn serve_actix_session() -> std::net::SocketAddr {
        let key = actix_web::cookie::Key::generate();
        serve!(move || App::new()
            .wrap(actix_session::middleware(key.clone()))
            .configure(actix_session::routes))
    }
}

/// Serves `app` on a one-thread runtime pinned to core 0; returns its address.
fn serve(app: Router) -> SocketAddr {
    serve_made(move || async move { app })
}

/// As [`serve`], building the app on the server's own runtime (store clients need one).
fn serve_made<F>(make: impl FnOnce() -> F + Send + 'static) -> SocketAddr
where
    F: std::future::Future<Output = Router>,
{
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        pin(0);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let app = make().await;
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, with_cpu(app)).await.unwrap();
        });
    });
    rx.recv().unwrap()
}

fn pin(core: usize) {
    if let Some(id) = core_affinity::get_core_ids().and_then(|ids| ids.get(core).copied()) {
        core_affinity::set_for_current(id);
    }
}

type HttpClient = Client<HttpConnector, Body>;

async fn send(
    client: &HttpClient,
    addr: SocketAddr,
    path: &str,
    cookie: &str,
) -> (StatusCode, Vec<String>, String) {
    let mut request = Request::get(format!("http://{addr}{path}"))
        .body(Body::empty())
        .unwrap();
    if !cookie.is_empty() {
        request
            .headers_mut()
            .insert(header::COOKIE, HeaderValue::from_str(cookie).unwrap());
    }
    let response = client.request(request).await.unwrap();
    let status = response.status();
    let set_cookie = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let body = axum::body::to_bytes(Body::new(response.into_body()), 1 << 20)
        .await
        .unwrap();
    (
        status,
        set_cookie,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

async fn server_cpu_ns(client: &HttpClient, addr: SocketAddr) -> u128 {
    send(client, addr, "/__cpu", "").await.2.parse().unwrap()
}

/// One measurement: `requests` requests to `route` over `CONNECTIONS` connections.
struct Measured {
    rps: f64,
    p50_us: f64,
    p99_us: f64,
    /// The web server's thread, plus the store's process if there is one.
    cpu_us: f64,
    /// The store's process alone.
    store_cpu_us: f64,
}

async fn measure(
    addr: SocketAddr,
    route: &'static str,
    cookies: &[String],
    requests: usize,
    store: Option<u32>,
) -> Measured {
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    // Warm up every connection and the server's caches.
    for i in 0..200 {
        send(&client, addr, route, &cookies[i % CONNECTIONS]).await;
    }
    let store_cpu = || store.map_or(0, Redis::cpu_ns);
    let store_before = store_cpu();
    let before = server_cpu_ns(&client, addr).await;
    let start = Instant::now();
    let per = requests / CONNECTIONS;
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|i| {
            let client = client.clone();
            let cookie = cookies[i].clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(per);
                for _ in 0..per {
                    let t = Instant::now();
                    let (status, _, _) = send(&client, addr, route, &cookie).await;
                    assert!(status.is_success(), "{route}: {status}");
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies: Vec<Duration> = Vec::with_capacity(requests);
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    let elapsed = start.elapsed();
    let after = server_cpu_ns(&client, addr).await;
    let store_after = store_cpu();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e6;
    let done = latencies.len();
    Measured {
        rps: done as f64 / elapsed.as_secs_f64(),
        p50_us: at(0.50),
        p99_us: at(0.99),
        // The two `/__cpu` reads are themselves served on the thread: subtract nothing, they are
        // a few microseconds against thousands of requests.
        cpu_us: ((after - before) + (store_after - store_before)) as f64 / 1000.0 / done as f64,
        store_cpu_us: (store_after - store_before) as f64 / 1000.0 / done as f64,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Starts a contender's server; returns its address.
type Serve = Box<dyn Fn() -> SocketAddr>;

/// An axum contender whose app `make` builds from the Redis URL, on the server's own runtime;
/// its CPU time counts the Redis process's.
fn on_redis<F, Fut>(
    redis: &Redis,
    name: &'static str,
    make: F,
) -> (&'static str, &'static str, Serve, Option<u32>)
where
    F: Fn(String) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Router>,
{
    let url = redis.url.clone();
    let serve: Serve = Box::new(move || {
        let (url, make) = (url.clone(), make.clone());
        serve_made(move || make(url))
    });
    ("axum", name, serve, Some(redis.child.id()))
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let (requests, rounds) = if quick { (800, 1) } else { (8000, 5) };
    // The first contender of each framework is its baseline. The last field names a store
    // process whose CPU time counts with the server's.
    let mut contenders: Vec<(&str, &str, Serve, Option<u32>)> = vec![
        ("axum", "none", Box::new(|| serve(baseline::app())), None),
        (
            "axum",
            "sealed-session",
            Box::new(|| serve(ours::app())),
            None,
        ),
        (
            "axum",
            "tower-sessions-memory-store",
            Box::new(|| serve(tower_sessions_memory::app())),
            None,
        ),
        (
            "axum",
            "axum-extra-private-cookie-jar",
            Box::new(|| serve(private_cookie_jar::app())),
            None,
        ),
        (
            "axum",
            "tower-sessions-cookie-store",
            Box::new(|| serve(cookie_store::app())),
            None,
        ),
        ("actix", "none", Box::new(actix::serve_baseline), None),
        ("actix", "sealed-session", Box::new(actix::serve_ours), None),
        (
            "actix",
            "actix-session-cookie-store",
            Box::new(actix::serve_actix_session),
            None,
        ),
    ];
    let redis = Redis::start();
    if let Some(redis) = &redis {
        contenders.extend([
            on_redis(
                redis,
                "sealed-session-revocations-redis",
                |url| async move { ours::revocable(&url, Duration::ZERO, false) },
            ),
            on_redis(
                redis,
                "sealed-session-revocations-redis-cached-2s",
                |url| async move { ours::revocable(&url, Duration::from_secs(2), false) },
            ),
            on_redis(
                redis,
                "sealed-session-revocations-redis-local-cache",
                |url| async move { ours::revocable(&url, Duration::ZERO, true) },
            ),
            on_redis(
                redis,
                "sealed-session-server-side-redis",
                |url| async move { ours::server_side_redis(&url, false, false) },
            ),
            on_redis(
                redis,
                "sealed-session-server-side-redis-local-cache",
                |url| async move { ours::server_side_redis(&url, false, true) },
            ),
            on_redis(redis, "sealed-session-overflow-redis", |url| async move {
                ours::server_side_redis(&url, true, false)
            }),
            on_redis(redis, "tower-sessions-redis-store", |url| async move {
                tower_sessions_redis::app(&url).await
            }),
            on_redis(redis, "redis-round-trips-alone", |url| async move {
                redis_floor::app(&url).await
            }),
        ]);
    }
    contenders.push((
        "axum",
        "sealed-session-server-side-redb",
        Box::new(|| serve_made(|| async { ours::server_side_redb() })),
        None,
    ));
    // `only=FRAMEWORK/CONTENDER` (e.g. `only=actix/sealed-session`) measures that contender and
    // its framework's baseline alone: for profiling one of them.
    let only = std::env::args().find_map(|a| a.strip_prefix("only=").map(str::to_owned));
    let wanted = |framework: &str, name: &str| match &only {
        None => true,
        Some(only) => {
            only.starts_with(framework)
                && (name == "none" || *only == format!("{framework}/{name}"))
        }
    };
    let servers: Vec<(&str, &str, SocketAddr, Option<u32>)> = contenders
        .iter()
        .filter(|(framework, name, _, _)| wanted(framework, name))
        .map(|(framework, name, serve, store)| (*framework, *name, serve(), *store))
        .collect();

    pin(1);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
        // A session per connection: each connection is a browser of its own.
        let mut cookies: Vec<Vec<String>> = Vec::new();
        for &(_, _, addr, _) in &servers {
            let mut sessions = Vec::new();
            for _ in 0..CONNECTIONS {
                let (_, set_cookie, _) = send(&client, addr, "/login", "").await;
                let cookie = set_cookie
                    .iter()
                    .map(|l| l.split(';').next().unwrap())
                    .collect::<Vec<_>>()
                    .join("; ");
                sessions.push(cookie);
            }
            cookies.push(sessions);
        }
        // Rounds outermost, so that a slow stretch of the machine hits every contender alike.
        let mut results: Vec<(&str, &str, &str, Vec<Measured>)> = Vec::new();
        for &(framework, name, _, _) in &servers {
            for route in ROUTES {
                results.push((framework, name, route, Vec::new()));
            }
        }
        for _ in 0..rounds {
            for (i, &(_, _, addr, store)) in servers.iter().enumerate() {
                for (j, route) in ROUTES.into_iter().enumerate() {
                    let m = measure(addr, route, &cookies[i], requests, store).await;
                    results[i * ROUTES.len() + j].3.push(m);
                }
            }
        }
        let cpu_of = |framework: &str, name: &str, route: &str| {
            let (_, _, _, m) = results
                .iter()
                .find(|(f, n, r, _)| *f == framework && *n == name && *r == route)
                .unwrap();
            median(m.iter().map(|m| m.cpu_us).collect())
        };
        for (framework, name, route, m) in &results {
            let cpu = median(m.iter().map(|m| m.cpu_us).collect());
            println!(
                r#"{{"framework": "{framework}", "contender": "{name}", "route": "{route}", "requests": {requests}, "rps": {:.0}, "p50_us": {:.1}, "p99_us": {:.1}, "cpu_us_per_request": {cpu:.2}, "store_cpu_us_per_request": {:.2}, "cpu_us_over_baseline": {:.2}}}"#,
                median(m.iter().map(|m| m.rps).collect()),
                median(m.iter().map(|m| m.p50_us).collect()),
                median(m.iter().map(|m| m.p99_us).collect()),
                median(m.iter().map(|m| m.store_cpu_us).collect()),
                cpu - cpu_of(framework, "none", route),
            );
        }
    });
}
