//! What the adapters log about a refused cookie, and about a `Session<T>` no layer of that `T`
//! serves, checked on both frameworks: its own test binary,
//! so that no other test hits the same log call sites from another thread while this one
//! captures them. Each app runs on the test's own thread (the log subscriber is the thread's).
//! Run with `cargo test -p sealed-session-app`.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::web::{State, actix_app, axum_app, cookie_on, now};
use sealed_session::ManualClock;

/// A log sink for one test: everything the adapter logs, as text.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `run` on this thread and returns what it logged at `DEBUG` and above.
fn logged(run: impl FnOnce()) -> String {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, run);
    String::from_utf8(captured.0.lock().unwrap().clone()).unwrap()
}

/// A tampered cookie then an expired one: one warning naming the damage, then one debug line
/// naming the expiry.
fn assert_reasons(text: &str) {
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].contains("WARN") && lines[0].contains("base64url"),
        "{text}"
    );
    assert!(
        lines[1].contains("DEBUG") && lines[1].contains("expired"),
        "{text}"
    );
}

const TAMPERED: &str = "sid=!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!";
/// Past the idle timeout and the leeway.
const LATER: Duration = Duration::from_secs(31 * 60 + 61);

fn first_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

#[test]
fn axum_logs_a_refused_cookie_with_its_reason_debug_for_expiry_warn_for_tampering() {
    use axum::http::Request;
    use axum::http::header::{COOKIE, SET_COOKIE};
    use tower_service::Service as _;

    let clock = ManualClock::new(now());
    let mut app = axum_app::app(cookie_on(clock.clone()));
    let requests = async move {
        let mut call = async |path: &str, header: &str| {
            let request = Request::get(path)
                .header(COOKIE, header)
                .body(axum::body::Body::empty())
                .unwrap();
            app.call(request).await.unwrap()
        };
        let response = call("/login?user=alice", "").await;
        let header = first_pair(response.headers()[SET_COOKIE].to_str().unwrap());
        call("/ro", TAMPERED).await;
        clock.advance(LATER);
        call("/ro", &header).await;
    };
    let text = logged(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(requests)
    });
    assert_reasons(&text);
}

#[test]
fn actix_logs_a_refused_cookie_with_its_reason_debug_for_expiry_warn_for_tampering() {
    use actix_web::App;
    use actix_web::http::header::{COOKIE, SET_COOKIE};
    use actix_web::test::{TestRequest, call_service, init_service};
    use sealed_session::web::actix::SessionMiddleware;

    let clock = ManualClock::new(now());
    let cookie = cookie_on(clock.clone());
    let requests = async move {
        let app = init_service(
            App::new()
                .wrap(SessionMiddleware::<State>::new(cookie))
                .configure(actix_app::configure),
        )
        .await;
        let call = async |path: &str, header: &str| {
            let request = TestRequest::get()
                .uri(path)
                .insert_header((COOKIE, header))
                .to_request();
            call_service(&app, request).await
        };
        let response = call("/login?user=alice", "").await;
        let set_cookie = response.headers().get(SET_COOKIE).unwrap();
        let header = first_pair(set_cookie.to_str().unwrap());
        call("/ro", TAMPERED).await;
        clock.advance(LATER);
        call("/ro", &header).await;
    };
    let text = logged(|| actix_web::rt::System::new().block_on(requests));
    assert_reasons(&text);
}

/// A session type no layer was built for: the apps' layers are for `State`.
#[derive(serde::Serialize, serde::Deserialize)]
struct Cart {
    items: u32,
}

/// The one log line of a request for `Session<Cart>` under a layer for `State`: an error that
/// names the type looked for, and the layer that would serve it.
fn assert_names_the_missing_type(text: &str) {
    let cart = std::any::type_name::<Cart>();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    assert!(lines[0].contains("ERROR"), "{text}");
    assert!(lines[0].contains(&format!("Session<{cart}>")), "{text}");
}

#[test]
fn axum_logs_a_missing_session_layer_with_the_session_type_it_looked_for() {
    use axum::Router;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use sealed_session::Session;
    use sealed_session::web::axum::SessionLayer;
    use tower_service::Service as _;

    let mut app = Router::new()
        .route("/cart", get(|_: Session<Cart>| async { "never" }))
        .layer(SessionLayer::<State>::new(cookie_on(ManualClock::new(
            now(),
        ))));
    let request = async move {
        let request = Request::get("/cart")
            .body(axum::body::Body::empty())
            .unwrap();
        app.call(request).await.unwrap().status()
    };
    let mut status = None;
    let text = logged(|| {
        status = Some(
            tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap()
                .block_on(request),
        );
    });
    assert_eq!(status, Some(StatusCode::INTERNAL_SERVER_ERROR));
    assert_names_the_missing_type(&text);
    assert!(text.contains("SessionLayer::<"), "{text}");
}

#[test]
fn actix_logs_a_missing_session_middleware_with_the_session_type_it_looked_for() {
    use actix_web::http::StatusCode;
    use actix_web::test::{TestRequest, call_service, init_service};
    use actix_web::{App, web};
    use sealed_session::Session;
    use sealed_session::web::actix::SessionMiddleware;

    let cookie = cookie_on(ManualClock::new(now()));
    let request = async move {
        let app = init_service(
            App::new()
                .wrap(SessionMiddleware::<State>::new(cookie))
                .route("/cart", web::get().to(|_: Session<Cart>| async { "never" })),
        )
        .await;
        call_service(&app, TestRequest::get().uri("/cart").to_request())
            .await
            .status()
    };
    let mut status = None;
    let text = logged(|| status = Some(actix_web::rt::System::new().block_on(request)));
    assert_eq!(status, Some(StatusCode::INTERNAL_SERVER_ERROR));
    assert_names_the_missing_type(&text);
    assert!(text.contains("SessionMiddleware::<"), "{text}");
}
