//! The shape every app of this comparison has: a cart in the session, one page that adds to it.
//! Server-side sessions in Redis, keys from the key-ring file, on axum.

use std::time::Duration;

use axum::{Router, routing::get};
use sealed_session::key_file::KeyRingFile;
use sealed_session::store::RedisStore;
use sealed_session::web::Driver;
use sealed_session::web::axum::SessionLayer;
use sealed_session::{CookieOptions, Sealer, ServerSide, Session, SessionCookie};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Default)]
struct Cart {
    items: Vec<String>,
}

async fn add(session: Session<Cart>) -> String {
    let mut cart = session.get().unwrap_or_default();
    cart.items.push("book".to_owned());
    let n = cart.items.len();
    match session.replace(cart) {
        Ok(()) => format!("{n} items"),
        Err(e) => format!("not saved: {e}"),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let keys = KeyRingFile::open("ring.toml")?;
    let _watch = keys.watch(Duration::from_secs(30), |e| eprintln!("key ring: {e}"));
    let sealer = Sealer::builder(keys.ring(), "__Host-session")
        .session_ids(true)
        .build()?;
    let cookie = SessionCookie::sealed(sealer, CookieOptions::new())?;
    let store = ServerSide::new(RedisStore::new("redis://127.0.0.1/")?);
    let app = Router::new()
        .route("/", get(add))
        .layer(SessionLayer::<Cart>::new(
            Driver::builder(cookie).server_side(store).build()?,
        ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    axum::serve(listener, app).await?;
    Ok(())
}
