//! The shape every app of this comparison has: a cart in the session, one page that adds to it.
//! tower-sessions with its Redis store, on axum.

use axum::{Router, routing::get};
use serde::{Deserialize, Serialize};
use tower_sessions::{Session, SessionManagerLayer};
use tower_sessions_redis_store::{RedisStore, fred::prelude::*};

#[derive(Serialize, Deserialize, Clone, Default)]
struct Cart {
    items: Vec<String>,
}

async fn add(session: Session) -> String {
    let mut cart: Cart = session.get("cart").await.ok().flatten().unwrap_or_default();
    cart.items.push("book".to_owned());
    let n = cart.items.len();
    match session.insert("cart", cart).await {
        Ok(()) => format!("{n} items"),
        Err(e) => format!("not saved: {e}"),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pool = Pool::new(Config::from_url("redis://127.0.0.1/")?, None, None, None, 1)?;
    let _connection = pool.connect();
    pool.wait_for_connect().await?;
    let app = Router::new()
        .route("/", get(add))
        .layer(SessionManagerLayer::new(RedisStore::new(pool)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    axum::serve(listener, app).await?;
    Ok(())
}
