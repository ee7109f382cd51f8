//! The example app on axum (app/examples/axum_app.rs) as a program of its own, for the tests that
//! run two of its servers as two processes on one Redis (app/tests/example_app.rs): chosen by the
//! same environment variables, it prints the same lines, and serves until it is killed.

use sealed_session_app::{Config, Site, StartError};

#[tokio::main]
async fn main() -> Result<(), StartError> {
    let site = Site::start(Config::from_env()?)?;
    let listener = tokio::net::TcpListener::bind(site.address()).await?;
    site.announce(listener.local_addr()?.port());
    axum::serve(listener, sealed_session_app::axum::router(&site)).await?;
    Ok(())
}
