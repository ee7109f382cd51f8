//! A small axum app on sealed cookie sessions: log in, count visits in the session, grow the
//! session past one cookie (chunking), rotate keys on a timer, log out (and press Back: the
//! page shows you logged out, as no cache kept the logged-in one). The same app on actix-web
//! is examples/actix_app.rs; what the pages do is in examples/app/mod.rs.
//!
//! ```text
//! cargo run --example axum_app --features axum            # prints its URL; PORT=8080 to choose
//! SESSIONS=server cargo run --example axum_app --features axum   # server-side sessions
//! ```
//!
//! Open the printed `http://localhost:PORT/` in a browser (browsers keep `Secure` cookies for
//! `localhost` over plain HTTP). Every `ROTATE_SECS` seconds (default 60) a new key becomes the
//! primary: sessions sealed under the old one keep working and move to the new key on their next
//! request; keys are retired once no session sealed under them can still be valid.

use axum::Router;
use axum::extract::Query;
use axum::response::Html;
use axum::routing::get;
use sealed_session::web::axum::SessionLayer;
use sealed_session::{Key, KeyRing, Session};

use sealed_session_app::{Login, Visit};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let ring = KeyRing::new(Key::generate()?);
    let cookie = sealed_session_app::cookie(ring.clone())?;
    // No cache keeps a page that shows a session, the browser's included: Back after a logout
    // asks the server again instead of showing the logged-in page.
    let sessions = SessionLayer::<Visit>::new(cookie).cache_no_store(true);
    let sessions = match sealed_session_app::server_side() {
        Some(side) => sessions.server_side(&side)?,
        None => sessions,
    };
    let page = |f: fn(&Session<Visit>) -> String| {
        get(move |session: Session<Visit>| async move { Html(f(&session)) })
    };
    let app = Router::new()
        .route("/", page(sealed_session_app::index))
        .route(
            "/login",
            get(
                |session: Session<Visit>, Query(q): Query<Login>| async move {
                    Html(sealed_session_app::login(&session, &q))
                },
            ),
        )
        .route("/count", page(sealed_session_app::count))
        .route("/grow", page(sealed_session_app::grow))
        .route("/shrink", page(sealed_session_app::shrink))
        .route("/logout", page(sealed_session_app::logout))
        .layer(sessions);
    sealed_session_app::rotate_keys(ring);

    let listener = tokio::net::TcpListener::bind(sealed_session_app::address()).await?;
    println!(
        "listening on http://localhost:{}/",
        listener.local_addr()?.port()
    );
    axum::serve(listener, app).await?;
    Ok(())
}
