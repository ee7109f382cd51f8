//! A real `redis-server` for tests: started from PATH on a free loopback port, stopped (by its
//! PID) when dropped. Without `redis-server` on PATH a test says so loudly and is skipped, except
//! under `CI=true`, where it fails (`.ci/run` installs Debian's `redis-server`).

#![allow(dead_code)] // each test file uses its own part

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

    fn spawn(binary: &std::path::Path, port: u16) -> Self {
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

fn find(program: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    })
}
