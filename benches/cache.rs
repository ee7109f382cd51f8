//! The Redis store's local cache (`RedisStore::cached`): its memory per 100,000 cached sessions,
//! and how soon a change made by another server process is seen through it, under load:
//! `cargo bench -p sealed-session-benches --bench cache` (needs `redis-server` on PATH; about
//! 30 s; `-- quick`: a tenth of the entries and changes, for a smoke run).
//!
//! Memory: 100,000 records, each the size of a server-side session's sealed state in the web
//! bench, and 100,000 absent revocation numbers, read once each through a cached store on a
//! one-thread runtime; the heap bytes still held afterwards (allocation-counter), per 100,000.
//!
//! Visibility: this process starts a copy of itself as the other server (`-- writer URL`), with
//! a store of its own on the same Redis. Here, a cached store holds 10,000 revocation numbers and
//! two tasks read random ones of them without pause (the load). The writer raises one number at
//! a time, each 5 ms after the last, and prints the wall-clock time its write returned; a third
//! task here reads that number until the change shows, and notes when. Both processes read the
//! same system clock. The delays, p50 / p99 / max over 1,000 changes, count the push's travel,
//! this process's handling of it, and the watcher's polling.
//!
//! Prints one JSON object per line.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sealed_session::store::{LocalCache, RecordWrite, RedisStore, Store};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

mod redis_server;
use redis_server::Redis;

/// Keys read by the load in the visibility run.
const LOADED: usize = 10_000;
const FAR: u64 = 4_000_000_000;
/// The sealed state of the web bench's server-side session, in bytes (its `HGET KEY d`).
const STATE_LEN: usize = 136;

fn number_key(i: usize) -> String {
    format!("ss:r:{{{i:032x}}}:g")
}

fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "writer") {
        return writer(&args[at + 1]);
    }
    let Some(redis) = Redis::start() else {
        return;
    };
    // Entries held for the memory run, and changes whose visibility is measured.
    let (entries, changes) = if args.iter().any(|a| a == "quick") {
        (10_000, 100)
    } else {
        (100_000, 1_000)
    };
    memory(&redis.url, entries);
    visibility(&redis.url, changes);
}

/// Heap bytes the cache holds per 100,000 entries, of records and of absent numbers, from `n`
/// of each.
fn memory(url: &str, n: usize) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let state = "s".repeat(STATE_LEN);
    let record_key = |i: usize| format!("ss:s:{{{i:032x}}}");
    runtime.block_on(async {
        let writer = RedisStore::new(url).unwrap();
        for i in 0..n {
            let write = RecordWrite::create(&state, FAR);
            writer.save(&record_key(i), write).await.unwrap();
        }
    });
    for (what, key) in [
        ("records", &record_key as &dyn Fn(usize) -> String),
        ("absent-numbers", &number_key),
    ] {
        let info = allocation_counter::measure(|| {
            runtime.block_on(async {
                let store = RedisStore::new(url)
                    .unwrap()
                    .cached(LocalCache::new(2 * n))
                    .unwrap();
                while !store.cache_ready() {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                for i in 0..n {
                    if what == "records" {
                        assert!(store.load(&key(i)).await.unwrap().is_some());
                    } else {
                        assert_eq!(store.read(&[key(i)]).await.unwrap(), vec![None]);
                    }
                }
                // Held until measured: the cache is what remains allocated.
                Box::leak(Box::new(store));
            })
        });
        println!(
            r#"{{"measure": "memory", "entries": "{what}", "count": {n}, "bytes_held": {}, "bytes_per_entry": {:.0}, "mib_per_100k": {:.1}}}"#,
            info.bytes_current,
            info.bytes_current as f64 / n as f64,
            info.bytes_current as f64 / (1 << 20) as f64 * (100_000.0 / n as f64)
        );
    }
}

/// The other server: raises one number at a time and prints when each write returned.
fn writer(url: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = RedisStore::new(url).unwrap();
        let mut lines = BufReader::new(tokio::io::stdin()).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let i: usize = line.trim().parse().unwrap();
            store.raise(&number_key(i), 1, FAR).await.unwrap();
            println!("{i} {}", now_ns());
        }
    });
}

/// The delays between a write on the other server and its sight here, under load, over
/// `changes` changes.
fn visibility(url: &str, changes: usize) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut delays = runtime.block_on(async {
        let store = RedisStore::new(url)
            .unwrap()
            .cached(LocalCache::new(2 * LOADED))
            .unwrap();
        while !store.cache_ready() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        for i in 0..LOADED {
            store.read(&[number_key(i)]).await.unwrap();
        }
        let stop = Arc::new(AtomicBool::new(false));
        let load: Vec<_> = (0..2)
            .map(|seed| {
                let (store, stop) = (store.clone(), stop.clone());
                tokio::spawn(async move {
                    let mut x: u64 = 0x9E37_79B9_7F4A_7C15 ^ seed;
                    while !stop.load(Ordering::Relaxed) {
                        for _ in 0..64 {
                            x ^= x << 13;
                            x ^= x >> 7;
                            x ^= x << 17;
                            let key = number_key(changes + (x as usize) % (LOADED - changes));
                            store.read(&[key]).await.unwrap();
                        }
                        tokio::task::yield_now().await;
                    }
                })
            })
            .collect();
        let mut child = tokio::process::Command::new(std::env::current_exe().unwrap())
            .args(["writer", url])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut to_writer = child.stdin.take().unwrap();
        let mut from_writer = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut delays = Vec::with_capacity(changes);
        for i in 0..changes {
            tokio::time::sleep(Duration::from_millis(5)).await;
            let watched = tokio::spawn({
                let store = store.clone();
                async move {
                    let key = [number_key(i)];
                    while store.read(&key).await.unwrap() != vec![Some(1)] {
                        tokio::task::yield_now().await;
                    }
                    now_ns()
                }
            });
            to_writer
                .write_all(format!("{i}\n").as_bytes())
                .await
                .unwrap();
            let line = from_writer.next_line().await.unwrap().unwrap();
            let written: u128 = line.split(' ').nth(1).unwrap().parse().unwrap();
            let seen = watched.await.unwrap();
            delays.push(seen.saturating_sub(written) as f64 / 1000.0);
        }
        stop.store(true, Ordering::Relaxed);
        for task in load {
            task.await.unwrap();
        }
        delays
    });
    delays.sort_by(f64::total_cmp);
    let at = |q: f64| delays[((delays.len() - 1) as f64 * q).round() as usize];
    println!(
        r#"{{"measure": "visibility", "changes": {}, "p50_us": {:.0}, "p99_us": {:.0}, "max_us": {:.0}}}"#,
        delays.len(),
        at(0.5),
        at(0.99),
        delays[delays.len() - 1]
    );
}
