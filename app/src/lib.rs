//! What the example apps do, written once for both frameworks (examples/axum_app.rs and
//! examples/actix_app.rs only route requests here): the session's type, the cookie, one function
//! per page over `Session`, and key rotation on a timer.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use sealed_session::store::{MemoryStore, ServerSide};
use sealed_session::{CookieOptions, Key, KeyId, KeyRing, Sealer, Session, SessionCookie, Subject};
use serde::{Deserialize, Serialize};

/// What the app keeps about a visitor: in the cookie, or with `SESSIONS=server` in the store.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Visit {
    user: String,
    counter: u64,
    #[serde(with = "serde_bytes")]
    notes: Vec<u8>,
}

const IDLE: Duration = Duration::from_secs(30 * 60);
const ABSOLUTE: Duration = Duration::from_secs(8 * 3600);

/// The query of `/login`.
#[derive(Deserialize)]
pub struct Login {
    user: String,
}

/// The session cookie over `ring`: `__Host-session`, `Secure`, chunked over up to 3 cookies.
pub fn cookie(ring: KeyRing) -> Result<SessionCookie, Box<dyn std::error::Error>> {
    let sealer = Sealer::builder(ring, "__Host-session")
        .purpose("example")
        .idle_timeout(IDLE)
        .absolute_lifetime(ABSOLUTE)
        .session_ids(true)
        .build()?;
    Ok(SessionCookie::sealed(sealer, CookieOptions::new())?.max_chunks(3)?)
}

/// The page: a message, who is logged in, and the links.
fn page(session: &Session<Visit>, message: &str) -> String {
    let who = session
        .read(|v| {
            v.map(|v| {
                format!(
                    "logged in as <b>{}</b>, counter {}, {} bytes of notes",
                    v.user,
                    v.counter,
                    v.notes.len()
                )
            })
        })
        .unwrap_or_else(|| "not logged in".to_owned());
    format!(
        "<!doctype html><title>sealed-session</title><p>{message}</p><p>{who}</p>\
         <p><a href=/login?user=alice>log in as alice</a> · <a href=/count>count</a> · \
         <a href=/grow>grow by 3000 bytes</a> · <a href=/shrink>shrink</a> · \
         <a href=/logout>log out</a></p>"
    )
}

pub fn index(session: &Session<Visit>) -> String {
    page(session, "hello")
}

pub fn login(session: &Session<Visit>, q: &Login) -> String {
    let message = match Subject::new(&q.user) {
        Ok(subject) => {
            let visit = Visit {
                user: q.user.clone(),
                counter: 0,
                notes: Vec::new(),
            };
            match session.login(&subject, visit) {
                Ok(()) => "logged in (a new session id)".to_owned(),
                Err(e) => format!("could not log in: {e}"),
            }
        }
        Err(e) => format!("bad user name: {e}"),
    };
    page(session, &message)
}

pub fn count(session: &Session<Visit>) -> String {
    // `update`: a change that server-side sessions apply again if another tab wrote first.
    let message = match session.update(|v| v.counter += 1) {
        Ok(true) => "counted".to_owned(),
        Ok(false) => "log in first".to_owned(),
        Err(e) => format!("could not count: {e}"),
    };
    page(session, &message)
}

pub fn grow(session: &Session<Visit>) -> String {
    let message = match session.modify(|v| v.notes.extend((0..3000).map(|i| (i % 251) as u8))) {
        Ok(Some(())) => "grown: a cookie session now spans as many cookies as it needs".to_owned(),
        Ok(None) => "log in first".to_owned(),
        // The state would not fit even in the chunks: the handler learns it here, and the
        // browser keeps its previous cookies.
        Err(e) => format!("not grown, the session would not fit: {e}"),
    };
    page(session, &message)
}

pub fn shrink(session: &Session<Visit>) -> String {
    let message = match session.modify(|v| v.notes.clear()) {
        Ok(Some(())) => "shrunk: the chunk cookies are deleted".to_owned(),
        Ok(None) => "log in first".to_owned(),
        Err(e) => format!("could not shrink: {e}"),
    };
    page(session, &message)
}

pub fn logout(session: &Session<Visit>) -> String {
    session.clear();
    // The apps' `cache_no_store(true)`: no cache kept the logged-in pages, so Back shows them
    // logged out.
    page(
        session,
        "logged out: the cookie and its chunks are deleted; Back shows no logged-in page",
    )
}

/// Server-side sessions when `SESSIONS=server` (the state in a store, only the sealed id in the
/// cookie; in memory here: `RedbStore` or `RedisStore` keep it across restarts), cookie
/// sessions otherwise. The pages are the same either way.
pub fn server_side() -> Option<ServerSide> {
    let server = std::env::var("SESSIONS").is_ok_and(|s| s == "server");
    server.then(|| ServerSide::new(MemoryStore::new()))
}

/// Starts the key rotation on a thread of its own: every `ROTATE_SECS` seconds (default 60) a
/// new primary key; keys no session can still use are retired.
pub fn rotate_keys(ring: KeyRing) {
    let every = std::env::var("ROTATE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(Duration::from_secs(60), Duration::from_secs);
    std::thread::spawn(move || {
        let mut retiring: VecDeque<(KeyId, Instant)> = VecDeque::new();
        loop {
            std::thread::sleep(every);
            let old = ring.primary_id();
            match Key::generate().map(|k| ring.rotate(k)) {
                Ok(Ok(new)) => println!("rotated: {old} -> {new}"),
                other => eprintln!("rotation failed: {other:?}"),
            }
            retiring.push_back((old, Instant::now()));
            // A session sealed under `old` before it stopped sealing is valid at most an idle
            // timeout more (each request moves it to the primary), plus the leeway.
            while let Some(&(id, since)) = retiring.front() {
                if since.elapsed() < IDLE + Duration::from_secs(60) {
                    break;
                }
                retiring.pop_front();
                if ring.retire(id).is_ok() {
                    println!("retired: {id}");
                }
            }
        }
    });
}

/// The address to listen on: loopback, port `PORT` (default: any free one).
pub fn address() -> (&'static str, u16) {
    let port = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    ("127.0.0.1", port)
}
