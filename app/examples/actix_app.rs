//! A small actix-web app on sealed cookie sessions, with the same pages and behaviour as
//! examples/axum_app.rs: log in, count visits in the session, grow the session past one cookie
//! (chunking), rotate keys on a timer, log out (and press Back: the page shows you logged out,
//! as no cache kept the logged-in one). What the pages do is in examples/app/mod.rs.
//!
//! ```text
//! cargo run --example actix_app --features actix          # prints its URL; PORT=8080 to choose
//! SESSIONS=server cargo run --example actix_app --features actix   # server-side sessions
//! ```
//!
//! Open the printed `http://localhost:PORT/` in a browser (browsers keep `Secure` cookies for
//! `localhost` over plain HTTP). Every `ROTATE_SECS` seconds (default 60) a new key becomes the
//! primary: sessions sealed under the old one keep working and move to the new key on their next
//! request; keys are retired once no session sealed under them can still be valid.

use actix_web::{App, HttpResponse, HttpServer, web};
use sealed_session::web::actix::SessionMiddleware;
use sealed_session::{Key, KeyRing, Session};

use sealed_session_app::{Login, Visit};

fn html(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body)
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let ring = KeyRing::new(Key::generate()?);
    // One middleware for every worker: they share the cookie and its key ring. No cache keeps a
    // page that shows a session, the browser's included: Back after a logout asks the server
    // again instead of showing the logged-in page.
    let sessions = SessionMiddleware::<Visit>::new(sealed_session_app::cookie(ring.clone())?)
        .cache_no_store(true);
    let sessions = match sealed_session_app::server_side() {
        Some(side) => sessions.server_side(&side)?,
        None => sessions,
    };
    sealed_session_app::rotate_keys(ring);

    let server = HttpServer::new(move || {
        let page = |f: fn(&Session<Visit>) -> String| {
            web::get().to(move |session: Session<Visit>| async move { html(f(&session)) })
        };
        App::new()
            .wrap(sessions.clone())
            .route("/", page(sealed_session_app::index))
            .route(
                "/login",
                web::get().to(|session: Session<Visit>, q: web::Query<Login>| async move {
                    html(sealed_session_app::login(&session, &q))
                }),
            )
            .route("/count", page(sealed_session_app::count))
            .route("/grow", page(sealed_session_app::grow))
            .route("/shrink", page(sealed_session_app::shrink))
            .route("/logout", page(sealed_session_app::logout))
    })
    .bind(sealed_session_app::address())?;
    let port = server.addrs()[0].port();
    println!("listening on http://localhost:{port}/");
    server.run().await?;
    Ok(())
}
