//! The example app on axum (what it does: app/src/lib.rs; its pages: app/src/pages.rs; its
//! routes: app/src/axum.rs). The same app on actix-web is app/examples/actix_app.rs.
//!
//! ```text
//! # Cookie sessions, a key made for this run (no setup):
//! cargo run -p sealed-session-app --example axum_app
//! # Server-side sessions in a redb file (REDB_PATH, default in the temporary directory):
//! SESSIONS=server cargo run -p sealed-session-app --example axum_app
//! # Server-side sessions in Redis:
//! SESSIONS=server REDIS_URL=redis://127.0.0.1:6379 cargo run -p sealed-session-app --example axum_app
//! # Cookie sessions, their revocations in redb or Redis ("log out everywhere" works):
//! STORE=redb cargo run -p sealed-session-app --example axum_app
//! REDIS_URL=redis://127.0.0.1:6379 cargo run -p sealed-session-app --example axum_app
//! # Keys from a key-ring file, read again every 10 s (any of the above; PORT=8080 to choose):
//! cargo run --features cli --bin sealed-session -- ring init ring.toml
//! KEY_RING=ring.toml cargo run -p sealed-session-app --example axum_app
//! ```
//!
//! | `SESSIONS` | store (`STORE`) | the state lives | log out | log out everywhere, others |
//! |---|---|---|---|---|
//! | `cookie` (default) | none (default) | in the cookie | deletes the cookie; a copy works until it expires | refused: nothing can end a copy |
//! | `cookie` | `redb` or `redis` | in the cookie | revokes it in the store | revocations in the store |
//! | `server` | `redb` (default) or `redis` | in the store | removes it from the store | the same store |
//!
//! `STORE` (`none`, `redb`, `redis`) defaults to the store whose address is set (`REDIS_URL`,
//! `REDB_PATH`). The app prints what it runs on and its URL: open `http://localhost:PORT/`
//! (browsers keep the `Secure` `__Host-session` cookie for `localhost` over plain HTTP), log in
//! in two browsers as the same user, and try the buttons.

use sealed_session_app::{Config, Site, StartError};

#[tokio::main]
async fn main() -> Result<(), StartError> {
    let site = Site::start(Config::from_env()?)?;
    let listener = tokio::net::TcpListener::bind(site.address()).await?;
    site.announce(listener.local_addr()?.port());
    axum::serve(listener, sealed_session_app::axum::router(&site)).await?;
    Ok(())
}
