//! The example app (app/src) served on loopback for the tests, by axum, actix-web or plain
//! hyper, in each setup its header documents: what `Site::start` builds from a `Config`, as the
//! examples do from the environment. Every setup but the first has its keys in a key-ring file the test
//! can edit, read again every 100 ms; the redb file and the ring live in a temporary directory,
//! Redis is a `redis-server` of the test's own (tests/common/redis.rs).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use sealed_session::key_file::RingDocument;
use sealed_session::{Clock as _, SystemClock};
use sealed_session_app::{Config, Keys, Sessions, Site, StoreConfig};

use super::redis::RedisServer;
use super::web::Framework;

/// The setups of the example app's header, as the environment would choose them.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Setup {
    /// No variables: cookie sessions, no store, a key generated for the run.
    Cookie,
    /// `STORE=redb KEY_RING=…`: cookie sessions, their revocations in redb.
    CookieOnRedb,
    /// `REDIS_URL=… KEY_RING=…`: cookie sessions, their revocations in a real Redis.
    CookieOnRedis,
    /// `SESSIONS=server KEY_RING=…`: server-side sessions in redb.
    ServerSideOnRedb,
    /// `SESSIONS=server REDIS_URL=… KEY_RING=…`: server-side sessions in a real Redis.
    ServerSideOnRedis,
}

/// How often the tests' key-ring file is read again: short, so that an edit reaches the app
/// within a test.
const RELOAD: Duration = Duration::from_millis(100);

/// The example app, served; stopped, its store and files removed, when dropped.
pub(crate) struct Example {
    pub(crate) addr: SocketAddr,
    /// The key-ring file the app watches, if the setup has one.
    pub(crate) ring: Option<PathBuf>,
    /// The Redis the app's store is on, if the setup has one.
    redis_url: Option<String>,
    serving: Serving,
    // Dropped after the server: the site (its key-ring watch; none for a process), Redis, then
    // the files.
    _site: Option<Site>,
    _redis: Option<RedisServer>,
    _dir: tempfile::TempDir,
}

enum Serving {
    /// The axum or hyper server's task.
    Task(tokio::task::JoinHandle<()>),
    Actix(actix_web::dev::ServerHandle),
    /// The app on axum in a process of its own (app/src/bin/app-server.rs).
    Process(std::process::Child),
}

impl Drop for Example {
    fn drop(&mut self) {
        match &mut self.serving {
            Serving::Task(task) => task.abort(),
            // The stop command is sent at once; its completion need not be awaited.
            Serving::Actix(handle) => drop(handle.stop(false)),
            Serving::Process(child) => {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

impl Example {
    /// The app of `setup` on `framework`, on a free loopback port; `None` when the setup needs
    /// Redis and `redis-server` is not installed (said loudly; a failure under `CI=true`).
    /// Call it inside a tokio runtime.
    pub(crate) async fn start(framework: Framework, setup: Setup) -> Option<Self> {
        Self::start_beside(framework, setup, None).await
    }

    /// Two servers of the app of `setup` (one on Redis) on `framework`, as two machines of one
    /// deployment: one Redis and one key-ring file, each server with its own store connection
    /// and request driver. `None` as [`start`](Self::start).
    pub(crate) async fn pair(framework: Framework, setup: Setup) -> Option<(Self, Self)> {
        let first = Self::start_beside(framework, setup, None).await?;
        let second = Self::start_beside(framework, setup, Some(&first)).await?;
        Some((first, second))
    }

    /// The app of `setup`; with `beside`, on its Redis and key-ring file.
    async fn start_beside(
        framework: Framework,
        setup: Setup,
        beside: Option<&Example>,
    ) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let redb = || StoreConfig::Redb(dir.path().join("sessions.redb"));
        let mut redis = None;
        let mut redis_url = || -> Option<String> {
            if let Some(url) = beside.and_then(|other| other.redis_url.clone()) {
                return Some(url);
            }
            let server = RedisServer::start()?;
            let url = server.url();
            redis = Some(server);
            Some(url)
        };
        let (sessions, redis_url) = match setup {
            Setup::Cookie => (Sessions::Cookie { revocations: None }, None),
            Setup::CookieOnRedb => (
                Sessions::Cookie {
                    revocations: Some(redb()),
                },
                None,
            ),
            Setup::CookieOnRedis => {
                let url = redis_url()?;
                let revocations = Some(StoreConfig::Redis(url.clone()));
                (Sessions::Cookie { revocations }, Some(url))
            }
            Setup::ServerSideOnRedb => (Sessions::ServerSide(redb()), None),
            Setup::ServerSideOnRedis => {
                let url = redis_url()?;
                (
                    Sessions::ServerSide(StoreConfig::Redis(url.clone())),
                    Some(url),
                )
            }
        };
        let ring = match (setup, beside.and_then(|other| other.ring.clone())) {
            (Setup::Cookie, _) => None,
            (_, Some(shared)) => Some(shared),
            _ => Some(write_ring(dir.path().join("ring.toml"))),
        };
        let keys = match &ring {
            None => Keys::Generated,
            Some(path) => Keys::File {
                path: path.clone(),
                reload_every: RELOAD,
            },
        };
        let config = Config {
            sessions,
            keys,
            port: 0,
        };
        let site = Site::start(config).unwrap();
        let (addr, serving) = match framework {
            Framework::Axum => serve_axum(&site).await,
            Framework::Actix => serve_actix(&site),
            Framework::Hyper => serve_hyper(&site).await,
        };
        Some(Self {
            addr,
            ring,
            redis_url,
            serving,
            _site: Some(site),
            _redis: redis,
            _dir: dir,
        })
    }

    /// Two servers of the app of `setup` (one on Redis) as two processes (the app on axum,
    /// configured by its environment variables as a deployment would be), on one Redis and one
    /// key-ring file. `None` as [`start`](Self::start).
    pub(crate) async fn processes(setup: Setup) -> Option<(Self, Self)> {
        let server_side = match setup {
            Setup::CookieOnRedis => false,
            Setup::ServerSideOnRedis => true,
            other => panic!("{other:?} is not a setup on Redis"),
        };
        let redis = RedisServer::start()?;
        let dir = tempfile::tempdir().unwrap();
        let ring = write_ring(dir.path().join("ring.toml"));
        let mut env = vec![
            ("REDIS_URL", redis.url()),
            ("KEY_RING", ring.display().to_string()),
        ];
        if server_side {
            env.push(("SESSIONS", "server".into()));
        }
        let first = Self::process(&env, Some(redis), Some(dir), &ring).await;
        let second = Self::process(&env, None, None, &ring).await;
        Some((first, second))
    }

    /// The app-server program with the environment `env` (and nothing else), once it listens.
    async fn process(
        env: &[(&str, String)],
        redis: Option<RedisServer>,
        dir: Option<tempfile::TempDir>,
        ring: &std::path::Path,
    ) -> Self {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_app-server"))
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("the app-server program");
        let stdout = child.stdout.take().unwrap();
        // The app prints its URL once it listens: `listening on http://localhost:PORT/`. What it
        // prints after is read too, so that it never writes to a closed pipe.
        let port = tokio::task::spawn_blocking(move || {
            use std::io::BufRead;
            let mut lines = std::io::BufReader::new(stdout);
            let mut line = String::new();
            while lines.read_line(&mut line).is_ok_and(|n| n > 0) {
                let port = line
                    .trim_end()
                    .strip_prefix("listening on http://localhost:")
                    .and_then(|rest| rest.trim_end_matches('/').parse::<u16>().ok());
                if port.is_some() {
                    std::thread::spawn(move || std::io::copy(&mut lines, &mut std::io::sink()));
                    return port;
                }
                line.clear();
            }
            None
        });
        let port = tokio::time::timeout(Duration::from_secs(30), port)
            .await
            .expect("the app did not start listening")
            .unwrap()
            .expect("the app's URL");
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            ring: Some(ring.to_owned()),
            redis_url: env
                .iter()
                .find(|(k, _)| *k == "REDIS_URL")
                .map(|(_, v)| v.clone()),
            serving: Serving::Process(child),
            _site: None,
            _redis: redis,
            _dir: dir.unwrap_or_else(|| tempfile::tempdir().unwrap()),
        }
    }

    /// The URL of `path` on the app.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// A new key-ring file at `path`, as `sealed-session ring init` makes it: one active key, and
/// the tool's default `max_session_lifetime` (8h 5m).
fn write_ring(path: PathBuf) -> PathBuf {
    let lifetime = Duration::from_secs(8 * 3600 + 5 * 60);
    let document = RingDocument::new(lifetime, SystemClock.now_unix()).unwrap();
    document.write(&path).unwrap();
    path
}

async fn serve_axum(site: &Site) -> (SocketAddr, Serving) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = sealed_session_app::axum::router(site);
    let task = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, Serving::Task(task))
}

async fn serve_hyper(site: &Site) -> (SocketAddr, Serving) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let site = site.clone();
    let task = tokio::spawn(async move {
        sealed_session_app::hyper::serve(&site, listener)
            .await
            .unwrap()
    });
    (addr, Serving::Task(task))
}

/// The actix app on its own runtime, in a thread of its own, with one worker.
fn serve_actix(site: &Site) -> (SocketAddr, Serving) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let site = site.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = actix_web::HttpServer::new(move || sealed_session_app::actix::app(&site))
                .workers(1)
                .disable_signals()
                .listen(listener)
                .unwrap()
                .run();
            tx.send(server.handle()).unwrap();
            server.await.unwrap();
        });
    });
    (addr, Serving::Actix(rx.recv().unwrap()))
}
