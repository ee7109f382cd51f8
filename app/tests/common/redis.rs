//! A real `redis-server` for tests: started from PATH on a free loopback port, stopped (by its
//! PID) when dropped. Without `redis-server` on PATH a test says so loudly and is skipped, except
//! under `CI=true`, where it fails (`.ci/run` installs Debian's `redis-server`).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `redis-server`; killed when dropped.
pub(crate) struct RedisServer {
    child: Child,
    pub(crate) port: u16,
}

impl RedisServer {
    /// Starts a server, or `None` (after saying why) when `redis-server` is not installed and
    /// this is not CI.
    pub(crate) fn start() -> Option<Self> {
        let Some(binary) = find("redis-server") else {
            let message = "SKIPPED: redis-server is not on PATH \
                           (Debian: apt-get install redis-server)";
            if std::env::var_os("CI").is_some_and(|v| v == "true") {
                panic!("{message}; CI must run the Redis tests");
            }
            eprintln!("\n*** {message} ***\n");
            return None;
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Some(Self::spawn(&binary, port))
    }

    /// A new server on `port` (one a test stopped), for tests that bring Redis back.
    pub(crate) fn restart_on(port: u16) -> Self {
        Self::spawn(&find("redis-server").expect("redis-server on PATH"), port)
    }

    /// A server that writes every change to an append-only file in `dir` before answering
    /// (`appendfsync always`), so that a server restarted on the same `dir` has them all.
    pub(crate) fn start_persistent(dir: &std::path::Path) -> Option<Self> {
        let probe = Self::start()?;
        let port = probe.port;
        drop(probe);
        Some(Self::restart_persistent_on(port, dir))
    }

    /// A persistent server on `port` over `dir` (one a test stopped): it reloads what the last
    /// one wrote.
    pub(crate) fn restart_persistent_on(port: u16, dir: &std::path::Path) -> Self {
        let binary = find("redis-server").expect("redis-server on PATH");
        let dir = dir.to_str().unwrap();
        // `--save ""` (in `spawn_with`) turns snapshots off; the append-only file keeps all.
        Self::spawn_with(
            &binary,
            port,
            &[
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--dir",
                dir,
            ],
        )
    }

    fn spawn(binary: &std::path::Path, port: u16) -> Self {
        Self::spawn_with(binary, port, &[])
    }

    fn spawn_with(binary: &std::path::Path, port: u16, extra: &[&str]) -> Self {
        let child = Command::new(binary)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        let server = Self { child, port };
        server.wait_ready();
        server
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The server's PID, for tests that pause it.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn find(program: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    })
}

/// A three-node Redis Cluster on loopback (`redis-server --cluster-enabled yes` three times, then
/// `redis-cli --cluster create`), each node stopped when dropped.
pub(crate) struct RedisCluster {
    nodes: Vec<RedisServer>,
    _dir: tempfile::TempDir,
}

impl RedisCluster {
    /// Starts the cluster, or `None` as [`RedisServer::start`] does.
    pub(crate) fn start() -> Option<Self> {
        // The same check and message as a single server.
        drop(RedisServer::start()?);
        let binary = find("redis-server").expect("redis-server on PATH");
        let cli =
            find("redis-cli").expect("redis-cli on PATH (Debian: it comes with redis-server)");
        let dir = tempfile::tempdir().unwrap();
        let nodes: Vec<RedisServer> = (0..3)
            .map(|i| {
                let port = TcpListener::bind("127.0.0.1:0")
                    .unwrap()
                    .local_addr()
                    .unwrap()
                    .port();
                let config = dir.path().join(format!("nodes-{i}.conf"));
                let config = config.to_str().unwrap().to_owned();
                RedisServer::spawn_with(
                    &binary,
                    port,
                    &["--cluster-enabled", "yes", "--cluster-config-file", &config],
                )
            })
            .collect();
        let addresses: Vec<String> = nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        let status = Command::new(&cli)
            .arg("--cluster")
            .arg("create")
            .args(&addresses)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "redis-cli --cluster create failed");
        // Every node agrees the cluster is up.
        let deadline = Instant::now() + Duration::from_secs(20);
        for node in &nodes {
            loop {
                let out = Command::new(&cli)
                    .args(["-p", &node.port.to_string(), "cluster", "info"])
                    .output()
                    .unwrap();
                if String::from_utf8_lossy(&out.stdout).contains("cluster_state:ok") {
                    break;
                }
                assert!(Instant::now() < deadline, "the cluster did not come up");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Some(Self { nodes, _dir: dir })
    }

    /// The nodes' URLs.
    pub(crate) fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(RedisServer::url).collect()
    }
}
