//! The example app on actix-web: the same pages and settings as app/examples/axum_app.rs (what it
//! does: app/src/lib.rs; its pages: app/src/pages.rs; its routes: app/src/actix.rs).
//!
//! ```text
//! # Cookie sessions, a key made for this run (no setup):
//! cargo run -p sealed-session-app --example actix_app
//! # Server-side sessions in a redb file (REDB_PATH, default in the temporary directory):
//! SESSIONS=server cargo run -p sealed-session-app --example actix_app
//! # Server-side sessions in Redis:
//! SESSIONS=server REDIS_URL=redis://127.0.0.1:6379 cargo run -p sealed-session-app --example actix_app
//! # Cookie sessions, their revocations in redb or Redis ("log out everywhere" works):
//! STORE=redb cargo run -p sealed-session-app --example actix_app
//! REDIS_URL=redis://127.0.0.1:6379 cargo run -p sealed-session-app --example actix_app
//! # Keys from a key-ring file, read again every 10 s (any of the above; PORT=8080 to choose):
//! cargo run --features cli --bin sealed-session -- ring init ring.toml
//! KEY_RING=ring.toml cargo run -p sealed-session-app --example actix_app
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

use actix_web::HttpServer;
use sealed_session_app::{Config, Site, StartError};

#[actix_web::main]
async fn main() -> Result<(), StartError> {
    let site = Site::start(Config::from_env()?)?;
    // Each worker builds the app over a clone of the site: they share its sessions, its keys
    // (a reload of the key-ring file reaches them all) and its store.
    let server = HttpServer::new({
        let site = site.clone();
        move || sealed_session_app::actix::app(&site)
    })
    .bind(site.address())?;
    site.announce(server.addrs()[0].port());
    server.run().await?;
    Ok(())
}
