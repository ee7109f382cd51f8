//! The example app on plain hyper 1, with no web framework: the session's request lifecycle
//! run by hand with sealed-session's `web::Driver` (app/src/hyper.rs), as an adapter for any
//! other framework would. The same app, configured the same way, as app/examples/axum_app.rs
//! (whose header lists the environment variables):
//!
//! ```text
//! cargo run -p sealed-session-app --example hyper_app
//! ```

use sealed_session_app::{Config, Site, StartError};

#[tokio::main]
async fn main() -> Result<(), StartError> {
    let site = Site::start(Config::from_env()?)?;
    let listener = tokio::net::TcpListener::bind(site.address()).await?;
    site.announce(listener.local_addr()?.port());
    sealed_session_app::hyper::serve(&site, listener).await?;
    Ok(())
}
