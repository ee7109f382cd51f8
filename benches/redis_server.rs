//! A `redis-server` on loopback for the benches (web.rs, cache.rs).

#![allow(dead_code)] // each bench uses its own part

use std::time::Duration;

/// A `redis-server` for the benches that use one, on a free loopback port, stopped when dropped;
/// `None` (with a note) when it is not installed.
pub(crate) struct Redis {
    pub(crate) child: std::process::Child,
    pub(crate) url: String,
}

impl Redis {
    pub(crate) fn start() -> Option<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
            ])
            .stdout(std::process::Stdio::null())
            .spawn();
        let Ok(child) = child else {
            eprintln!("# redis-server is not on PATH: what needs Redis is left out");
            return None;
        };
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(Self {
            child,
            url: format!("redis://127.0.0.1:{port}/"),
        })
    }

    /// CPU time of every thread of the server so far, in nanoseconds
    /// (`/proc/PID/task/*/schedstat`).
    pub(crate) fn cpu_ns(pid: u32) -> u128 {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            return 0;
        };
        tasks
            .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("schedstat")).ok())
            .filter_map(|s| s.split_whitespace().next()?.parse::<u128>().ok())
            .sum()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
