//! A TCP proxy on loopback in front of a `redis-server`, which can make the Redis store's
//! tracking connection (its local cache's invalidation channel) go silent while every other
//! connection keeps working: what a half-broken network path or a stuck socket does. It forwards
//! bytes both ways, notes each connection that sent `CLIENT TRACKING`, and once frozen stops
//! forwarding on those, in both directions, without closing them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A running proxy; its tasks end when it is dropped.
pub(crate) struct Proxy {
    port: u16,
    frozen: Arc<AtomicBool>,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    /// Forwards a free loopback port to the Redis on `upstream`.
    pub(crate) async fn start(upstream: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let frozen = Arc::new(AtomicBool::new(false));
        let tasks = Arc::new(Mutex::new(Vec::new()));
        let accept = {
            let (frozen, tasks) = (frozen.clone(), tasks.clone());
            tokio::spawn(async move {
                while let Ok((client, _)) = listener.accept().await {
                    let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)).await else {
                        continue;
                    };
                    let tracking = Arc::new(AtomicBool::new(false));
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    let up = pump(
                        client_read,
                        server_write,
                        tracking.clone(),
                        frozen.clone(),
                        true,
                    );
                    let down = pump(server_read, client_write, tracking, frozen.clone(), false);
                    let mut tasks = tasks.lock().unwrap();
                    tasks.push(tokio::spawn(up));
                    tasks.push(tokio::spawn(down));
                }
            })
        };
        tasks.lock().unwrap().push(accept);
        Self {
            port,
            frozen,
            tasks,
        }
    }

    /// The proxy's Redis URL.
    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// From now on, nothing more passes on a tracking connection, either way.
    pub(crate) fn freeze_tracking(&self) {
        self.frozen.store(true, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}

/// Copies `from` to `to`. `upstream` is the client-to-Redis direction, where `CLIENT TRACKING`
/// marks the connection; a marked connection stops here, silently, once `frozen`.
async fn pump(
    mut from: impl AsyncReadExt + Unpin,
    mut to: impl AsyncWriteExt + Unpin,
    tracking: Arc<AtomicBool>,
    frozen: Arc<AtomicBool>,
    upstream: bool,
) {
    let mut buf = vec![0; 64 * 1024];
    loop {
        let Ok(n) = from.read(&mut buf).await else {
            return;
        };
        if n == 0 {
            return;
        }
        if upstream
            && buf[..n]
                .windows(8)
                .any(|w| w.eq_ignore_ascii_case(b"TRACKING"))
        {
            tracking.store(true, Ordering::SeqCst);
        }
        if tracking.load(Ordering::SeqCst) && frozen.load(Ordering::SeqCst) {
            // Holds the connection open and forwards nothing more, as a silent path does.
            std::future::pending::<()>().await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}
