//! The test app of the axum adapter's tests: login, read, change, grow, logout, fail.

#![allow(dead_code)] // each test file uses its own part

use axum::Router;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::routing::get;
use sealed_session::web::axum::SessionLayer;
use sealed_session::{
    CookieOptions, Key, KeyRing, ManualClock, Sealer, Session, SessionCookie, Subject,
};
use serde::{Deserialize, Serialize};

/// Plain HTTP on loopback: an HTTP client keeps `Secure` cookies only for https, so the cookie
/// here omits `Secure` (and so cannot carry a `__Host-` name).
pub(crate) const NAME: &str = "sid";

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub(crate) struct State {
    pub(crate) user: String,
    pub(crate) counter: u64,
    #[serde(with = "serde_bytes")]
    pub(crate) data: Vec<u8>,
}

#[derive(Deserialize)]
pub(crate) struct Login {
    user: String,
}

#[derive(Deserialize)]
pub(crate) struct Grow {
    bytes: usize,
}

pub(crate) async fn login(
    session: Session<State>,
    Query(q): Query<Login>,
) -> Result<String, StatusCode> {
    let subject = Subject::new(&q.user).map_err(|_| StatusCode::BAD_REQUEST)?;
    let state = State {
        user: q.user.clone(),
        counter: 0,
        data: Vec::new(),
    };
    session
        .login(&subject, state)
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(format!("hello {}", q.user))
}

/// Everything the session holds, for the browser test.
pub(crate) async fn show(session: Session<State>) -> String {
    session
        .read(|s| {
            s.map(|s| {
                format!(
                    "user={} counter={} data={}",
                    s.user,
                    s.counter,
                    s.data.len()
                )
            })
        })
        .unwrap_or_else(|| "none".into())
}

pub(crate) async fn read_only(session: Session<State>) -> String {
    session
        .read(|s| s.map(|s| format!("{} {}", s.user, s.counter)))
        .unwrap_or_else(|| "none".into())
}

pub(crate) async fn read_write(session: Session<State>) -> Result<String, StatusCode> {
    match session.modify(|s| {
        s.counter += 1;
        s.counter
    }) {
        Ok(Some(n)) => Ok(n.to_string()),
        Ok(None) => Err(StatusCode::UNAUTHORIZED),
        Err(_) => Err(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

pub(crate) async fn grow(session: Session<State>, Query(q): Query<Grow>) -> (StatusCode, String) {
    let result = session.modify(|s| s.data = vec![7; q.bytes]);
    match result {
        Ok(Some(())) => (StatusCode::OK, "grown".into()),
        Ok(None) => (StatusCode::UNAUTHORIZED, "no session".into()),
        // The handler sees the size error before the response, and can say so.
        Err(e) => (StatusCode::PAYLOAD_TOO_LARGE, e.to_string()),
    }
}

pub(crate) async fn logout(session: Session<State>) -> &'static str {
    session.clear();
    "bye"
}

pub(crate) async fn fail(session: Session<State>) -> StatusCode {
    let _ = session.modify(|s| s.counter += 100);
    StatusCode::INTERNAL_SERVER_ERROR
}

pub(crate) fn cookie() -> SessionCookie {
    cookie_on(ManualClock::new(now()))
}

pub(crate) fn now() -> u64 {
    use sealed_session::Clock as _;
    sealed_session::SystemClock.now_unix()
}

/// The app's cookie, reading `clock` (the tests that move time hold on to it).
pub(crate) fn cookie_on(clock: ManualClock) -> SessionCookie {
    cookie_with(KeyRing::new(Key::generate().unwrap()), clock)
}

/// The app's cookie over `ring`, reading `clock` (for tests that rotate keys or move time).
/// The cookie a browser gets: a `__Host-` name with the default attributes (`Secure`, `Path=/`),
/// which browsers keep for `http://localhost`.
pub(crate) fn host_cookie(ring: KeyRing) -> SessionCookie {
    let sealer = Sealer::builder(ring, "__Host-session")
        .session_ids(true)
        .build()
        .unwrap();
    SessionCookie::sealed(sealer, CookieOptions::new())
        .unwrap()
        .max_chunks(3)
        .unwrap()
}

pub(crate) fn cookie_with(ring: KeyRing, clock: ManualClock) -> SessionCookie {
    let sealer = Sealer::builder(ring, NAME)
        .session_ids(true)
        .clock(clock)
        .build()
        .unwrap();
    SessionCookie::sealed(sealer, CookieOptions::new().dangerous_omit_secure())
        .unwrap()
        .max_chunks(3)
        .unwrap()
}

pub(crate) fn app() -> Router {
    app_with(cookie())
}

pub(crate) fn app_with(cookie: SessionCookie) -> Router {
    Router::new()
        .route("/login", get(login))
        .route("/ro", get(read_only))
        .route("/show", get(show))
        .route("/rw", get(read_write))
        .route("/none", get(|| async { "untouched" }))
        .route("/grow", get(grow))
        .route("/logout", get(logout))
        .route("/fail", get(fail))
        .layer(SessionLayer::<State>::new(cookie))
        // Outside the layer: a handler that asks for a session nobody provides.
        .route("/unwired", get(|_: Session<u8>| async { "?" }))
}
