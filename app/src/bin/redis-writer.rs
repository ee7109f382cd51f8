//! Writes to the Redis store as a server of the app does, one command per line of standard
//! input, for the tests that run it under a clock that is off from Redis's (`faketime`): a
//! write's deadline must hold whatever this process's clock says.
//!
//! ```text
//! redis-writer <timeout-ms> <redis-url> [<redis-url>...]   (more than one: a cluster's nodes)
//! clock                      -> ok <this process's Unix time in ms>
//! raise <key> <value>        -> ok
//! create <key> <value>       -> written <version> | conflict
//! update <key> <version> <value>
//! ```
//! A store error prints `error: <message>`. Records expire an hour after this process's now.

use std::io::{BufRead, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sealed_session::store::{RecordWrite, RedisStore, Saved, Store};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let timeout = Duration::from_millis(args.next().ok_or("a timeout in ms")?.parse()?);
    let urls: Vec<String> = args.collect();
    let store = match urls.as_slice() {
        [] => return Err("a Redis URL".into()),
        [url] => RedisStore::with_timeout(url, timeout)?,
        nodes => {
            let nodes: Vec<&str> = nodes.iter().map(String::as_str).collect();
            RedisStore::cluster(&nodes, timeout).await?
        }
    };
    let mut out = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let words: Vec<&str> = line.split_whitespace().collect();
        let answer = match words.as_slice() {
            ["clock"] => format!("ok {}", unix_ms()),
            ["raise", key, value] => match store.raise(key, value.parse()?, expiry()).await {
                Ok(()) => "ok".to_owned(),
                Err(e) => format!("error: {e}"),
            },
            ["create", key, value] => {
                saved(store.save(key, RecordWrite::create(value, expiry())).await)
            }
            ["update", key, version, value] => saved(
                store
                    .save(key, RecordWrite::update(version.parse()?, value, expiry()))
                    .await,
            ),
            _ => return Err(format!("an unknown command: {line}").into()),
        };
        writeln!(out, "{answer}")?;
        out.flush()?;
    }
    Ok(())
}

fn saved(result: Result<Saved, sealed_session::store::StoreError>) -> String {
    match result {
        Ok(Saved::Written(version)) => format!("written {version}"),
        Ok(Saved::Conflict) => "conflict".to_owned(),
        Ok(other) => format!("unexpected: {other:?}"),
        Err(e) => format!("error: {e}"),
    }
}

fn unix_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
}

/// An hour from now by this process's clock, in Unix seconds.
fn expiry() -> u64 {
    u64::try_from(unix_ms() / 1000).unwrap_or(u64::MAX) + 3600
}
