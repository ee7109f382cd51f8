//! The shape every app of this comparison has: a cart in the session, one page that adds to it.
//! Cookie sessions on axum.

use axum::{Router, routing::get};
use sealed_session::web::axum::SessionLayer;
use sealed_session::{CookieOptions, Key, KeyRing, Sealer, Session, SessionCookie};
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
    let sealer = Sealer::builder(KeyRing::new(Key::generate()?), "__Host-session").build()?;
    let cookie = SessionCookie::sealed(sealer, CookieOptions::new())?;
    let app = Router::new()
        .route("/", get(add))
        .layer(SessionLayer::<Cart>::new(cookie));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    axum::serve(listener, app).await?;
    Ok(())
}
