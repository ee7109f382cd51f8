//! A small axum app on sealed cookie sessions: log in, count visits in the session, grow the
//! session past one cookie (chunking), rotate keys on a timer, log out.
//!
//! ```text
//! cargo run --example axum_app --features axum            # prints its URL; PORT=8080 to choose
//! ```
//!
//! Open the printed `http://localhost:PORT/` in a browser (browsers keep `Secure` cookies for
//! `localhost` over plain HTTP). Every `ROTATE_SECS` seconds (default 60) a new key becomes the
//! primary: sessions sealed under the old one keep working and move to the new key on their next
//! request; keys are retired once no session sealed under them can still be valid.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Query;
use axum::response::Html;
use axum::routing::get;
use sealed_session::web::axum::SessionLayer;
use sealed_session::{CookieOptions, Key, KeyId, KeyRing, Sealer, Session, SessionCookie, Subject};
use serde::{Deserialize, Serialize};

/// What the app keeps about a visitor, all in the cookie.
#[derive(Serialize, Deserialize, Clone, Debug)]
struct Visit {
    user: String,
    counter: u64,
    #[serde(with = "serde_bytes")]
    notes: Vec<u8>,
}

const IDLE: Duration = Duration::from_secs(30 * 60);
const ABSOLUTE: Duration = Duration::from_secs(8 * 3600);

fn page(session: &Session<Visit>, message: &str) -> Html<String> {
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
    Html(format!(
        "<!doctype html><title>sealed-session</title><p>{message}</p><p>{who}</p>\
         <p><a href=/login?user=alice>log in as alice</a> · <a href=/count>count</a> · \
         <a href=/grow>grow by 3000 bytes</a> · <a href=/shrink>shrink</a> · \
         <a href=/logout>log out</a></p>"
    ))
}

#[derive(Deserialize)]
struct Login {
    user: String,
}

async fn index(session: Session<Visit>) -> Html<String> {
    page(&session, "hello")
}

async fn login(session: Session<Visit>, Query(q): Query<Login>) -> Html<String> {
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
    page(&session, &message)
}

async fn count(session: Session<Visit>) -> Html<String> {
    let message = match session.modify(|v| v.counter += 1) {
        Ok(Some(())) => "counted".to_owned(),
        Ok(None) => "log in first".to_owned(),
        Err(e) => format!("could not count: {e}"),
    };
    page(&session, &message)
}

async fn grow(session: Session<Visit>) -> Html<String> {
    let message = match session.modify(|v| v.notes.extend((0..3000).map(|i| (i % 251) as u8))) {
        Ok(Some(())) => "grown: the session now spans as many cookies as it needs".to_owned(),
        Ok(None) => "log in first".to_owned(),
        // The state would not fit even in the chunks: the handler learns it here, and the
        // browser keeps its previous cookies.
        Err(e) => format!("not grown, the session would not fit: {e}"),
    };
    page(&session, &message)
}

async fn shrink(session: Session<Visit>) -> Html<String> {
    let message = match session.modify(|v| v.notes.clear()) {
        Ok(Some(())) => "shrunk: the chunk cookies are deleted".to_owned(),
        Ok(None) => "log in first".to_owned(),
        Err(e) => format!("could not shrink: {e}"),
    };
    page(&session, &message)
}

async fn logout(session: Session<Visit>) -> Html<String> {
    session.clear();
    page(
        &session,
        "logged out: the cookie and its chunks are deleted",
    )
}

/// Every `every`, a new primary key; keys no session can still use are retired.
async fn rotate(ring: KeyRing, every: Duration) {
    let mut retiring: VecDeque<(KeyId, Instant)> = VecDeque::new();
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    loop {
        tick.tick().await;
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
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let ring = KeyRing::new(Key::generate()?);
    let sealer = Sealer::builder(ring.clone(), "__Host-session")
        .purpose("example")
        .idle_timeout(IDLE)
        .absolute_lifetime(ABSOLUTE)
        .session_ids(true)
        .build()?;
    let cookie = SessionCookie::sealed(sealer, CookieOptions::new())?.max_chunks(3)?;
    let app = Router::new()
        .route("/", get(index))
        .route("/login", get(login))
        .route("/count", get(count))
        .route("/grow", get(grow))
        .route("/shrink", get(shrink))
        .route("/logout", get(logout))
        .layer(SessionLayer::<Visit>::new(cookie));

    let every = std::env::var("ROTATE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(Duration::from_secs(60), Duration::from_secs);
    tokio::spawn(rotate(ring, every));

    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!(
        "listening on http://localhost:{}/",
        listener.local_addr()?.port()
    );
    axum::serve(listener, app).await?;
    Ok(())
}
