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
        // Another test may take the port between the probe and the spawn: a new one then.
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            if let Some(server) = Self::try_spawn_with(&binary, port, &[]) {
                return Some(server);
            }
        }
        panic!("redis-server did not start on any of 5 free ports");
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
        Self::try_spawn_with(binary, port, extra).expect("redis-server did not listen")
    }

    /// A server started with `extra` arguments, once it listens; `None` if it exited or did not
    /// listen within 10 s.
    fn try_spawn_with(binary: &std::path::Path, port: u16, extra: &[&str]) -> Option<Self> {
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
        let mut server = Self { child, port };
        server.listening().then_some(server)
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Whether this server answers on its port within 10 s. Whatever listens there must say it is
    /// this process (`INFO server`'s `process_id`): another test's server, or a cluster node's
    /// bus port, may have taken the port first, and this one then exits.
    fn listening(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(pid) = process_id(self.port) {
                return pid == self.child.id();
            }
            if Instant::now() > deadline || !matches!(self.child.try_wait(), Ok(None)) {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The server's PID, for tests that pause it.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends the server `signal` (`-STOP` pauses it, `-CONT` resumes it).
    pub(crate) fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

/// The process id of the Redis server answering on `port`, if one answers.
fn process_id(port: u16) -> Option<u32> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    stream.write_all(b"INFO server\r\n").ok()?;
    let mut answer = Vec::new();
    let mut chunk = [0; 4096];
    loop {
        let text = String::from_utf8_lossy(&answer);
        if let Some(rest) = text.split("process_id:").nth(1)
            && let Some((pid, _)) = rest.split_once("\r\n")
        {
            return pid.trim().parse().ok();
        }
        let read = stream.read(&mut chunk).ok()?;
        if read == 0 {
            return None;
        }
        answer.extend_from_slice(&chunk[..read]);
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

/// A Redis Cluster on loopback (`redis-server --cluster-enabled yes` on each node, then
/// `redis-cli --cluster create`), each node stopped when dropped.
pub(crate) struct RedisCluster {
    nodes: Vec<RedisServer>,
    /// Each node's arguments past the port.
    extra: Vec<String>,
    dir: tempfile::TempDir,
}

impl RedisCluster {
    /// Three primaries, or `None` as [`RedisServer::start`] does.
    pub(crate) fn start() -> Option<Self> {
        Self::start_with(3, &[])
    }

    /// Three primaries, each with a replica that takes over a second after its primary stops
    /// answering; `None` as [`RedisServer::start`] does.
    pub(crate) fn start_replicated() -> Option<Self> {
        Self::start_with(6, &["--cluster-node-timeout", "1000"])
    }

    fn start_with(count: usize, extra: &[&str]) -> Option<Self> {
        // The same check and message as a single server.
        drop(RedisServer::start()?);
        // A setup that went wrong (a node that did not start, a cluster that did not form) is
        // done again on other ports, and said: the nodes' logs tell why.
        for attempt in 1..=3 {
            match Self::try_start(count, extra) {
                Ok(cluster) => return Some(cluster),
                Err(why) => eprintln!("cluster setup, attempt {attempt}: {why}"),
            }
        }
        panic!("the cluster did not come up in 3 attempts");
    }

    fn try_start(count: usize, extra: &[&str]) -> Result<Self, String> {
        let binary = find("redis-server").expect("redis-server on PATH");
        let cli =
            find("redis-cli").expect("redis-cli on PATH (Debian: it comes with redis-server)");
        let mut cluster = Self {
            nodes: Vec::new(),
            extra: extra.iter().map(|a| (*a).to_owned()).collect(),
            dir: tempfile::tempdir().unwrap(),
        };
        // One by one: a node listens on its ports before the next one's are chosen.
        for _ in 0..count {
            let port = cluster_port();
            let node = cluster.try_spawn(&binary, port);
            cluster
                .nodes
                .push(node.ok_or_else(|| cluster.why(port, "did not start"))?);
        }
        let addresses: Vec<String> = cluster
            .nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        let replicas = if count > 3 { "1" } else { "0" };
        let mut create = Command::new(&cli)
            .arg("--cluster")
            .arg("create")
            .args(&addresses)
            .args(["--cluster-replicas", replicas, "--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        let created = loop {
            if let Some(status) = create.try_wait().unwrap() {
                break status.success();
            }
            if Instant::now() > deadline {
                let _ = create.kill();
                let _ = create.wait();
                break false;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let first = cluster.nodes[0].port;
        if !created {
            return Err(cluster.why(first, "redis-cli --cluster create failed or hung"));
        }
        if !cluster.settled_within(Duration::from_secs(30)) {
            return Err(cluster.why(first, "the cluster did not settle"));
        }
        Ok(cluster)
    }

    /// `what` went wrong, with the end of every node's log.
    fn why(&self, port: u16, what: &str) -> String {
        let mut why = format!("node {port}: {what}");
        for entry in std::fs::read_dir(self.dir.path()).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".log") {
                let log = std::fs::read_to_string(entry.path()).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(5).collect();
                why.push_str(&format!("\n{name}: {}", tail.join(" | ")));
            }
        }
        why
    }

    /// A node on `port`, with its cluster configuration file and its log in the cluster's
    /// directory; `None` if it did not start.
    fn try_spawn(&self, binary: &std::path::Path, port: u16) -> Option<RedisServer> {
        let config = self.dir.path().join(format!("nodes-{port}.conf"));
        let config = config.to_str().unwrap();
        let log = self.dir.path().join(format!("node-{port}.log"));
        let log = log.to_str().unwrap();
        // A replica's full sync writes the primary's snapshot to a file: in the cluster's
        // directory, one per node.
        let dbfilename = format!("dump-{port}.rdb");
        let dir = self.dir.path().to_str().unwrap();
        let mut args = vec!["--cluster-enabled", "yes", "--cluster-config-file", config];
        args.extend(["--dir", dir, "--dbfilename", &dbfilename, "--logfile", log]);
        args.extend(self.extra.iter().map(String::as_str));
        RedisServer::try_spawn_with(binary, port, &args)
    }

    /// Whether, within `limit`, every node agrees the cluster is up and knows every other, and
    /// every replica is in sync.
    fn settled_within(&self, limit: Duration) -> bool {
        let cli = find("redis-cli").unwrap();
        let deadline = Instant::now() + limit;
        let known = format!("cluster_known_nodes:{}", self.nodes.len());
        for node in &self.nodes {
            loop {
                let info = cli_output(&cli, node.port, &["cluster", "info"]);
                let replication = cli_output(&cli, node.port, &["info", "replication"]);
                let synced = replication.contains("role:master")
                    || replication.contains("master_link_status:up");
                if info.contains("cluster_state:ok") && info.contains(&known) && synced {
                    break;
                }
                if Instant::now() > deadline {
                    return false;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        true
    }

    /// Kills `node` and starts it again with nothing in memory (persistence is off): it rejoins
    /// the cluster with the same id and slots, and none of its keys. Returns once the cluster
    /// is up again.
    pub(crate) fn restart_empty(&mut self, node: &ClusterNode) {
        self.kill(node);
        let binary = find("redis-server").unwrap();
        let server = self.try_spawn(&binary, node.port);
        self.nodes
            .push(server.unwrap_or_else(|| panic!("{}", self.why(node.port, "restart"))));
        let settled = self.settled_within(Duration::from_secs(30));
        assert!(
            settled,
            "{}",
            self.why(node.port, "the cluster did not settle")
        );
    }

    /// The running node on `node`'s port.
    pub(crate) fn server(&self, node: &ClusterNode) -> &RedisServer {
        self.nodes.iter().find(|n| n.port == node.port).unwrap()
    }

    /// The nodes' URLs.
    pub(crate) fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(RedisServer::url).collect()
    }

    /// Stops `node` (as a crash would: `SIGKILL`).
    pub(crate) fn kill(&mut self, node: &ClusterNode) {
        self.nodes.retain(|n| n.port != node.port);
    }

    /// Runs `redis-cli` with `args` on the node on `port`: its output.
    pub(crate) fn cli(&self, port: u16, args: &[&str]) -> String {
        cli_output(&find("redis-cli").unwrap(), port, args)
    }

    fn first(&self) -> u16 {
        self.nodes[0].port
    }

    /// The cluster's nodes, as its first live node sees them.
    pub(crate) fn nodes(&self) -> Vec<ClusterNode> {
        self.nodes_seen_by(self.first())
    }

    fn nodes_seen_by(&self, port: u16) -> Vec<ClusterNode> {
        self.cli(port, &["cluster", "nodes"])
            .lines()
            .map(|line| {
                let f: Vec<&str> = line.split_whitespace().collect();
                let address = f[1].split('@').next().unwrap();
                ClusterNode {
                    id: f[0].to_owned(),
                    port: address.rsplit_once(':').unwrap().1.parse().unwrap(),
                    primary: f[2].contains("master"),
                    of: f[3].to_owned(),
                    slots: f[8..]
                        .iter()
                        .filter(|s| !s.starts_with('['))
                        .map(|s| {
                            let (a, b) = s.split_once('-').unwrap_or((s, s));
                            (a.parse().unwrap(), b.parse().unwrap())
                        })
                        .collect(),
                }
            })
            .collect()
    }

    /// The slot of `key`.
    pub(crate) fn slot(&self, key: &str) -> u16 {
        self.cli(self.first(), &["cluster", "keyslot", key])
            .trim()
            .parse()
            .unwrap()
    }

    /// The primary serving `key`.
    pub(crate) fn owner(&self, key: &str) -> ClusterNode {
        let slot = self.slot(key);
        self.nodes()
            .into_iter()
            .find(|n| n.primary && n.slots.iter().any(|&(a, b)| (a..=b).contains(&slot)))
            .expect("a primary serves the slot")
    }

    /// The replica of `primary`.
    pub(crate) fn replica_of(&self, primary: &ClusterNode) -> ClusterNode {
        self.nodes()
            .into_iter()
            .find(|n| n.of == primary.id)
            .expect("the primary has a replica")
    }

    /// Waits until `node` says it is a primary (after a failover).
    pub(crate) fn promoted(&self, node: &ClusterNode) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.cli(node.port, &["role"]).starts_with("master") {
            assert!(Instant::now() < deadline, "no failover");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Hands the primary serving `key` over to its replica (`CLUSTER FAILOVER`, with no loss):
    /// the old primary, still running, becomes the replica. Returns the new primary.
    pub(crate) fn fail_over(&self, key: &str) -> ClusterNode {
        let replica = self.replica_of(&self.owner(key));
        let answer = self.cli(replica.port, &["cluster", "failover"]);
        assert_eq!(answer.trim(), "OK");
        self.promoted(&replica);
        replica
    }

    /// Starts moving `key`'s slot from the primary serving it to another: the target imports it,
    /// the source migrates it. From then on, a write to a key the source does not hold is
    /// redirected (`ASK`) to the target. Returns the source and the target.
    pub(crate) fn begin_move(&self, key: &str) -> (ClusterNode, ClusterNode) {
        let from = self.owner(key);
        let to = self
            .nodes()
            .into_iter()
            .find(|n| n.primary && n.id != from.id)
            .unwrap();
        let slot = self.slot(key).to_string();
        let setslot = |node: &ClusterNode, state: &str, id: &str| {
            let answer = self.cli(node.port, &["cluster", "setslot", &slot, state, id]);
            assert_eq!(answer.trim(), "OK");
        };
        setslot(&to, "importing", &from.id);
        setslot(&from, "migrating", &to.id);
        (from, to)
    }

    /// Ends a move [`begin_move`](Self::begin_move) started: the source's keys of the slot are
    /// moved (`MIGRATE`), and every node is told the target serves it.
    pub(crate) fn finish_move(&self, key: &str, from: &ClusterNode, to: &ClusterNode) {
        let slot = self.slot(key).to_string();
        loop {
            let keys = self.cli(from.port, &["cluster", "getkeysinslot", &slot, "100"]);
            let keys: Vec<&str> = keys.lines().filter(|k| !k.is_empty()).collect();
            if keys.is_empty() {
                break;
            }
            let port = to.port.to_string();
            let mut args = vec!["migrate", "127.0.0.1", &port, "", "0", "5000", "keys"];
            args.extend(&keys);
            assert_eq!(self.cli(from.port, &args).trim(), "OK");
        }
        for node in &self.nodes {
            let answer = self.cli(node.port, &["cluster", "setslot", &slot, "node", &to.id]);
            assert_eq!(answer.trim(), "OK");
        }
    }

    /// How many times the cluster's live nodes have run `command` (`INFO commandstats`).
    pub(crate) fn calls(&self, command: &str) -> u64 {
        let prefix = format!("cmdstat_{command}:calls=");
        self.nodes
            .iter()
            .map(|node| {
                self.cli(node.port, &["info", "commandstats"])
                    .lines()
                    .find_map(|line| line.strip_prefix(&prefix))
                    .map_or(0, |rest| rest.split(',').next().unwrap().parse().unwrap())
            })
            .sum()
    }
}

/// A node as `CLUSTER NODES` lists it.
#[derive(Debug, Clone)]
pub(crate) struct ClusterNode {
    pub(crate) id: String,
    pub(crate) port: u16,
    pub(crate) primary: bool,
    /// The primary it replicates, if a replica.
    pub(crate) of: String,
    pub(crate) slots: Vec<(u16, u16)>,
}

impl ClusterNode {
    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

/// A free loopback port for a cluster node, whose cluster bus port (10,000 higher) is a port and
/// free too: Redis refuses to start otherwise.
fn cluster_port() -> u16 {
    loop {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        if port <= 55535 && TcpListener::bind(("127.0.0.1", port + 10000)).is_ok() {
            return port;
        }
    }
}

/// The ids of the clients with tracking on (flag `t`) in `CLIENT LIST`'s answer `list`.
pub(crate) fn tracking_ids(list: &str) -> Vec<&str> {
    list.lines()
        .filter(|l| {
            l.split(' ')
                .any(|f| f.starts_with("flags=") && f.contains('t'))
        })
        .filter_map(|l| l.split(' ').find_map(|f| f.strip_prefix("id=")))
        .collect()
}

fn cli_output(cli: &std::path::Path, port: u16, args: &[&str]) -> String {
    let out = Command::new(cli)
        .args(["-p", &port.to_string()])
        .args(args)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}
